import { appendFileSync, writeFileSync } from 'node:fs';
import { maskSecrets } from '../secrets.js';

/**
 * Reporters write through this, so tests can capture output without spawning the binary. Every writer
 * masks the registered secrets (src/secrets.ts) in all their spellings: the last line of defence.
 */
export type Write = (text: string) => void;

/** While --reporter renders the document, the command's own stdout (that document) is collected here. */
let captured: string[] | undefined;

export const writeStdout: Write = (text) => {
  if (captured) captured.push(maskSecrets(text));
  else process.stdout.write(maskSecrets(text));
};

/** Collects what the command writes on stdout until the returned function is called; it returns the text. */
export function captureStdout(): () => string {
  const chunks: string[] = [];
  captured = chunks;
  return () => {
    captured = undefined;
    return chunks.join('');
  };
}

/** Straight to the terminal, past any capture: the reporters' own output. */
export const writeTerminal: Write = (text) => {
  process.stdout.write(maskSecrets(text));
};

export const writeStderr: Write = (text) => {
  process.stderr.write(maskSecrets(text));
};

/** Writes a report file (JUnit, JSON) with the registered secrets masked. */
export function writeReportFile(path: string, text: string): void {
  writeFileSync(path, maskSecrets(text));
}

/** Appends to a report file ($GITHUB_STEP_SUMMARY), secrets masked. */
export function appendReportFile(path: string, text: string): void {
  appendFileSync(path, maskSecrets(text));
}

/** Collects everything written, for tests and for building strings. */
export function bufferWriter(): { write: Write; text: () => string } {
  const chunks: string[] = [];
  return { write: (t) => void chunks.push(t), text: () => chunks.join('') };
}
