/**
 * The one way temp-registrations and rate-limits write to an app database: a plan (steps shown to the
 * user before anything changes) whose apply() runs in a single short transaction (SQLite: BEGIN
 * IMMEDIATE, under the busy timeout; PostgreSQL: BEGIN under lock_timeout/statement_timeout), rolled
 * back on any error. src/cli/apply-plan.ts shows, confirms and applies it.
 */
import type { OpenedDatabase } from '../db/open.js';
import { quoteIdent, withTransaction } from '../db/postgres.js';
import { isSqliteReadOnly, readOnlySqlite } from '../db/writable.js';
export { assertWritable } from '../db/writable.js';
import { humanDuration, msFromNow, parseDbTime } from '../checks/db-time.js';
import { numbered, readClock, selectText } from '../db/query.js';
import type { PurgeTarget } from '../checks/state-tables.js';

export interface WriteSession {
  /** Runs a statement with `?` placeholders; returns the rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  all<T extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export async function inWriteTransaction<T>(db: OpenedDatabase, fn: (session: WriteSession) => Promise<T>): Promise<T> {
  if (db.kind === 'sqlite') {
    const sqlite = db.sqlite;
    try {
      sqlite.exec('begin immediate');
    } catch (error) {
      throw isSqliteReadOnly(error) ? readOnlySqlite(db.target.path, (error as Error).message) : error;
    }
    try {
      const result = await fn({
        run: async (sql, params = []) => sqlite.prepare(sql).run(...params).changes,
        all: async <R extends Record<string, unknown>>(sql: string, params: unknown[] = []) => sqlite.prepare(sql).all(...params) as R[],
      });
      sqlite.exec('commit');
      return result;
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec('rollback');
      throw isSqliteReadOnly(error) ? readOnlySqlite(db.target.path, (error as Error).message) : error;
    }
  }
  return withTransaction(db.pg, (client) =>
    fn({
      run: async (sql, params = []) => (await client.query(numbered(sql), params)).rowCount ?? 0,
      all: async <R extends Record<string, unknown>>(sql: string, params: unknown[] = []) => (await client.query(numbered(sql), params)).rows as R[],
    }),
  );
}

/** What a write command will do, and the function that does it once confirmed. */
export interface WritePlan {
  action: string;
  steps: PurgeStep[];
  /** Runs the plan on a database opened for writing; returns rows changed per table. */
  apply(db: OpenedDatabase): Promise<{ table: string; changed: number }[]>;
}

export interface PurgeStep {
  table: string;
  /** The statement, with the key list abbreviated: shown in the plan. */
  sql: string;
  rows: number;
}

/** The plan: what --purge-expired would delete, as the check counted it. */
export function purgePlan(targets: PurgeTarget[]): PurgeStep[] {
  return targets
    .filter((t) => t.expiredRows > 0)
    .map((t) => ({
      table: t.table,
      sql: `delete from ${t.sqlTable} where ${quoteIdent(t.keyColumn)} in (<${t.expiredRows} keys whose ${t.expiresColumn}${t.expiresPlusMs ? ` + ${humanDuration(t.expiresPlusMs)}` : ''} is before now>)`,
      rows: t.expiredRows,
    }));
}

/**
 * Deletes expired rows, re-reading each table inside the transaction so rows that changed since the
 * plan are judged again; deletes by key, in chunks. Returns rows deleted per table.
 */
export async function purgeExpiredRows(db: OpenedDatabase, targets: PurgeTarget[], now?: Date): Promise<{ table: string; deleted: number }[]> {
  const clock = await readClock(db, now);
  return inWriteTransaction(db, async (session) => {
    const out: { table: string; deleted: number }[] = [];
    for (const target of targets) {
      const keySql = db.kind === 'postgres' ? `${quoteIdent(target.keyColumn)}::text` : quoteIdent(target.keyColumn);
      const rows = await session.all<{ k: unknown; x: unknown }>(
        `select ${selectText(db, target.keyColumn, 'k')}, ${selectText(db, target.expiresColumn, 'x')} from ${target.sqlTable} where ${quoteIdent(target.expiresColumn)} is not null`,
      );
      const keys = rows.filter((r) => {
        const x = parseDbTime(r.x);
        return x !== undefined && msFromNow(clock, x) + (target.expiresPlusMs ?? 0) <= 0;
      }).map((r) => r.k);
      let deleted = 0;
      for (let i = 0; i < keys.length; i += 500) {
        const chunk = keys.slice(i, i + 500);
        deleted += await session.run(`delete from ${target.sqlTable} where ${keySql} in (${chunk.map(() => '?').join(', ')})`, chunk);
      }
      out.push({ table: target.table, deleted });
    }
    return out;
  });
}
