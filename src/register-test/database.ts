/** What register-test reads through the app's database, as the flow file's `database` section says. */
import type { OpenedDatabase } from '../db/open.js';
import { quoteIdent } from '../db/postgres.js';
import type { FlowTableRef } from '../http/flow.js';

export async function queryRows(db: OpenedDatabase, sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
  if (db.kind === 'sqlite') return db.sqlite.prepare(sql).all(...params) as Record<string, unknown>[];
  let n = 0;
  const { rows } = await db.pg.pool.query(sql.replace(/\?/g, () => `$${++n}`), params);
  return rows as Record<string, unknown>[];
}

export async function tableExists(db: OpenedDatabase, table: string): Promise<boolean> {
  if (db.kind === 'sqlite') return Boolean(db.sqlite.prepare(`select 1 from sqlite_master where type = 'table' and name = ?`).get(table));
  const { rows } = await db.pg.pool.query(`select to_regclass($1) is not null as ok`, [quoteIdent(table)]);
  return Boolean((rows[0] as { ok: boolean }).ok);
}

/** Rows matching ref.column = value (0 when the table does not exist). */
export async function countRows(db: OpenedDatabase, ref: FlowTableRef, value: string): Promise<number> {
  if (!(await tableExists(db, ref.table))) return 0;
  const rows = await queryRows(db, `select count(*) as n from ${quoteIdent(ref.table)} where ${quoteIdent(ref.column)} = ?`, [value]);
  return Number(rows[0]?.n ?? 0);
}

export async function deleteRows(db: OpenedDatabase, ref: FlowTableRef, value: string): Promise<number> {
  if (!(await tableExists(db, ref.table))) return 0;
  const sql = `delete from ${quoteIdent(ref.table)} where ${quoteIdent(ref.column)} = ?`;
  if (db.kind === 'sqlite') return db.sqlite.prepare(sql).run(value).changes;
  const res = await db.pg.pool.query(sql.replace('?', '$1'), [value]);
  return res.rowCount ?? 0;
}
