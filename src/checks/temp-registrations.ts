/**
 * Pending signups and their one-time codes: stale, duplicated, orphaned, skewed. Works on any schema
 * shaped like SANA's temp_registrations/user_otp (SQLite) or Healing Space's verification_codes
 * (PostgreSQL), found by name and shape or named with --table/--otp-table/--columns. Prints nothing,
 * never reads OTP codes or password hashes.
 */
import type { OpenedDatabase } from '../db/open.js';
import { UsageError } from '../errors.js';
import { maskCode } from '../secrets.js';
import { quoteIdent } from '../db/postgres.js';
import type { CheckResult, Finding } from './types.js';
import { worstSeverity } from './types.js';
import {
  humanDuration, isTruthyFlag, msFromNow, parseDbTime, showTime, wholeHourSkew, zoneName, type DbTime,
} from './db-time.js';
import {
  describeTables, mappedColumn, parseColumnMapping, pickColumn, requireTable, type TableInfo,
} from '../db/catalog.js';
import { countRows, queryRows, readClock, selectText } from '../db/query.js';
import { connectionArgs, shellQuote } from './next-command.js';
import type { DiscoveredTable, PurgeTarget } from './state-tables.js';

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
  /** What --purge-expired would delete from: tables, key and expiry columns, rows expired now. */
  purgeTargets: PurgeTarget[];
  clock: { now: string };
}

const PENDING_NAME = /^(temp_?registrations?|pending_?(registrations?|signups?|users?|accounts?|verifications?)|signup_?(requests?|attempts?|tokens?)|registration_?(requests?|tokens?)|unverified_?(users?|accounts?)|pre_?registrations?)$/i;
const OTP_NAME = /(^|_)otps?($|_)|^otp|verification_?codes?|one_?time_?(codes?|passwords?)|email_?verifications?|signup_?codes?|confirmation_?codes?|mfa_?codes?|2fa_?codes?|two_?factor_?codes?/i;
const USERS_NAME = ['users', 'user', 'accounts', 'account', 'auth_user', 'app_users', 'members', 'customers'];

const CREATED = ['created_at', 'created', 'createdat', 'created_on', 'requested_at', 'inserted_at', 'sent_at', 'date_created', 'timestamp'];
const EXPIRES = ['expires_at', 'expires', 'expire_at', 'expire', 'expiry', 'expiry_at', 'expires_on', 'expiration', 'valid_until', 'expiresat', 'expire_time'];
const PENDING_ID = ['temp_id', 'pending_id', 'token', 'signup_token', 'verification_token', 'registration_token', 'uuid', 'request_id', 'id'];
const EMAIL = ['email', 'email_address', 'user_email', 'identifier', 'username', 'login'];
const OTP_ID = ['otp_id', 'code_id', 'id'];
const OTP_IDENTIFIER = ['identifier', 'temp_id', 'pending_id', 'signup_id', 'user_id', 'email', 'target', 'recipient', 'destination', 'phone'];
const OTP_TYPE = ['otp_type', 'purpose', 'type', 'kind', 'code_type'];
const OTP_USED = ['is_used', 'used', 'verified', 'is_verified', 'consumed', 'is_consumed', 'used_at', 'verified_at', 'consumed_at'];
const OTP_CODE = ['otp_code', 'otp', 'code', 'verification_code', 'pin', 'token'];
const SIGNUP_TYPES = /^(signup|sign_up|register|registration|verify_email|email_verification|signup_verification|activation)$/i;

const SECRET_KEY_COLUMN = /token|secret|hash/i;
const ROW_CAP = 100_000;
const FUTURE_TOLERANCE_MS = 60_000;
const RACE_WINDOW_MS = 120_000;

export async function inspectTempRegistrations(db: OpenedDatabase, options: TempRegistrationsOptions = {}): Promise<TempRegistrationsResult> {
  const mapping = typeof options.columns === 'string' ? parseColumnMapping(options.columns, TEMP_REGISTRATION_ROLES) : (options.columns ?? {});
  const tables = await describeTables(db);
  const clock = await readClock(db, options.now);
  const discovered: DiscoveredTable[] = [];
  const args = connectionArgs(db);

  const pendingTable = options.table
    ? requireTable(tables, options.table, '--table', db)
    : tables.find((t) => PENDING_NAME.test(t.name) && pickColumn(t, EMAIL)) ?? tables.find((t) => looksPending(t));
  const otpTable = options.otpTable
    ? requireTable(tables, options.otpTable, '--otp-table', db)
    : tables.find((t) => t !== pendingTable && OTP_NAME.test(t.name) && pickColumn(t, OTP_IDENTIFIER) && pickColumn(t, EXPIRES)) ??
      tables.find((t) => t !== pendingTable && looksOtp(t));
  const usersTable = tables.find((t) => USERS_NAME.includes(t.name.toLowerCase()) && (mappedColumn(t, 'users.email', mapping) ?? pickColumn(t, ['email', 'email_address'])));

  const result: TempRegistrationsResult = {
    tables: discovered,
    counts: {},
    findings: [],
    purgeTargets: [],
    clock: { now: new Date(clock.nowMs).toISOString() },
  };
  if (!pendingTable && !otpTable) {
    result.inMemoryOnly = true;
    return result;
  }

  // Pending signups.
  let pending: (PendingSignup & { created?: DbTime; expires?: DbTime })[] = [];
  let pendingKeysSecret = false;
  if (pendingTable) {
    const id = mappedColumn(pendingTable, 'id', mapping) ?? pickColumn(pendingTable, PENDING_ID) ?? pendingTable.columns.find((c) => c.primaryKey)?.name;
    const email = mappedColumn(pendingTable, 'email', mapping) ?? pickColumn(pendingTable, EMAIL);
    const created = mappedColumn(pendingTable, 'created', mapping) ?? pickColumn(pendingTable, CREATED);
    const expires = mappedColumn(pendingTable, 'expires', mapping) ?? pickColumn(pendingTable, EXPIRES);
    const key = id ?? (db.kind === 'sqlite' ? 'rowid' : 'ctid');
    if (!email) {
      throw usage(`table ${pendingTable.display} has no email column healfix recognises`, pendingTable, 'email=COLUMN');
    }
    discovered.push({
      role: 'pending',
      table: pendingTable.display,
      reason: options.table ? 'named with --table' : PENDING_NAME.test(pendingTable.name) ? `its name looks like a pending-signup table and it has an email column (${email})` : `its shape: ${email}, ${id}, ${expires}`,
      columns: compact({ id: key, email, created, expires }),
    });
    const rows = await queryRows<Record<string, unknown>>(db, [
      `select ${selectText(db, key, 'k')}, ${quoteIdent(email)} as e`,
      created ? `, ${selectText(db, created, 'c')}` : '',
      expires ? `, ${selectText(db, expires, 'x')}` : '',
      ` from ${pendingTable.sql} limit ${ROW_CAP}`,
    ].join(''));
    pending = rows.map((r) => {
      const c = parseDbTime(r.c);
      const x = parseDbTime(r.x);
      const inMs = x ? msFromNow(clock, x) : undefined;
      return {
        key: String(r.k),
        email: String(r.e ?? ''),
        createdAt: showTime(c),
        expiresAt: showTime(x),
        expired: inMs !== undefined && inMs < 0,
        expiresInSeconds: inMs === undefined ? undefined : Math.round(inMs / 1000),
        created: c,
        expires: x,
      };
    });
    const total = rows.length < ROW_CAP ? rows.length : await countRows(db, pendingTable);
    result.counts.pending = {
      table: pendingTable.display,
      rows: total,
      live: pending.filter((p) => !p.expired).length,
      expired: pending.filter((p) => p.expired).length,
      oldestCreatedAt: showTime(oldest(pending.map((p) => p.created))),
      ...(total > rows.length ? { truncated: true } : {}),
    };
    if (expires) result.purgeTargets.push({ role: 'pending', table: pendingTable.display, sqlTable: pendingTable.sql, keyColumn: key, expiresColumn: expires, expiredRows: result.counts.pending.expired });
    // A token is the verification link itself: never shown.
    if (SECRET_KEY_COLUMN.test(key)) pendingKeysSecret = true;
  }

  // One-time codes.
  let otps: (OtpRecord & { created?: DbTime; expires?: DbTime })[] = [];
  if (otpTable) {
    const id = mappedColumn(otpTable, 'id', mapping, 'otp.id') ?? pickColumn(otpTable, OTP_ID) ?? otpTable.columns.find((c) => c.primaryKey)?.name;
    const identifier = mappedColumn(otpTable, 'identifier', mapping, 'otp.identifier') ?? pickColumn(otpTable, OTP_IDENTIFIER);
    const type = mappedColumn(otpTable, 'type', mapping, 'otp.type') ?? pickColumn(otpTable, OTP_TYPE);
    const used = mappedColumn(otpTable, 'used', mapping, 'otp.used') ?? pickColumn(otpTable, OTP_USED);
    const created = mappedColumn(otpTable, 'created', mapping, 'otp.created') ?? pickColumn(otpTable, CREATED);
    const expires = mappedColumn(otpTable, 'expires', mapping, 'otp.expires') ?? pickColumn(otpTable, EXPIRES);
    const code = pickColumn(otpTable, OTP_CODE, [identifier]);
    const key = id ?? (db.kind === 'sqlite' ? 'rowid' : 'ctid');
    if (!identifier) throw usage(`table ${otpTable.display} has no identifier column healfix recognises`, otpTable, 'otp.identifier=COLUMN');
    discovered.push({
      role: 'otp',
      table: otpTable.display,
      reason: options.otpTable ? 'named with --otp-table' : `its name looks like a one-time-code table and it has ${identifier}${expires ? ` and ${expires}` : ''}${code ? ` (codes in ${code} are never read)` : ''}`,
      columns: compact({ id: key, identifier, type, used, created, expires }),
    });
    const rows = await queryRows<Record<string, unknown>>(db, [
      `select ${selectText(db, key, 'k')}, ${selectText(db, identifier, 'i')}`,
      type ? `, ${quoteIdent(type)} as t` : '',
      used ? `, ${usedSelect(db, otpTable, used)} as u` : '',
      created ? `, ${selectText(db, created, 'c')}` : '',
      expires ? `, ${selectText(db, expires, 'x')}` : '',
      ` from ${otpTable.sql} limit ${ROW_CAP}`,
    ].join(''));
    const pendingById = new Map(pending.map((p) => [p.key, p]));
    const idPrefix = commonIdPrefix(pending.map((p) => p.key), identifier);
    otps = rows.map((r) => {
      const ident = String(r.i ?? '');
      const c = parseDbTime(r.c);
      const x = parseDbTime(r.x);
      const isUsed = isTruthyFlag(r.u);
      const expired = x !== undefined && msFromNow(clock, x) < 0;
      const typeText = r.t === null || r.t === undefined ? undefined : String(r.t);
      const signupTyped = typeText === undefined ? undefined : SIGNUP_TYPES.test(typeText);
      const owner = pendingById.get(ident);
      let link: OtpRecord['link'];
      let email: string | undefined;
      if (owner) {
        link = 'pending';
        email = owner.email;
      } else if (signupTyped === false) link = 'other';
      else if (ident.includes('@')) {
        link = 'email';
        email = ident;
      } else if (pendingTable && (signupTyped === true || (idPrefix !== undefined && ident.startsWith(idPrefix)))) link = 'orphan';
      else link = 'other';
      return {
        key: String(r.k), identifier: ident, ...(typeText !== undefined ? { type: typeText } : {}), code: '******' as const,
        used: isUsed, expired, live: !isUsed && !expired, link, ...(email !== undefined ? { email } : {}),
        createdAt: showTime(c), expiresAt: showTime(x), created: c, expires: x,
      };
    });
    // Orphans created within seconds of a surviving pending row: the same burst of signups.
    for (const otp of otps) {
      if (otp.link !== 'orphan' || !otp.created) continue;
      const near = nearestPending(pending, otp.created);
      if (near) otp.email = near.email;
    }
    const total = rows.length < ROW_CAP ? rows.length : await countRows(db, otpTable);
    result.counts.otp = {
      table: otpTable.display,
      rows: total,
      live: otps.filter((o) => o.live).length,
      expired: otps.filter((o) => o.expired).length,
      used: otps.filter((o) => o.used).length,
      orphans: otps.filter((o) => o.link === 'orphan').length,
      signup: otps.filter((o) => o.link !== 'other').length,
      oldestCreatedAt: showTime(oldest(otps.map((o) => o.created))),
      ...(total > rows.length ? { truncated: true } : {}),
    };
    if (expires) result.purgeTargets.push({ role: 'otp', table: otpTable.display, sqlTable: otpTable.sql, keyColumn: key, expiresColumn: expires, expiredRows: result.counts.otp.expired });
  }

  // Accounts for pending emails.
  let accounts: Set<string> | undefined;
  if (usersTable && pending.length) {
    const emailCol = mappedColumn(usersTable, 'users.email', mapping) ?? pickColumn(usersTable, ['email', 'email_address'])!;
    discovered.push({ role: 'users', table: usersTable.display, reason: `accounts table with ${emailCol}`, columns: { email: emailCol } });
    accounts = new Set<string>();
    const wanted = [...new Set(pending.map((p) => p.email.toLowerCase()))];
    for (let i = 0; i < wanted.length; i += 500) {
      const chunk = wanted.slice(i, i + 500);
      const rows = await queryRows<{ e: string }>(db, `select lower(${quoteIdent(emailCol)}) as e from ${usersTable.sql} where lower(${quoteIdent(emailCol)}) in (${chunk.map(() => '?').join(', ')})`, chunk);
      for (const r of rows) accounts.add(r.e);
    }
  }

  const f = result.findings;
  const cmd = (rest: string) => `healfix temp-registrations${rest}${args}${options.table ? ` --table ${shellQuote(options.table)}` : ''}${options.otpTable ? ` --otp-table ${shellQuote(options.otpTable)}` : ''}${typeof options.columns === 'string' && options.columns ? ` --columns ${shellQuote(options.columns)}` : ''}`;
  const traceCmd = (email: string) => cmd(` --email ${shellQuote(email)}`);
  const purgeCmd = cmd(' --purge-expired');
  const staleAfter = options.staleAfterMs ?? 15 * 60_000;

  // Expired rows never cleaned.
  for (const [label, rows, table] of [
    ['pending signups', pending, pendingTable],
    ['one-time codes', otps, otpTable],
  ] as const) {
    if (!table) continue;
    const stale = (rows as { expires?: DbTime }[]).filter((r) => r.expires && msFromNow(clock, r.expires) < -staleAfter);
    if (!stale.length) continue;
    const oldestExpiry = oldest(stale.map((r) => r.expires))!;
    f.push({
      check: 'temp-registrations',
      severity: 'warn',
      title: `${stale.length} expired ${label} in ${table.display} never cleaned (oldest expired ${humanDuration(msFromNow(clock, oldestExpiry))} ago)`,
      detail: 'Nothing deletes these rows once they expire; they pile up, and lookups by email can pick a dead row instead of the live one.',
      hint: 'Purge them now, and have the app delete expired rows on a schedule.',
      nextCommand: purgeCmd,
      subject: table.display,
      data: { table: table.display, rows: stale.length, oldestExpiresAt: showTime(oldestExpiry) },
    });
  }

  // Two or more pending rows for one email (schemas without a unique email).
  const byEmail = groupBy(pending, (p) => p.email.toLowerCase());
  for (const [email, rows] of byEmail) {
    if (rows.length < 2) continue;
    f.push({
      check: 'temp-registrations',
      severity: 'error',
      title: `${rows.length} pending signups for ${email}`,
      detail: 'Concurrent signups for one email each created a pending row; the browser keeps only the last temp id, so verifying another one fails ("No temp_registration found").',
      hint: 'Make the email unique in the pending table and reuse the existing row on a repeated signup.',
      nextCommand: traceCmd(rows[0]!.email),
      subject: email,
      data: { email, keys: rows.map((r) => r.key) },
    });
  }

  // More than one live signup code per email (the SANA race signature).
  const liveByEmail = groupBy(otps.filter((o) => o.live && o.link !== 'other' && o.email), (o) => o.email!.toLowerCase());
  for (const [email, rows] of liveByEmail) {
    if (rows.length < 2) continue;
    const orphans = rows.filter((o) => o.link === 'orphan').length;
    f.push({
      check: 'temp-registrations',
      severity: 'error',
      title: `${rows.length} live signup codes for ${email}${orphans ? ` (${orphans} pointing at deleted temp ids)` : ''}`,
      detail: 'Several signups for one email ran at once: each sent a code, only one pending row survived, and every client but one fails verification ("Invalid verification session"). This is the signature of the concurrent-signup race.',
      hint: 'Deduplicate signups per email across processes (a unique row per email, reused), not only in process memory.',
      nextCommand: traceCmd(email),
      subject: email,
      data: { email, live: rows.length, orphans, identifiers: rows.map((o) => o.identifier) },
    });
  }

  // Codes whose temp id has no pending row.
  const orphanOtps = otps.filter((o) => o.link === 'orphan');
  if (orphanOtps.length) {
    const live = orphanOtps.filter((o) => o.live);
    const attributed = orphanOtps.find((o) => o.email)?.email;
    f.push({
      check: 'temp-registrations',
      severity: live.length ? 'error' : 'warn',
      title: `${orphanOtps.length} one-time codes point at temp ids with no pending signup${live.length ? ` (${live.length} still live)` : ''}`,
      detail: 'The pending row these codes belong to was overwritten or deleted (a concurrent signup, an expiry trigger); whoever holds such a code gets "Invalid verification session" and the server logs "No temp_registration found for temp_id".',
      hint: live.length ? 'Those users must start signup again; fix the race or the clock that deletes their rows.' : 'They are expired: purge them.',
      nextCommand: live.length === 0 ? purgeCmd : attributed ? traceCmd(attributed) : `healfix explain ${shellQuote(`No temp_registration found for temp_id: ${orphanOtps[0]!.identifier}`)}`,
      subject: otpTable!.display,
      data: { rows: orphanOtps.length, live: live.length, identifiers: orphanOtps.slice(0, 20).map((o) => o.identifier) },
    });
  }

  // Live pending rows nobody was sent a code for.
  if (otpTable && pendingTable) {
    const withCode = new Set<string>();
    for (const o of otps) {
      withCode.add(o.identifier);
      if (o.link === 'email' && o.email) withCode.add(o.email.toLowerCase());
    }
    const without = pending.filter((p) => !p.expired && !withCode.has(p.key) && !withCode.has(p.email.toLowerCase()));
    if (without.length) {
      f.push({
        check: 'temp-registrations',
        severity: 'warn',
        title: `${without.length} pending signups have no one-time code`,
        detail: 'The code was never stored (mail failed, the insert raised) or was deleted; these users wait for a code that cannot verify.',
        hint: 'Check the mail step and the OTP insert; the user can ask for a new code.',
        nextCommand: traceCmd(without[0]!.email),
        subject: pendingTable.display,
        data: { emails: without.map((p) => p.email), keys: without.map((p) => p.key) },
      });
    }
  }

  // Pending rows for emails that already have an account.
  if (accounts && accounts.size) {
    const taken = pending.filter((p) => accounts!.has(p.email.toLowerCase()));
    if (taken.length) {
      f.push({
        check: 'temp-registrations',
        severity: 'warn',
        title: `${taken.length} pending signups for emails that already have an account`,
        detail: 'Verifying them would insert a duplicate account (unique violation) or fail; the signup was never cleaned up after the account was created.',
        hint: 'Delete the pending row when the account is created, and answer 409 to a signup for an existing email.',
        nextCommand: traceCmd(taken[0]!.email),
        subject: pendingTable!.display,
        data: { emails: taken.map((p) => p.email) },
      });
    }
  }

  // Clocks: rows from the future, expiry before creation.
  for (const [rows, table] of [[pending, pendingTable], [otps, otpTable]] as const) {
    if (!table) continue;
    const typed = rows as { created?: DbTime; expires?: DbTime; email?: string; key: string }[];
    const future = typed.filter((r) => r.created && msFromNow(clock, r.created) > FUTURE_TOLERANCE_MS);
    if (future.length) {
      const ahead = Math.max(...future.map((r) => msFromNow(clock, r.created!)));
      const skew = wholeHourSkew(ahead, 20 * 60_000);
      f.push({
        check: 'temp-registrations',
        severity: 'error',
        title: `${future.length} rows in ${table.display} were created ${humanDuration(ahead)} in the future`,
        detail: skew !== undefined
          ? `Off by about ${humanDuration(skew * 60_000)}: the app writes local time (${zoneName(skew)}) while the database compares with UTC (SQLite's datetime('now') is UTC). East of UTC these rows outlive their TTL by the offset; west of UTC a trigger or query deleting rows with expires_at < datetime('now') removes every new signup at once ("Database verification failed").`
          : 'The app and database clocks disagree; expiry decisions made by the database are wrong by that much.',
        hint: "Write timestamps in UTC (datetime.now(timezone.utc), or let SQLite fill them with CURRENT_TIMESTAMP), or compare with datetime('now','localtime').",
        nextCommand: typed === pending && future[0]!.email ? traceCmd(future[0]!.email) : cmd(' --json'),
        subject: table.display,
        data: { rows: future.length, aheadSeconds: Math.round(ahead / 1000), ...(skew !== undefined ? { skewMinutes: skew } : {}) },
      });
    }
    const backwards = typed.filter((r) => r.created && r.expires && r.expires.ms < r.created.ms);
    if (backwards.length) {
      const worst = Math.min(...backwards.map((r) => r.expires!.ms - r.created!.ms));
      const ttl = ((worst % 3_600_000) + 3_600_000) % 3_600_000;
      const skew = wholeHourSkew(worst - ttl, 5 * 60_000);
      f.push({
        check: 'temp-registrations',
        severity: 'error',
        title: `${backwards.length} rows in ${table.display} expire before they were created`,
        detail: `expires_at is ${humanDuration(worst)} earlier than created_at: the two columns are written by different clocks${skew !== undefined ? ` (UTC and local time ${zoneName(skew)}, a TTL of ${humanDuration(ttl)})` : ''}, so the row is expired from the moment it exists.`,
        hint: 'Write both columns with the same clock, in UTC.',
        nextCommand: cmd(' --json'),
        subject: table.display,
        data: { rows: backwards.length, ...(skew !== undefined ? { skewMinutes: skew } : {}) },
      });
    }
  }

  // SQLite: local (Python) timestamps judged by a UTC trigger.
  if (db.kind === 'sqlite' && pendingTable) {
    const trigger = utcExpiryTrigger(db, pendingTable.name);
    const pythonLocal = [...pending.flatMap((p) => [p.created, p.expires]), ...otps.flatMap((o) => [o.created, o.expires])].some((t) => t?.format === 'naive-micro');
    if (trigger && pythonLocal) {
      const offset = options.utcOffsetMinutes ?? -new Date().getTimezoneOffset();
      const west = offset < 0;
      f.push({
        check: 'temp-registrations',
        severity: west ? 'error' : 'warn',
        title: `trigger ${trigger} deletes ${pendingTable.display} rows by UTC time, but the rows hold local time`,
        detail: `The rows carry naive timestamps with microseconds (Python's datetime.now(): local time), and ${trigger} compares them with datetime('now'), which is UTC. ${
          west
            ? `This machine is ${zoneName(offset)}: every new pending row is already "expired" and deleted on insert, so every signup fails with "Database verification failed".`
            : offset > 0
              ? `This machine is ${zoneName(offset)}: pending rows live ${humanDuration(offset * 60_000)} longer than intended; run west of UTC and every signup fails.`
              : 'It works only while the app runs in UTC; west of UTC every signup fails with "Database verification failed".'
        }`,
        hint: "Store UTC (datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M:%S')) or compare with datetime('now','localtime') in the trigger.",
        nextCommand: cmd(' --json'),
        subject: pendingTable.display,
        data: { trigger, utcOffsetMinutes: offset },
      });
    }
  }

  if (options.email) {
    let exists: boolean | undefined;
    if (usersTable) {
      const emailCol = mappedColumn(usersTable, 'users.email', mapping) ?? pickColumn(usersTable, ['email', 'email_address'])!;
      const rows = await queryRows(db, `select 1 as one from ${usersTable.sql} where lower(${quoteIdent(emailCol)}) = ? limit 1`, [options.email.toLowerCase()]);
      exists = rows.length > 0;
    }
    result.trace = traceSignup(options.email, pending, otps, exists);
  }
  if (pendingKeysSecret) {
    const hide = (k: string) => maskCode(k);
    for (const finding of f) {
      const keys = finding.data?.keys;
      if (Array.isArray(keys)) finding.data!.keys = keys.map((k) => hide(String(k)));
    }
    if (result.trace) result.trace.pending = result.trace.pending.map((p) => ({ ...p, key: hide(p.key) }));
  }
  return result;
}

/** Doctor's view: 'skipped' when the app has no such tables. */
export function tempRegistrationsCheckResult(result: TempRegistrationsResult): CheckResult {
  if (result.inMemoryOnly) {
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

function traceSignup(
  email: string,
  pending: (PendingSignup & { created?: DbTime })[],
  otps: (OtpRecord & { created?: DbTime; expires?: DbTime })[],
  accountExists: boolean | undefined,
): SignupTrace {
  const wanted = email.toLowerCase();
  const mine = pending.filter((p) => p.email.toLowerCase() === wanted);
  const keys = new Set(mine.map((p) => p.key));
  const own = otps.filter((o) => keys.has(o.identifier) || o.identifier.toLowerCase() === wanted);
  const race = otps.filter((o) => o.link === 'orphan' && o.created && mine.some((p) => p.created && Math.abs(p.created.ms - o.created!.ms) <= RACE_WINDOW_MS));
  return {
    email,
    pending: mine.map(plainPending),
    otps: own.map(plainOtp),
    probableRaceOtps: race.map(plainOtp),
    accountExists,
  };
}

function plainPending(p: PendingSignup & { created?: DbTime; expires?: DbTime }): PendingSignup {
  const { created: _c, expires: _x, ...rest } = p;
  return rest;
}

function plainOtp(o: OtpRecord & { created?: DbTime; expires?: DbTime }): OtpRecord {
  const { created: _c, expires: _x, ...rest } = o;
  return rest;
}

function looksPending(t: TableInfo): boolean {
  return Boolean(pickColumn(t, ['email', 'email_address']) && pickColumn(t, EXPIRES) && pickColumn(t, ['temp_id', 'pending_id', 'token', 'signup_token', 'verification_token', 'registration_token']) && !pickColumn(t, ['otp_code', 'otp', 'code']));
}

function looksOtp(t: TableInfo): boolean {
  return Boolean(pickColumn(t, ['otp_code', 'otp', 'code', 'verification_code', 'pin']) && pickColumn(t, EXPIRES) && pickColumn(t, OTP_IDENTIFIER));
}

function usedSelect(db: OpenedDatabase, table: TableInfo, column: string): string {
  const type = table.columns.find((c) => c.name === column)?.type ?? '';
  if (db.kind === 'postgres' && /time|date/.test(type)) return `${quoteIdent(column)}::text`;
  return quoteIdent(column);
}

/** 'temp_' when pending ids look like temp_1753562932_ece82a3b, or any prefix when the column says temp_id. */
function commonIdPrefix(keys: string[], identifierColumn: string): string | undefined {
  const prefixes = new Set(keys.map((k) => /^([a-z]+_)/i.exec(k)?.[1]).filter((p): p is string => Boolean(p)));
  if (prefixes.size === 1) return [...prefixes][0];
  if (/^(temp_id|pending_id|signup_id)$/i.test(identifierColumn)) return '';
  return keys.length === 0 ? 'temp_' : undefined;
}

function nearestPending<T extends { created?: DbTime }>(pending: T[], at: DbTime): T | undefined {
  let best: T | undefined;
  let bestGap = RACE_WINDOW_MS + 1;
  for (const p of pending) {
    if (!p.created) continue;
    const gap = Math.abs(p.created.ms - at.ms);
    if (gap < bestGap) {
      best = p;
      bestGap = gap;
    }
  }
  return best;
}

/** An SQLite trigger on the table that deletes by datetime('now') / CURRENT_TIMESTAMP without 'localtime'. */
function utcExpiryTrigger(db: Extract<OpenedDatabase, { kind: 'sqlite' }>, table: string): string | undefined {
  const triggers = db.sqlite.prepare("select name, sql from sqlite_master where type = 'trigger' and tbl_name = ? collate nocase").all(table) as { name: string; sql: string | null }[];
  return triggers.find((t) => t.sql && /delete/i.test(t.sql) && /(datetime|strftime|julianday)\s*\([^)]*'now'|current_timestamp/i.test(t.sql) && !/localtime/i.test(t.sql))?.name;
}

function oldest(times: (DbTime | undefined)[]): DbTime | undefined {
  let best: DbTime | undefined;
  for (const t of times) if (t && (!best || t.ms < best.ms)) best = t;
  return best;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

function compact(o: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

function usage(message: string, table: TableInfo, example: string) {
  return new UsageErrorWithColumns(message, table, example);
}

class UsageErrorWithColumns extends UsageError {
  constructor(message: string, table: TableInfo, example: string) {
    super(message, { hint: `Map it with --columns ${example}; its columns: ${table.columns.map((c) => c.name).join(', ')}` });
  }
}
