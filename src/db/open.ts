import { openPostgres, type PostgresDatabase } from './postgres.js';
import { openSqlite, type SqliteDb } from './sqlite.js';
import { DEFAULT_SESSION, type SessionOptions } from './session.js';
import { assertWritable } from './writable.js';
import { resolveTarget, type DatabaseTarget, type PostgresTarget, type SqliteTarget, type TargetOptions } from './target.js';

export type OpenedDatabase =
  | { kind: 'postgres'; target: PostgresTarget; pg: PostgresDatabase; close(): Promise<void> }
  | { kind: 'sqlite'; target: SqliteTarget; sqlite: SqliteDb; close(): Promise<void> };

/** Where the database is and the session limits: typed options, built from flags/env/config by src/cli. */
export interface ConnectionOptions extends TargetOptions {
  session?: SessionOptions;
}

export interface OpenOptions {
  write?: boolean;
  maxConnections?: number;
  target?: DatabaseTarget;
  intendsWrite?: boolean;
}

/** Resolves and opens the database the connection options name. */
export async function openDatabase(connection: ConnectionOptions, options: OpenOptions = {}): Promise<OpenedDatabase> {
  const session = connection.session ?? DEFAULT_SESSION;
  const target = options.target ?? resolveTarget(connection);
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
