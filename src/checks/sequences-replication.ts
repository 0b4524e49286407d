import type { PostgresDatabase } from '../db/postgres.js';
import { withClient } from '../db/postgres.js';
import type { SequenceFinding } from './sequences-types.js';

/**
 * Logical replication copies rows, not sequence positions (PostgreSQL up to 18): on a subscriber every
 * sequence stays where it was while the tables fill, and lags the moment the application is switched
 * over. PostgreSQL 19 can synchronise them (ALTER SUBSCRIPTION … REFRESH SEQUENCES); healfix says which.
 */

export interface ReplicationState {
  subscriptions: { name: string; enabled: boolean }[];
  /** Tables an enabled subscription still writes into ("schema.table", quoted as findings are). */
  replicatedTables: string[];
  /** The same tables as schema and name, for matching consumers. */
  replicatedPairs: { schema: string; table: string }[];
  /** PostgreSQL 19+: the sequences a subscription synchronises and their state (r = ready, i/d = not yet). */
  sequenceSync?: { sequence: string; state: string }[];
  serverVersionNum: number;
  /** What to tell the user, in words. */
  note: string;
}

/** Whether this database subscribes to a publication, and what it receives; undefined when it does not. */
export async function readReplicationState(db: PostgresDatabase): Promise<ReplicationState | undefined> {
  return withClient(db, async (client) => {
    // Only columns PUBLIC may read (subconninfo is not among them, nor needed).
    const subs = await client.query<{ oid: string; name: string; enabled: boolean }>(
      `select oid::int8::text as oid, subname as name, subenabled as enabled from pg_subscription where subdbid = (select oid from pg_database where datname = current_database()) order by subname`,
    );
    if (!subs.rows.length) return undefined;
    const rels = await client.query<{ rel: string; schema: string; table: string; kind: string; state: string; enabled: boolean }>(`
      select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as rel, n.nspname as schema, c.relname as table, c.relkind::text as kind, r.srsubstate::text as state, s.subenabled as enabled
      from pg_subscription_rel r join pg_subscription s on s.oid = r.srsubid join pg_class c on c.oid = r.srrelid join pg_namespace n on n.oid = c.relnamespace
      order by 1`);
    const receiving = rels.rows.filter((r) => r.kind !== 'S' && r.enabled);
    const tables = [...new Set(receiving.map((r) => r.rel))];
    const version = db.serverVersionNum;
    const names = subs.rows.map((s) => s.name);
    const state: ReplicationState = {
      subscriptions: subs.rows.map(({ name, enabled }) => ({ name, enabled })),
      replicatedTables: tables,
      replicatedPairs: receiving.map((r) => ({ schema: r.schema, table: r.table })),
      serverVersionNum: version,
      note: '',
    };
    if (version >= 190000) {
      state.sequenceSync = rels.rows.filter((r) => r.kind === 'S').map((r) => ({ sequence: r.rel, state: r.state }));
      const pending = state.sequenceSync.filter((s) => s.state !== 'r').length;
      state.note =
        `this database subscribes to ${names.join(', ')}: PostgreSQL ${Math.floor(version / 10000)} can copy sequence values; ` +
        `${state.sequenceSync.length} sequence${state.sequenceSync.length === 1 ? '' : 's'} in the subscription${pending ? `, ${pending} not yet synchronised` : ''}. ` +
        `At cutover run ${names.map((n) => `ALTER SUBSCRIPTION ${n} REFRESH SEQUENCES;`).join(' ')} then check again`;
    } else {
      state.note =
        `this database subscribes to ${names.join(', ')}: logical replication does not copy sequence values (PostgreSQL 18 and older), ` +
        `so every sequence fed by a replicated table lags at cutover. After the final sync, run: healfix sequences --fix --source <publisher URL>`;
    }
    return state;
  });
}

/** The findings whose tables still receive replicated rows: a fix of them holds only until the next rows arrive. */
export function stillReplicated(findings: readonly SequenceFinding[], state: ReplicationState | undefined): SequenceFinding[] {
  if (!state?.replicatedTables.length) return [];
  const tables = new Set(state.replicatedPairs.map((p) => `${p.schema}\u0000${p.table}`));
  return findings.filter((f) => f.consumers.some((c) => tables.has(`${c.schema}\u0000${c.table}`)));
}

/** The warning --fix prints over tables still receiving replicated rows. */
export function replicatedFixWarning(findings: readonly SequenceFinding[]): string | undefined {
  if (!findings.length) return undefined;
  const names = findings.slice(0, 5).map((f) => f.sequence).join(', ');
  return `${findings.length} sequence${findings.length === 1 ? '' : 's'} (${names}${findings.length > 5 ? ', …' : ''}) feed tables still receiving replicated rows: run this fix again after the final sync, before the application writes here`;
}
