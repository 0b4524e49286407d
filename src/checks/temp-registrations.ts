/**
 * Pending signups and their one-time codes: stale, duplicated, orphaned, skewed. Works on the tables of
 * a stack src/knowledge recognises (django-allauth, Devise, …), on any schema shaped like a pending-signup
 * table plus a one-time-code table, or on tables named with --table/--otp-table/--columns.
 * discover → read → rules → findings (→ trace for --email). Prints nothing, never reads codes or
 * password hashes.
 */
import { describeAllTables, parseColumnMapping } from '../db/catalog.js';
import type { OpenedDatabase } from '../db/open.js';
import { readClock } from '../db/query.js';
import type { Settings } from '../knowledge/rules.js';
import { settingFlags } from '../knowledge/settings.js';
import { maskCode } from '../secrets.js';
import { showTime } from './db-time.js';
import { connectionArgs, shellQuote } from './next-command.js';
import type { DiscoveredTable, PurgeTarget } from './state-tables.js';
import { discoverTempRegistrationTables, type CodeSource, type PendingSource } from './temp-registrations-discover.js';
import { tempRegistrationFindings } from './temp-registrations-findings.js';
import { accountExists, readAccounts, readCodes, readPending, utcExpiryTrigger } from './temp-registrations-read.js';
import { oldest, type JudgedOtp, type JudgedPending } from './temp-registrations-rules.js';
import { traceSignup } from './temp-registrations-trace.js';
import type { CheckResult, Finding } from './types.js';
import { worstSeverity } from './types.js';

export const TEMP_REGISTRATION_ROLES = [
  'id', 'email', 'created', 'expires',
  'otp.id', 'otp.identifier', 'otp.type', 'otp.used', 'otp.created', 'otp.expires',
  'users.email',
] as const;

export type { PurgeTarget };

export interface TempRegistrationsOptions {
  /** --table: the pending-signup table. */
  table?: string;
  /** --otp-table: the one-time-code table. */
  otpTable?: string;
  /** Role -> column (see TEMP_REGISTRATION_ROLES); or the raw --columns text. */
  columns?: Record<string, string> | string;
  /** --email: trace one signup. */
  email?: string;
  /** The clock to judge by (tests); defaults to the database's own. */
  now?: Date;
  /** The app host's offset from UTC in minutes (east positive); defaults to this machine's. */
  utcOffsetMinutes?: number;
  /** Rows expired longer than this count as "never cleaned" (default 15 min). */
  staleAfterMs?: number;
  /** The app's settings where they differ from the stack's defaults (ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS in ms, ...). */
  settings?: Settings;
}

export interface PendingSignup {
  key: string;
  email: string;
  createdAt?: string;
  expiresAt?: string;
  expired: boolean;
  /** Seconds until expiry (negative: ago). */
  expiresInSeconds?: number;
}

export interface OtpRecord {
  key: string;
  /** The temp id, email or user id the code belongs to. */
  identifier: string;
  type?: string;
  /** Always masked. */
  code: '******';
  used: boolean;
  expired: boolean;
  live: boolean;
  /** 'pending': points at a pending row; 'email': keyed by email; 'orphan': its temp id has no pending row; 'other': e.g. a login code. */
  link: 'pending' | 'email' | 'orphan' | 'other';
  /** The email it belongs to (for orphans: the pending signup created within seconds of it, if any). */
  email?: string;
  createdAt?: string;
  expiresAt?: string;
}

export interface SignupTrace {
  email: string;
  pending: PendingSignup[];
  otps: OtpRecord[];
  /** Orphan codes created within two minutes of one of this email's pending rows (a concurrent signup). */
  probableRaceOtps: OtpRecord[];
  accountExists: boolean | undefined;
}

export interface TableCounts {
  table: string;
  rows: number;
  live: number;
  expired: number;
  oldestCreatedAt?: string;
  /** Rows read were capped; counts of live/expired are over the rows read. */
  truncated?: boolean;
}

export interface TempRegistrationsResult {
  tables: DiscoveredTable[];
  counts: { pending?: TableCounts; otp?: TableCounts & { used: number; orphans: number; signup: number } };
  findings: Finding[];
  trace?: SignupTrace;
  /** Nothing found: the app keeps pending signups elsewhere (session, memory). */
  inMemoryOnly?: boolean;
  /** Stacks recognised in the catalog, with the evidence. */
  stacks: { id: string; title: string; evidence: string[] }[];
  /** What --purge-expired would delete from: tables, key and expiry columns, rows expired now. */
  purgeTargets: PurgeTarget[];
  clock: { now: string };
}

const SECRET_KEY_COLUMN = /token|secret|hash/i;

export async function inspectTempRegistrations(db: OpenedDatabase, options: TempRegistrationsOptions = {}): Promise<TempRegistrationsResult> {
  const mapping = typeof options.columns === 'string' ? parseColumnMapping(options.columns, TEMP_REGISTRATION_ROLES) : (options.columns ?? {});
  const all = await describeAllTables(db);
  const clock = await readClock(db, options.now);
  const found = discoverTempRegistrationTables(all, db, options, mapping);
  const result: TempRegistrationsResult = {
    tables: [], counts: {}, findings: [], purgeTargets: [],
    stacks: found.stacks.map((s) => ({ id: s.stack.id, title: s.stack.title, evidence: s.evidence })),
    clock: { now: new Date(clock.nowMs).toISOString() },
  };
  const role = db.kind === 'postgres' ? db.target.user : undefined;
  for (const u of found.unreadable) result.findings.push(unreadableFinding(u.table, u.why, role));
  if (!found.pending && !found.code) {
    // Not finding a table and not being allowed to read one are different answers.
    if (!found.unreadable.length) result.inMemoryOnly = true;
    return result;
  }

  let pending: JudgedPending[] = [];
  if (found.pending) {
    const src = found.pending;
    result.tables.push({ role: 'pending', table: src.table.display, reason: src.reason, columns: compact({ id: src.key, email: src.email, created: src.created, expires: src.expires }) });
    const read = await readPending(db, src, clock);
    pending = read.rows;
    result.counts.pending = {
      table: src.table.display, rows: read.total,
      live: pending.filter((p) => !p.expired).length, expired: pending.filter((p) => p.expired).length,
      oldestCreatedAt: showTime(oldest(pending.map((p) => p.created))),
      ...(read.truncated ? { truncated: true } : {}),
    };
    // Account rows (Devise users, allauth addresses) are never a purge target.
    if (src.expires && !src.rowsAreAccounts) result.purgeTargets.push(purgeTarget('pending', src, result.counts.pending.expired));
  }

  let otps: JudgedOtp[] = [];
  if (found.code) {
    const src = found.code;
    result.tables.push({ role: 'otp', table: src.table.display, reason: src.reason, columns: compact({ id: src.key, identifier: src.identifier, type: src.type, used: usedColumn(src), created: src.created, expires: src.expires }) });
    const read = await readCodes(db, src, pending, clock, Boolean(found.pending));
    otps = read.rows;
    result.counts.otp = {
      table: src.table.display, rows: read.total,
      live: otps.filter((o) => o.live).length, expired: otps.filter((o) => o.expired).length, used: otps.filter((o) => o.used).length,
      orphans: otps.filter((o) => o.link === 'orphan').length, signup: otps.filter((o) => o.link !== 'other').length,
      oldestCreatedAt: showTime(oldest(otps.map((o) => o.created))),
      ...(read.truncated ? { truncated: true } : {}),
    };
    if (src.expires) result.purgeTargets.push(purgeTarget('otp', src, result.counts.otp.expired));
  }

  let accounts: Set<string> | undefined;
  if (found.users && pending.length && !found.pending?.rowsAreAccounts) {
    result.tables.push({ role: 'users', table: found.users.table.display, reason: `accounts table with ${found.users.email}`, columns: { email: found.users.email } });
    accounts = await readAccounts(db, found.users, pending.map((p) => p.email));
  }

  const args = connectionArgs(db);
  const cmd = (rest: string) => `healfix temp-registrations${rest}${args}${options.table ? ` --table ${shellQuote(options.table)}` : ''}${options.otpTable ? ` --otp-table ${shellQuote(options.otpTable)}` : ''}${typeof options.columns === 'string' && options.columns ? ` --columns ${shellQuote(options.columns)}` : ''}${settingFlags(options.settings)}`;
  result.findings.push(...tempRegistrationFindings({
    pending, otps, pendingTable: found.pending?.table, otpTable: found.code?.table, rowsAreAccounts: Boolean(found.pending?.rowsAreAccounts),
    accounts, clock, cmd, staleAfterMs: options.staleAfterMs ?? 15 * 60_000,
    trigger: found.pending ? utcExpiryTrigger(db, found.pending.table.name) : undefined, utcOffsetMinutes: options.utcOffsetMinutes,
  }));

  if (options.email) {
    const exists = found.users ? await accountExists(db, found.users, options.email) : undefined;
    result.trace = traceSignup(options.email, pending, otps, exists);
  }
  // A token is the verification link itself: never shown.
  if (found.pending && SECRET_KEY_COLUMN.test(found.pending.key)) maskKeys(result);
  return result;
}

function purgeTarget(role: 'pending' | 'otp', src: PendingSource | CodeSource, expiredRows: number): PurgeTarget {
  return {
    role, table: src.table.display, sqlTable: src.table.sql, keyColumn: src.key, expiresColumn: src.expires!, expiredRows,
    ...(src.expiresPlusMs ? { expiresPlusMs: src.expiresPlusMs } : {}),
  };
}

function usedColumn(src: CodeSource): string | undefined {
  const c = src.used;
  return c && 'column' in c ? c.column : undefined;
}

function maskKeys(result: TempRegistrationsResult): void {
  for (const finding of result.findings) {
    const keys = finding.data?.keys;
    if (Array.isArray(keys)) finding.data!.keys = keys.map((k) => maskCode(String(k)));
  }
  if (result.trace) result.trace.pending = result.trace.pending.map((p) => ({ ...p, key: maskCode(p.key) }));
}

function unreadableFinding(table: { display: string; sql: string }, why: string, role: string | undefined): Finding {
  return {
    check: 'temp-registrations',
    severity: 'error',
    title: `cannot read ${table.display}: no SELECT privilege (pending signups not verified)`,
    detail: `${table.display} exists and ${why}, but this role may not read it, so healfix cannot say whether signups are stuck there.`,
    hint: `GRANT SELECT ON ${table.sql} TO ${role ? `"${role}"` : 'this role'}; or run as the table's owner.`,
    subject: table.display,
    data: { table: table.display, reason: 'permission' },
  };
}

function compact(o: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

/** Doctor's view: 'skipped' when the app has no such tables. */
export function tempRegistrationsCheckResult(result: TempRegistrationsResult): CheckResult {
  if (result.inMemoryOnly && !result.findings.length) {
    return {
      check: 'temp-registrations',
      status: 'skipped',
      summary: 'no pending-signup or one-time-code table',
      findings: [],
      skippedReason: 'no pending-signup or one-time-code table found (the app keeps pending signups in its session or memory)',
    };
  }
  const problems = result.findings.filter((f) => f.severity !== 'ok');
  return {
    check: 'temp-registrations',
    status: worstSeverity(result.findings),
    summary: `${summaryCounts(result)}; ${problems.length ? `${problems.length} problem${problems.length === 1 ? '' : 's'}` : 'no problems'}`,
    findings: result.findings,
  };
}

export function summaryCounts(result: TempRegistrationsResult): string {
  const parts: string[] = [];
  const p = result.counts.pending;
  if (p) parts.push(`${p.rows} pending signup${p.rows === 1 ? '' : 's'} (${p.expired} expired)`);
  const o = result.counts.otp;
  if (o) parts.push(`${o.rows} one-time code${o.rows === 1 ? '' : 's'} (${o.live} live, ${o.orphans} orphaned)`);
  return parts.join(', ');
}

