/**
 * One statement on either driver, with `?` placeholders, and the database's clock: what checks and
 * fixes share to read rows without caring whether the app uses PostgreSQL or SQLite.
 */
import type { OpenedDatabase } from './open.js';
import { quoteIdent } from './postgres.js';
import { parseDbTime, type DbClock } from '../checks/db-time.js';
import type { TableInfo } from './catalog.js';

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

/** A key column as the text users type: inet without its /32, everything else cast to text on PostgreSQL. */
export function keyText(db: OpenedDatabase, column: string, type = ''): string {
  if (db.kind !== 'postgres') return quoteIdent(column);
  return type === 'inet' ? `host(${quoteIdent(column)})` : `${quoteIdent(column)}::text`;
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

/** Rows in a table (exact count). */
export async function countRows(db: OpenedDatabase, table: Pick<TableInfo, 'sql'>): Promise<number> {
  const rows = await queryRows<{ n: number | string }>(db, `select count(*) as n from ${table.sql}`);
  return Number(rows[0]?.n ?? 0);
}
