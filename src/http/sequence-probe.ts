/**
 * A minimal stand-in for src/checks/sequences.ts (scanSequences) and src/fix/sequences.ts (fixSequences),
 * with the same signatures, so register-test can name and fix lagging sequences before those land.
 * The lead swaps the two imports in src/http/register-test.ts for the real modules.
 */
import type { PostgresDatabase } from '../db/postgres.js';
import { qualified, quoteIdent, withClient } from '../db/postgres.js';

export interface SequenceConsumer {
  schema: string;
  table: string;
  column: string;
}

export interface SequenceFinding {
  sequence: string;
  consumers: SequenceConsumer[];
  status: 'ok' | 'lagging' | 'unfixable' | 'skipped';
  nextValue: string;
  dataMax: string | null;
  lag: string;
}

export interface SequenceFix {
  sequence: string;
  before: string;
  after: string;
  status: 'fixed' | 'skipped' | 'failed';
}

export async function scanSequences(db: PostgresDatabase, options: { tables?: string[] } = {}): Promise<{ findings: SequenceFinding[] }> {
  return withClient(db, async (client) => {
    const { rows } = await client.query<{ seq_schema: string; seq: string; schema: string; table: string; column: string }>(
      `select sn.nspname as seq_schema, s.relname as seq, tn.nspname as schema, t.relname as "table", a.attname as "column"
         from pg_depend d
         join pg_class s on s.oid = d.objid and s.relkind = 'S'
         join pg_namespace sn on sn.oid = s.relnamespace
         join pg_class t on t.oid = d.refobjid
         join pg_namespace tn on tn.oid = t.relnamespace
         join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
        where d.deptype in ('a', 'i') and tn.nspname not in ('pg_catalog', 'information_schema')
          and ($1::text[] is null or t.relname = any($1::text[]))
        order by 1, 2`,
      [options.tables ?? null],
    );
    const findings: SequenceFinding[] = [];
    for (const r of rows) {
      const seq = qualified(r.seq_schema, r.seq);
      const state = await client.query<{ last_value: string; is_called: boolean; inc: string }>(
        `select last_value::text, is_called, (select increment_by::text from pg_sequences where schemaname = $1 and sequencename = $2) as inc from ${seq}`,
        [r.seq_schema, r.seq],
      );
      const { last_value, is_called, inc } = state.rows[0]!;
      const next = is_called ? BigInt(last_value) + BigInt(inc ?? '1') : BigInt(last_value);
      const max = await client.query<{ m: string | null }>(`select max(${quoteIdent(r.column)})::text as m from ${qualified(r.schema, r.table)}`);
      const dataMax = max.rows[0]!.m;
      const lag = dataMax === null ? 0n : BigInt(dataMax) - next + 1n;
      findings.push({
        sequence: `${r.seq_schema}.${r.seq}`,
        consumers: [{ schema: r.schema, table: r.table, column: r.column }],
        status: lag > 0n ? 'lagging' : 'ok',
        nextValue: next.toString(),
        dataMax,
        lag: (lag > 0n ? lag : 0n).toString(),
      });
    }
    return { findings };
  });
}

export async function fixSequences(db: PostgresDatabase, findings: SequenceFinding[], _options: Record<string, unknown> = {}): Promise<SequenceFix[]> {
  const out: SequenceFix[] = [];
  for (const f of findings.filter((x) => x.status === 'lagging' && x.dataMax !== null)) {
    const [schema, name] = f.sequence.split('.') as [string, string];
    try {
      const { rows } = await db.pool.query<{ v: string }>(`select setval($1::regclass, $2::bigint, true)::text as v`, [qualified(schema, name), f.dataMax]);
      out.push({ sequence: f.sequence, before: f.nextValue, after: (BigInt(rows[0]!.v) + 1n).toString(), status: 'fixed' });
    } catch {
      out.push({ sequence: f.sequence, before: f.nextValue, after: f.nextValue, status: 'failed' });
    }
  }
  return out;
}
