/**
 * "Which tables are there, with which columns" on PostgreSQL and SQLite alike, and a tiny query
 * helper over both drivers. Checks use this to find pending-signup, OTP and rate-limit tables by name
 * and shape instead of assuming one app's schema.
 */
import type { OpenedDatabase } from '../db/open.js';
import { quoteIdent } from '../db/postgres.js';
import { UsageError } from '../errors.js';
import { parseDbTime, type DbClock } from './db-time.js';

export interface ColumnInfo {
  name: string;
  /** Declared type, lower case ('text', 'timestamp without time zone', 'datetime', ...). */
  type: string;
  notNull: boolean;
  primaryKey: boolean;
  /** A single-column unique constraint or index (the primary key included). */
  unique: boolean;
}

export interface TableInfo {
  /** PostgreSQL schema; undefined on SQLite. */
  schema?: string;
  name: string;
  /** schema.name on PostgreSQL (public omitted), name on SQLite. */
  display: string;
  /** Quoted for SQL. */
  sql: string;
  columns: ColumnInfo[];
}

/** What a check found, and why it believes it: shown to the user ("found … because …"). */
export interface DiscoveredTable {
  role: 'pending' | 'otp' | 'users' | 'rate-limit' | 'lockout';
  table: string;
  reason: string;
  /** Role -> column actually used (email, expires, ...). */
  columns: Record<string, string>;
}

/** A table --purge-expired deletes expired rows from: keyed deletes, re-checked inside the transaction. */
export interface PurgeTarget {
  role: string;
  table: string;
  /** Quoted for SQL. */
  sqlTable: string;
  keyColumn: string;
  expiresColumn: string;
  /** Rows expired when the check ran. */
  expiredRows: number;
}

/** Lists every ordinary table and its columns. */
export async function describeTables(db: OpenedDatabase): Promise<TableInfo[]> {
  if (db.kind === 'sqlite') {
    const names = db.sqlite
      .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")
      .all() as { name: string }[];
    return names.map(({ name }) => {
      const cols = db.sqlite.prepare(`pragma table_info(${quoteIdent(name)})`).all() as {
        name: string; type: string; notnull: number; pk: number;
      }[];
      const uniques = new Set<string>();
      const indexes = db.sqlite.prepare(`pragma index_list(${quoteIdent(name)})`).all() as { name: string; unique: number }[];
      for (const index of indexes) {
        if (!index.unique) continue;
        const parts = db.sqlite.prepare(`pragma index_info(${quoteIdent(index.name)})`).all() as { name: string }[];
        if (parts.length === 1 && parts[0]) uniques.add(parts[0].name);
      }
      const pkCount = cols.filter((c) => c.pk > 0).length;
      return {
        name,
        display: name,
        sql: quoteIdent(name),
        columns: cols.map((c) => ({
          name: c.name,
          type: (c.type || '').toLowerCase(),
          notNull: c.notnull === 1 || c.pk > 0,
          primaryKey: c.pk > 0,
          unique: uniques.has(c.name) || (c.pk > 0 && pkCount === 1),
        })),
      };
    });
  }
  const { rows } = await db.pg.pool.query<{
    schema: string; table: string; column: string; type: string; not_null: boolean; pk: boolean; uniq: boolean;
  }>(`
    select n.nspname as schema, c.relname as table, a.attname as column,
           format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
           exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary and a.attnum = any(i.indkey)) as pk,
           exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisunique and i.indnatts = 1 and i.indkey[0] = a.attnum) as uniq
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     where c.relkind in ('r', 'p')
       and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'
       and has_table_privilege(c.oid, 'select')
     order by n.nspname, c.relname, a.attnum`);
  const byTable = new Map<string, TableInfo>();
  for (const r of rows) {
    const key = `${r.schema}.${r.table}`;
    let table = byTable.get(key);
    if (!table) {
      table = {
        schema: r.schema,
        name: r.table,
        display: r.schema === 'public' ? r.table : key,
        sql: `${quoteIdent(r.schema)}.${quoteIdent(r.table)}`,
        columns: [],
      };
      byTable.set(key, table);
    }
    table.columns.push({ name: r.column, type: r.type.toLowerCase(), notNull: r.not_null, primaryKey: r.pk, unique: r.uniq || r.pk });
  }
  return [...byTable.values()];
}

/** Finds a table named by the user (name or schema.name, case-insensitive); UsageError when absent. */
export function requireTable(tables: TableInfo[], name: string, flag: string, db: OpenedDatabase): TableInfo {
  const wanted = name.toLowerCase();
  const found =
    tables.find((t) => t.display.toLowerCase() === wanted || `${t.schema}.${t.name}`.toLowerCase() === wanted) ??
    tables.find((t) => t.name.toLowerCase() === wanted);
  if (!found) {
    throw new UsageError(`${flag}: no table "${name}" in ${db.target.display}`, {
      hint: tables.length ? `Tables there: ${tables.slice(0, 20).map((t) => t.display).join(', ')}${tables.length > 20 ? ', …' : ''}` : 'The database has no tables healfix can read.',
    });
  }
  return found;
}

/** First column whose name (case-insensitive) is in candidates, in candidate order. */
export function pickColumn(table: TableInfo, candidates: readonly string[], exclude: readonly (string | undefined)[] = []): string | undefined {
  for (const candidate of candidates) {
    const column = table.columns.find((c) => c.name.toLowerCase() === candidate && !exclude.includes(c.name));
    if (column) return column.name;
  }
  return undefined;
}

export function hasColumn(table: TableInfo, name: string): boolean {
  return table.columns.some((c) => c.name === name);
}

/**
 * Parses `--columns email=addr,expires=valid_until,otp.expires=valid_to` into { 'email': 'addr', ... }.
 * Keys are checked against the roles a command knows; bad pairs are usage errors.
 */
export function parseColumnMapping(text: string | undefined, roles: readonly string[]): Record<string, string> {
  if (!text) return {};
  const out: Record<string, string> = {};
  for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z._-]+)\s*=\s*([^=\s]+)$/i.exec(pair);
    if (!m) throw new UsageError(`--columns: expected role=column pairs like email=addr,expires=valid_until, got "${pair}"`);
    const role = m[1]!.toLowerCase();
    if (!roles.includes(role)) throw new UsageError(`--columns: unknown role "${m[1]}"`, { hint: `Known roles: ${roles.join(', ')}` });
    out[role] = m[2]!;
  }
  return out;
}

/** Applies a mapped column name, checking it exists: UsageError naming table and column otherwise. */
export function mappedColumn(table: TableInfo, role: string, mapping: Record<string, string>, key = role): string | undefined {
  const name = mapping[key];
  if (name === undefined) return undefined;
  const column = table.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (!column) {
    throw new UsageError(`--columns ${key}=${name}: table ${table.display} has no column "${name}"`, {
      hint: `Its columns: ${table.columns.map((c) => c.name).join(', ')}`,
    });
  }
  return column.name;
}

/** Runs one statement on either driver; `?` placeholders (numbered for PostgreSQL). */
export async function queryRows<T extends Record<string, unknown>>(db: OpenedDatabase, sql: string, params: unknown[] = []): Promise<T[]> {
  if (db.kind === 'sqlite') return db.sqlite.prepare(sql).all(...params.map(sqliteParam)) as T[];
  const { rows } = await db.pg.pool.query(numbered(sql), params);
  return rows as T[];
}

/** `?` -> `$1`, `$2`, … (the SQL healfix builds never has a literal `?`). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function sqliteParam(value: unknown): unknown {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

/** A column selected so timestamps arrive as text on PostgreSQL (node-pg would read naive ones as local time). */
export function selectText(db: OpenedDatabase, column: string, alias: string): string {
  return db.kind === 'postgres' ? `${quoteIdent(column)}::text as ${quoteIdent(alias)}` : `${quoteIdent(column)} as ${quoteIdent(alias)}`;
}

/** The database's clock; `now` (tests) shifts both readings by the same amount. */
export async function readClock(db: OpenedDatabase, now?: Date): Promise<DbClock> {
  let nowMs: number;
  let naiveNowMs: number;
  if (db.kind === 'sqlite') {
    const row = db.sqlite.prepare("select strftime('%Y-%m-%d %H:%M:%f', 'now') as now").get() as { now: string };
    nowMs = naiveNowMs = parseDbTime(row.now)!.ms;
  } else {
    const { rows } = await db.pg.pool.query<{ now: string; local: string }>('select now()::text as now, localtimestamp::text as local');
    nowMs = parseDbTime(rows[0]!.now)!.ms;
    naiveNowMs = parseDbTime(rows[0]!.local)!.ms;
  }
  if (!now) return { nowMs, naiveNowMs };
  return { nowMs: now.getTime(), naiveNowMs: now.getTime() + (naiveNowMs - nowMs) };
}

/** Runnable connection arguments for a nextCommand: the SQLite path (never a PostgreSQL password). */
export function connectionArgs(db: OpenedDatabase): string {
  if (db.kind !== 'sqlite') return '';
  return ` --database-url ${shellQuote(`sqlite:${db.target.path}`)}`;
}

export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}
