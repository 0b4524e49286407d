/**
 * temp-registrations, step 4: what the judged rows mean to a user — pure, from rows already read.
 */
import { humanDuration, msFromNow, showTime, wholeHourSkew, zoneName, type DbClock, type DbTime } from './db-time.js';
import { shellQuote } from './next-command.js';
import { groupBy, oldest, type JudgedOtp, type JudgedPending } from './temp-registrations-rules.js';
import type { Finding } from './types.js';

const FUTURE_TOLERANCE_MS = 60_000;

export interface FindingInput {
  pending: JudgedPending[];
  otps: JudgedOtp[];
  pendingTable?: { display: string };
  otpTable?: { display: string };
  /** The pending rows are accounts (Devise users, allauth addresses): never purged. */
  rowsAreAccounts: boolean;
  accounts?: Set<string>;
  clock: DbClock;
  /** Builds a `healfix temp-registrations…` command with the user's connection and table flags. */
  cmd: (rest: string) => string;
  staleAfterMs: number;
  /** An SQLite trigger deleting pending rows by UTC time, if any. */
  trigger?: string;
  utcOffsetMinutes?: number;
}

export function tempRegistrationFindings(input: FindingInput): Finding[] {
  const { pending, otps, pendingTable, otpTable, rowsAreAccounts, accounts, clock, cmd, trigger, utcOffsetMinutes } = input;
  const f: Finding[] = [];
  const traceCmd = (email: string) => cmd(` --email ${shellQuote(email)}`);
  const purgeCmd = cmd(' --purge-expired');
  const staleAfter = input.staleAfterMs;

  // Expired rows never cleaned.
  for (const [label, rows, table] of [
    ['pending signups', pending, pendingTable],
    ['one-time codes', otps, otpTable],
  ] as const) {
    if (!table) continue;
    // Account rows are never purged: their expiry is reported below, with a hint that fits.
    if (table === pendingTable && rowsAreAccounts) continue;
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
      detail: 'Concurrent signups for one email each created a pending row; the browser keeps only the last temp id, so verifying another one fails: the app finds no pending row for that session.',
      hint: 'Make the email unique in the pending table and reuse the existing row on a repeated signup.',
      nextCommand: traceCmd(rows[0]!.email),
      subject: email,
      data: { email, keys: rows.map((r) => r.key) },
    });
  }

  // More than one live signup code per email: the concurrent-signup race.
  const liveByEmail = groupBy(otps.filter((o) => o.live && o.link !== 'other' && o.email), (o) => o.email!.toLowerCase());
  for (const [email, rows] of liveByEmail) {
    if (rows.length < 2) continue;
    const orphans = rows.filter((o) => o.link === 'orphan').length;
    f.push({
      check: 'temp-registrations',
      severity: 'error',
      title: `${rows.length} live signup codes for ${email}${orphans ? ` (${orphans} pointing at deleted temp ids)` : ''}`,
      detail: 'Several signups for one email ran at once: each sent a code, only one pending row survived, and every client but one fails verification (its session points at a pending row that is gone). This is the signature of the concurrent-signup race.',
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
      detail: 'The pending row these codes belong to was overwritten or deleted (a concurrent signup, an expiry trigger); whoever holds such a code fails verification, because the app finds no pending row for the temp id in their session.',
      hint: live.length ? 'Those users must start signup again; fix the race or the clock that deletes their rows.' : 'They are expired: purge them.',
      nextCommand: live.length === 0 ? purgeCmd : attributed ? traceCmd(attributed) : cmd(' --json'),
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

  // Pending rows for emails that already have an account (not when the pending rows ARE the accounts).
  if (accounts && accounts.size && !rowsAreAccounts) {
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
  if (trigger && pendingTable) {
    const pythonLocal = [...pending.flatMap((p) => [p.created, p.expires]), ...otps.flatMap((o) => [o.created, o.expires])].some((t) => t?.format === 'naive-micro');
    if (pythonLocal) {
      const offset = utcOffsetMinutes ?? -new Date().getTimezoneOffset();
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

  if (rowsAreAccounts && pendingTable) f.push(...expiredAccountFindings(pending, pendingTable.display, traceCmd));
  return f;
}

/** Unconfirmed accounts whose confirmation window passed: a problem, but healfix never deletes them. */
function expiredAccountFindings(pending: JudgedPending[], table: string, traceCmd: (email: string) => string): Finding[] {
  const expired = pending.filter((p) => p.expired);
  if (!expired.length) return [];
  return [{
    check: 'temp-registrations',
    severity: 'warn',
    title: `${expired.length} unconfirmed signup${expired.length === 1 ? '' : 's'} in ${table} past the confirmation window`,
    detail: 'These accounts were never confirmed and their confirmation link has expired: the user cannot finish signing up with that mail. The rows are accounts, so healfix never purges them.',
    hint: 'Have the user request a new confirmation mail; check that mail is delivered; delete abandoned accounts yourself if that is your policy.',
    nextCommand: traceCmd(expired[0]!.email),
    subject: table,
    data: { emails: expired.map((p) => p.email) },
  }];
}
