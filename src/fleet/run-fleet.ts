import type { PostgresTarget } from '../db/target.js';
import type { ExitCode } from '../errors.js';

/**
 * Runs one piece of work per database with at most `jobs` at a time. A database that fails (unreachable,
 * refused, lost mid-scan) is that database's error: the others go on, and the fleet's exit is the worst.
 */

export interface FleetEntry<R> {
  target: PostgresTarget;
  /** 0 healthy, 1 problems, 2 error (per database, as a single run would exit). */
  exitCode: ExitCode;
  result?: R;
  error?: { message: string; hint?: string; code: string };
}

export interface RunFleetOptions {
  jobs: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export async function runFleet<R>(
  targets: PostgresTarget[],
  work: (target: PostgresTarget, signal?: AbortSignal) => Promise<{ exitCode: ExitCode; result: R }>,
  describeError: (error: unknown) => { message: string; hint?: string; code: string; exitCode: ExitCode },
  options: RunFleetOptions,
): Promise<FleetEntry<R>[]> {
  const entries: FleetEntry<R>[] = new Array(targets.length);
  let next = 0;
  let done = 0;
  options.onProgress?.(0, targets.length);
  const worker = async () => {
    while (next < targets.length) {
      const index = next++;
      const target = targets[index]!;
      if (options.signal?.aborted) {
        entries[index] = { target, exitCode: 2, error: { message: 'interrupted before this database', code: 'interrupted' } };
      } else {
        try {
          const { exitCode, result } = await work(target, options.signal);
          entries[index] = { target, exitCode, result };
        } catch (error) {
          const { exitCode, ...described } = describeError(error);
          entries[index] = { target, exitCode, error: described };
        }
      }
      options.onProgress?.(++done, targets.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, targets.length)) }, worker));
  return entries;
}

export function worstExit(entries: readonly { exitCode: ExitCode }[]): ExitCode {
  return entries.reduce<ExitCode>((worst, e) => (e.exitCode > worst ? e.exitCode : worst), 0);
}
