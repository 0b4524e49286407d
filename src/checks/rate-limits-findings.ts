/** rate-limits, step 4: what the judged rows mean to a user — findings with a hint and a next command. */
import { humanDuration, msFromNow, showTime, type DbClock } from '../db/time.js';
import type { RateLimitTables } from './rate-limits-discover.js';
import type { JudgedLockouts, JudgedWindows } from './rate-limits-rules.js';
import type { Finding } from './types.js';
import { shellQuote } from './next-command.js';

type Cmd = (rest: string) => string;

export function windowFindings(table: string, judged: JudgedWindows, clock: DbClock, cmd: Cmd, opts: { limit?: number; hasBlockedColumn: boolean }): Finding[] {
  const f: Finding[] = [];
  for (const k of judged.blocked.slice(0, 20)) {
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
  if (judged.blocked.length > 20) {
    f.push({ check: 'rate-limits', severity: 'warn', title: `${judged.blocked.length - 20} more keys are blocked`, nextCommand: cmd(' --json'), subject: table });
  }
  if (judged.stale.length) {
    const oldestX = judged.stale.reduce((a, b) => (a.x!.ms < b.x!.ms ? a : b)).x!;
    f.push({
      check: 'rate-limits',
      severity: 'warn',
      title: `${judged.stale.length} rate-limit windows in ${table} expired long ago and were never purged (oldest ${humanDuration(msFromNow(clock, oldestX))} ago)`,
      detail: 'The store never deletes finished windows; the table grows with every client ever seen and lookups slow down.',
      hint: 'Purge them now and enable the store\'s expiry cleanup (rate-limiter-flexible: clearExpiredByTimeout; or a scheduled DELETE).',
      nextCommand: cmd(' --purge-expired'),
      subject: table,
      data: { rows: judged.stale.length, oldestExpiresAt: showTime(oldestX) },
    });
  }
  if (opts.limit === undefined && !opts.hasBlockedColumn && judged.keys.length) {
    f.push({
      check: 'rate-limits',
      severity: 'ok',
      title: `${table} has no block column: pass --limit N (the app's allowance per window) to see which keys are blocked`,
      nextCommand: cmd(` --limit ${Math.max(1, judged.top[0]?.hits ?? 1)}`),
      subject: table,
    });
  }
  return f;
}

/**
 * `endSetting`: the setting that would give the lock an end (axes' AXES_COOLOFF_TIME) when none was
 * given; healfix cannot read the app's settings, so "no end" is said as "none given", with the flag.
 */
export function lockoutFindings(judged: JudgedLockouts, lockedStatus: number | undefined, cmd: Cmd, endSetting?: { setting: string; where: string }): Finding[] {
  const f: Finding[] = [];
  for (const a of judged.locked.slice(0, 20)) {
    const ends = a.secondsUntilUnlock !== undefined;
    f.push({
      check: 'rate-limits',
      severity: 'warn',
      title: ends
        ? `account ${a.account} is locked for ${humanDuration(a.secondsUntilUnlock! * 1000)} more (${a.attempts} failed logins)`
        : `account ${a.account} is locked until someone unlocks it (${a.attempts} failed logins)`,
      detail: ends
        ? `Logins are refused${lockedStatus ? ` (${lockedStatus})` : ''} until ${a.lockedUntil} (in ${a.secondsUntilUnlock} s).`
        : endSetting
          ? `Logins are refused${lockedStatus ? ` (${lockedStatus})` : ''}; with no ${endSetting.setting} given the framework's default applies and the lock lasts until it is reset.`
          : `Logins are refused${lockedStatus ? ` (${lockedStatus})` : ''}; the lock has no end configured, so it lasts until it is reset.`,
      hint: endSetting
        ? `If ${endSetting.where} sets ${endSetting.setting}, pass it (--setting ${endSetting.setting}=VALUE) to see when the lock ends; or unlock the account if the owner is known.`
        : 'Wait for the lock to lapse, or unlock the account if the owner is known.',
      nextCommand: cmd(` --unlock ${shellQuote(a.unlockAs)}`),
      subject: a.account,
      data: { account: a.account, attempts: a.attempts, lockedUntil: a.lockedUntil, secondsUntilUnlock: a.secondsUntilUnlock },
    });
  }
  for (const a of judged.atThreshold.slice(0, 20)) {
    f.push({
      check: 'rate-limits',
      severity: 'warn',
      title: `account ${a.account} has ${a.attempts} failed logins (lockout at ${judged.threshold}) but is not locked`,
      detail: 'The failure counter was never reset after the last lock lapsed (or the lock never applied): the next wrong password locks the account again at once.',
      hint: 'Reset the counter on a successful login and when a lock expires.',
      nextCommand: cmd(` --unlock ${shellQuote(a.unlockAs)}`),
      subject: a.account,
      data: { account: a.account, attempts: a.attempts },
    });
  }
  return f;
}

/** No table at all: where the recognised stack keeps its limits, else the generic in-memory note. */
export function noTableFinding(outside: RateLimitTables['outside']): Finding {
  const where = outside.length ? ` (${outside.map((o) => `${o.stack}: ${o.where}`).join('; ')})` : '';
  return {
    check: 'rate-limits',
    severity: 'ok',
    title: 'no rate-limit table: the app keeps its request limits in process memory',
    detail: `Nothing in the database says who is limited${where}; a restart resets every limit, and with several worker processes each keeps its own count. The limiter can only be read from the server's answers (429, Retry-After, "Please wait N seconds").`,
    hint: 'Run register-test against the running app: it reports which limiter answered and when it lets you in again.',
    nextCommand: 'healfix register-test --url <app-url>',
  };
}

/** A limiter or lockout table this role may not read: not verifiable, never "in memory". */
export function unreadableFinding(u: RateLimitTables['unreadable'][number], role: string | undefined): Finding {
  const grantee = role ? `"${role}"` : 'this role';
  return {
    check: 'rate-limits',
    severity: 'error',
    title: `cannot read ${u.table.display}: no SELECT privilege (${u.role === 'lockout' ? 'account lockouts' : 'rate-limit windows'} not verified)`,
    detail: `${u.table.display} exists and ${u.why}, but this role may not read it, so healfix cannot say who is locked or limited.`,
    hint: `GRANT SELECT ON ${u.table.sql} TO ${grantee}; or run as the table's owner.`,
    subject: u.table.display,
    data: { table: u.table.display, reason: 'permission' },
  };
}
