/** `rate-limits --clear KEY`, `--unlock ACCOUNT`, `--purge-expired`: plans and the writes behind them. */
import type { OpenedDatabase } from '../db/open.js';
import { quoteIdent } from '../db/postgres.js';
import type { RateLimitsResult } from '../checks/rate-limits.js';
import { queryRows } from '../db/query.js';
import { UsageError } from '../errors.js';
import { inWriteTransaction, purgeExpiredRows, purgePlan, type PurgeStep } from './write.js';

export interface RateLimitWrite {
  action: 'clear' | 'unlock' | 'purge-expired';
  steps: PurgeStep[];
  /** Runs the plan on a database opened for writing; returns rows changed per table. */
  apply(db: OpenedDatabase): Promise<{ table: string; changed: number }[]>;
}

const keyExpr = (db: OpenedDatabase, column: string) => (db.kind === 'postgres' ? `${quoteIdent(column)}::text` : quoteIdent(column));

/** Plan for --clear KEY: deletes the key's window so its next request starts afresh. */
export async function planClearKey(db: OpenedDatabase, result: RateLimitsResult, key: string): Promise<RateLimitWrite> {
  const target = result.writeTargets.rateLimit;
  if (!target) {
    throw new UsageError('--clear: there is no rate-limit table to clear a key from', {
      hint: 'The app keeps its limits in memory: restart it to reset them, or see healfix register-test --url <app-url>.',
    });
  }
  const sql = `delete from ${target.sqlTable} where ${target.keySql} = ?`;
  const rows = await queryRows<{ n: number | string }>(db, `select count(*) as n from ${target.sqlTable} where ${target.keySql} = ?`, [key]);
  const count = Number(rows[0]?.n ?? 0);
  if (count === 0) throw new UsageError(`--clear: no key "${key}" in ${target.table}`, { hint: 'List the keys with healfix rate-limits (blocked and top keys) or --json.' });
  return {
    action: 'clear',
    steps: [{ table: target.table, sql: sql.replace('?', `'${key.replace(/'/g, "''")}'`), rows: count }],
    apply: (writeDb) => inWriteTransaction(writeDb, async (s) => [{ table: target.table, changed: await s.run(sql, [key]) }]),
  };
}

/** Plan for --unlock ACCOUNT: zero the failure counter and lift the lock. */
export async function planUnlock(db: OpenedDatabase, result: RateLimitsResult, account: string): Promise<RateLimitWrite> {
  const target = result.writeTargets.lockout;
  if (!target || (!target.attemptsColumn && !target.lockedColumn)) {
    throw new UsageError('--unlock: no table with account lockout columns (login_attempts, locked_until, ...) found');
  }
  const sets = [
    target.attemptsColumn ? `${quoteIdent(target.attemptsColumn)} = 0` : '',
    target.lockedColumn ? `${quoteIdent(target.lockedColumn)} = null` : '',
  ].filter(Boolean).join(', ');
  const where = `lower(${keyExpr(db, target.identityColumn)}) = lower(?)`;
  const rows = await queryRows<{ n: number | string }>(db, `select count(*) as n from ${target.sqlTable} where ${where}`, [account]);
  const count = Number(rows[0]?.n ?? 0);
  if (count === 0) throw new UsageError(`--unlock: no account "${account}" in ${target.table} (matched on ${target.identityColumn})`);
  const sql = `update ${target.sqlTable} set ${sets} where ${where}`;
  return {
    action: 'unlock',
    steps: [{ table: target.table, sql: sql.replace('?', `'${account.replace(/'/g, "''")}'`), rows: count }],
    apply: (writeDb) => inWriteTransaction(writeDb, async (s) => [{ table: target.table, changed: await s.run(sql, [account]) }]),
  };
}

/** Plan for --purge-expired: finished windows. */
export function planPurgeExpiredWindows(result: RateLimitsResult): RateLimitWrite {
  if (!result.writeTargets.rateLimit) {
    throw new UsageError('--purge-expired: there is no rate-limit table', { hint: 'The app keeps its limits in memory; nothing to purge.' });
  }
  const targets = result.purgeTargets.filter((t) => t.expiredRows > 0);
  return {
    action: 'purge-expired',
    steps: purgePlan(targets),
    apply: async (writeDb) => (await purgeExpiredRows(writeDb, targets)).map((r) => ({ table: r.table, changed: r.deleted })),
  };
}
