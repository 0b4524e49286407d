/** Pieces of the `next:` commands the state checks print: runnable, and never with a password. */
import type { OpenedDatabase } from '../db/open.js';

/** Runnable connection arguments for a nextCommand: the SQLite path (never a PostgreSQL password). */
export function connectionArgs(db: OpenedDatabase): string {
  if (db.kind !== 'sqlite') return '';
  return ` --database-url ${shellQuote(`sqlite:${db.target.path}`)}`;
}

export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}
