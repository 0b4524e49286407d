import type pg from 'pg';
import type { PostgresDatabase } from '../db/postgres.js';
import { qualified, quoteLiteral, withClient } from '../db/postgres.js';
import { describePgError, pgFields, SQLSTATE } from '../db/pg-errors.js';
import type { SqliteDb } from '../db/sqlite.js';
import { consumerReadSql, evaluateFinding, type SequenceFinding } from '../checks/sequences.js';
import { scanSqliteSequences } from '../checks/sequences-sqlite.js';
import { runFixBatches, type BatchItem, type BatchOutcome } from './sequences-batch.js';

/**
 * Repairs lagging sequences. Each sequence gets its own short transaction: its consumer tables are locked
 * IN SHARE ROW EXCLUSIVE MODE (writers wait, readers go on) under the session's lock_timeout, the sequence
 * and the data are read again under the lock, and setval() runs only if the sequence still lags, so that
 * nextval() returns exactly max + increment. Never backwards, never a healthy or empty-table sequence.
 */

export type SequenceFixStatus = 'fixed' | 'unchanged' | 'lock-timeout' | 'unfixable' | 'permission-denied' | 'error' | 'skipped';

export interface SequenceFixOutcome {
  sequence: string;
  /** nextval() before (read under the lock when the sequence was touched). */
  before: string;
  /** nextval() after. */
  after: string;
  sql: string;
  status: SequenceFixStatus;
  reason?: string;
}

export interface FixSequencesOptions {
  /** Plan only: nothing is written; outcomes say what would happen. */
  dryRun?: boolean;
  /** Checked between sequences: the sequence in flight completes or rolls back, never half. */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, outcome: SequenceFixOutcome) => void;
  /** Sequences repaired in parallel, one connection each (default 2; the pool must allow as many). */
  concurrency?: number;
  /** Waits before each retry of a refused lock (default LOCK_RETRY_WAITS_MS: 3 attempts in all). */
  lockRetryWaitsMs?: number[];
  /** Cutover (--source): the source's next value per qualified sequence name; the target goes at least that far. */
  floors?: ReadonlyMap<string, string>;
  /** A margin added to every value a sequence is moved to (--headroom): some teams leave 1,000. */
  headroom?: bigint;
  /** The session's limits, applied inside the server-side loop (default: DEFAULT_SESSION's). */
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** false: one sequence per round trip, the way before server-side batches (bench reference, tests). */
  batch?: boolean;
}

/** What a sequence must reach: the data, the source's counter under --source, plus the headroom. */
export interface FixGoal {
  floor?: string;
  headroom?: bigint;
}

export function goalFor(finding: Pick<SequenceFinding, 'sequence'>, options: Pick<FixSequencesOptions, 'floors' | 'headroom'>): FixGoal {
  return { floor: options.floors?.get(finding.sequence), headroom: options.headroom };
}

/**
 * The value nextval() must return for `finding` to be safe: the further of max + increment (when it lags)
 * and the source's counter (when given and ahead), moved on by the headroom; null when the sequence is
 * already there. Pure; in the direction the sequence counts, so never backwards.
 */
export function desiredNext(finding: SequenceFinding, goal: FixGoal = {}): bigint | null {
  if (!finding.nextValue || finding.status === 'skipped') return null;
  const inc = BigInt(finding.increment);
  const asc = inc > 0n;
  const further = (a: bigint | null, b: bigint | null) => (a === null ? b : b === null ? a : asc ? (a > b ? a : b) : a < b ? a : b);
  const next = BigInt(finding.nextValue);
  let want = finding.status === 'lagging' && finding.neededValue ? BigInt(finding.neededValue) : null;
  if (goal.floor !== undefined) want = further(want, BigInt(goal.floor));
  if (want === null || (asc ? next >= want : next <= want)) return null;
  const margin = goal.headroom ?? 0n;
  return asc ? want + margin : want - margin;
}

/** The statement that repairs one lagging finding and the value nextval() returns afterwards; null when nothing to do. */
export function planSequenceFix(finding: SequenceFinding, goal: FixGoal = {}): { sql: string; after: string } | null {
  if (goal.floor !== undefined || goal.headroom) {
    if (finding.status === 'unfixable' || finding.status === 'skipped') return null;
    const want = desiredNext(finding, goal);
    return want === null ? null : { sql: setvalSql(finding, want.toString(), false), after: want.toString() };
  }
  if (finding.status !== 'lagging' || finding.dataMax === null) return null;
  const after = (BigInt(finding.dataMax) + BigInt(finding.increment)).toString();
  return { sql: setvalSql(finding, finding.dataMax), after };
}

/**
 * A sequence the scan could not read because a transaction held its table (lock_timeout): --fix takes the
 * lock anyway (with its retries) and decides under it, from a complete re-read. Null for any other finding.
 */
export function planLockedRead(finding: SequenceFinding): { sql: string; after: string } | null {
  if (finding.status !== 'skipped' || finding.reasonCode !== 'lock_timeout') return null;
  return { sql: `-- read under the lock, then ${setvalSql(finding, '<max>')}`, after: 'max + increment, if it lags' };
}

/** setval(seq, value, true): nextval() returns value + increment; with false, value itself. */
function setvalSql(finding: Pick<SequenceFinding, 'schema' | 'name'>, value: string, isCalled = true): string {
  return `select setval(${quoteLiteral(qualified(finding.schema, finding.name))}, ${value}, ${isCalled});`;
}

export async function fixSequences(db: PostgresDatabase, findings: SequenceFinding[], options: FixSequencesOptions = {}): Promise<SequenceFixOutcome[]> {
  const outcomes: SequenceFixOutcome[] = new Array(findings.length);
  const total = findings.length;
  let done = 0;
  const report = (index: number, outcome: SequenceFixOutcome) => {
    outcomes[index] = outcome;
    options.onProgress?.(++done, total, outcome);
  };
  const batch: BatchItem[] = [];
  findings.forEach((finding, index) => {
    const ready = precheck(finding, options);
    if (!('plan' in ready)) report(index, ready);
    else if (options.signal?.aborted) report(index, interruptedOutcome(finding));
    else batch.push({ index, finding, goal: ready.goal });
  });
  // Many sequences per round trip, server-side (sequences-batch.ts); a refused lock comes back here for
  // its retries, and whatever a block could not report goes the one-at-a-time way.
  const refused: BatchItem[] = [];
  const byIndex = new Map(batch.map((item) => [item.index, item]));
  const useBatches = options.batch ?? true;
  const left = useBatches && batch.length
    ? await runFixBatches(db, batch, {
        lockTimeoutMs: options.lockTimeoutMs,
        statementTimeoutMs: options.statementTimeoutMs,
        concurrency: options.concurrency ?? 2,
        signal: options.signal,
        onOutcome: (o) => {
          const item = byIndex.get(o.index)!;
          if (o.status === 'lock-timeout') refused.push(item);
          else report(o.index, batchOutcome(item, o));
        },
      })
    : batch;
  const oneByOne = [...refused.map((item) => ({ item, tries: 1 })), ...left.map((item) => ({ item, tries: 0 }))];
  await inParallel(oneByOne, options.concurrency ?? 2, async ({ item, tries }) => {
    report(item.index, options.signal?.aborted ? interruptedOutcome(item.finding) : await fixOne(db, item.finding, options, tries));
  });
  return outcomes;
}

export const INTERRUPTED = 'interrupted before this sequence';

function interruptedOutcome(finding: SequenceFinding): SequenceFixOutcome {
  return { sequence: finding.sequence, before: finding.nextValue, after: finding.nextValue, sql: '', status: 'skipped', reason: INTERRUPTED };
}

/** Runs fn over items with at most `workers` at a time. */
async function inParallel<T>(items: T[], workers: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** What a finding needs before any write: an outcome already (nothing to do, dry run…), or its plan and goal. */
function precheck(finding: SequenceFinding, options: FixSequencesOptions): SequenceFixOutcome | { plan: { sql: string; after: string }; goal: FixGoal } {
  const base = { sequence: finding.sequence, before: finding.nextValue, after: finding.nextValue, sql: '' };
  if (finding.status === 'unfixable') return { ...base, status: 'unfixable', reason: finding.reason };
  const goal = goalFor(finding, options);
  const plan = planSequenceFix(finding, goal) ?? planLockedRead(finding);
  if (finding.status === 'skipped' && !plan) return { ...base, status: 'skipped', reason: finding.reason };
  if (!plan && finding.status === 'ok') return { ...base, status: 'unchanged', reason: goal.floor !== undefined ? 'at or past the source' : 'not lagging' };
  if (!plan) return { ...base, status: 'unchanged', reason: 'nothing to do' };
  if (options.dryRun) return { ...base, after: plan.after, sql: plan.sql, status: 'unchanged', reason: 'dry run' };
  return { plan, goal };
}

/** A server-side outcome in the shape of the one-at-a-time path's, with the same wording. */
function batchOutcome(item: BatchItem, o: BatchOutcome): SequenceFixOutcome {
  const f = item.finding;
  const before = o.before ?? f.nextValue;
  const after = o.after ?? before;
  const planned = planSequenceFix(f, item.goal)?.sql ?? '';
  switch (o.status) {
    case 'fixed':
      return { sequence: f.sequence, before, after, sql: o.sql ?? planned, status: 'fixed' };
    case 'unchanged':
      return { sequence: f.sequence, before, after, sql: '', status: 'unchanged', reason: item.goal.floor !== undefined ? 'at or past the source' : 'no longer lagging' };
    default:
      return { sequence: f.sequence, before, after, sql: planned, status: o.status, reason: o.message };
  }
}

async function fixOne(db: PostgresDatabase, finding: SequenceFinding, options: FixSequencesOptions, attemptsMade = 0): Promise<SequenceFixOutcome> {
  const ready = precheck(finding, options);
  if (!('plan' in ready)) return ready;
  const { plan, goal } = ready;
  const base = { sequence: finding.sequence, before: finding.nextValue, after: finding.nextValue, sql: '' };
  const waits = options.lockRetryWaitsMs ?? LOCK_RETRY_WAITS_MS;
  for (let tries = attemptsMade; ; ) {
    if (tries > 0) {
      if (tries > waits.length || options.signal?.aborted) {
        return { ...base, sql: plan.sql, status: 'lock-timeout', reason: `a lock on its tables was not granted within lock_timeout in ${tries} attempt${tries === 1 ? '' : 's'} (a long transaction holds them); nothing changed` };
      }
      await new Promise((resolve) => setTimeout(resolve, waits[tries - 1]));
    }
    const outcome = await lockAndFix(db, finding, base, plan.sql, goal, options.lockTimeoutMs);
    tries++;
    if (outcome.status !== 'lock-timeout') return outcome;
  }
}

/**
 * Waits between attempts at a lock that was refused (each attempt queues writers for at most lock_timeout):
 * as online-DDL tools do, a short transaction holding the table is often gone a moment later.
 */
export const LOCK_RETRY_WAITS_MS = [200, 500];

/** One attempt: lock the consumer tables, re-read under the lock, setval if it still lags. */
async function lockAndFix(db: PostgresDatabase, finding: SequenceFinding, base: Omit<SequenceFixOutcome, 'status'>, plannedSql: string, goal: FixGoal, lockTimeoutMs?: number): Promise<SequenceFixOutcome> {
  try {
    return await withClient(db, async (client) => {
      // Two round trips: BEGIN + LOCK + the re-read under the lock, then SETVAL + COMMIT.
      const tables = [...new Set(finding.consumers.map((c) => qualified(c.schema, c.table)))];
      try {
        // One simple query: a lock not granted fails it before the re-read runs; rolled back below.
        // lock_timeout for this transaction only (kept by a transaction-mode pooler), when the caller gave one.
        const limit = lockTimeoutMs ? `select set_config('lock_timeout', '${Math.max(1, Math.floor(lockTimeoutMs))}ms', true); ` : '';
        const results = (await client.query(`begin; ${limit}lock table ${tables.join(', ')} in share row exclusive mode; ${rereadSql(finding)}`)) as unknown as pg.QueryResult<RereadRow>[];
        const fresh = rereadFinding(finding, results.at(-1)!.rows);
        const want = fresh.status === 'ok' || fresh.status === 'lagging' ? desiredNext(fresh, goal) : null;
        const outOfRange = want !== null && fresh.limit !== undefined && (BigInt(fresh.increment) > 0n ? want > BigInt(fresh.limit) : want < BigInt(fresh.limit));
        if (want === null || outOfRange) {
          await client.query('commit');
          if (outOfRange) return { ...base, before: fresh.nextValue, after: fresh.nextValue, status: 'unfixable', reason: `the value needed (${want}) is outside the usable range (${fresh.limit})` };
          const status = fresh.status === 'ok' ? ('unchanged' as const) : fresh.status === 'unfixable' ? ('unfixable' as const) : ('skipped' as const);
          return { ...base, before: fresh.nextValue, after: fresh.nextValue, status, reason: fresh.status === 'ok' ? (goal.floor !== undefined ? 'at or past the source' : 'no longer lagging') : fresh.reason };
        }
        // Without --source/--headroom the statement stays the familiar setval(max, true).
        const plain = goal.floor === undefined && !goal.headroom && fresh.dataMax !== null;
        const sql = plain ? setvalSql(fresh, fresh.dataMax!) : setvalSql(fresh, want.toString(), false);
        await client.query(`${sql} commit`);
        return { ...base, before: fresh.nextValue, after: want.toString(), sql, status: 'fixed' as const };
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      }
    });
  } catch (error) {
    const { code } = pgFields(error);
    if (code === SQLSTATE.lockNotAvailable) {
      return { ...base, sql: plannedSql, status: 'lock-timeout', reason: 'a lock on its tables was not granted within lock_timeout (a long transaction holds them); nothing changed' };
    }
    if (code === SQLSTATE.insufficientPrivilege) {
      return { ...base, sql: plannedSql, status: 'permission-denied', reason: describePgError(error) };
    }
    return { ...base, sql: plannedSql, status: 'error', reason: describePgError(error) };
  }
}

interface RereadRow {
  c: number;
  v: string | null;
  is_called: boolean | null;
}

/** The statement that reads the sequence, its bounds and every consumer's max again, inside the locking transaction. */
function rereadSql(finding: SequenceFinding): string {
  const descending = BigInt(finding.increment) < 0n;
  const readable = finding.consumers.map((c, i) => ({ c, i })).filter(({ c }) => !c.skipped);
  const parts = [
    `select -1 as c, last_value::text as v, is_called from ${qualified(finding.schema, finding.name)}`,
    ...readable.map(({ c, i }) => `select ${i}, (${consumerReadSql(c, descending)}), null::bool`),
  ];
  // The bounds may have changed too (ALTER SEQUENCE): read them in the same statement.
  parts.push(
    `select -2, seqincrement::text || ',' || seqmin::text || ',' || seqmax::text, null::bool from pg_sequence where seqrelid = ${quoteLiteral(qualified(finding.schema, finding.name))}::regclass`,
  );
  return parts.join('\nunion all\n');
}

/** The finding as it stands under the lock, evaluated again from the re-read rows. */
function rereadFinding(finding: SequenceFinding, rows: RereadRow[]): SequenceFinding {
  const fresh: SequenceFinding = {
    ...finding,
    consumers: finding.consumers.map((c) => ({ ...c, maxValue: null })),
    status: 'ok',
    reason: undefined,
    reasonCode: undefined,
  };
  for (const row of rows) {
    if (Number(row.c) === -2 && row.v) {
      [fresh.increment, fresh.minValue, fresh.maxValue] = row.v.split(',') as [string, string, string];
    } else if (Number(row.c) === -1) {
      fresh.lastValue = row.v ?? '';
      fresh.isCalled = Boolean(row.is_called);
    } else {
      fresh.consumers[Number(row.c)]!.maxValue = row.v;
    }
  }
  return evaluateFinding(fresh);
}

// ---------------------------------------------------------------------------------------------------------
// SQLite

/**
 * Moves sqlite_sequence up to max(rowid) for every lagging AUTOINCREMENT table, in one transaction
 * (BEGIN IMMEDIATE: no other writer in between), re-reading under it; never lowers a value.
 * The database must be opened for writing.
 */
export function fixSqliteSequences(db: SqliteDb, findings: SequenceFinding[], options: { dryRun?: boolean } = {}): SequenceFixOutcome[] {
  const wanted = findings.filter((f) => f.status === 'lagging').map((f) => f.name);
  const outcomes: SequenceFixOutcome[] = [];
  const run = db.transaction(() => {
    const fresh = wanted.length ? scanSqliteSequences(db, { tables: wanted }).findings : [];
    for (const finding of findings) {
      const now = fresh.find((f) => f.name === finding.name);
      const base = { sequence: finding.sequence, before: now?.nextValue ?? finding.nextValue, after: now?.nextValue ?? finding.nextValue, sql: '' };
      if (finding.status !== 'lagging' || !now) {
        outcomes.push({ ...base, status: finding.status === 'unfixable' ? 'unfixable' : finding.status === 'skipped' ? 'skipped' : 'unchanged', reason: finding.reason });
        continue;
      }
      if (now.status !== 'lagging' || now.dataMax === null) {
        outcomes.push({ ...base, status: 'unchanged', reason: 'no longer lagging' });
        continue;
      }
      const sql = sqliteFixSql(now.name, now.dataMax);
      if (options.dryRun) {
        outcomes.push({ ...base, after: now.neededValue ?? base.after, sql, status: 'unchanged', reason: 'dry run' });
        continue;
      }
      const updated = db.prepare('update sqlite_sequence set seq = ? where name = ? and seq < ?').run(BigInt(now.dataMax), now.name, BigInt(now.dataMax));
      if (updated.changes === 0) {
        db.prepare('insert into sqlite_sequence (name, seq) select ?, ? where not exists (select 1 from sqlite_sequence where name = ?)').run(now.name, BigInt(now.dataMax), now.name);
      }
      outcomes.push({ ...base, after: now.neededValue ?? base.after, sql, status: 'fixed' });
    }
  });
  run.immediate();
  return outcomes;
}

export function planSqliteSequenceFix(finding: SequenceFinding): { sql: string; after: string } | null {
  if (finding.status !== 'lagging' || finding.dataMax === null) return null;
  return { sql: sqliteFixSql(finding.name, finding.dataMax), after: (BigInt(finding.dataMax) + 1n).toString() };
}

function sqliteFixSql(table: string, value: string): string {
  return `update sqlite_sequence set seq = ${value} where name = ${quoteLiteral(table)} and seq < ${value};`;
}
