import { availableParallelism } from 'node:os';
import type { ScanSequencesResult } from '../../checks/sequences-types.js';
import type { PostgresTarget } from '../../db/target.js';
import type { FleetEntry } from '../../fleet/run-fleet.js';
import { EXIT, isHealfixError, UsageError, type ExitCode } from '../../errors.js';
import { parsePositiveInt, sessionOptionsFrom, targetOptionsFrom, type ConnectionFlags } from '../options.js';
import { errorForJson } from '../run.js';

export interface FleetFlags extends ConnectionFlags {
  allDatabases?: boolean;
  targets?: string;
  jobs?: string;
  json?: boolean;
  all?: boolean;
  schema?: string[];
  table?: string[];
}

/** Whether the flags name more than one database: then `sequences` scans a fleet. */
export function isFleet(flags: FleetFlags, urls: string[]): boolean {
  return Boolean(flags.allDatabases || flags.targets !== undefined || urls.length > 1);
}

/** `sequences` over many databases: --all-databases, repeated -d, --targets FILE; bounded by --jobs. */
export async function runSequencesFleet(flags: FleetFlags, urls: string[]): Promise<ExitCode> {
  const jobs = fleetJobs(flags);
  const targets = await fleetTargets(flags, urls);
  const { openPostgres } = await import('../../db/postgres.js');
  const { hasProblems, scanSequences } = await import('../../checks/sequences.js');
  const { writeStdout } = await import('../../report/io.js');
  const report = await import('../../report/fleet.js');
  const session = sessionOptionsFrom(flags);
  const entries = await runFleetWithProgress<ScanSequencesResult>(targets, { jobs, json: flags.json }, async (target, signal) => {
    // One connection per database: --jobs bounds the fleet's connections to the server.
    const db = await openPostgres(target, { ...session, maxConnections: 1 });
    try {
      const result = await scanSequences(db, { schemas: flags.schema, tables: flags.table, concurrency: 1, signal });
      return { exitCode: hasProblems(result) ? EXIT.PROBLEMS : EXIT.OK, result };
    } finally {
      await db.close();
    }
  });
  if (flags.json) writeStdout(report.sequencesFleetJson(entries, { all: flags.all }));
  else report.renderSequencesFleet(writeStdout, entries);
  const { worstExit } = await import('../../fleet/run-fleet.js');
  return worstExit(entries);
}

/** --jobs, default one per core: the fleet's parallel databases. */
export function fleetJobs(flags: { jobs?: string }): number {
  return flags.jobs === undefined ? availableParallelism() : parsePositiveInt(flags.jobs, '--jobs', 64);
}

/** Runs `work` on every database of the fleet with the progress line "12/40 databases" and Ctrl-C, each failure that database's own error. */
export async function runFleetWithProgress<R>(
  targets: PostgresTarget[],
  { jobs, json }: { jobs: number; json?: boolean },
  work: (target: PostgresTarget, signal?: AbortSignal) => Promise<{ exitCode: ExitCode; result: R }>,
): Promise<FleetEntry<R>[]> {
  const { runFleet } = await import('../../fleet/run-fleet.js');
  const { startProgress } = await import('../spinner.js');
  const { abortOnCtrlC } = await import('../interrupt.js');
  const { writeStderr } = await import('../../report/io.js');
  const progress = await startProgress(`0/${targets.length} databases`, { json });
  const interrupt = abortOnCtrlC(() => writeStderr('\nStopping (Ctrl-C again to quit at once)…\n'));
  try {
    return await runFleet<R>(
      targets,
      work,
      (error) => ({ ...errorForJson(error), exitCode: isHealfixError(error) ? error.exitCode : EXIT.ERROR }),
      { jobs, signal: interrupt.signal, onProgress: (done, total) => progress.update(`${done}/${total} databases`) },
    );
  } finally {
    progress.stop();
    interrupt.dispose();
  }
}

export async function fleetTargets(flags: FleetFlags, urls: string[]): Promise<PostgresTarget[]> {
  const { readTargetsFile, targetsFromUrls, listServerDatabases, withDatabaseName } = await import('../../fleet/targets.js');
  const listed = [...urls, ...(flags.targets !== undefined ? readTargetsFile(flags.targets) : [])];
  let targets = targetsFromUrls(listed);
  if (flags.allDatabases) {
    if (urls.length > 1 || flags.targets !== undefined) throw new UsageError('--all-databases takes one server (one -d, or DATABASE_URL / PG* / .env), not a list');
    const { resolveTarget } = await import('../../db/target.js');
    const entry = urls.length ? targets[0]! : resolveTarget(targetOptionsFrom(flags));
    if (entry.kind !== 'postgres') throw new UsageError('--all-databases needs a PostgreSQL server');
    const { openPostgres } = await import('../../db/postgres.js');
    const db = await openPostgres(entry, { ...sessionOptionsFrom(flags), maxConnections: 1 });
    try {
      targets = (await listServerDatabases(db)).map((name) => withDatabaseName(entry, name));
    } finally {
      await db.close();
    }
  }
  const seen = new Set<string>();
  targets = targets.filter((t) => !seen.has(t.display) && Boolean(seen.add(t.display)));
  if (!targets.length) throw new UsageError('no database to check: the role may connect to none');
  return targets;
}
