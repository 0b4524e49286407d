import type { ConnectionFlags } from '../cli/options.js';
import { sessionOptionsFrom, targetOptionsFrom } from '../cli/options.js';
import { openPostgres, type PostgresDatabase } from './postgres.js';
import { openSqlite, type SqliteDb } from './sqlite.js';
import { resolveTarget, type DatabaseTarget, type PostgresTarget, type SqliteTarget } from './target.js';

export type OpenedDatabase =
  | { kind: 'postgres'; target: PostgresTarget; pg: PostgresDatabase; close(): Promise<void> }
  | { kind: 'sqlite'; target: SqliteTarget; sqlite: SqliteDb; close(): Promise<void> };

/** Resolves and opens the database named by the shared connection flags. */
export async function openFromFlags(
  flags: ConnectionFlags,
  options: { write?: boolean; maxConnections?: number; target?: DatabaseTarget } = {},
): Promise<OpenedDatabase> {
  const session = sessionOptionsFrom(flags);
  const target = options.target ?? resolveTarget(targetOptionsFrom(flags));
  if (target.kind === 'sqlite') {
    const sqlite = openSqlite(target, { write: options.write, busyTimeoutMs: Math.min(session.lockTimeoutMs, 30_000) });
    return { kind: 'sqlite', target, sqlite, close: async () => void sqlite.close() };
  }
  const pg = await openPostgres(target, { ...session, maxConnections: options.maxConnections });
  return { kind: 'postgres', target, pg, close: () => pg.close() };
}
