import { randomBytes } from 'node:crypto';
import { isPooledSession, type Queryable } from '../db/postgres.js';
import { pgFields, SQLSTATE } from '../db/pg-errors.js';
import type { ScanSequencesOptions } from './sequences-types.js';

/** Finding every sequence that feeds a column: one catalog query, read through a cursor. */

export interface CatalogRow {
  seq_oid: string;
  seq_schema: string;
  seq_name: string;
  seq_display: string;
  increment: string;
  min_value: string;
  max_value: string;
  cycle: boolean;
  /** The sequence's own data type: smallint, integer or bigint. */
  seq_type: string;
  seq_readable: boolean;
  table_schema: string;
  table_name: string;
  column_name: string;
  column_type: string;
  column_typname: string;
  kind: 'serial' | 'identity' | 'default';
  table_readable: boolean;
  /** Why this role's read of the sequence or the column would not be the truth; null when it would be. */
  seq_blocker: 'schema_usage' | null;
  table_blocker: 'schema_usage' | 'row_level_security' | null;
}

/**
 * One catalog query for every sequence that feeds a column:
 *  - OWNED BY / serial ('a') and identity ('i') dependencies of a sequence on a column,
 *  - column defaults depending on a sequence ('n' from pg_attrdef), owned or not, any schema.
 * An OWNED BY link counts only where the column has no default of its own and is not an identity
 * column (a stray owned sequence on an identity column feeds nothing). Partitions and inheritance
 * children whose parent is already fed by the same sequence are dropped: max() on the parent covers them.
 */
export const DISCOVERY_SQL = `
with feeds as (
  -- identity columns, and OWNED BY links on columns without a default of their own (the default branch
  -- below covers serial columns); every join here is an index lookup by oid, whatever the estimates.
  select d.objid as seqid, d.refobjid as relid, d.refobjsubid as attnum, case d.deptype when 'i' then 'identity' else 'serial' end as kind
  from pg_depend d
  join pg_class s on s.oid = d.objid and s.relkind = 'S'
  join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
  where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
    and (d.deptype = 'i' or (a.attidentity = '' and not a.atthasdef))
  union
  -- column defaults calling nextval(): 'serial' when the sequence is also OWNED BY that column
  select d.refobjid, ad.adrelid, ad.adnum,
         case when exists (
           select 1 from pg_depend o
           where o.classid = 'pg_class'::regclass and o.objid = d.refobjid and o.objsubid = 0
             and o.refclassid = 'pg_class'::regclass and o.refobjid = ad.adrelid and o.refobjsubid = ad.adnum and o.deptype = 'a'
         ) then 'serial' else 'default' end
  from pg_attrdef ad
  join pg_depend d on d.classid = 'pg_attrdef'::regclass and d.objid = ad.oid
   and d.refclassid = 'pg_class'::regclass and d.deptype = 'n'
  join pg_class s on s.oid = d.refobjid and s.relkind = 'S'
),
covered as (
  select i.inhrelid as relid, p.seqid from pg_inherits i join feeds p on p.relid = i.inhparent
)
select f.seqid::int8::text as seq_oid,
       sn.nspname as seq_schema, sc.relname as seq_name,
       quote_ident(sn.nspname) || '.' || quote_ident(sc.relname) as seq_display,
       ps.seqincrement::text as increment, ps.seqmin::text as min_value, ps.seqmax::text as max_value,
       ps.seqcycle as cycle, format_type(ps.seqtypid, null) as seq_type,
       case when me.super or sc.relowner = me.oid then true else has_sequence_privilege(f.seqid, 'SELECT') end as seq_readable,
       tn.nspname as table_schema, tc.relname as table_name,
       a.attname as column_name, format_type(a.atttypid, a.atttypmod) as column_type, t.typname as column_typname,
       f.kind,
       case when me.super or tc.relowner = me.oid then true else has_column_privilege(f.relid, f.attnum::int2, 'SELECT') end as table_readable,
       case when not me.super and not has_schema_privilege(sn.oid, 'USAGE') then 'schema_usage' end as seq_blocker,
       -- Row-level security filters max() down to the rows this role may see: not the table's max. Owners
       -- (and their members) bypass it unless FORCE ROW LEVEL SECURITY; superusers and BYPASSRLS roles always.
       case when not me.super and not has_schema_privilege(tn.oid, 'USAGE') then 'schema_usage'
            when tc.relrowsecurity and not me.super and not me.bypassrls
                 and (tc.relforcerowsecurity or not pg_has_role(me.oid, tc.relowner, 'USAGE')) then 'row_level_security'
       end as table_blocker
from feeds f
-- Superusers and owners can read what they own; asking has_*_privilege() 20,000 times costs a quarter second.
cross join (select oid, rolbypassrls as bypassrls, current_setting('is_superuser') = 'on' as super from pg_roles where rolname = current_user) me
left join covered cv on cv.relid = f.relid and cv.seqid = f.seqid
join pg_sequence ps on ps.seqrelid = f.seqid
join pg_class sc on sc.oid = f.seqid
join pg_namespace sn on sn.oid = sc.relnamespace
join pg_class tc on tc.oid = f.relid
join pg_namespace tn on tn.oid = tc.relnamespace
join pg_attribute a on a.attrelid = f.relid and a.attnum = f.attnum
join pg_type t on t.oid = a.atttypid
where cv.relid is null
  and tc.relkind in ('r', 'p')
  and not a.attisdropped
  and tn.nspname not in ('pg_catalog', 'information_schema')
  and tn.nspname !~ '^pg_toast'`;

/** Discovery rows in report order; sequences' rows are adjacent, so a sequence is complete once the next starts. */
const ORDERED_DISCOVERY_SQL = `select * from (${DISCOVERY_SQL}) d
order by d.seq_schema collate "C", d.seq_name collate "C", d.table_schema collate "C", d.table_name collate "C", d.column_name collate "C"`;

const DISCOVERY_WORK_MEM = '32MB';

/** The first fetch from the discovery cursor: two batches' worth, so reading starts early. */
const FIRST_FETCH_ROWS = 250;
/** Rows fetched per round trip after the first: enough for five batches, little to hold. */
export const FETCH_ROWS = 1000;

export interface DiscoveryCursor {
  /** The server-side cursor's name, unique per scan; undefined when the rows were read in one go (behind a pooler). */
  readonly name?: string;
  /** Sequence-fed columns found (rows, before filters). */
  total: number;
  /** The next rows, up to fetchRows of them. */
  fetch(): Promise<CatalogRow[]>;
  /** True once a fetch came back short: every row has been handed out. */
  readonly exhausted: boolean;
  close(): Promise<void>;
}

/**
 * Runs the discovery query once into a cursor that outlives its transaction (WITH HOLD: the server keeps
 * the result, so this session can go on to read tables between fetches without one transaction piling up
 * a lock per table), then hands the rows out a thousand at a time: the client never holds all of them.
 * JIT is off for the session (see scanSequences): catalog statistics are often stale right after thousands
 * of tables are created, and the misestimate crossed jit_above_cost and compiled for a second more.
 */
export async function openDiscovery(client: Queryable, fetchRows: number): Promise<DiscoveryCursor> {
  // Behind a transaction pooler a held cursor stays on whichever server session declared it, and a later
  // FETCH may reach another session: there the rows are read in one go instead. The name is unique per
  // scan, so a cursor another scan left on a pooled server session is never read as ours.
  if (isPooledSession(client)) return inMemory((await client.query<CatalogRow>(ORDERED_DISCOVERY_SQL)).rows, fetchRows);
  const cursor = `healfix_discovery_${randomBytes(6).toString('hex')}`;
  // Sorted and then kept past COMMIT, ~0.8 KB a row: at the default work_mem of 4 MB both spill to disk from
  // ~5,000 rows on; in memory, discovery of 10,000 columns takes a tenth less and every FETCH reads memory.
  // For this one transaction only. One round trip for all of it, counting the rows on the way (a fleet of
  // small databases pays for round trips more than for the query); one message also keeps a transaction
  // pooler from handing the MOVEs to another server session than the one holding the cursor.
  let total: number;
  try {
    const results = (await client.query(
      `begin; set local work_mem = '${DISCOVERY_WORK_MEM}'; declare ${cursor} scroll cursor with hold for ${ORDERED_DISCOVERY_SQL}; commit; ` +
        `move forward all in ${cursor}; move absolute 0 in ${cursor}`,
    )) as unknown as { rowCount: number | null }[];
    total = results[4]?.rowCount ?? 0;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
  let consumed = 0;
  let fallback: CatalogRow[] | undefined;
  // Behind a pooler in transaction mode (PgBouncer) the next statement may reach another server session,
  // where the cursor does not exist: then run the query once more and go on from the same row (the order
  // is total: every row is a distinct sequence, table and column).
  const fallBack = async () => {
    fallback = (await client.query<CatalogRow>(ORDERED_DISCOVERY_SQL)).rows.slice(consumed);
  };
  let open = true;
  let exhausted = false;
  // The first fetch is short: the connections start reading tables sooner, and the rest come in full fetches.
  let size = Math.min(fetchRows, FIRST_FETCH_ROWS);
  const next = async (): Promise<CatalogRow[]> => {
    if (!fallback) {
      try {
        return (await client.query<CatalogRow>(`fetch forward ${size} from ${cursor}`)).rows;
      } catch (error) {
        if (pgFields(error).code !== SQLSTATE.invalidCursorName) throw error;
        await fallBack();
      }
    }
    return fallback!.splice(0, size);
  };
  return {
    name: cursor,
    total,
    get exhausted() {
      return exhausted;
    },
    fetch: async () => {
      const rows = await next();
      consumed += rows.length;
      if (rows.length < size) exhausted = true;
      size = fetchRows;
      return rows;
    },
    close: async () => {
      if (!open || fallback) return;
      open = false;
      await client.query(`close ${cursor}`).catch(() => {});
    },
  };
}

/** The same cursor contract over rows already read. */
function inMemory(rows: CatalogRow[], fetchRows: number): DiscoveryCursor {
  const total = rows.length;
  let exhausted = false;
  return {
    total,
    get exhausted() {
      return exhausted;
    },
    fetch: async () => {
      const batch = rows.splice(0, fetchRows);
      if (batch.length < fetchRows) exhausted = true;
      return batch;
    },
    close: async () => {
      rows.length = 0;
    },
  };
}

export function rowFilter(options: ScanSequencesOptions): (row: CatalogRow) => boolean {
  const schemas = options.schemas?.length ? new Set(options.schemas) : undefined;
  const tables = options.tables?.length ? options.tables : undefined;
  return (row) => {
    if (schemas && !schemas.has(row.table_schema) && !schemas.has(row.seq_schema)) return false;
    if (tables && !tables.some((t) => tableMatches(t, row.table_schema, row.table_name))) return false;
    return true;
  };
}

export function tableMatches(filter: string, schema: string, table: string): boolean {
  if (filter === table || filter === `${schema}.${table}`) return true;
  // Accept the quoted forms too: "My Table", public."My Table".
  const unquote = (s: string) => s.replace(/^"(.*)"$/, '$1').replace(/""/g, '"');
  const dot = filter.match(/^("(?:[^"]|"")+"|[^."]+)\.("(?:[^"]|"")+"|[^"]+)$/);
  if (dot) return unquote(dot[1]!) === schema && unquote(dot[2]!) === table;
  return unquote(filter) === table;
}
