/**
 * Ctrl-C for long work: the first press aborts the signal, so the work stops cleanly at its next safe
 * point; the handler is then removed, so a second press quits at once the usual way.
 */
export function abortOnCtrlC(onFirst: () => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = () => {
    controller.abort();
    process.off('SIGINT', handler);
    onFirst();
  };
  process.on('SIGINT', handler);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', handler) };
}
