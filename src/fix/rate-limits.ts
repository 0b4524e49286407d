/** `rate-limits --clear KEY`, `--unlock ACCOUNT`, `--purge-expired`: plans and the writes behind them. */
import type { OpenedDatabase } from '../db/open.js';
import { quoteIdent } from '../db/postgres.js';
import { lockoutSelect, type RateLimitsResult } from '../checks/rate-limits.js';
import { judgeLockouts } from '../checks/rate-limits-rules.js';
import type { LimiterTable } from '../knowledge/types.js';
import { keyText, queryRows, readClock } from '../db/query.js';
import { UsageError } from '../errors.js';
import { inWriteTransaction, purgeExpiredRows, purgePlan, type WritePlan } from './write-plan.js';

export interface RateLimitWrite extends WritePlan {
  action: 'clear' | 'unlock' | 'purge-expired';
}


/** Rows holding one key now (for --clear's plan and its re-read). */
export async function countKeyRows(db: OpenedDatabase, result: RateLimitsResult, key: string): Promise<number> {
  const target = result.writeTargets.rateLimit;
  if (!target) return 0;
  const rows = await queryRows<{ n: number | string }>(db, `select count(*) as n from ${target.sqlTable} where ${target.keySql} = ?`, [key]);
  return Number(rows[0]?.n ?? 0);
}

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

/** Rows of one account in the lockout table, judged now: what --unlock plans from and verifies with. */
export interface AccountLockState {
  rows: number;
  locked: number;
  atThreshold: number;
}

/** Rows of one account: any key column equal to it, and its companion row (`<key>:timer`) when there is one. */
function accountWhere(db: OpenedDatabase, spec: LimiterTable, types: Record<string, string>): string {
  const parts = spec.keyColumns.map((c) => `lower(${keyText(db, c, types[c])}) = lower(?)`);
  if (spec.ends.kind === 'companion-row') parts.push(`${keyText(db, spec.keyColumns[0]!, types[spec.keyColumns[0]!])} = ?`);
  return parts.length === 1 ? parts[0]! : `(${parts.join(' or ')})`;
}

function accountParams(spec: LimiterTable, account: string): string[] {
  const params = spec.keyColumns.map(() => account);
  if (spec.ends.kind === 'companion-row') params.push(`${account}${spec.ends.keySuffix}`);
  return params;
}

export async function readAccountLock(db: OpenedDatabase, result: RateLimitsResult, account: string, now?: Date): Promise<AccountLockState> {
  const target = requireLockout(result);
  const params = accountParams(target.spec, account);
  const rows = await queryRows(db, `select ${lockoutSelect(db, target.spec, target.types)} from ${target.sqlTable} where ${accountWhere(db, target.spec, target.types)}`, params);
  const judged = judgeLockouts(target.spec, rows, await readClock(db, now), target.settings);
  return { rows: rows.length, locked: judged.locked.length, atThreshold: judged.atThreshold.length };
}

function requireLockout(result: RateLimitsResult): NonNullable<RateLimitsResult['writeTargets']['lockout']> {
  const target = result.writeTargets.lockout;
  if (target) return target;
  // Found but not readable: say so (with the grant), not "no such table".
  const denied = result.findings.find((f) => f.data?.reason === 'permission');
  if (denied) throw new UsageError(`--unlock: ${denied.title}`, { hint: denied.hint });
  throw new UsageError('--unlock: no table with account lockout columns (login_attempts, locked_until, ...) found');
}

/**
 * Plan for --unlock ACCOUNT: the stack's own unlock (Devise: clear locked_at, failed_attempts,
 * unlock_token; axes: delete the attempts). An account that is neither locked nor at the threshold
 * gets an empty plan: nothing is written.
 */
export async function planUnlock(db: OpenedDatabase, result: RateLimitsResult, account: string): Promise<RateLimitWrite & { state: AccountLockState }> {
  const target = requireLockout(result);
  const { spec } = target;
  const state = await readAccountLock(db, result, account);
  if (state.rows === 0) throw new UsageError(`--unlock: no account "${account}" in ${target.table} (matched on ${spec.keyColumns.join(' or ')})`);
  const where = accountWhere(db, spec, target.types);
  const params = accountParams(spec, account);
  const sql = spec.unlock.kind === 'delete'
    ? `delete from ${target.sqlTable} where ${where}`
    : `update ${target.sqlTable} set ${Object.entries(spec.unlock.set).map(([c, v]) => `${quoteIdent(c)} = ${v === null ? 'null' : v}`).join(', ')} where ${where}`;
  let i = 0;
  const shown = sql.replace(/\?/g, () => `'${params[i++]!.replace(/'/g, "''")}'`);
  const needed = state.locked + state.atThreshold > 0;
  return {
    action: 'unlock',
    state,
    steps: needed ? [{ table: target.table, sql: shown, rows: state.rows }] : [],
    apply: (writeDb) => inWriteTransaction(writeDb, async (s) => [{ table: target.table, changed: await s.run(sql, params) }]),
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
