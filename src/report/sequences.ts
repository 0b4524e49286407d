import type CliTable3 from 'cli-table3';
import type { ScanSequencesResult, SequenceFinding } from '../checks/sequences.js';
import { hasProblems, isProblem, summaryLine, unverifiedHint } from '../checks/sequences.js';
import { INTERRUPTED, type SequenceFixOutcome } from '../fix/sequences.js';
import { chalk } from './color.js';
import type { Write } from './io.js';
import { jsonDocument } from './json.js';
import { sequencesOutcome } from '../contract/sequences.js';
import { streamJsonDocument } from './json-stream.js';
import { drawTable, mark } from './table.js';

export interface ReportTarget {
  kind: string;
  source: string;
  /** Password already masked. */
  display: string;
}

export interface SequencesReportInput {
  target: ReportTarget;
  result: ScanSequencesResult;
  /** --all: list healthy sequences too. */
  all?: boolean;
  /** The filters given, to say plainly when they matched nothing. */
  filters?: { schemas?: string[]; tables?: string[] };
  /** The rows to show when the scan did not keep its findings (see collectListing). */
  listing?: Listing;
}

interface Listing {
  shown: SequenceFinding[];
  more: number;
}

/**
 * Keeps what the terminal table shows (the first MAX_TABLE_ROWS problems, or findings under --all) and
 * counts the rest, so a scan of 10,000 tables can hand its findings on without anyone holding them all.
 */
export function collectListing(all?: boolean): { add(f: SequenceFinding): void; listing: Listing } {
  const listing: Listing = { shown: [], more: 0 };
  return {
    add(f) {
      if (!all && !isProblem(f)) return;
      if (listing.shown.length < MAX_TABLE_ROWS) listing.shown.push(f);
      else listing.more++;
    },
    listing,
  };
}

export function renderTarget(write: Write, target: ReportTarget): void {
  write(`Database: ${target.display} ${chalk.dim(`(from ${target.source})`)}\n`);
}

/** Human report: the target, a table of problems (or everything under --all) with a hint under each, a summary. */
export function renderSequencesReport(write: Write, input: SequencesReportInput): void {
  const { result } = input;
  renderTarget(write, input.target);
  if (result.checked === 0) {
    write(`${noMatchText(input.filters)}\n`);
    return;
  }
  const { shown, more } = input.listing ?? capped(input.all ? result.findings : result.findings.filter(isProblem));
  if (shown.length) write(findingsTable(shown));
  if (more) write(chalk.dim(`… and ${more} more (every one: healfix sequences --json)\n`));
  write(`${summaryStyled(result)}\n`);
}

function noMatchText(filters?: SequencesReportInput['filters']): string {
  const given = [
    ...(filters?.schemas ?? []).map((s) => `--schema ${s}`),
    ...(filters?.tables ?? []).map((t) => `--table ${t}`),
  ];
  return given.length
    ? chalk.yellow(`no sequence-fed columns matched ${given.join(' ')}`) + chalk.dim(' (check the names; `healfix sequences --all` lists every one)')
    : 'no sequence-fed columns found (no serial, identity or nextval() defaults in this database)';
}

function summaryStyled(result: ScanSequencesResult): string {
  const line = summaryLine(result);
  return hasProblems(result) ? chalk.red(line) : chalk.green(line);
}

function findingsTable(findings: SequenceFinding[]): string {
  const rows: CliTable3.Cell[][] = [];
  for (const f of findings) {
    rows.push([
      f.sequence,
      f.consumers.map((c) => `${c.schema}.${c.table}.${c.column}`).join('\n'),
      f.nextValue || '-',
      f.dataMax ?? '(empty)',
      f.lag,
      exhaustionCell(f),
      statusCell(f),
    ]);
    const hint = hintFor(f);
    if (hint) rows.push([{ colSpan: 7, content: `↳ ${hint}`.split('\n').map((line) => chalk.dim(line)).join('\n') }]);
  }
  return drawTable(['sequence', 'consumers', 'next value', 'max', 'lag', 'exhaustion', 'status'], rows);
}

function exhaustionCell(f: SequenceFinding): string {
  if (f.status === 'skipped') return '-';
  const text = `${f.exhaustionPercent}%`;
  return f.exhaustion === 'error' ? mark.error(text) : f.exhaustion === 'warn' ? mark.warn(text) : text;
}

function statusCell(f: SequenceFinding): string {
  switch (f.status) {
    case 'ok':
      return mark.ok();
    case 'lagging':
      return mark.error('lagging');
    case 'unfixable':
      return mark.error('unfixable');
    case 'skipped':
      return mark.error('not verified');
  }
}

/** One line under each problem: what happens and what to do; then the type trap and the forecast, if any. */
export function hintFor(f: SequenceFinding): string | undefined {
  const lines = [statusHint(f), typeTrapHint(f), forecastHint(f)].filter(Boolean);
  return lines.length ? lines.join('\n  ') : undefined;
}

export function typeTrapHint(f: SequenceFinding): string | undefined {
  const t = f.typeTrap;
  if (!t) return undefined;
  return t.kind === 'narrower'
    ? `type trap: the sequence is ${t.sequenceType}, ${t.columns.join(', ')} ${t.columns.length === 1 ? 'is' : 'are'} ${t.columnType}: inserts fail at ${f.maxValue} though the column holds more; run: ${t.sql.join(' ')}`
    : `type trap: the sequence is ${t.sequenceType}, ${t.columns.join(', ')} only ${t.columnType}: the column overflows first; run (rewrites the table under an exclusive lock): ${t.sql.join(' ')}`;
}

function forecastHint(f: SequenceFinding): string | undefined {
  const fc = f.forecast;
  if (!fc) return undefined;
  return fc.days === null ? `forecast: ${fc.basis}` : `forecast: about ${fc.days} days until exhaustion at ${fc.insertsPerDay} inserts a day (${fc.basis})`;
}

function statusHint(f: SequenceFinding): string | undefined {
  const first = f.consumers[0];
  switch (f.status) {
    case 'lagging':
      return `the next insert into ${first ? `${first.schema}.${first.table}` : 'its table'} gets ${f.nextValue} and fails with a duplicate key; run: healfix sequences --fix`;
    case 'unfixable':
      return `${f.reason ?? 'out of range'}; widen it: ALTER SEQUENCE ${f.sequence} AS bigint MAXVALUE 9223372036854775807 (and the column type)`;
    case 'skipped':
      // Two lines: the reason and the next step, so neither widens the table to the sum of both.
      return `not verified: ${f.reason ?? 'not read'}\n  next: ${unverifiedHint(f)}`;
    case 'ok':
      if (f.exhaustion !== 'ok') return `${f.exhaustionPercent}% of the range up to ${f.limit ?? f.maxValue} is used; plan a move to bigint`;
      return undefined;
  }
}

/** The one --json document for a scan (and, under --fix, the fixes with before/after). */
export function sequencesJson(input: {
  target: ReportTarget;
  result: ScanSequencesResult;
  all?: boolean;
  fixes?: SequenceFixOutcome[];
  after?: ScanSequencesResult;
  dryRun?: boolean;
  interrupted?: boolean;
  /** More members (a cutover's comparison); `ok` stays the caller's exit decision through `problems`. */
  extra?: Record<string, unknown>;
  problems?: boolean;
}): string {
  const final = input.after ?? input.result;
  const { ok } = sequencesOutcome(hasProblems(final) || Boolean(input.problems), input.interrupted);
  const body: Record<string, unknown> = {
    target: input.target,
    summary: summaryJson(final, input.result.durationMs),
    findings: (input.all ? input.result.findings : input.result.findings.filter(isProblem)).map(jsonFinding),
  };
  if (input.fixes) {
    body.fixes = input.fixes;
    if (input.dryRun) body.dryRun = true;
    if (input.interrupted) body.interrupted = true;
    if (input.after) body.after = (input.all ? input.after.findings : input.after.findings.filter(isProblem)).map(jsonFinding);
  }
  Object.assign(body, input.extra);
  return jsonDocument('sequences', ok, body);
}

export function summaryJson(result: ScanSequencesResult, durationMs: number): Record<string, unknown> {
  const { tally } = result;
  return {
    text: summaryLine(result),
    checked: tally.checked,
    lagging: tally.lagging,
    unfixable: tally.unfixable,
    skipped: tally.skipped,
    nearExhaustion: tally.nearExhaustion,
    typeTraps: tally.typeTraps,
    durationMs,
  };
}

/**
 * The scan's --json document written as the findings arrive (see streamJsonDocument): same fields as
 * sequencesJson() for a scan, with `summary` and `ok` after `findings`.
 */
export function startSequencesJson(write: Write, input: { target: ReportTarget; all?: boolean }) {
  const doc = streamJsonDocument(write, 'sequences', { target: input.target }, 'findings');
  return {
    add(f: SequenceFinding): void {
      if (input.all || isProblem(f)) doc.item(jsonFinding(f));
    },
    end(result: ScanSequencesResult, extra?: Record<string, unknown>): void {
      doc.end(!hasProblems(result), { summary: summaryJson(result, result.durationMs), ...extra });
    },
    fail: doc.fail,
  };
}

export function jsonFinding(f: SequenceFinding): Record<string, unknown> {
  return {
    sequence: f.sequence,
    schema: f.schema,
    name: f.name,
    status: f.status,
    consumers: f.consumers.map((c) => ({ schema: c.schema, table: c.table, column: c.column, columnType: c.columnType, kind: c.kind, maxValue: c.maxValue, ...(c.skipped ? { skipped: c.skipped } : {}) })),
    lastValue: f.lastValue,
    isCalled: f.isCalled,
    increment: f.increment,
    // maxValue is the data's max over all consumers (min for a descending sequence): what nextValue must pass.
    maxValue: f.dataMax,
    nextValue: f.nextValue,
    sequenceMin: f.minValue,
    sequenceMax: f.maxValue,
    lag: f.lag,
    exhaustionPercent: f.exhaustionPercent,
    exhaustion: f.exhaustion,
    ...(f.reason ? { reason: f.reason } : {}),
    ...(f.reasonCode ? { reasonCode: f.reasonCode, hint: unverifiedHint(f) } : {}),
    ...(f.sequenceType ? { sequenceType: f.sequenceType } : {}),
    ...(f.typeTrap ? { typeTrap: f.typeTrap } : {}),
    ...(f.forecast ? { forecast: f.forecast } : {}),
  };
}

/**
 * Tables in a terminal stop at this many rows: 10,000 rows are unreadable and cli-table3 takes half a
 * minute to lay them out. The summary lines still count everything, and --json lists everything.
 */
export const MAX_TABLE_ROWS = 50;

function capped<T>(items: T[]): { shown: T[]; more: number } {
  return { shown: items.slice(0, MAX_TABLE_ROWS), more: Math.max(0, items.length - MAX_TABLE_ROWS) };
}

const POSTGRES_FIX_HOW = 'Each sequence in its own transaction: its tables locked IN SHARE ROW EXCLUSIVE MODE, re-checked, then setval.\n';
// SQLite has no table locks: one BEGIN IMMEDIATE transaction keeps every other writer out while it re-reads.
const SQLITE_FIX_HOW = 'All in one transaction (BEGIN IMMEDIATE: other writers wait), each table re-read inside it; a value is never lowered.\n';

/** The plan shown before asking: sequence, next value now -> after, and the SQL. */
export function renderFixPlan(write: Write, plan: { finding: SequenceFinding; sql: string; after: string }[], options: { dryRun?: boolean; result?: ScanSequencesResult; engine?: 'postgres' | 'sqlite' } = {}): void {
  const { unfixable = 0 } = options.result?.tally ?? {};
  // A sequence whose table was locked during the scan is in the plan: the fix reads it under its own lock.
  const skipped = (options.result?.tally.skipped ?? 0) - plan.filter((p) => p.finding.status === 'skipped').length;
  // Never "Nothing to fix" over sequences nobody could verify: the fix stays away from them, and says so.
  const leftOut = [skipped ? `${skipped} not verified` : '', unfixable ? `${unfixable} unfixable` : ''].filter(Boolean).join(', ');
  if (leftOut) write(chalk.yellow(`Left out of the plan: ${leftOut} (see the hints above); this run exits 1.\n`));
  if (!plan.length) {
    write(leftOut ? 'Nothing can be fixed safely.\n' : 'Nothing to fix.\n');
    return;
  }
  write(`${chalk.bold(options.dryRun ? 'Plan (dry run, nothing will change):' : 'Plan:')}\n`);
  const { shown, more } = capped(plan);
  write(drawTable(['sequence', 'next value now', 'after', 'SQL'], shown.map((p) => [p.finding.sequence, p.finding.nextValue || '(locked)', p.after, p.sql])));
  if (more) write(chalk.dim(`… and ${more} more sequences, each repaired the same way (every one: --json)\n`));
  write(chalk.dim(options.engine === 'sqlite' ? SQLITE_FIX_HOW : POSTGRES_FIX_HOW));
}

/** Before/after of a fix run, and how far it got when interrupted. */
export function renderFixOutcomes(write: Write, outcomes: SequenceFixOutcome[], after: ScanSequencesResult | undefined, options: { interrupted?: boolean } = {}): void {
  const rows: CliTable3.Cell[][] = [];
  // What did not work comes first, so a cap never hides a failure behind a screen of successes.
  const { shown, more } = capped([...outcomes.filter((o) => o.status !== 'fixed'), ...outcomes.filter((o) => o.status === 'fixed')]);
  for (const o of shown) {
    rows.push([o.sequence, o.before || '-', o.after || '-', outcomeCell(o)]);
    if (o.reason && o.status !== 'fixed') rows.push([{ colSpan: 4, content: chalk.dim(`↳ ${o.reason}`) }]);
  }
  if (outcomes.length) write(drawTable(['sequence', 'before', 'after', 'result'], rows));
  if (more) write(chalk.dim(`… and ${more} more (every one: --json)\n`));
  const fixed = outcomes.filter((o) => o.status === 'fixed').length;
  const failed = outcomes.filter((o) => ['lock-timeout', 'permission-denied', 'error', 'unfixable', 'skipped'].includes(o.status)).length;
  if (options.interrupted) {
    const done = outcomes.filter((o) => o.reason !== INTERRUPTED).length;
    write(chalk.yellow(`Interrupted: ${done} of ${outcomes.length} sequences handled (${fixed} fixed); the rest were not touched.\n`));
  }
  write(`${fixed} fixed${failed ? `, ${failed} not fixed` : ''}.\n`);
  if (after) write(`After: ${summaryStyled(after)}\n`);
  // The closing line says plainly when the run leaves work behind: exit 1 then, whatever was fixed.
  if (after && hasProblems(after)) write(chalk.red(`Not done: ${remainingLine(after)}; see the hints above.\n`));
}

function remainingLine(after: ScanSequencesResult): string {
  const { tally } = after;
  const parts = [
    tally.lagging ? `${tally.lagging} still lagging` : '',
    tally.unfixable ? `${tally.unfixable} unfixable` : '',
    tally.skipped ? `${tally.skipped} not verified` : '',
  ].filter(Boolean);
  return parts.join(', ');
}

function outcomeCell(o: SequenceFixOutcome): string {
  switch (o.status) {
    case 'fixed':
      return mark.ok('fixed');
    case 'unchanged':
      return 'unchanged';
    case 'skipped':
      return o.reason === INTERRUPTED ? mark.skip('not started') : mark.error('not verified');
    default:
      return mark.error(o.status);
  }
}

/** The subscriber note (logical replication), under the report. */
export function renderReplicationNote(write: Write, note: string | undefined, fixWarning?: string): void {
  if (note) write(chalk.yellow(`Logical replication: ${note}.\n`));
  if (fixWarning) write(chalk.yellow(`Warning: ${fixWarning}.\n`));
}
