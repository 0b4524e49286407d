import type pg from 'pg';
import type { SessionOptions } from './session.js';

/**
 * Session limits behind a transaction-mode pooler (PgBouncer): the pooler refuses or drops them as startup
 * parameters and hands each transaction to any server session, so each transaction sets them itself.
 */

export interface SessionLimits {
  statement_timeout: number;
  lock_timeout: number;
  idle_in_transaction_session_timeout: number;
}

export function sessionLimits(session: SessionOptions): SessionLimits {
  return {
    statement_timeout: session.statementTimeoutMs,
    lock_timeout: session.lockTimeoutMs,
    // A healfix transaction must never sit idle holding locks if the process stalls.
    idle_in_transaction_session_timeout: Math.max(session.statementTimeoutMs, 60_000),
  };
}

const PER_TRANSACTION = Symbol('healfix.perTransaction');

/** True when this client's session limits are set per transaction: a pooler may hand each one to another server session. */
export function isPooledSession(client: unknown): boolean {
  return Boolean(client && typeof client === 'object' && (client as Record<symbol, unknown>)[PER_TRANSACTION]);
}

type QueryCallback = (error: Error | null, result?: pg.QueryResult) => void;

/**
 * Behind a transaction-mode pooler: every BEGIN is followed by SET LOCAL of the limits, and a statement
 * outside a transaction runs in one of its own (BEGIN; SET LOCAL …; statement; COMMIT), so whichever
 * server session runs it, it runs under statement_timeout and lock_timeout.
 */
export function limitEachTransaction(client: pg.PoolClient, limits: SessionLimits): void {
  const setLocal = Object.entries(limits).map(([name, ms]) => `set local ${name} = ${Math.round(ms)}`).join('; ');
  const original = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
  let inTransaction = false;
  const run = async (config: unknown, values: unknown): Promise<pg.QueryResult> => {
    const text = typeof config === 'string' ? config : String((config as { text?: unknown }).text ?? '');
    const head = text.trimStart().slice(0, 40).toLowerCase();
    if (/^(begin|start\s+transaction)\b/.test(head)) {
      // "begin; lock table …; select …" (one round trip): the limits go in before the statements after BEGIN,
      // and the caller still gets one result per statement it sent.
      const split = typeof config === 'string' && values === undefined ? /^(\s*(?:begin|start\s+transaction)[^;]*);([\s\S]*\S[\s\S]*)$/i.exec(config) : null;
      const result = await original(split ? split[1] : config, split ? undefined : values);
      inTransaction = true;
      await original(setLocal);
      if (!split) return result;
      const rest = await original(split[2]);
      return [result, ...(Array.isArray(rest) ? rest : [rest])] as unknown as pg.QueryResult;
    }
    if (/^(commit|end|abort|rollback)\b/.test(head) && !/^rollback\s+(to|and\s+chain)\b/.test(head)) {
      inTransaction = false;
      return original(config, values);
    }
    if (inTransaction) return original(config, values);
    await original(`begin; ${setLocal}`);
    try {
      const result = await original(config, values);
      await original('commit');
      return result;
    } catch (error) {
      await original('rollback').catch(() => {});
      throw error;
    }
  };
  const query = (config: unknown, values?: unknown, callback?: unknown): unknown => {
    // Submittables (cursors, streams) manage their own protocol; pass them through.
    if (config && typeof config === 'object' && typeof (config as { submit?: unknown }).submit === 'function') return original(config, values, callback);
    if (typeof values === 'function') [values, callback] = [undefined, values];
    const promise = run(config, values);
    if (typeof callback !== 'function') return promise;
    promise.then((result) => (callback as QueryCallback)(null, result), (error: Error) => (callback as QueryCallback)(error));
    return undefined;
  };
  (client as unknown as { query: unknown }).query = query;
  (client as unknown as Record<symbol, unknown>)[PER_TRANSACTION] = true;
}

