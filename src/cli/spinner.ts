/** Progress reporting for long steps: an ora spinner on stderr, only on a TTY and never under --json. */
export interface Progress {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, succeed() {}, fail() {}, stop() {} };

/**
 * Narrower than this, a spinner line wraps on every frame. At 0 columns (`stty cols 0`, a serial console)
 * ora counts Infinity wrapped lines and clears them forever: the command never ends.
 */
export const MIN_SPINNER_COLUMNS = 20;

/** Whether a spinner may draw on this stream: a TTY, not CI, not --json, and wide enough to draw on. */
export function spinnerAllowed(stream: { isTTY?: boolean; columns?: number }, options: { json?: boolean }, env = process.env): boolean {
  if (options.json || !stream.isTTY || env.CI) return false;
  return typeof stream.columns === 'number' && stream.columns >= MIN_SPINNER_COLUMNS;
}

export async function startProgress(text: string, options: { json?: boolean } = {}): Promise<Progress> {
  if (!spinnerAllowed(process.stderr, options)) return SILENT;
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: process.stderr }).start();
  return {
    update: (t) => void (spinner.text = t),
    succeed: (t) => void spinner.succeed(t),
    fail: (t) => void spinner.fail(t),
    stop: () => void spinner.stop(),
  };
}
