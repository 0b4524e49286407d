import { ConfigError, ConnectionError, EXIT, InterruptedError, isHealfixError, isJsonWritten, MissingDriverError, NotConfirmedError, UsageError, type ExitCode } from '../errors.js';
import { writeStderr, writeStdout } from '../report/io.js';

/**
 * Wraps a command's work: the returned exit code becomes process.exitCode, and any error becomes one
 * line on stderr (plus one JSON document on stdout under --json). Never process.exit(): that can cut
 * a long --json document short (knip PR #512).
 */
export function commandAction<O extends { json?: boolean }>(
  name: string,
  work: (options: O, ...rest: string[]) => Promise<ExitCode>,
) {
  return async (...args: unknown[]): Promise<void> => {
    // commander passes positional arguments first, then the options object, then the Command.
    const options = args[args.length - 2] as O;
    const positionals = args.slice(0, -2) as string[];
    try {
      process.exitCode = await work(options, ...positionals);
    } catch (error) {
      process.exitCode = await reportError(name, await asKnownError(error), Boolean(options?.json));
    }
  };
}

/**
 * A session killed under a command (pg_terminate_backend, a server restart, a dropped network) is a
 * connection fault wherever it surfaces, not a bug: one line, exit 2, whichever check was reading.
 */
async function asKnownError(error: unknown): Promise<unknown> {
  if (isHealfixError(error) || !error || typeof error !== 'object') return error;
  const { isLostConnection, lostConnectionError } = await import('../db/pg-errors.js');
  return isLostConnection(error) ? lostConnectionError('the database', error) : error;
}

/** What an error document says: the known failure's line and hint, or "internal error: …" for a bug. */
export function errorForJson(error: unknown): { message: string; hint?: string; code: string } {
  if (isHealfixError(error)) return { message: error.message, hint: error.hint, code: errorCode(error) };
  return { message: `internal error: ${(error as Error)?.message ?? String(error)}`, code: 'internal' };
}

/** The machine-readable kind of a failure, for scripts reading the `error.code` of a --json document. */
export function errorCode(error: unknown): string {
  if (error instanceof UsageError) return 'usage';
  if (error instanceof ConfigError) return 'config';
  if (error instanceof ConnectionError) return 'connection';
  if (error instanceof NotConfirmedError) return 'not-confirmed';
  if (error instanceof InterruptedError) return 'interrupted';
  if (error instanceof MissingDriverError) return 'missing-driver';
  return isHealfixError(error) ? 'error' : 'internal';
}

export async function reportError(command: string, error: unknown, json: boolean): Promise<ExitCode> {
  const { chalk } = await import('../report/color.js');
  // A streamed document already closed itself with the error: stdout must stay one document.
  if (isJsonWritten(error)) json = false;
  if (json) {
    const { jsonError } = await import('../report/json.js');
    const { message, hint, code } = errorForJson(error);
    writeStdout(jsonError(command, message, hint, code));
  }
  if (isHealfixError(error)) {
    writeStderr(`${chalk.red('healfix:')} ${error.message}\n`);
    if (error.hint) writeStderr(`${chalk.dim(error.hint)}\n`);
    return error.exitCode;
  }
  writeStderr(`${chalk.red('healfix: internal error')} — this is a bug, please report it with the output below.\n`);
  writeStderr(`${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.ERROR;
}
