/**
 * "Which tables are there, with which columns" on PostgreSQL and SQLite alike, and how a user names
 * tables and columns (--table, --columns). Checks find pending-signup, OTP and rate-limit tables by
 * name and shape from this, or through the stacks of src/knowledge.
 */
import type { OpenedDatabase } from './open.js';
import { quoteIdent } from './postgres.js';
import { UsageError } from '../errors.js';

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
  /** This role may SELECT from it (always true on SQLite). */
  readable: boolean;
  columns: ColumnInfo[];
}

/**
 * Lists every ordinary table and its columns, readable or not: a table this role may not SELECT is
 * listed with readable: false, so a check can say "not allowed to read X" instead of "no X".
 */
export async function describeAllTables(db: OpenedDatabase): Promise<TableInfo[]> {
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
        readable: true,
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
    schema: string; table: string; column: string; type: string; not_null: boolean; pk: boolean; uniq: boolean; readable: boolean;
  }>(`
    select n.nspname as schema, c.relname as table, a.attname as column,
           format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
           exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary and a.attnum = any(i.indkey)) as pk,
           exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisunique and i.indnatts = 1 and i.indkey[0] = a.attnum) as uniq,
           has_table_privilege(c.oid, 'select') as readable
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     where c.relkind in ('r', 'p')
       and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'
       and has_schema_privilege(n.oid, 'usage')
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
        readable: r.readable,
        columns: [],
      };
      byTable.set(key, table);
    }
    table.columns.push({ name: r.column, type: r.type.toLowerCase(), notNull: r.not_null, primaryKey: r.pk, unique: r.uniq || r.pk });
  }
  return [...byTable.values()];
}

/** The tables this role may read (what discovery by name and shape looks at). */
export async function describeTables(db: OpenedDatabase): Promise<TableInfo[]> {
  return (await describeAllTables(db)).filter((t) => t.readable);
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
