/**
 * temp-registrations, step 2: read the rows (never a code, never a password hash) and turn them into
 * judged records with the pure rules of temp-registrations-rules.ts.
 */
import type { OpenedDatabase } from '../db/open.js';
import { quoteIdent } from '../db/postgres.js';
import { countRows, queryRows, selectText } from '../db/query.js';
import { holds } from '../knowledge/rules.js';
import type { RowCondition } from '../knowledge/types.js';
import type { DbClock } from './db-time.js';
import type { CodeSource, PendingSource } from './temp-registrations-discover.js';
import { judgeCodes, judgePending, type JudgedOtp, type JudgedPending } from './temp-registrations-rules.js';

export const ROW_CAP = 100_000;

function conditionColumns(c: RowCondition | undefined): string[] {
  if (!c) return [];
  if ('all' in c) return c.all.flatMap(conditionColumns);
  if ('any' in c) return c.any.flatMap(conditionColumns);
  return [c.column];
}

/** Condition columns selected as text under "f:<column>", read back under their own names. */
function conditionSelect(db: OpenedDatabase, c: RowCondition | undefined): string {
  return [...new Set(conditionColumns(c))].map((col) => `, ${selectText(db, col, `f:${col}`)}`).join('');
}

function conditionRow(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([k]) => k.startsWith('f:')).map(([k, v]) => [k.slice(2), v]));
}

export async function readPending(db: OpenedDatabase, src: PendingSource, clock: DbClock): Promise<{ rows: JudgedPending[]; total: number; truncated: boolean }> {
  const raw = await queryRows<Record<string, unknown>>(db, [
    `select ${selectText(db, src.key, 'k')}, ${quoteIdent(src.email)} as e`,
    src.created ? `, ${selectText(db, src.created, 'c')}` : '',
    src.expires ? `, ${selectText(db, src.expires, 'x')}` : '',
    conditionSelect(db, src.filter),
    ` from ${src.table.sql} limit ${ROW_CAP}`,
  ].join(''));
  // Only rows the stack calls pending (Devise: confirmed_at is null); every row for a plain pending table.
  const rows = src.filter ? raw.filter((r) => holds(src.filter!, conditionRow(r))) : raw;
  const total = raw.length < ROW_CAP ? rows.length : src.filter ? rows.length : await countRows(db, src.table);
  return { rows: judgePending(rows, clock, src.expiresPlusMs), total, truncated: raw.length >= ROW_CAP };
}

export async function readCodes(db: OpenedDatabase, src: CodeSource, pending: JudgedPending[], clock: DbClock, hasPendingTable: boolean): Promise<{ rows: JudgedOtp[]; total: number; truncated: boolean }> {
  const raw = await queryRows<Record<string, unknown>>(db, [
    `select ${selectText(db, src.key, 'k')}, ${selectText(db, src.identifier, 'i')}`,
    src.type ? `, ${quoteIdent(src.type)} as t` : '',
    src.created ? `, ${selectText(db, src.created, 'c')}` : '',
    src.expires ? `, ${selectText(db, src.expires, 'x')}` : '',
    conditionSelect(db, src.used),
    ` from ${src.table.sql} limit ${ROW_CAP}`,
  ].join(''));
  const rows = raw.map((r) => ({ ...r, u: src.used ? holds(src.used, conditionRow(r)) : false }));
  const total = raw.length < ROW_CAP ? raw.length : await countRows(db, src.table);
  return { rows: judgeCodes(rows, pending, clock, { identifierColumn: src.identifier, hasPendingTable, expiresPlusMs: src.expiresPlusMs }), total, truncated: raw.length >= ROW_CAP };
}

/** Which of these emails already have an account (lower-cased). */
export async function readAccounts(db: OpenedDatabase, users: { table: { sql: string }; email: string }, emails: string[]): Promise<Set<string>> {
  const accounts = new Set<string>();
  const wanted = [...new Set(emails.map((e) => e.toLowerCase()))];
  for (let i = 0; i < wanted.length; i += 500) {
    const chunk = wanted.slice(i, i + 500);
    const rows = await queryRows<{ e: string }>(db, `select lower(${quoteIdent(users.email)}) as e from ${users.table.sql} where lower(${quoteIdent(users.email)}) in (${chunk.map(() => '?').join(', ')})`, chunk);
    for (const r of rows) accounts.add(r.e);
  }
  return accounts;
}

export async function accountExists(db: OpenedDatabase, users: { table: { sql: string }; email: string }, email: string): Promise<boolean> {
  const rows = await queryRows(db, `select 1 as one from ${users.table.sql} where lower(${quoteIdent(users.email)}) = ? limit 1`, [email.toLowerCase()]);
  return rows.length > 0;
}

/** An SQLite trigger on the table that deletes by datetime('now') / CURRENT_TIMESTAMP without 'localtime'. */
export function utcExpiryTrigger(db: OpenedDatabase, table: string): string | undefined {
  if (db.kind !== 'sqlite') return undefined;
  const triggers = db.sqlite.prepare("select name, sql from sqlite_master where type = 'trigger' and tbl_name = ? collate nocase").all(table) as { name: string; sql: string | null }[];
  return triggers.find((t) => t.sql && /delete/i.test(t.sql) && /(datetime|strftime|julianday)\s*\([^)]*'now'|current_timestamp/i.test(t.sql) && !/localtime/i.test(t.sql))?.name;
}
