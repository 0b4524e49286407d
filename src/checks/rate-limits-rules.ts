/**
 * rate-limits, step 3: pure rules over rows already read. Windows (key, hits, window end, blocked
 * until) and lockouts (judged by the stack's semantics in src/knowledge/rules.ts). No database here.
 */
import { attachCompanionRows, judgeLimiterRow, endTime, limitOf, overLimit, type Row, type Settings } from '../knowledge/rules.js';
import type { LimiterTable } from '../knowledge/types.js';
import { msFromNow, parseDbTime, showTime, type DbClock, type DbTime } from './db-time.js';
import type { LockedAccount, RateLimitKey } from './rate-limits.js';

export interface WindowRow {
  k: unknown;
  h: unknown;
  x?: unknown;
  b?: unknown;
}

export interface JudgedWindows {
  keys: (RateLimitKey & { x?: DbTime })[];
  blocked: RateLimitKey[];
  top: RateLimitKey[];
  stale: (RateLimitKey & { x?: DbTime })[];
  expiredNow: number;
}

export function judgeWindows(rows: WindowRow[], clock: DbClock, options: { limit?: number; staleAfterMs: number; top: number }): JudgedWindows {
  const keys = rows.map((r) => {
    const x = parseDbTime(r.x);
    const b = parseDbTime(r.b);
    const inMs = x ? msFromNow(clock, x) : undefined;
    const active = inMs === undefined || inMs > 0;
    const blockedByColumn = b !== undefined && msFromNow(clock, b) > 0;
    const hits = Number(r.h ?? 0);
    const overLimitNow = options.limit !== undefined && active && hits > options.limit;
    const until = blockedByColumn ? msFromNow(clock, b) : overLimitNow ? inMs : undefined;
    return {
      key: String(r.k),
      hits,
      ...(x ? { expiresAt: showTime(x) } : {}),
      blocked: blockedByColumn || overLimitNow,
      ...(until !== undefined ? { secondsUntilUnblock: Math.ceil(until / 1000) } : {}),
      active,
      x,
    };
  });
  const strip = ({ x: _x, ...rest }: RateLimitKey & { x?: DbTime }): RateLimitKey => rest;
  return {
    keys,
    stale: keys.filter((k) => k.x && msFromNow(clock, k.x) < -options.staleAfterMs),
    expiredNow: keys.filter((k) => k.x && msFromNow(clock, k.x) <= 0).length,
    blocked: keys.filter((k) => k.blocked).sort((a, b) => (b.secondsUntilUnblock ?? Infinity) - (a.secondsUntilUnblock ?? Infinity)).map(strip),
    top: keys.filter((k) => k.active).sort((a, b) => b.hits - a.hits).slice(0, options.top).map(strip),
  };
}

export interface JudgedLockouts {
  threshold?: number;
  locked: LockedAccount[];
  /** Not locked, but the counter is at (or past) the limit: the next failure locks again. */
  atThreshold: LockedAccount[];
}

export function judgeLockouts(spec: LimiterTable, rows: Row[], clock: DbClock, settings: Settings): JudgedLockouts {
  const threshold = limitOf(spec, settings);
  const accounts = attachCompanionRows(spec, rows).map((row) => {
    const v = judgeLimiterRow(spec, row, clock, settings);
    const end = v.locked ? endTime(spec.ends, row, settings) : spec.ends.kind === 'column' ? parseDbTime(row[spec.ends.column]) : undefined;
    const account: LockedAccount = {
      account: v.key,
      attempts: v.count ?? 0,
      ...(end ? { lockedUntil: showTime(end) } : {}),
      locked: v.locked,
      ...(v.locked && typeof v.endsInMs === 'number' ? { secondsUntilUnlock: Math.ceil(v.endsInMs / 1000) } : {}),
    };
    return { account, atLimit: v.count !== undefined && threshold !== undefined && overLimit(spec, v.count, threshold) };
  });
  return {
    ...(threshold !== undefined ? { threshold } : {}),
    locked: accounts.filter((a) => a.account.locked).map((a) => a.account),
    atThreshold: accounts.filter((a) => !a.account.locked && a.atLimit && spec.counter).map((a) => a.account),
  };
}
