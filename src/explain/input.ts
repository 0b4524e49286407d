import { UsageError } from '../errors.js';

export interface PasteInput {
  isTTY?: boolean;
  [Symbol.asyncIterator](): AsyncIterator<string | Buffer>;
}

const USAGE_HINT = 'Usage: healfix explain "<error text>"   or   pbpaste | healfix explain   (or: healfix explain - < server.log)';

/**
 * The text to explain: the arguments joined, or stdin when there are none (or the one argument is "-").
 * No text at all (no argument, a terminal on stdin, or empty input) is a usage error.
 */
export async function readPaste(args: readonly string[], stdin: PasteInput): Promise<string> {
  const fromStdin = args.length === 0 || (args.length === 1 && args[0] === '-');
  if (!fromStdin) {
    const text = args.join(' ');
    if (text.trim() === '') throw new UsageError('the error text is empty', { hint: USAGE_HINT });
    return text;
  }
  if (stdin.isTTY) throw new UsageError('no error text: give it as an argument or pipe it on stdin', { hint: USAGE_HINT });
  const chunks: string[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  const text = chunks.join('');
  if (text.trim() === '') throw new UsageError('no error text: stdin was empty', { hint: USAGE_HINT });
  return text;
}
