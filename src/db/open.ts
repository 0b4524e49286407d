import type { ConnectionFlags } from '../cli/options.js';
import { sessionOptionsFrom, targetOptionsFrom } from '../cli/options.js';
import { openPostgres, type PostgresDatabase } from './postgres.js';
import { openSqlite, type SqliteDb } from './sqlite.js';
import type { SessionOptions } from './session.js';
import { assertWritable } from './writable.js';
import { resolveTarget, type DatabaseTarget, type PostgresTarget, type SqliteTarget } from './target.js';

export type OpenedDatabase =
  | { kind: 'postgres'; target: PostgresTarget; pg: PostgresDatabase; close(): Promise<void> }
  | { kind: 'sqlite'; target: SqliteTarget; sqlite: SqliteDb; close(): Promise<void> };

/** Resolves and opens the database named by the shared connection flags. */
export async function openFromFlags(
  flags: ConnectionFlags,
  options: { write?: boolean; maxConnections?: number; target?: DatabaseTarget; intendsWrite?: boolean } = {},
): Promise<OpenedDatabase> {
  const session = sessionOptionsFrom(flags);
  const target = options.target ?? resolveTarget(targetOptionsFrom(flags));
  const opened = await openTarget(target, session, options);
  // A command that will write learns before it plans anything that this database accepts no writes.
  if (options.intendsWrite) {
    try {
      await assertWritable(opened);
    } catch (error) {
      await opened.close().catch(() => {});
      throw error;
    }
  }
  return opened;
}

async function openTarget(target: DatabaseTarget, session: SessionOptions, options: { write?: boolean; maxConnections?: number }): Promise<OpenedDatabase> {
  if (target.kind === 'sqlite') {
    const sqlite = openSqlite(target, { write: options.write, busyTimeoutMs: Math.min(session.lockTimeoutMs, 30_000) });
    return { kind: 'sqlite', target, sqlite, close: async () => void sqlite.close() };
  }
  const pg = await openPostgres(target, { ...session, maxConnections: options.maxConnections });
  return { kind: 'postgres', target, pg, close: () => pg.close() };
}
