/**
 * Rate-limit tables (express-rate-limit / rate-limiter-flexible style stores, home-made throttles) and
 * account lockout columns (users.login_attempts / locked_until). Where there is no such table the app
 * keeps its limits in memory (both seed apps do): we say so and point at register-test.
 */
import type { OpenedDatabase } from '../db/open.js';
import { quoteIdent } from '../db/postgres.js';
import type { CheckResult, Finding } from './types.js';
import { worstSeverity } from './types.js';
import { humanDuration, msFromNow, parseDbTime, showTime, type DbTime } from './db-time.js';
import {
  describeTables, mappedColumn, parseColumnMapping, pickColumn, requireTable, type TableInfo,
} from '../db/catalog.js';
import { queryRows, readClock, selectText } from '../db/query.js';
import { connectionArgs, shellQuote } from './next-command.js';
import type { DiscoveredTable, PurgeTarget } from './state-tables.js';
import { UsageError } from '../errors.js';

export const RATE_LIMIT_ROLES = ['key', 'hits', 'expires', 'blocked', 'users.identity', 'users.attempts', 'users.locked'] as const;

export interface RateLimitsOptions {
  /** --table: the rate-limit table. */
  table?: string;
  /** Role -> column (see RATE_LIMIT_ROLES), or the raw --columns text. */
  columns?: Record<string, string> | string;
  /** --limit: hits allowed per window; a key above it is blocked until its window resets. */
  limit?: number;
  /** Failed logins that lock an account (SANA: 5). */
  lockoutThreshold?: number;
  /** Windows expired longer than this are "never purged" (default 1 h). */
  staleAfterMs?: number;
  /** How many keys to list by hits (default 10). */
  top?: number;
  now?: Date;
}

export interface RateLimitKey {
  key: string;
  hits: number;
  /** Window end / expiry; undefined: never expires. */
  expiresAt?: string;
  /** Blocked right now: seconds until it unblocks (undefined when never). */
  blocked: boolean;
  secondsUntilUnblock?: number;
  active: boolean;
}

export interface LockedAccount {
  account: string;
  attempts: number;
  lockedUntil?: string;
  locked: boolean;
  secondsUntilUnlock?: number;
}

export interface RateLimitsResult {
  tables: DiscoveredTable[];
  /** No rate-limit table: limits live in the app's process memory. */
  inMemoryOnly: boolean;
  rateLimit?: { table: string; rows: number; active: number; stale: number; blocked: RateLimitKey[]; top: RateLimitKey[]; truncated?: boolean; limit?: number };
  lockout?: { table: string; threshold: number; locked: LockedAccount[]; atThreshold: LockedAccount[]; identityColumn: string };
  findings: Finding[];
  purgeTargets: PurgeTarget[];
  clock: { now: string };
  /** Internal handles for --clear / --unlock. */
  writeTargets: { rateLimit?: { table: string; sqlTable: string; keyColumn: string; /** The key as text, as shown. */ keySql: string }; lockout?: { table: string; sqlTable: string; identityColumn: string; attemptsColumn?: string; lockedColumn?: string } };
}

const RL_NAME = /rate_?limit|ratelimit|throttl|limiter|^rl_|request_?counts?|api_?usage|login_?attempts?|failed_?logins?|attempts$/i;
const KEY = ['key', 'rate_key', 'bucket', 'identifier', 'ip', 'ip_address', 'client_ip', 'client', 'remote_addr', 'email', 'username', 'id'];
const HITS = ['points', 'hits', 'total_hits', 'count', 'attempts', 'requests', 'request_count', 'counter', 'consumed'];
const EXPIRES = ['expire', 'expires_at', 'expires', 'expire_at', 'reset_at', 'reset_time', 'resets_at', 'expiry', 'window_end', 'valid_until'];
const BLOCKED = ['blocked_until', 'block_until', 'banned_until', 'blocked_till'];
const ATTEMPTS = ['login_attempts', 'failed_attempts', 'failed_login_attempts', 'failed_logins', 'failed_login_count'];
const LOCKED = ['locked_until', 'lockout_until', 'lock_until', 'locked_till'];
const IDENTITY = ['email', 'email_address', 'username', 'login', 'user_id', 'id'];
const ROW_CAP = 100_000;

export async function inspectRateLimits(db: OpenedDatabase, options: RateLimitsOptions = {}): Promise<RateLimitsResult> {
  const mapping = typeof options.columns === 'string' ? parseColumnMapping(options.columns, RATE_LIMIT_ROLES) : (options.columns ?? {});
  const tables = await describeTables(db);
  const clock = await readClock(db, options.now);
  const args = connectionArgs(db);
  const staleAfter = options.staleAfterMs ?? 3_600_000;
  const threshold = options.lockoutThreshold ?? 5;
  const result: RateLimitsResult = { tables: [], inMemoryOnly: true, findings: [], purgeTargets: [], clock: { now: new Date(clock.nowMs).toISOString() }, writeTargets: {} };
  const f = result.findings;
  const cmd = (rest: string) => `healfix rate-limits${rest}${args}${options.table ? ` --table ${shellQuote(options.table)}` : ''}${typeof options.columns === 'string' && options.columns ? ` --columns ${shellQuote(options.columns)}` : ''}`;

  const lockoutTable = tables.find((t) => pickColumn(t, ATTEMPTS) || pickColumn(t, LOCKED) || (mapping['users.locked'] && t.name === 'users'));
  const rlTable = options.table
    ? requireTable(tables, options.table, '--table', db)
    : tables.find((t) => t !== lockoutTable && RL_NAME.test(t.name) && pickColumn(t, KEY) && pickColumn(t, HITS)) ??
      tables.find((t) => t !== lockoutTable && looksRateLimit(t));

  if (rlTable) {
    result.inMemoryOnly = false;
    const key = mappedColumn(rlTable, 'key', mapping) ?? pickColumn(rlTable, KEY) ?? rlTable.columns.find((c) => c.primaryKey)?.name;
    const hits = mappedColumn(rlTable, 'hits', mapping) ?? pickColumn(rlTable, HITS);
    const blockedCol = mappedColumn(rlTable, 'blocked', mapping) ?? pickColumn(rlTable, BLOCKED);
    const expires = mappedColumn(rlTable, 'expires', mapping) ?? pickColumn(rlTable, EXPIRES, [blockedCol]);
    if (!key || !hits) {
      throw new UsageError(`table ${rlTable.display} has no ${!key ? 'key' : 'hit-count'} column healfix recognises`, {
        hint: `Map it with --columns key=COLUMN,hits=COLUMN,expires=COLUMN; its columns: ${rlTable.columns.map((c) => c.name).join(', ')}`,
      });
    }
    result.tables.push({
      role: 'rate-limit',
      table: rlTable.display,
      reason: options.table ? 'named with --table' : `a key (${key}), a hit count (${hits})${expires ? ` and a window end (${expires})` : ''}${RL_NAME.test(rlTable.name) ? ' in a table named like a limiter' : ''}`,
      columns: Object.fromEntries(Object.entries({ key, hits, expires, blocked: blockedCol }).filter(([, v]) => v)) as Record<string, string>,
    });
    // inet keys read as 192.0.2.7, not 192.0.2.7/32.
    const keyType = rlTable.columns.find((c) => c.name === key)?.type ?? '';
    const keySql = db.kind === 'postgres' ? (keyType === 'inet' ? `host(${quoteIdent(key)})` : `${quoteIdent(key)}::text`) : quoteIdent(key);
    result.writeTargets.rateLimit = { table: rlTable.display, sqlTable: rlTable.sql, keyColumn: key, keySql };
    const rows = await queryRows<Record<string, unknown>>(db, [
      `select ${keySql} as k, ${quoteIdent(hits)} as h`,
      expires ? `, ${selectText(db, expires, 'x')}` : '',
      blockedCol ? `, ${selectText(db, blockedCol, 'b')}` : '',
      ` from ${rlTable.sql} limit ${ROW_CAP}`,
    ].join(''));
    const keys = rows.map((r) => {
      const x = parseDbTime(r.x);
      const b = parseDbTime(r.b);
      const inMs = x ? msFromNow(clock, x) : undefined;
      const active = inMs === undefined || inMs > 0;
      const blockedByColumn = b !== undefined && msFromNow(clock, b) > 0;
      const hitCount = Number(r.h ?? 0);
      const overLimit = options.limit !== undefined && active && hitCount > options.limit;
      const until = blockedByColumn ? msFromNow(clock, b) : overLimit ? inMs : undefined;
      const entry: RateLimitKey & { x?: DbTime } = {
        key: String(r.k),
        hits: hitCount,
        ...(x ? { expiresAt: showTime(x) } : {}),
        blocked: blockedByColumn || overLimit,
        ...(until !== undefined ? { secondsUntilUnblock: Math.ceil(until / 1000) } : {}),
        active,
        x,
      };
      return entry;
    });
    const stale = keys.filter((k) => k.x && msFromNow(clock, k.x) < -staleAfter);
    const expiredNow = keys.filter((k) => k.x && msFromNow(clock, k.x) <= 0);
    const strip = ({ x: _x, ...rest }: RateLimitKey & { x?: DbTime }): RateLimitKey => rest;
    const blocked = keys.filter((k) => k.blocked).sort((a, b) => (b.secondsUntilUnblock ?? Infinity) - (a.secondsUntilUnblock ?? Infinity)).map(strip);
    const top = keys.filter((k) => k.active).sort((a, b) => b.hits - a.hits).slice(0, options.top ?? 10).map(strip);
    const total = rows.length < ROW_CAP ? rows.length : Number((await queryRows<{ n: number }>(db, `select count(*) as n from ${rlTable.sql}`))[0]?.n ?? 0);
    result.rateLimit = {
      table: rlTable.display, rows: total, active: keys.filter((k) => k.active).length, stale: stale.length, blocked, top,
      ...(total > rows.length ? { truncated: true } : {}), ...(options.limit !== undefined ? { limit: options.limit } : {}),
    };
    if (expires) result.purgeTargets.push({ role: 'rate-limit', table: rlTable.display, sqlTable: rlTable.sql, keyColumn: key, expiresColumn: expires, expiredRows: expiredNow.length });

    for (const k of blocked.slice(0, 20)) {
      f.push({
        check: 'rate-limits',
        severity: 'warn',
        title: `${k.key} is blocked ${k.secondsUntilUnblock !== undefined ? `for ${k.secondsUntilUnblock} s more` : 'with no expiry'} (${k.hits} hits)`,
        detail: `Requests keyed "${k.key}" are refused (429) until ${k.secondsUntilUnblock !== undefined ? 'the window resets' : 'someone clears the row: its window never expires'}.`,
        hint: 'Wait it out, or clear the key if the block is a test artefact or a mistake.',
        nextCommand: cmd(` --clear ${shellQuote(k.key)}`),
        subject: k.key,
        data: { key: k.key, hits: k.hits, secondsUntilUnblock: k.secondsUntilUnblock },
      });
    }
    if (blocked.length > 20) {
      f.push({ check: 'rate-limits', severity: 'warn', title: `${blocked.length - 20} more keys are blocked`, nextCommand: cmd(' --json'), subject: rlTable.display });
    }
    if (stale.length) {
      const oldestX = stale.reduce((a, b) => (a.x!.ms < b.x!.ms ? a : b)).x!;
      f.push({
        check: 'rate-limits',
        severity: 'warn',
        title: `${stale.length} rate-limit windows in ${rlTable.display} expired long ago and were never purged (oldest ${humanDuration(msFromNow(clock, oldestX))} ago)`,
        detail: 'The store never deletes finished windows; the table grows with every client ever seen and lookups slow down.',
        hint: 'Purge them now and enable the store\'s expiry cleanup (rate-limiter-flexible: clearExpiredByTimeout; or a scheduled DELETE).',
        nextCommand: cmd(' --purge-expired'),
        subject: rlTable.display,
        data: { rows: stale.length, oldestExpiresAt: showTime(oldestX) },
      });
    }
    if (options.limit === undefined && !blockedCol && keys.length) {
      f.push({
        check: 'rate-limits',
        severity: 'ok',
        title: `${rlTable.display} has no block column: pass --limit N (the app's allowance per window) to see which keys are blocked`,
        nextCommand: cmd(` --limit ${Math.max(1, top[0]?.hits ?? 1)}`),
        subject: rlTable.display,
      });
    }
  } else {
    result.tables.push({ role: 'rate-limit', table: '(none)', reason: 'no table named or shaped like a rate-limit store (a key, a hit count, a window end)', columns: {} });
    f.push({
      check: 'rate-limits',
      severity: 'ok',
      title: 'no rate-limit table: the app keeps its request limits in process memory',
      detail: 'Nothing in the database says who is limited; a restart resets every limit, and with several worker processes each keeps its own count. The limiter can only be read from the server\'s answers (429, Retry-After, "Please wait N seconds").',
      hint: 'Run register-test against the running app: it reports which limiter answered and when it lets you in again.',
      nextCommand: 'healfix register-test --url <app-url>',
    });
  }

  if (lockoutTable) {
    const identity = mappedColumn(lockoutTable, 'identity', mapping, 'users.identity') ?? pickColumn(lockoutTable, IDENTITY) ?? lockoutTable.columns.find((c) => c.primaryKey)?.name;
    const attempts = mappedColumn(lockoutTable, 'attempts', mapping, 'users.attempts') ?? pickColumn(lockoutTable, ATTEMPTS);
    const locked = mappedColumn(lockoutTable, 'locked', mapping, 'users.locked') ?? pickColumn(lockoutTable, LOCKED);
    if (identity) {
      result.tables.push({
        role: 'lockout',
        table: lockoutTable.display,
        reason: `account lockout columns ${[attempts, locked].filter(Boolean).join(' and ')}`,
        columns: Object.fromEntries(Object.entries({ identity, attempts, locked }).filter(([, v]) => v)) as Record<string, string>,
      });
      result.writeTargets.lockout = { table: lockoutTable.display, sqlTable: lockoutTable.sql, identityColumn: identity, attemptsColumn: attempts, lockedColumn: locked };
      const where = [attempts ? `${quoteIdent(attempts)} > 0` : '', locked ? `${quoteIdent(locked)} is not null` : ''].filter(Boolean).join(' or ');
      const rows = await queryRows<Record<string, unknown>>(db, [
        `select ${selectText(db, identity, 'i')}`,
        attempts ? `, ${quoteIdent(attempts)} as a` : '',
        locked ? `, ${selectText(db, locked, 'l')}` : '',
        ` from ${lockoutTable.sql} where ${where} limit ${ROW_CAP}`,
      ].join(''));
      const accounts = rows.map((r): LockedAccount => {
        const l = parseDbTime(r.l);
        const inMs = l ? msFromNow(clock, l) : undefined;
        return {
          account: String(r.i),
          attempts: Number(r.a ?? 0),
          ...(l ? { lockedUntil: showTime(l) } : {}),
          locked: inMs !== undefined && inMs > 0,
          ...(inMs !== undefined && inMs > 0 ? { secondsUntilUnlock: Math.ceil(inMs / 1000) } : {}),
        };
      });
      const lockedNow = accounts.filter((a) => a.locked);
      const atThreshold = accounts.filter((a) => !a.locked && attempts && a.attempts >= threshold);
      result.lockout = { table: lockoutTable.display, threshold, locked: lockedNow, atThreshold, identityColumn: identity };
      for (const a of lockedNow.slice(0, 20)) {
        f.push({
          check: 'rate-limits',
          severity: 'warn',
          title: `account ${a.account} is locked for ${humanDuration((a.secondsUntilUnlock ?? 0) * 1000)} more (${a.attempts} failed logins)`,
          detail: `Logins are refused until ${a.lockedUntil}${a.secondsUntilUnlock !== undefined ? ` (in ${a.secondsUntilUnlock} s)` : ''}.`,
          hint: 'Wait for the lock to lapse, or unlock the account if the owner is known.',
          nextCommand: cmd(` --unlock ${shellQuote(a.account)}`),
          subject: a.account,
          data: { account: a.account, attempts: a.attempts, lockedUntil: a.lockedUntil, secondsUntilUnlock: a.secondsUntilUnlock },
        });
      }
      for (const a of atThreshold.slice(0, 20)) {
        f.push({
          check: 'rate-limits',
          severity: 'warn',
          title: `account ${a.account} has ${a.attempts} failed logins (lockout at ${threshold}) but is not locked`,
          detail: 'The failure counter was never reset after the last lock lapsed (or the lock never applied): the next wrong password locks the account again at once.',
          hint: 'Reset the counter on a successful login and when a lock expires.',
          nextCommand: cmd(` --unlock ${shellQuote(a.account)}`),
          subject: a.account,
          data: { account: a.account, attempts: a.attempts },
        });
      }
    }
  }
  return result;
}

/** Doctor's view. 'ok' with the in-memory note when there is no table; the lockout part still counts. */
export function rateLimitsCheckResult(result: RateLimitsResult): CheckResult {
  const problems = result.findings.filter((f) => f.severity !== 'ok');
  const parts: string[] = [];
  if (result.rateLimit) parts.push(`${result.rateLimit.rows} rate-limit keys in ${result.rateLimit.table} (${result.rateLimit.blocked.length} blocked, ${result.rateLimit.stale} stale)`);
  else parts.push('limits in process memory (no table)');
  if (result.lockout) parts.push(`${result.lockout.locked.length} locked account${result.lockout.locked.length === 1 ? '' : 's'}`);
  return {
    check: 'rate-limits',
    status: worstSeverity(result.findings),
    summary: `${parts.join(', ')}; ${problems.length ? `${problems.length} problem${problems.length === 1 ? '' : 's'}` : 'no problems'}`,
    findings: result.findings,
  };
}

function looksRateLimit(t: TableInfo): boolean {
  return Boolean(pickColumn(t, KEY.filter((k) => k !== 'id')) && pickColumn(t, HITS) && (pickColumn(t, EXPIRES) || pickColumn(t, BLOCKED)));
}
