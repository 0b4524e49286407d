/**
 * Rate-limit tables (express-rate-limit / rate-limiter-flexible style stores, home-made throttles) and
 * account lockouts (a known stack's, e.g. django-axes or Devise lockable, or users.login_attempts /
 * locked_until found by shape). discover → read → rules → findings; prints nothing. Where there is no
 * table the app keeps its limits in memory: we say so and point at register-test; where there is one
 * this role may not read, we say that instead (not verified: exit 1).
 */
import { describeAllTables, parseColumnMapping } from '../db/catalog.js';
import type { OpenedDatabase } from '../db/open.js';
import { quoteIdent } from '../db/postgres.js';
import { keyText, queryRows, readClock, selectText } from '../db/query.js';
import type { Settings } from '../knowledge/rules.js';
import { settingFlags } from '../knowledge/settings.js';
import type { LimiterTable } from '../knowledge/types.js';
import { connectionArgs, shellQuote } from './next-command.js';
import { discoverRateLimitTables, THRESHOLD_SETTING, type LockoutTable, type WindowTable } from './rate-limits-discover.js';
import { lockoutFindings, noTableFinding, unreadableFinding, windowFindings } from './rate-limits-findings.js';
import { judgeLockouts, judgeWindows, type WindowRow } from './rate-limits-rules.js';
import type { DiscoveredTable, PurgeTarget } from './state-tables.js';
import type { CheckResult, Finding } from './types.js';
import { worstSeverity } from './types.js';

export const RATE_LIMIT_ROLES = ['key', 'hits', 'expires', 'blocked', 'users.identity', 'users.attempts', 'users.locked'] as const;

export interface RateLimitsOptions {
  /** --table: the rate-limit table. */
  table?: string;
  /** Role -> column (see RATE_LIMIT_ROLES), or the raw --columns text. */
  columns?: Record<string, string> | string;
  /** --limit: hits allowed per window; a key above it is blocked until its window resets. */
  limit?: number;
  /** Failed logins that lock an account; default: the recognised stack's setting, else 5. */
  lockoutThreshold?: number;
  /** The app's settings where they differ from the stack's defaults (AXES_COOLOFF_TIME in ms, ...). */
  settings?: Settings;
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
  /** When the lock ends (a Devise lock: locked_at + unlock_in); absent when it never ends by itself. */
  lockedUntil?: string;
  locked: boolean;
  secondsUntilUnlock?: number;
}

export interface LockoutState {
  table: string;
  threshold: number;
  locked: LockedAccount[];
  atThreshold: LockedAccount[];
  identityColumn: string;
  /** The stack whose semantics were applied (src/knowledge), when one was recognised. */
  stack?: string;
  /** What the app answers while locked. */
  lockedStatus?: number;
}

export interface RateLimitsResult {
  tables: DiscoveredTable[];
  /** No rate-limit table: limits live in the app's process memory. */
  inMemoryOnly: boolean;
  rateLimit?: { table: string; rows: number; active: number; stale: number; blocked: RateLimitKey[]; top: RateLimitKey[]; truncated?: boolean; limit?: number };
  lockout?: LockoutState;
  /** Stacks recognised in the catalog, with the evidence ("django-axes: axes_accessattempt(...)"). */
  stacks: { id: string; title: string; evidence: string[] }[];
  findings: Finding[];
  purgeTargets: PurgeTarget[];
  clock: { now: string };
  /** Internal handles for --clear / --unlock. */
  writeTargets: {
    rateLimit?: { table: string; sqlTable: string; keyColumn: string; /** The key as text, as shown. */ keySql: string };
    lockout?: { table: string; sqlTable: string; spec: LimiterTable; settings: Settings; /** Column -> declared type (inet keys read without /32). */ types: Record<string, string> };
  };
}

const ROW_CAP = 100_000;

export async function inspectRateLimits(db: OpenedDatabase, options: RateLimitsOptions = {}): Promise<RateLimitsResult> {
  const mapping = typeof options.columns === 'string' ? parseColumnMapping(options.columns, RATE_LIMIT_ROLES) : (options.columns ?? {});
  const all = await describeAllTables(db);
  const clock = await readClock(db, options.now);
  const found = discoverRateLimitTables(all, db, options, mapping);
  const args = connectionArgs(db);
  const cmd = (rest: string) => `healfix rate-limits${rest}${args}${options.table ? ` --table ${shellQuote(options.table)}` : ''}${typeof options.columns === 'string' && options.columns ? ` --columns ${shellQuote(options.columns)}` : ''}${settingFlags(options.settings)}`;
  const result: RateLimitsResult = {
    tables: [], inMemoryOnly: !found.window, findings: [], purgeTargets: [], writeTargets: {},
    stacks: found.stacks.map((s) => ({ id: s.stack.id, title: s.stack.title, evidence: s.evidence })),
    clock: { now: new Date(clock.nowMs).toISOString() },
  };
  const role = db.kind === 'postgres' ? db.target.user : undefined;
  for (const u of found.unreadable) result.findings.push(unreadableFinding(u, role));
  // A limiter table we may not read is not "limits in memory".
  if (found.unreadable.some((u) => u.role === 'rate-limit')) result.inMemoryOnly = false;

  if (found.window) await readWindows(db, found.window, clock, options, cmd, result);
  else if (!found.unreadable.some((u) => u.role === 'rate-limit')) {
    result.tables.push({ role: 'rate-limit', table: '(none)', reason: 'no table named or shaped like a rate-limit store (a key, a hit count, a window end)', columns: {} });
    result.findings.push(noTableFinding(found.outside));
  }
  const lockout = found.lockouts[0];
  if (lockout) await readLockout(db, lockout, clock, options, cmd, result);
  return result;
}

async function readWindows(db: OpenedDatabase, w: WindowTable, clock: Awaited<ReturnType<typeof readClock>>, options: RateLimitsOptions, cmd: (rest: string) => string, result: RateLimitsResult): Promise<void> {
  result.tables.push({
    role: 'rate-limit',
    table: w.table.display,
    reason: w.reason,
    columns: Object.fromEntries(Object.entries({ key: w.key, hits: w.hits, expires: w.expires, blocked: w.blocked }).filter(([, v]) => v)) as Record<string, string>,
  });
  // inet keys read as 192.0.2.7, not 192.0.2.7/32.
  const keyType = w.table.columns.find((c) => c.name === w.key)?.type ?? '';
  const keySql = keyText(db, w.key, keyType);
  result.writeTargets.rateLimit = { table: w.table.display, sqlTable: w.table.sql, keyColumn: w.key, keySql };
  const rows = await queryRows<WindowRow & Record<string, unknown>>(db, [
    `select ${keySql} as k, ${quoteIdent(w.hits)} as h`,
    w.expires ? `, ${selectText(db, w.expires, 'x')}` : '',
    w.blocked ? `, ${selectText(db, w.blocked, 'b')}` : '',
    ` from ${w.table.sql} limit ${ROW_CAP}`,
  ].join(''));
  const judged = judgeWindows(rows, clock, { limit: options.limit, staleAfterMs: options.staleAfterMs ?? 3_600_000, top: options.top ?? 10 });
  const total = rows.length < ROW_CAP ? rows.length : Number((await queryRows<{ n: number }>(db, `select count(*) as n from ${w.table.sql}`))[0]?.n ?? 0);
  result.rateLimit = {
    table: w.table.display, rows: total, active: judged.keys.filter((k) => k.active).length, stale: judged.stale.length, blocked: judged.blocked, top: judged.top,
    ...(total > rows.length ? { truncated: true } : {}), ...(options.limit !== undefined ? { limit: options.limit } : {}),
  };
  if (w.expires) result.purgeTargets.push({ role: 'rate-limit', table: w.table.display, sqlTable: w.table.sql, keyColumn: w.key, expiresColumn: w.expires, expiredRows: judged.expiredNow });
  result.findings.push(...windowFindings(w.table.display, judged, clock, cmd, { limit: options.limit, hasBlockedColumn: Boolean(w.blocked) }));
}

/** The settings that apply: the stack's defaults, the app's overrides, and --lockout-threshold. */
export function lockoutSettings(spec: LimiterTable, options: Pick<RateLimitsOptions, 'settings' | 'lockoutThreshold'>): Settings {
  const settings: Settings = { ...(options.settings ?? {}) };
  if (options.lockoutThreshold !== undefined) settings[spec.limit?.setting ?? THRESHOLD_SETTING] = options.lockoutThreshold;
  return settings;
}

/** The columns a lockout's rules read, each selected as text under its own name. */
export function lockoutSelect(db: OpenedDatabase, spec: LimiterTable, types: Record<string, string>): string {
  const columns = new Set<string>([...spec.keyColumns, ...(spec.counter ? [spec.counter] : []), ...(spec.ends.kind !== 'never' ? [spec.ends.column] : []), ...conditionColumns(spec.locked)]);
  return [...columns].map((c) => {
    if (c === spec.counter) return spec.counterPattern ? selectText(db, c, c) : quoteIdent(c);
    if (spec.keyColumns.includes(c)) return `${keyText(db, c, types[c])} as ${quoteIdent(c)}`;
    return selectText(db, c, c);
  }).join(', ');
}

function conditionColumns(c: LimiterTable['locked']): string[] {
  if (!c) return [];
  if ('all' in c) return c.all.flatMap(conditionColumns);
  if ('any' in c) return c.any.flatMap(conditionColumns);
  return [c.column];
}

async function readLockout(db: OpenedDatabase, l: LockoutTable, clock: Awaited<ReturnType<typeof readClock>>, options: RateLimitsOptions, cmd: (rest: string) => string, result: RateLimitsResult): Promise<void> {
  const { spec } = l;
  const settings = lockoutSettings(spec, options);
  result.tables.push({
    role: 'lockout',
    table: l.table.display,
    reason: l.reason,
    columns: Object.fromEntries(Object.entries({ identity: spec.keyColumns.join(','), attempts: spec.counter, locked: conditionColumns(spec.locked)[0] }).filter(([, v]) => v)) as Record<string, string>,
  });
  const types = Object.fromEntries(l.table.columns.map((c) => [c.name, c.type]));
  result.writeTargets.lockout = { table: l.table.display, sqlTable: l.table.sql, spec, settings, types };
  // Only rows that can be locked or near it: a failure counted, or a lock column set.
  // (A counter stored as text, or an end kept in companion rows, needs every row.)
  const numericCounter = spec.counter && !spec.counterPattern && spec.ends.kind !== 'companion-row';
  const where = numericCounter ? [`${quoteIdent(spec.counter!)} > 0`, ...conditionColumns(spec.locked).map((c) => `${quoteIdent(c)} is not null`)].join(' or ') : '';
  const rows = await queryRows(db, `select ${lockoutSelect(db, spec, types)} from ${l.table.sql}${where ? ` where ${where}` : ''} limit ${ROW_CAP}`);
  const judged = judgeLockouts(spec, rows, clock, settings);
  result.lockout = {
    table: l.table.display,
    threshold: judged.threshold ?? 0,
    locked: judged.locked,
    atThreshold: judged.atThreshold,
    identityColumn: spec.keyColumns.join(' / '),
    ...(l.stack ? { stack: l.stack.id } : {}),
    ...(spec.lockedStatus !== undefined ? { lockedStatus: spec.lockedStatus } : {}),
  };
  result.findings.push(...lockoutFindings(judged, spec.lockedStatus, cmd));
}

/** Doctor's view. 'ok' with the in-memory note when there is no table; the lockout part still counts. */
export function rateLimitsCheckResult(result: RateLimitsResult): CheckResult {
  const problems = result.findings.filter((f) => f.severity !== 'ok');
  const parts: string[] = [];
  if (result.rateLimit) parts.push(`${result.rateLimit.rows} rate-limit keys in ${result.rateLimit.table} (${result.rateLimit.blocked.length} blocked, ${result.rateLimit.stale} stale)`);
  else if (result.inMemoryOnly) parts.push('limits in process memory (no table)');
  else parts.push('rate-limit table not readable');
  if (result.lockout) parts.push(`${result.lockout.locked.length} locked account${result.lockout.locked.length === 1 ? '' : 's'}`);
  return {
    check: 'rate-limits',
    status: worstSeverity(result.findings),
    summary: `${parts.join(', ')}; ${problems.length ? `${problems.length} problem${problems.length === 1 ? '' : 's'}` : 'no problems'}`,
    findings: result.findings,
  };
}
