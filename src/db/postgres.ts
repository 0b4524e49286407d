import pg from 'pg';
import type { PostgresTarget } from './target.js';
import { placeOf } from './target.js';
import { DEFAULT_SESSION, type SessionOptions } from './session.js';
import { connectionErrorFor, isLostConnection, lostConnectionError } from './pg-errors.js';
import { isHealfixError } from '../errors.js';
import { passwordFromPgpass } from './pgpass.js';

// int8 and numeric as strings by default: sequence values reach 9.2e18, beyond a JS number.
// We keep them as bigint-safe strings and convert where we compute.

export type Queryable = Pick<pg.PoolClient, 'query'>;

export interface PostgresDatabase {
  target: PostgresTarget;
  pool: pg.Pool;
  /** Server facts read once at open. */
  serverVersionNum: number;
  close(): Promise<void>;
}

export interface OpenPostgresOptions extends Partial<SessionOptions> {
  /** Upper bound of concurrent connections (scans use two, one per core). */
  maxConnections?: number;
}

/** Opens a pool and proves it works with one round trip; connection failures become ConnectionError. */
export async function openPostgres(target: PostgresTarget, options: OpenPostgresOptions = {}): Promise<PostgresDatabase> {
  const session = { ...DEFAULT_SESSION, ...stripUndefined(options) };
  const password = target.password ?? (await passwordFromPgpass(target));
  const config: pg.PoolConfig = {
    ...(target.connectionString ? { connectionString: target.connectionString } : {}),
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    ...(password !== undefined ? { password } : {}),
    ...(target.ssl !== undefined ? { ssl: target.ssl } : {}),
    application_name: 'healfix',
    statement_timeout: session.statementTimeoutMs,
    lock_timeout: session.lockTimeoutMs,
    // A healfix transaction must never sit idle holding locks if the process stalls.
    idle_in_transaction_session_timeout: Math.max(session.statementTimeoutMs, 60_000),
    connectionTimeoutMillis: session.connectTimeoutMs,
    max: options.maxConnections ?? 2,
    idleTimeoutMillis: 5_000,
  };
  if (target.connectionString) {
    // pg lets explicit fields override the URL; keep only what the URL does not say.
    delete config.host;
    delete config.port;
    delete config.database;
    delete config.user;
    if (target.password !== undefined) delete config.password;
  }
  const pool = new pg.Pool(config);
  // An idle client dying (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => {});
  let serverVersionNum: number;
  try {
    const { rows } = await pool.query<{ v: string }>("select current_setting('server_version_num') as v");
    serverVersionNum = Number(rows[0]?.v);
  } catch (error) {
    await pool.end().catch(() => {});
    throw connectionErrorFor(placeOf(target), error);
  }
  return {
    target,
    pool,
    serverVersionNum,
    close: () => pool.end(),
  };
}

/** Runs fn with one pooled client and always releases it. */
export async function withClient<T>(db: PostgresDatabase, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.pool.connect();
  let broken = false;
  // A checked-out client whose server goes away emits 'error' besides failing its query; unheard, that
  // event would crash the process with a stack trace.
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  try {
    return await fn(client);
  } catch (error) {
    broken ||= isConnectionLevel(error);
    if (!isHealfixError(error) && isLostConnection(error)) throw lostConnectionError(placeOf(db.target), error);
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/**
 * Cancels the statements these backends are running, over a connection of its own (the pool's may all
 * be busy). Any role may cancel its own backends. Best effort: a failure here changes nothing.
 */
export async function cancelBackends(db: PostgresDatabase, pids: readonly number[]): Promise<void> {
  if (!pids.length) return;
  const client = new pg.Client({ ...db.pool.options, application_name: 'healfix' } as pg.ClientConfig);
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select pg_cancel_backend(pid) from unnest($1::int[]) as pid', [pids]);
  } catch {
    // The scan stops at its next batch anyway.
  } finally {
    await client.end().catch(() => {});
  }
}

/** BEGIN … COMMIT around fn; ROLLBACK on any error, including one thrown by fn itself. */
export async function withTransaction<T>(db: PostgresDatabase, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(db, async (client) => {
    await client.query('begin');
    try {
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    }
  });
}

/** Whether a client must be thrown away rather than pooled again: its session is gone, or the error did not come from the server (no SQLSTATE), so its state is unknown. */
function isConnectionLevel(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return !code || !/^[0-9A-Z]{5}$/.test(code) || isLostConnection(error);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export { qualified, quoteIdent, quoteLiteral } from './quote.js';
