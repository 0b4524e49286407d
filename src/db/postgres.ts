import { Socket } from 'node:net';
import pg from 'pg';
import type { PostgresTarget } from './target.js';
import { placeOf } from './target.js';
import { DEFAULT_SESSION, type SessionOptions } from './session.js';
import { connectionErrorFor, isLostConnection, lostConnectionError, noPasswordError } from './pg-errors.js';
import { parse as parsePgUrl } from 'pg-connection-string';
import { isHealfixError } from '../errors.js';
import { registerSecret } from '../secrets.js';
import { limitEachTransaction, sessionLimits, type SessionLimits } from './per-transaction.js';
import { passwordFromPgpass } from './pgpass.js';

// int8 and numeric as strings by default: sequence values reach 9.2e18, beyond a JS number.
// We keep them as bigint-safe strings and convert where we compute.

export type Queryable = Pick<pg.PoolClient, 'query'>;

export interface PostgresDatabase {
  target: PostgresTarget;
  pool: pg.Pool;
  /** Server facts read once at open. */
  serverVersionNum: number;
  /** Behind a transaction pooler: limits set per transaction, and a backend pid names no session of ours for long. */
  pooled?: boolean;
  close(): Promise<void>;
}

export interface OpenPostgresOptions extends Partial<SessionOptions> {
  /** Upper bound of concurrent connections (scans use two, one per core). */
  maxConnections?: number;
}

/** Opens a pool and proves it works with one round trip; connection failures become ConnectionError. */
export async function openPostgres(target: PostgresTarget, options: OpenPostgresOptions = {}): Promise<PostgresDatabase> {
  const session = { ...DEFAULT_SESSION, ...stripUndefined(options) };
  const limits = sessionLimits(session);
  const base: pg.PoolConfig = {
    ...connectionFields(target),
    password: passwordSource(target),
    application_name: 'healfix',
    connectionTimeoutMillis: session.connectTimeoutMs,
    max: options.maxConnections ?? 2,
    idleTimeoutMillis: 5_000,
  };
  // Direct to PostgreSQL the limits ride on the startup packet, once per connection. A transaction-mode
  // pooler (PgBouncer) either refuses those parameters or drops them, and hands each transaction to any
  // server session: there every transaction sets them itself (SET LOCAL), which the pooler keeps.
  let opened = await tryOpen({ ...base, ...limits }, undefined);
  if ('error' in opened && /unsupported startup parameter/i.test(String((opened.error as Error | undefined)?.message))) {
    opened = await tryOpen(base, limits);
  }
  if ('error' in opened) throw connectionErrorFor(placeOf(target), opened.error);
  if (!opened.perTransaction && !limitsHold(opened.facts, limits)) {
    // Accepted but not applied (a pooler with ignore_startup_parameters): set them per transaction.
    await opened.pool.end().catch(() => {});
    opened = await tryOpen(base, limits);
    if ('error' in opened) throw connectionErrorFor(placeOf(target), opened.error);
  }
  const { pool, facts, sockets } = opened;
  return {
    target,
    pool,
    serverVersionNum: Number(facts.v),
    pooled: opened.perTransaction,
    close: async () => {
      await pool.end();
      // Terminate is sent; the server then closes each socket once its backend has exited (after writing out
      // the statistics of every table it read: ~10 ms after a large scan). Nothing is left to hear from it.
      for (const socket of sockets) socket.unref();
    },
  };
}

interface OpenFacts {
  v: string;
  /** statement_timeout and lock_timeout in milliseconds, as the session that answered has them. */
  st: string;
  lt: string;
}

type Opened = { pool: pg.Pool; facts: OpenFacts; perTransaction: boolean; sockets: Set<Socket> } | { error: unknown };

async function tryOpen(config: pg.PoolConfig, perTransaction: SessionLimits | undefined): Promise<Opened> {
  const pool = new pg.Pool(config);
  // An idle client dying (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const sockets = new Set<Socket>();
  pool.on('connect', (client) => {
    const stream = (client as unknown as { connection?: { stream?: unknown } }).connection?.stream;
    if (!(stream instanceof Socket)) return;
    sockets.add(stream);
    client.once('end', () => sockets.delete(stream));
  });
  if (perTransaction) pool.on('connect', (client) => limitEachTransaction(client, perTransaction));
  try {
    const { rows } = await pool.query<OpenFacts>(
      `select current_setting('server_version_num') as v,
              (select setting from pg_settings where name = 'statement_timeout') as st,
              (select setting from pg_settings where name = 'lock_timeout') as lt`,
    );
    return { pool, facts: rows[0]!, perTransaction: Boolean(perTransaction), sockets };
  } catch (error) {
    await pool.end().catch(() => {});
    return { error };
  }
}

function limitsHold(facts: OpenFacts, limits: SessionLimits): boolean {
  return Number(facts.st) === limits.statement_timeout && Number(facts.lt) === limits.lock_timeout;
}

/** The connection fields pg gets: parsed from the URL here, so no password ever travels in a string. */
function connectionFields(target: PostgresTarget): pg.PoolConfig {
  if (!target.connectionString) {
    return { host: target.host, port: target.port, database: target.database, user: target.user, ...(target.ssl !== undefined ? { ssl: target.ssl } : {}) };
  }
  const parsed = parsePgUrl(target.connectionString) as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'password' || value === '' || value === undefined || value === null) continue;
    fields[key] = value;
  }
  if (fields.port !== undefined) fields.port = Number(fields.port);
  return fields as pg.PoolConfig;
}

/**
 * The password, asked for only when the server asks: the target's own, else ~/.pgpass (read here, so pg's
 * deprecated lookup and its warning never run), else one clear error instead of pg's SCRAM TypeError,
 * which it raised where nothing caught it and the connection hung.
 */
function passwordSource(target: PostgresTarget): () => Promise<string> {
  // pg calls this as a method of the connecting client; on failure pg leaves that socket open (the server
  // waits for our answer), which alone kept the process alive: close it.
  return async function (this: unknown) {
    try {
      return await lookUpPassword(target);
    } catch (error) {
      const stream = (this as { connection?: { stream?: { destroy(): void } } } | undefined)?.connection?.stream;
      setImmediate(() => stream?.destroy());
      throw error;
    }
  };
}

async function lookUpPassword(target: PostgresTarget): Promise<string> {
  if (target.password !== undefined) return target.password;
  // As libpq: PGPASSWORD applies to a URL or .env target that names no password.
  const fromEnv = process.env.PGPASSWORD || undefined;
  if (fromEnv !== undefined) {
    registerSecret(fromEnv);
    return fromEnv;
  }
  const fromFile = await passwordFromPgpass(target);
  if (fromFile !== undefined) {
    registerSecret(fromFile);
    return fromFile;
  }
  throw noPasswordError(placeOf(target));
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
  // Behind a transaction pooler that pid may be serving another client's transaction by now.
  if (!pids.length || db.pooled) return;
  // pg-pool keeps the password non-enumerable: a spread of its options would drop it.
  const client = new pg.Client({ ...db.pool.options, password: db.pool.options.password, application_name: 'healfix' } as pg.ClientConfig);
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
export { isPooledSession } from './per-transaction.js';
