import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { ConnectionError, MissingDriverError } from '../errors.js';
import type { SqliteTarget } from './target.js';

export type SqliteDb = BetterSqlite3.Database;

export interface OpenSqliteOptions {
  /** Opens read-write; only after a confirmed fix or purge. */
  write?: boolean;
  /** How long to wait for a writer holding the database (ms). */
  busyTimeoutMs?: number;
}

/**
 * Opens an SQLite file with better-sqlite3 (synchronous, supports WAL, the driver Flask apps' files
 * are routinely read with). Read-only unless asked: a live WAL database is never written by a check.
 */
export function openSqlite(target: SqliteTarget, options: OpenSqliteOptions = {}): SqliteDb {
  const Database = loadDriver();
  if (!existsSync(target.path)) {
    throw new ConnectionError(`cannot open ${target.path}: no such file`, {
      hint: 'Give the path of the app database, e.g. --database-url sqlite:data/sana_toolkit.db',
    });
  }
  try {
    const db = new Database(target.path, { readonly: !options.write, fileMustExist: true, timeout: options.busyTimeoutMs ?? 5_000 });
    // Fails here, not later, if the file is not a database.
    db.prepare('select count(*) from sqlite_master').get();
    return db;
  } catch (error) {
    throw new ConnectionError(`cannot open ${target.path}: ${(error as Error).message}`, { cause: error });
  }
}

function loadDriver(): typeof BetterSqlite3 {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  } catch (error) {
    throw new MissingDriverError('SQLite support needs the better-sqlite3 package, which is not installed', {
      hint: 'Install it next to healfix: npm install better-sqlite3 (it builds from source where no prebuilt binary exists).',
      cause: error,
    });
  }
}
