import type { PostgresDatabase, Queryable } from '../db/postgres.js';
import { cancelBackends, withClient } from '../db/postgres.js';
import { InterruptedError } from '../errors.js';
import { FETCH_ROWS, openDiscovery, rowFilter, type CatalogRow, type DiscoveryCursor } from './sequences-discovery.js';
import { addToTally, describeConsumers, emptyTally, nearExhaustion, summaryLine } from './sequences-evaluate.js';
import { addForecasts } from './sequences-forecast.js';
import { unverifiedHint } from './sequences-hints.js';
import { makeBatches, pendingFindings, readBatch, type PendingFinding } from './sequences-reads.js';
import type { ScanSequencesOptions, ScanSequencesResult, SequenceFinding } from './sequences-types.js';
import { worstSeverity, type CheckResult, type Finding } from './types.js';

/**
 * Sequences that feed columns, compared with the data they feed. Returns data only: the reporters print.
 * The pieces: sequences-discovery (which sequences feed what), sequences-reads (reading their state and
 * the data), sequences-evaluate (the arithmetic); this file runs them over the connections.
 */

export * from './sequences-types.js';
export { DISCOVERY_SQL, openDiscovery } from './sequences-discovery.js';
export { consumerReadSql } from './sequences-reads.js';
export { unverifiedHint } from './sequences-hints.js';
export {
  addToTally,
  emptyTally,
  evaluateFinding,
  hasProblems,
  isProblem,
  nearExhaustion,
  resultOf,
  summaryLine,
  tallyFindings,
  typeBounds,
  unreadFinding,
} from './sequences-evaluate.js';

/**
 * Scans every sequence-fed column: discovery in one query, read through a cursor, and batched reads of
 * the sequences and the maxima over `concurrency` connections as the rows arrive.
 */
export async function scanSequences(db: PostgresDatabase, options: ScanSequencesOptions = {}): Promise<ScanSequencesResult> {
  const started = performance.now();
  const fastSequences = db.serverVersionNum >= 180000;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const tally = emptyTally();
  const keep = options.keepFindings ?? true;
  const kept: SequenceFinding[] = [];
  const emit = inReportOrder((batch) => {
    for (const p of batch) {
      addToTally(tally, p.finding);
      if (keep) kept.push(p.finding);
      options.onFinding?.(p.finding);
    }
  });
  let batches = 0;
  let fallbacks = 0;
  let done = 0;
  const signal = options.signal;
  const sessions = cancellableSessions(db, signal);

  const work = async (client: Queryable, source: BatchSource) => {
    for (let item = await source.next(); item && !signal?.aborted; item = await source.next()) {
      if (!(await readBatch(client, item.batch, fastSequences, signal))) fallbacks++;
      if (signal?.aborted) break;
      await addForecasts(client, item.batch.map((p) => p.finding));
      emit(item.index, item.batch);
      done += item.rows;
      options.onProgress?.(done, source.total);
    }
  };

  try {
    await withClient(db, async (owner) => {
      await sessions.join(owner);
      // The second connection opens while discovery runs, and waits in the pool: connecting costs as much as
      // reading a hundred tables. Only into a free slot (a caller may hold the pool's other connection), and
      // a failure shows again, and is reported, where the helper connects.
      const free = db.pool.idleCount > 0 || db.pool.totalCount < (db.pool.options.max ?? 10);
      const warm = concurrency > 1 && free ? withClient(db, (client) => sessions.join(client)).catch(() => {}) : undefined;
      const cursor = await openDiscovery(owner, Math.max(1, options.fetchRows ?? FETCH_ROWS));
      try {
        const source = new BatchSource(cursor, rowFilter(options), options.batchSize ?? 200);
        options.onProgress?.(0, cursor.total);
        const helpers = Math.min(concurrency - 1, Math.ceil(cursor.total / 50));
        if (helpers) await warm;
        await Promise.all([
          work(owner, source),
          ...Array.from({ length: helpers }, () =>
            withClient(db, async (client) => {
              await sessions.join(client);
              await work(client, source);
            }),
          ),
        ]);
        batches = source.batchCount;
        if (!signal?.aborted && done < cursor.total) options.onProgress?.(cursor.total, cursor.total);
      } finally {
        await cursor.close();
      }
    });
  } catch (error) {
    // A statement cancelled by Ctrl-C fails; that is the interruption below, not an error of its own.
    if (!signal?.aborted) throw error;
  } finally {
    sessions.dispose();
  }
  if (signal?.aborted) {
    throw new InterruptedError(`interrupted: ${tally.checked} sequence${tally.checked === 1 ? '' : 's'} read before Ctrl-C, the rest not checked`);
  }

  return {
    findings: kept,
    checked: tally.checked,
    skipped: tally.skipped,
    tally,
    durationMs: Math.round(performance.now() - started),
    batches,
    fallbacks,
  };
}

/**
 * The scan's sessions, prepared the same way: JIT off (a read of big unindexed tables can cross
 * jit_above_cost, and compiling costs more than the read; set for the session, not per transaction, as one
 * transaction over all batches would hold every lock), and their backends remembered, so that Ctrl-C
 * cancels the statements in flight instead of waiting, say, for a lock until lock_timeout.
 */
function cancellableSessions(db: PostgresDatabase, signal: AbortSignal | undefined) {
  const backends = new Set<number>();
  const onAbort = () => void cancelBackends(db, [...backends]);
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    async join(client: Queryable): Promise<void> {
      // One round trip: a simple query with two statements answers with one result each.
      const results = (await client.query('set jit = off; select pg_backend_pid() as pid')) as unknown as { rows: { pid: number }[] }[];
      backends.add(results[1]!.rows[0]!.pid);
      if (signal?.aborted) onAbort();
    },
    dispose(): void {
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** Calls `emit` for batch 0, 1, 2… in that order, however the connections finish them; then lets them go. */
function inReportOrder(emit: (batch: PendingFinding[]) => void): (index: number, batch: PendingFinding[]) => void {
  const waiting = new Map<number, PendingFinding[]>();
  let next = 0;
  return (index, batch) => {
    waiting.set(index, batch);
    for (let ready = waiting.get(next); ready; ready = waiting.get(next)) {
      waiting.delete(next++);
      emit(ready);
    }
  };
}

/**
 * Turns discovery rows into batches of whole findings, fetching more rows only when a connection asks
 * for work and none is queued. The last sequence of a fetch may go on in the next one, so it is held
 * back until the next sequence (or the end) shows up.
 */
class BatchSource {
  readonly total: number;
  batchCount = 0;
  /** rows: discovery rows this batch accounts for in progress (its consumers, and filtered-out rows before it). */
  private queue: { index: number; batch: PendingFinding[]; rows: number }[] = [];
  private carry: CatalogRow[] = [];
  private uncounted = 0;
  private fetching: Promise<void> | undefined;

  constructor(
    private readonly cursor: DiscoveryCursor,
    private readonly matches: (row: CatalogRow) => boolean,
    private readonly batchSize: number,
  ) {
    this.total = cursor.total;
  }

  async next(): Promise<{ index: number; batch: PendingFinding[]; rows: number } | undefined> {
    while (!this.queue.length && !this.cursor.exhausted) {
      // One fetch at a time; whoever arrives while it runs waits for the same one.
      this.fetching ??= this.fill().finally(() => (this.fetching = undefined));
      await this.fetching;
    }
    return this.queue.shift();
  }

  private async fill(): Promise<void> {
    const rows = await this.cursor.fetch();
    let group = this.carry;
    const groups: CatalogRow[][] = [];
    for (const row of rows) {
      if (group.length && group[0]!.seq_oid !== row.seq_oid) {
        groups.push(group);
        group = [];
      }
      group.push(row);
    }
    if (this.cursor.exhausted) {
      if (group.length) groups.push(group);
      this.carry = [];
    } else {
      this.carry = group;
    }
    const pending: PendingFinding[] = [];
    for (const g of groups) {
      if (g.some(this.matches)) pending.push(...pendingFindings(g, new Map()));
      else this.uncounted += g.length;
    }
    for (const batch of makeBatches(pending, this.batchSize)) {
      const rows = this.uncounted + batch.reduce((n, p) => n + p.finding.consumers.length, 0);
      this.uncounted = 0;
      this.queue.push({ index: this.batchCount++, batch, rows });
    }
  }
}

/** Turns a scan into the shape `doctor` shows. Findings carry nextCommand 'healfix sequences --fix'. */
export function sequencesCheckResult(result: ScanSequencesResult): CheckResult {
  const findings: Finding[] = [];
  for (const f of result.findings) {
    if (f.status === 'lagging' || f.status === 'unfixable') {
      findings.push({
        check: 'sequences',
        severity: 'error',
        title: f.status === 'lagging' ? `${f.sequence} lags max(${f.consumers[0]?.column ?? 'id'}) by ${f.lag}: next value ${f.nextValue}, max ${f.dataMax}` : `${f.sequence} cannot hold the data it feeds`,
        detail:
          f.status === 'lagging'
            ? `The next insert into ${describeConsumers(f)} gets ${f.nextValue} and fails with a duplicate key error.`
            : f.reason,
        hint: f.status === 'lagging' ? 'Move the sequence past the data under a lock.' : 'Widen the sequence (ALTER SEQUENCE ... AS bigint MAXVALUE ...) and the column type.',
        nextCommand: f.status === 'lagging' ? 'healfix sequences --fix' : `healfix sequences --table ${f.consumers[0]?.table ?? ''}`.trim(),
        subject: f.sequence,
        data: pickData(f),
      });
    } else if (f.status === 'skipped') {
      // Not verified is not healthy: an error, so doctor's default --fail-on error exits 1 over it.
      findings.push({
        check: 'sequences',
        severity: 'error',
        title: `${f.sequence} could not be verified (${f.reasonCode ?? 'not_verifiable'})`,
        detail: f.reason,
        hint: unverifiedHint(f),
        nextCommand: f.consumers[0] ? `healfix sequences --table ${f.consumers[0].schema}.${f.consumers[0].table}` : 'healfix sequences',
        subject: f.sequence,
        data: pickData(f),
      });
    }
    if (f.typeTrap) {
      const t = f.typeTrap;
      findings.push({
        check: 'sequences',
        severity: 'warn',
        title: `${f.sequence} is ${t.sequenceType} but feeds ${t.columnType} column${t.columns.length === 1 ? '' : 's'} ${t.columns.join(', ')}`,
        detail: t.kind === 'narrower' ? `Inserts fail when the sequence reaches ${f.maxValue}, though the column holds more.` : 'The column overflows before the sequence does.',
        hint: `Run: ${t.sql.join(' ')}${t.kind === 'wider' ? ' (rewrites the table under an ACCESS EXCLUSIVE lock)' : ''}${f.forecast?.days != null ? `; about ${f.forecast.days} days left at the recent insert rate` : ''}`,
        nextCommand: 'healfix sequences --all',
        subject: f.sequence,
        data: { ...pickData(f), typeTrap: t, ...(f.forecast ? { forecast: f.forecast } : {}) },
      });
    }
    if (nearExhaustion(f)) {
      findings.push({
        check: 'sequences',
        severity: f.exhaustion,
        title: `${f.sequence} has used ${f.exhaustionPercent}% of its range${f.forecast?.days != null ? ` (about ${f.forecast.days} days left)` : ''}`,
        ...(f.forecast ? { detail: `Forecast: ${f.forecast.basis}.` } : {}),
        hint: 'Plan a move to bigint before it runs out.',
        nextCommand: 'healfix sequences --all',
        subject: f.sequence,
        data: pickData(f),
      });
    }
  }
  const check: CheckResult = {
    check: 'sequences',
    status: worstSeverity(findings),
    summary: summaryLine(result),
    findings,
  };
  if (result.checked === 0) {
    check.status = 'ok';
    check.summary = 'no sequence-fed columns found';
  }
  return check;
}

function pickData(f: SequenceFinding): Record<string, unknown> {
  return {
    sequence: f.sequence,
    status: f.status,
    nextValue: f.nextValue,
    dataMax: f.dataMax,
    lag: f.lag,
    exhaustionPercent: f.exhaustionPercent,
    ...(f.reasonCode ? { reasonCode: f.reasonCode } : {}),
    consumers: f.consumers.map((c) => ({ schema: c.schema, table: c.table, column: c.column })),
  };
}
