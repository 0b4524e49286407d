import type { PostgresDatabase } from '../db/postgres.js';
import { qualified, withClient } from '../db/postgres.js';
import { describePgError } from '../db/pg-errors.js';
import type { SequenceFinding } from '../checks/sequences.js';

/**
 * Cutovers: after data was copied from another database (pg_dump --data-only, logical replication, a
 * migration tool), the target's sequences must go at least as far as the source's. Ids of rows deleted on
 * the source may live on in other systems (mails, logs, caches, partner APIs), so when the source's counter
 * is ahead of the copied data, the counter is the truth. Matched by qualified sequence name.
 */

export interface SequenceCounter {
  /** Schema-qualified, quoted as sequence findings are: public.orders_id_seq. */
  sequence: string;
  schema: string;
  name: string;
  /** What nextval() would return on that side now; null when it could not be read. */
  nextValue: string | null;
  increment: string;
  reason?: string;
}

export interface CutoverComparison {
  /** Source next values by qualified sequence name, for the sequences both sides have. */
  floors: Map<string, string>;
  /** On the source only: the copy left them out (or they were renamed). */
  sourceOnly: string[];
  /** On the target only: nothing to take from the source. */
  targetOnly: string[];
  /** On both sides, but the source's counter could not be read: not verified. */
  unreadable: { sequence: string; reason: string }[];
  /** Both sides, source ahead, but the target's sequence feeds no column: not moved (nothing to lock). */
  unattached: { sequence: string; sourceNext: string; targetNext: string | null }[];
}

const READ_BATCH = 200;

/**
 * Every sequence of a database with what nextval() would return now. One catalog query, then the
 * sequences themselves READ_BATCH per statement (pg_get_sequence_data on 18+, a select from each before).
 */
export async function readSequenceCounters(db: PostgresDatabase): Promise<SequenceCounter[]> {
  return withClient(db, async (client) => {
    const { rows } = await client.query<{ oid: string; schema: string; name: string; display: string; increment: string; readable: boolean }>(`
      select c.oid::int8::text as oid, n.nspname as schema, c.relname as name,
             quote_ident(n.nspname) || '.' || quote_ident(c.relname) as display, s.seqincrement::text as increment,
             has_schema_privilege(n.oid, 'USAGE') and has_sequence_privilege(c.oid, 'SELECT') as readable
      from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_sequence s on s.seqrelid = c.oid
      where c.relkind = 'S' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'
      order by n.nspname collate "C", c.relname collate "C"`);
    const counters: SequenceCounter[] = rows.map((r) => ({
      sequence: r.display,
      schema: r.schema,
      name: r.name,
      nextValue: null,
      increment: r.increment,
      ...(r.readable ? {} : { reason: 'permission denied: the role cannot read this sequence' }),
    }));
    const fast = db.serverVersionNum >= 180000;
    const readable = rows.map((r, i) => ({ r, i })).filter(({ r }) => r.readable);
    for (let from = 0; from < readable.length; from += READ_BATCH) {
      const batch = readable.slice(from, from + READ_BATCH);
      const sql = batch
        .map(({ r, i }) =>
          fast
            ? `select ${i} as i, last_value::text as v, is_called from pg_get_sequence_data(${r.oid}::oid)`
            : `select ${i} as i, last_value::text as v, is_called from ${qualified(r.schema, r.name)}`,
        )
        .join('\nunion all\n');
      try {
        const read = await client.query<{ i: number; v: string | null; is_called: boolean }>(sql);
        for (const row of read.rows) {
          const counter = counters[Number(row.i)]!;
          if (row.v === null) counter.reason = 'the sequence could not be read';
          else counter.nextValue = (row.is_called ? BigInt(row.v) + BigInt(counter.increment) : BigInt(row.v)).toString();
        }
      } catch (error) {
        for (const { i } of batch) counters[i]!.reason = describePgError(error);
      }
    }
    return counters;
  });
}

/** Pairs the source's counters with the target's sequences, by qualified name. Pure. */
export function compareCounters(source: SequenceCounter[], target: SequenceCounter[], targetFindings: SequenceFinding[]): CutoverComparison {
  const targetByName = new Map(target.map((t) => [t.sequence, t]));
  const sourceNames = new Set(source.map((s) => s.sequence));
  const fed = new Set(targetFindings.map((f) => f.sequence));
  const comparison: CutoverComparison = { floors: new Map(), sourceOnly: [], targetOnly: [], unreadable: [], unattached: [] };
  for (const s of source) {
    const t = targetByName.get(s.sequence);
    if (!t) {
      comparison.sourceOnly.push(s.sequence);
      continue;
    }
    if (s.nextValue === null) {
      comparison.unreadable.push({ sequence: s.sequence, reason: `source: ${s.reason ?? 'not read'}` });
      continue;
    }
    if (fed.has(s.sequence)) {
      comparison.floors.set(s.sequence, s.nextValue);
    } else if (t.nextValue === null || isBehind(t.nextValue, s.nextValue, t.increment)) {
      comparison.unattached.push({ sequence: s.sequence, sourceNext: s.nextValue, targetNext: t.nextValue });
    }
  }
  for (const t of target) if (!sourceNames.has(t.sequence)) comparison.targetOnly.push(t.sequence);
  return comparison;
}

/** True when `value` has not reached `goal` in the direction the sequence counts. */
export function isBehind(value: string, goal: string, increment: string): boolean {
  return BigInt(increment) > 0n ? BigInt(value) < BigInt(goal) : BigInt(value) > BigInt(goal);
}

/** After a cutover fix: the sequences still short of the source's counter (each must be empty). */
export function shortOfSource(after: SequenceFinding[], floors: ReadonlyMap<string, string>): { sequence: string; nextValue: string; sourceNext: string }[] {
  const short: { sequence: string; nextValue: string; sourceNext: string }[] = [];
  for (const f of after) {
    const floor = floors.get(f.sequence);
    if (floor === undefined || !f.nextValue) continue;
    if (isBehind(f.nextValue, floor, f.increment)) short.push({ sequence: f.sequence, nextValue: f.nextValue, sourceNext: floor });
  }
  return short;
}

/** Problems a cutover leaves whatever the fix did (exit 1): a counter not read, a sequence not moved, one still behind. */
export function cutoverHasProblems(comparison: CutoverComparison, short: readonly unknown[] = []): boolean {
  return comparison.unreadable.length > 0 || comparison.unattached.length > 0 || short.length > 0;
}
