/** Reporters write through this, so tests can capture output without spawning the binary. */
export type Write = (text: string) => void;

export const writeStdout: Write = (text) => {
  process.stdout.write(text);
};

export const writeStderr: Write = (text) => {
  process.stderr.write(text);
};

/** Collects everything written, for tests and for building strings. */
export function bufferWriter(): { write: Write; text: () => string } {
  const chunks: string[] = [];
  return { write: (t) => void chunks.push(t), text: () => chunks.join('') };
}
