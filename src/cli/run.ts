import { ConfigError, ConnectionError, EXIT, InterruptedError, isHealfixError, isJsonWritten, MissingDriverError, NotConfirmedError, UsageError, type ExitCode } from '../errors.js';
import { writeStderr, writeStdout } from '../report/io.js';
import type { OutputFlags } from './options.js';

/**
 * Wraps a command's work: the returned exit code becomes process.exitCode, and any error becomes one
 * line on stderr (plus one JSON document on stdout under --json). Never process.exit(): that can cut
 * a long --json document short (knip PR #512).
 */
export function commandAction<O extends OutputFlags>(
  name: string,
  work: (options: O, ...rest: string[]) => Promise<ExitCode>,
) {
  return async (...args: unknown[]): Promise<void> => {
    // commander passes positional arguments first, then the options object, then the Command.
    const options = args[args.length - 2] as O;
    const positionals = args.slice(0, -2) as string[];
    let output: DocumentOutput | undefined;
    try {
      output = await prepareOutput(options);
      process.exitCode = await work(options, ...positionals);
    } catch (error) {
      process.exitCode = await reportError(name, await asKnownError(error), Boolean(options?.json));
    } finally {
      if (output) process.exitCode = await output.finish(name, process.exitCode as ExitCode);
    }
  };
}

interface DocumentOutput {
  finish(command: string, code: ExitCode): Promise<ExitCode>;
}

/**
 * --reporter / --quiet: the command runs once in document mode (as under --json), its document is collected
 * instead of printed, and every reporter renders that one object. Paths are checked before any work.
 */
async function prepareOutput(options: OutputFlags): Promise<DocumentOutput | undefined> {
  const values = [...(options.reporter ?? []), ...(options.json && !options.reporter?.some((r) => r === 'json') ? ['json'] : [])];
  if (!values.length && !options.quiet && options.output === undefined) return undefined;
  const { parseReporters } = await import('../report/reporters/spec.js');
  const specs = parseReporters(values.length ? values : ['human'], options.output);
  // The terminal keeps its report unless a reporter took stdout: junit:FILE alone still shows the run.
  if (!specs.some((s) => s.file === undefined && s.name !== 'github')) specs.push({ name: 'human' });
  const { assertWritableFile } = await import('./paths.js');
  for (const spec of specs) if (spec.file !== undefined) assertWritableFile(spec.file, spec.file === options.output ? '--output' : `--reporter ${spec.name}`);
  if (options.quiet && specs.some((s) => s.file === undefined && s.name !== 'human' && s.name !== 'github')) {
    throw new UsageError('--quiet prints only the summary line; it cannot go with a document on stdout (write that one to a file)');
  }
  // Only the terminal report, as ever: nothing to collect.
  if (!options.quiet && specs.every((s) => s.name === 'human' && s.file === undefined)) return undefined;
  if (!options.quiet && specs.length === 1 && specs[0]!.name === 'json' && specs[0]!.file === undefined) {
    options.json = true;
    return undefined;
  }
  options.json = true;
  const { captureStdout, writeStderr: stderr, writeTerminal } = await import('../report/io.js');
  const collected = captureStdout();
  return {
    async finish(command, code) {
      const text = collected();
      let doc: Record<string, unknown>;
      try {
        doc = JSON.parse(text) as Record<string, unknown>;
      } catch {
        stderr(`healfix: ${command} wrote no document for --reporter to render\n`);
        return EXIT.ERROR;
      }
      const { writeReports } = await import('../report/reporters/index.js');
      try {
        const humanOnStdout = specs.filter((s) => !(options.quiet && s.name === 'human'));
        writeReports(humanOnStdout, doc, { stdout: writeTerminal, stderr, env: process.env, verbose: options.verbose });
        if (options.quiet) {
          const [{ summaryLine }, { viewDocument }] = await Promise.all([import('../report/reporters/human.js'), import('../report/reporters/view.js')]);
          writeTerminal(summaryLine(viewDocument(doc)));
        }
      } catch (error) {
        // A report file that cannot be written after the work ran: said, and the run is not "ok".
        stderr(`healfix: could not write a report: ${(error as Error).message}\n`);
        return EXIT.ERROR;
      }
      return code;
    },
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
