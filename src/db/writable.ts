import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { ConnectionError, HealfixError } from '../errors.js';
import type { OpenedDatabase } from './open.js';
import { placeOf } from './target.js';

/**
 * The one guard every write command passes before it plans anything: a hot standby, a read-only session
 * (default_transaction_read_only) or a read-only SQLite file is one line and exit 2, with nothing attempted.
 */
export async function assertWritable(db: OpenedDatabase): Promise<void> {
  if (db.kind === 'sqlite') return assertSqliteWritable(db.target.path);
  const { rows } = await db.pg.pool.query<{ recovery: boolean; tro: string; dtro: string }>(
    `select pg_is_in_recovery() as recovery, current_setting('transaction_read_only') as tro,
            current_setting('default_transaction_read_only') as dtro`,
  );
  const facts = rows[0];
  const place = placeOf(db.target);
  if (facts?.recovery) {
    throw new ConnectionError(`${place} is a hot standby (in recovery) and accepts no writes: nothing was changed`, {
      hint: 'Run the same command against the primary. Without --fix / --purge-expired / --unlock / --clear the standby can be checked.',
    });
  }
  if (facts?.tro === 'on' || facts?.dtro === 'on') {
    throw new ConnectionError(`${place} gives this session read-only transactions (default_transaction_read_only = on): nothing was changed`, {
      hint: 'Connect as a role or to a database where default_transaction_read_only is off, or to the primary.',
    });
  }
}

function assertSqliteWritable(path: string): void {
  for (const [what, file] of [['file', path], ['folder (SQLite writes its journal there)', dirname(path)]] as const) {
    try {
      accessSync(file, constants.W_OK);
    } catch (error) {
      throw readOnlySqlite(path, `the ${what} is not writable for this user (${(error as NodeJS.ErrnoException).code ?? 'denied'})`);
    }
  }
}

/** SQLite refused a write (read-only file, folder or file system): one line, exit 2. */
export function readOnlySqlite(path: string, reason: string): HealfixError {
  return new ConnectionError(`cannot write ${path}: ${reason}; nothing was changed`, {
    hint: 'Run healfix as the user that owns the app database, or make the file and its folder writable.',
  });
}

/** better-sqlite3's SQLITE_READONLY* codes (read-only file, directory, database opened read-only). */
export function isSqliteReadOnly(error: unknown): boolean {
  return /^SQLITE_READONLY/.test(String((error as { code?: unknown } | undefined)?.code ?? ''));
}
