/** Reporters write through this, so tests can capture output without spawning the binary. */
import { scrub } from '../secrets.js';

export type Write = (text: string) => void;

// Secrets learnt at run time (registerSecret: a code or link read from mail) are masked on the way out.
export const writeStdout: Write = (text) => {
  process.stdout.write(scrub(text, []));
};

export const writeStderr: Write = (text) => {
  process.stderr.write(scrub(text, []));
};

/** Collects everything written, for tests and for building strings. */
export function bufferWriter(): { write: Write; text: () => string } {
  const chunks: string[] = [];
  return { write: (t) => void chunks.push(t), text: () => chunks.join('') };
}
