import { writeFileSync } from 'node:fs';
import { maskSecrets } from '../secrets.js';

/**
 * Reporters write through this, so tests can capture output without spawning the binary. Every writer
 * masks the registered secrets (src/secrets.ts) in all their spellings: the last line of defence.
 */
export type Write = (text: string) => void;

export const writeStdout: Write = (text) => {
  process.stdout.write(maskSecrets(text));
};

export const writeStderr: Write = (text) => {
  process.stderr.write(maskSecrets(text));
};

/** Writes a report file (JUnit, JSON) with the registered secrets masked. */
export function writeReportFile(path: string, text: string): void {
  writeFileSync(path, maskSecrets(text));
}

/** Collects everything written, for tests and for building strings. */
export function bufferWriter(): { write: Write; text: () => string } {
  const chunks: string[] = [];
  return { write: (t) => void chunks.push(t), text: () => chunks.join('') };
}
