import type { Command } from 'commander';
import { addConnectionOptions, addJsonOption, type ConnectionFlags } from '../options.js';
import { commandAction, errorForJson } from '../run.js';
import { EXIT, markJsonWritten, UsageError, type ExitCode } from '../../errors.js';
import type { PostgresDatabase } from '../../db/postgres.js';
import type { SequenceFinding } from '../../checks/sequences-types.js';
import type { Write } from '../../report/io.js';
import type { CutoverComparison } from '../../fix/sequences-cutover.js';
import type { ReplicationState } from '../../checks/sequences-replication.js';

type ShortOfSource = { sequence: string; nextValue: string; sourceNext: string };

interface SequencesFlags extends ConnectionFlags {
  schema?: string[];
  table?: string[];
  all?: boolean;
  fix?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  source?: string;
  headroom?: string;
  allDatabases?: boolean;
  targets?: string;
  jobs?: string;
}

// Empty names are kept, so that runSequences can refuse them: `--table ''` must not mean "every table".
const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((v) => v.trim())];

export function registerSequences(program: Command): void {
  const command = program
    .command('sequences')
    .description('every sequence-fed column, its lag against max(id) and exhaustion; --fix repairs')
    .option('--schema <name>', 'only tables in this schema (repeatable)', collect)
    .option('--table <name>', 'only sequences feeding this table, name or schema.name (repeatable)', collect)
    .option('--all', 'list healthy sequences too')
    .option('--fix', 'repair lagging sequences (shows the plan, then asks)')
    .option('-y, --yes', 'apply the fix without asking')
    .option('--dry-run', 'with --fix: print the SQL, change nothing')
    .option('--source <url>', "with --fix, after a copy from another database: move each sequence at least to the source's next value (matched by name)")
    .option('--headroom <n>', 'with --fix: leave this many values of margin past what each moved sequence needs (e.g. 1000)')
    .option('--all-databases', 'check every database on the server the role may connect to (templates excluded)')
    .option('--targets <file>', 'check the databases listed in this file: one URL per line, # comments, ${VAR} from the environment')
    .option('--jobs <n>', 'with several databases: how many to check at once (default: the number of cores)');
  addConnectionOptions(command, { repeatable: true });
  addJsonOption(command);
  command.action(commandAction<SequencesFlags>('sequences', runSequences));
}

async function runSequences(flags: SequencesFlags): Promise<ExitCode> {
  // -d is repeatable: several databases (or --all-databases, --targets) make a fleet.
  const urls = ([] as string[]).concat((flags.databaseUrl as unknown as string[] | string | undefined) ?? []);
  const fleet = await import('./sequences-fleet.js');
  if (fleet.isFleet(flags, urls)) {
    const single = ['fix', 'source', 'headroom', 'dryRun', 'yes'].find((k) => flags[k as keyof SequencesFlags] !== undefined && flags[k as keyof SequencesFlags] !== false);
    if (single) throw new UsageError(`--${single.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} works on one database at a time, not with --all-databases, --targets or several -d`, { hint: 'Scan the fleet first, then repair each database that needs it: healfix sequences --fix -d <its URL>' });
    return fleet.runSequencesFleet(flags, urls);
  }
  if (flags.jobs !== undefined) throw new UsageError('--jobs only makes sense with several databases (--all-databases, --targets or repeated -d)');
  flags.databaseUrl = urls[0];
  if (flags.dryRun && !flags.fix) throw new UsageError('--dry-run only makes sense with --fix', { hint: 'healfix sequences --fix --dry-run prints the SQL it would run.' });
  if (flags.yes && !flags.fix) throw new UsageError('--yes only makes sense with --fix');
  if ((flags.source !== undefined || flags.headroom !== undefined) && !flags.fix) {
    throw new UsageError(`${flags.source !== undefined ? '--source' : '--headroom'} only makes sense with --fix`, { hint: 'healfix sequences --fix --source postgres://old-host/app --dry-run shows the plan.' });
  }
  const headroom = flags.headroom === undefined ? undefined : parseHeadroom(flags.headroom);
  const { openFromFlags } = await import('../options.js');
  const { writeStdout, writeStderr } = await import('../../report/io.js');
  const report = await import('../../report/sequences.js');
  const { startProgress } = await import('../spinner.js');
  const json = Boolean(flags.json);
  for (const [flag, values] of [['--schema', flags.schema], ['--table', flags.table]] as const) {
    if (values?.some((v) => v === '')) throw new UsageError(`${flag} needs a name; an empty one would match everything`);
  }
  const filters = { schemas: flags.schema, tables: flags.table };

  const db = await openFromFlags(flags, { maxConnections: 2, intendsWrite: Boolean(flags.fix && !flags.dryRun) });
  const target = { kind: db.target.kind, source: db.target.source, display: db.target.display };
  try {
    if (db.kind === 'postgres') {
      const { findFilterProblem } = await import('../../checks/sequences-filters.js');
      const problem = await findFilterProblem(db.pg, filters);
      if (problem) throw new UsageError(problem.message, { hint: problem.hint });
    } else if (flags.schema?.length) {
      throw new UsageError('--schema applies to PostgreSQL only; SQLite has no schemas');
    } else if (flags.source !== undefined || headroom !== undefined) {
      throw new UsageError('--source and --headroom apply to PostgreSQL only');
    }
    const progress = await startProgress('Reading sequences…', { json });
    const onProgress = (done: number, total: number) => progress.update(`Reading sequences… ${done}/${total}`);
    const { abortOnCtrlC } = await import('../interrupt.js');
    const scanInterrupt = abortOnCtrlC(() => writeStderr('\nStopping the scan (Ctrl-C again to quit at once)…\n'));
    // Without --fix nothing needs every finding at once: --json is written as they are read, the terminal
    // keeps the 50 rows it shows. 10,000 tables are never held in memory.
    const streamed = !flags.fix && db.kind === 'postgres';
    const doc = streamed && json ? report.startSequencesJson(writeStdout, { target, all: flags.all }) : undefined;
    const listing = streamed && !json ? report.collectListing(flags.all) : undefined;
    const { hasProblems, scanSequences } = await import('../../checks/sequences.js');
    let result;
    try {
      if (db.kind === 'postgres') {
        const onFinding = doc?.add ?? listing?.add;
        result = await scanSequences(db.pg, { ...filters, onProgress, signal: scanInterrupt.signal, ...(onFinding ? { onFinding, keepFindings: false } : {}) });
      } else {
        const { scanSqliteSequences } = await import('../../checks/sequences-sqlite.js');
        const scanned = scanSqliteSequences(db.sqlite, { tables: flags.table });
        result = scanned;
        const missing = flags.table?.find((t) => !scanned.findings.some((f) => f.name === t || `main.${f.name}` === t));
        if (missing) throw new UsageError(`--table ${missing}: no AUTOINCREMENT table of that name (SQLite keeps a sequence only for those)`);
      }
    } catch (error) {
      const { message, hint } = errorForJson(error);
      if (doc?.fail(message, hint)) markJsonWritten(error);
      throw error;
    } finally {
      scanInterrupt.dispose();
      progress.stop();
    }
    const problems = hasProblems(result);
    const replication = db.kind === 'postgres' ? await readReplication(db.pg) : undefined;
    const replicationJson = replication ? { replication: replicationSection(replication) } : undefined;

    if (!flags.fix) {
      if (doc) doc.end(result, replicationJson);
      else if (json) writeStdout(report.sequencesJson({ target, result, all: flags.all, extra: replicationJson }));
      else {
        report.renderSequencesReport(writeStdout, { target, result, all: flags.all, filters, ...(listing ? { listing: listing.listing } : {}) });
        report.renderReplicationNote(writeStdout, replication?.note);
      }
      return problems ? EXIT.PROBLEMS : EXIT.OK;
    }

    // --fix: the scan, the plan, then confirmation. Human output of the plan goes to stdout; under --json to
    // stderr, so stdout stays one document.
    const planWrite = json ? writeStderr : writeStdout;
    if (!json) report.renderSequencesReport(writeStdout, { target, result, all: flags.all, filters });
    const { goalFor, planLockedRead, planSequenceFix, planSqliteSequenceFix } = await import('../../fix/sequences.js');
    const cutover = db.kind === 'postgres' && flags.source !== undefined ? await compareWithSource(db.pg, flags, result.findings, planWrite, headroom) : undefined;
    const { cutoverHasProblems } = await import('../../fix/sequences-cutover.js');
    const { cutoverJson } = await import('../../report/sequences-cutover.js');
    const cutoverProblems = (short?: ShortOfSource[]) => cutover !== undefined && cutoverHasProblems(cutover, short);
    const cutoverExtra = (short?: ShortOfSource[]) => ({ ...(cutover ? { cutover: cutoverJson(cutover, short, headroom) } : {}), ...replicationJson });
    const goals = { floors: cutover?.floors, headroom };
    const plan = result.findings
      .map((finding) => ({ finding, plan: db.kind === 'postgres' ? (planSequenceFix(finding, goalFor(finding, goals)) ?? planLockedRead(finding)) : planSqliteSequenceFix(finding) }))
      .filter((p): p is { finding: typeof p.finding; plan: { sql: string; after: string } } => p.plan !== null)
      .map((p) => ({ finding: p.finding, sql: p.plan.sql, after: p.plan.after }));
    report.renderFixPlan(planWrite, plan, { dryRun: flags.dryRun, result, engine: db.kind });
    if (replication) {
      const { replicatedFixWarning, stillReplicated } = await import('../../checks/sequences-replication.js');
      const warning = replicatedFixWarning(stillReplicated(plan.map((p) => p.finding), replication));
      report.renderReplicationNote(planWrite, replication.note, warning);
      if (warning) replicationJson!.replication.fixWarning = warning;
    }
    if (!plan.length || flags.dryRun) {
      if (json) {
        const fixes = plan.map((p) => ({ sequence: p.finding.sequence, before: p.finding.nextValue, after: p.after, sql: p.sql, status: 'unchanged' as const, reason: flags.dryRun ? 'dry run' : undefined }));
        writeStdout(report.sequencesJson({ target, result, all: flags.all, fixes, dryRun: flags.dryRun, extra: cutoverExtra(), problems: cutoverProblems() }));
      }
      return problems || cutoverProblems() ? EXIT.PROBLEMS : EXIT.OK;
    }

    const { confirmWrite } = await import('../prompts.js');
    await confirmWrite({ yes: flags.yes, message: `Repair ${plan.length} sequence${plan.length === 1 ? '' : 's'}?` });

    const lagging = plan.map((p) => p.finding);
    const fixInterrupt = abortOnCtrlC(() => writeStderr('\nStopping after the sequence in flight (Ctrl-C again to quit at once)…\n'));
    let outcomes;
    let after;
    // Where the time went (bench reads it): the scan, the repairs, the re-read.
    const timing: Record<string, number> = { scanMs: result.durationMs };
    const fixProgress = await startProgress('Fixing sequences…', { json });
    try {
      if (db.kind === 'postgres') {
        const { fixSequences } = await import('../../fix/sequences.js');
        const { sessionOptionsFrom } = await import('../options.js');
        const { lockTimeoutMs, statementTimeoutMs } = sessionOptionsFrom(flags);
        const fixStarted = performance.now();
        outcomes = await fixSequences(db.pg, lagging, {
          ...goals,
          lockTimeoutMs,
          statementTimeoutMs,
          signal: fixInterrupt.signal,
          onProgress: (done, total) => fixProgress.update(`Fixing sequences… ${done}/${total}`),
        });
        timing.fixMs = Math.round(performance.now() - fixStarted);
        after = await scanSequences(db.pg, filters);
        timing.afterMs = after.durationMs;
      } else {
        const { openSqlite } = await import('../../db/sqlite.js');
        const { fixSqliteSequences } = await import('../../fix/sequences.js');
        const { scanSqliteSequences } = await import('../../checks/sequences-sqlite.js');
        const writable = openSqlite(db.target, { write: true });
        try {
          outcomes = fixSqliteSequences(writable, lagging);
          after = scanSqliteSequences(writable, { tables: flags.table });
        } finally {
          writable.close();
        }
      }
    } finally {
      fixProgress.stop();
      fixInterrupt.dispose();
    }
    const interrupted = fixInterrupt.signal.aborted;
    const short = cutover ? (await import('../../fix/sequences-cutover.js')).shortOfSource(after.findings, cutover.floors) : undefined;
    if (json) writeStdout(report.sequencesJson({ target, result, all: flags.all, fixes: outcomes, after, interrupted, extra: { ...cutoverExtra(short), timing }, problems: cutoverProblems(short) }));
    else {
      report.renderFixOutcomes(writeStdout, outcomes, after, { interrupted });
      if (cutover && short) (await import('../../report/sequences-cutover.js')).renderCutoverCheck(writeStdout, short, cutover.floors.size);
    }
    return (await import('../../contract/sequences.js')).sequencesOutcome(hasProblems(after) || Boolean(cutoverProblems(short)), interrupted).exitCode;
  } finally {
    await db.close();
  }
}

function parseHeadroom(value: string): bigint {
  if (!/^\d{1,15}$/.test(value.trim())) throw new UsageError(`--headroom must be a whole number of values from 0 up, got "${value}"`);
  return BigInt(value.trim());
}

/** --source: the source's counters against the target's sequences, shown before the plan. */
async function compareWithSource(target: PostgresDatabase, flags: SequencesFlags, findings: SequenceFinding[], write: Write, headroom: bigint | undefined): Promise<CutoverComparison> {
  const { fromUrl } = await import('../../db/target.js');
  const { openPostgres } = await import('../../db/postgres.js');
  const { sessionOptionsFrom } = await import('../options.js');
  const { compareCounters, readSequenceCounters } = await import('../../fix/sequences-cutover.js');
  const { renderCutoverComparison } = await import('../../report/sequences-cutover.js');
  const sourceTarget = fromUrl(flags.source!, '--database-url');
  if (sourceTarget.kind !== 'postgres') throw new UsageError('--source must be a postgres:// URL');
  const source = await openPostgres(sourceTarget, { ...sessionOptionsFrom(flags), maxConnections: 1 });
  try {
    const comparison = compareCounters(await readSequenceCounters(source), await readSequenceCounters(target), findings);
    renderCutoverComparison(write, sourceTarget.display, comparison, { headroom });
    return comparison;
  } finally {
    await source.close();
  }
}

/** The subscriber's state, or undefined when this database subscribes to nothing (or it cannot be read). */
async function readReplication(db: PostgresDatabase): Promise<ReplicationState | undefined> {
  const { readReplicationState } = await import('../../checks/sequences-replication.js');
  return readReplicationState(db).catch(() => undefined);
}

function replicationSection(r: ReplicationState): Record<string, unknown> & { fixWarning?: string } {
  const { replicatedPairs: _pairs, ...rest } = r;
  return { subscriber: true, ...rest };
}
