import type { Command } from 'commander';
import { addConnectionOptions, addJsonOption, type ConnectionFlags } from '../options.js';
import { commandAction, errorForJson } from '../run.js';
import { EXIT, markJsonWritten, UsageError, type ExitCode } from '../../errors.js';

interface SequencesFlags extends ConnectionFlags {
  schema?: string[];
  table?: string[];
  all?: boolean;
  fix?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
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
    .option('--dry-run', 'with --fix: print the SQL, change nothing');
  addConnectionOptions(command);
  addJsonOption(command);
  command.action(commandAction<SequencesFlags>('sequences', runSequences));
}

async function runSequences(flags: SequencesFlags): Promise<ExitCode> {
  if (flags.dryRun && !flags.fix) throw new UsageError('--dry-run only makes sense with --fix', { hint: 'healfix sequences --fix --dry-run prints the SQL it would run.' });
  if (flags.yes && !flags.fix) throw new UsageError('--yes only makes sense with --fix');
  const { openFromFlags } = await import('../../db/open.js');
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

    if (!flags.fix) {
      if (doc) doc.end(result);
      else if (json) writeStdout(report.sequencesJson({ target, result, all: flags.all }));
      else report.renderSequencesReport(writeStdout, { target, result, all: flags.all, filters, ...(listing ? { listing: listing.listing } : {}) });
      return problems ? EXIT.PROBLEMS : EXIT.OK;
    }

    // --fix: the scan, the plan, then confirmation. Human output of the plan goes to stdout; under --json to
    // stderr, so stdout stays one document.
    const planWrite = json ? writeStderr : writeStdout;
    if (!json) report.renderSequencesReport(writeStdout, { target, result, all: flags.all, filters });
    const { planLockedRead, planSequenceFix, planSqliteSequenceFix } = await import('../../fix/sequences.js');
    const plan = result.findings
      .map((finding) => ({ finding, plan: db.kind === 'postgres' ? (planSequenceFix(finding) ?? planLockedRead(finding)) : planSqliteSequenceFix(finding) }))
      .filter((p): p is { finding: typeof p.finding; plan: { sql: string; after: string } } => p.plan !== null)
      .map((p) => ({ finding: p.finding, sql: p.plan.sql, after: p.plan.after }));
    report.renderFixPlan(planWrite, plan, { dryRun: flags.dryRun, result });
    if (!plan.length || flags.dryRun) {
      if (json) {
        const fixes = plan.map((p) => ({ sequence: p.finding.sequence, before: p.finding.nextValue, after: p.after, sql: p.sql, status: 'unchanged' as const, reason: flags.dryRun ? 'dry run' : undefined }));
        writeStdout(report.sequencesJson({ target, result, all: flags.all, fixes, dryRun: flags.dryRun }));
      }
      return problems ? EXIT.PROBLEMS : EXIT.OK;
    }

    const { confirmWrite } = await import('../prompts.js');
    await confirmWrite({ yes: flags.yes, message: `Repair ${plan.length} sequence${plan.length === 1 ? '' : 's'}?` });

    const lagging = plan.map((p) => p.finding);
    const fixInterrupt = abortOnCtrlC(() => writeStderr('\nStopping after the sequence in flight (Ctrl-C again to quit at once)…\n'));
    let outcomes;
    let after;
    const fixProgress = await startProgress('Fixing sequences…', { json });
    try {
      if (db.kind === 'postgres') {
        const { fixSequences } = await import('../../fix/sequences.js');
        outcomes = await fixSequences(db.pg, lagging, {
          signal: fixInterrupt.signal,
          onProgress: (done, total) => fixProgress.update(`Fixing sequences… ${done}/${total}`),
        });
        after = await scanSequences(db.pg, filters);
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
    if (json) writeStdout(report.sequencesJson({ target, result, all: flags.all, fixes: outcomes, after, interrupted }));
    else report.renderFixOutcomes(writeStdout, outcomes, after, { interrupted });
    if (interrupted) return EXIT.ERROR;
    return hasProblems(after) ? EXIT.PROBLEMS : EXIT.OK;
  } finally {
    await db.close();
  }
}
