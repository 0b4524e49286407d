import { describe, expect, it } from 'vitest';
import { devise } from '../../src/knowledge/devise.js';
import { djangoAllauth } from '../../src/knowledge/django-allauth.js';
import { djangoAxes } from '../../src/knowledge/django-axes.js';
import { STACKS } from '../../src/knowledge/index.js';
import { recogniseStacks } from '../../src/knowledge/recognise.js';
import { judgeLimiterRow, judgePendingRow } from '../../src/knowledge/rules.js';

// The database's clock: zoned values compare with nowMs, naive ones with naiveNowMs (here both UTC).
const NOW = Date.parse('2026-11-28T12:00:00Z');
const clock = { nowMs: NOW, naiveNowMs: NOW };
const iso = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const [allauthAddress, allauthConfirmation] = djangoAllauth.pending!.tables as [NonNullable<typeof djangoAllauth.pending>['tables'][0], NonNullable<typeof djangoAllauth.pending>['tables'][0]];
const axes = djangoAxes.limiters!.tables[0]!;
const deviseLock = devise.limiters!.tables[0]!;
const deviseConfirm = devise.pending!.tables[0]!;

describe('django-allauth', () => {
  it('an unverified address is pending and is an account row: never purgeable', () => {
    const v = judgePendingRow(allauthAddress, { id: 1, email: 'a@example.com', verified: false }, clock);
    expect(v).toMatchObject({ pending: true, expired: false, purgeable: false });
    expect(judgePendingRow(allauthAddress, { id: 2, email: 'b@example.com', verified: true }, clock).pending).toBe(false);
    // PostgreSQL's boolean arrives as true/false, SQLite's as 1/0.
    expect(judgePendingRow(allauthAddress, { id: 3, email: 'c@example.com', verified: 0 }, clock).pending).toBe(true);
  });

  it('a confirmation expires sent + ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS (default 3 days), overridable', () => {
    const sentFourDaysAgo = { id: 1, email_address_id: 1, created: iso(-4 * DAY), sent: iso(-4 * DAY) };
    expect(judgePendingRow(allauthConfirmation, sentFourDaysAgo, clock)).toMatchObject({ expired: true, purgeable: true });
    const v = judgePendingRow(allauthConfirmation, sentFourDaysAgo, clock, { ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS: 7 * DAY });
    expect(v.expired).toBe(false);
    expect(v.expiresInMs).toBe(3 * DAY);
    const sentTwoDaysAgo = { ...sentFourDaysAgo, sent: iso(-2 * DAY) };
    expect(judgePendingRow(allauthConfirmation, sentTwoDaysAgo, clock).expiresInMs).toBe(DAY);
  });

  it('a confirmation never sent has no expiry to judge (not expired, not purgeable)', () => {
    expect(judgePendingRow(allauthConfirmation, { id: 1, email_address_id: 1, created: iso(-9 * DAY), sent: null }, clock)).toMatchObject({ expired: false, expiresInMs: null, purgeable: false });
  });
});

describe('django-axes', () => {
  const row = (failures: number, lastAttempt = iso(-MIN)) => ({ username: 'ann', ip_address: '127.0.0.1', failures_since_start: failures, attempt_time: lastAttempt });

  it('locks at exactly AXES_FAILURE_LIMIT (>=), default 3', () => {
    expect(judgeLimiterRow(axes, row(2), clock)).toMatchObject({ key: 'ann / 127.0.0.1', count: 2, limit: 3, locked: false });
    expect(judgeLimiterRow(axes, row(3), clock)).toMatchObject({ count: 3, limit: 3, locked: true });
    expect(judgeLimiterRow(axes, row(4), clock, { AXES_FAILURE_LIMIT: 5 }).locked).toBe(false);
  });

  it('without AXES_COOLOFF_TIME the lock never ends by itself; with it, it ends cool-off after the last attempt', () => {
    expect(judgeLimiterRow(axes, row(3, iso(-30 * DAY)), clock)).toMatchObject({ locked: true, endsInMs: undefined });
    const cooled = judgeLimiterRow(axes, row(3, iso(-10 * MIN)), clock, { AXES_COOLOFF_TIME: 30 * MIN });
    expect(cooled).toMatchObject({ locked: true, endsInMs: 20 * MIN });
    expect(judgeLimiterRow(axes, row(3, iso(-31 * MIN)), clock, { AXES_COOLOFF_TIME: 30 * MIN }).locked).toBe(false);
  });

  it('answers 403 and unlocks by deleting the attempts', () => {
    expect(axes.lockedStatus).toBe(403);
    expect(axes.unlock).toEqual({ kind: 'delete' });
  });
});

describe('Devise lockable and confirmable', () => {
  it('locked_at is the START of the lock: locked until locked_at + unlock_in (default 1 h), whatever the counter says', () => {
    const lockedTenMinutesAgo = { email: 'bo@example.com', failed_attempts: 3, locked_at: iso(-10 * MIN), unlock_token: 'x' };
    expect(judgeLimiterRow(deviseLock, lockedTenMinutesAgo, clock)).toMatchObject({ key: 'bo@example.com', locked: true, endsInMs: 50 * MIN });
    expect(judgeLimiterRow(deviseLock, { ...lockedTenMinutesAgo, locked_at: iso(-2 * HOUR) }, clock).locked).toBe(false);
    expect(judgeLimiterRow(deviseLock, { ...lockedTenMinutesAgo, locked_at: iso(-2 * HOUR) }, clock, { unlock_in: 3 * HOUR }).locked).toBe(true);
    expect(judgeLimiterRow(deviseLock, { email: 'c@example.com', failed_attempts: 25, locked_at: null }, clock).locked).toBe(false);
  });

  it('unlock clears locked_at, failed_attempts and unlock_token', () => {
    expect(deviseLock.unlock).toEqual({ kind: 'update', set: { locked_at: null, failed_attempts: 0, unlock_token: null } });
  });

  it('an unconfirmed user is pending but is the account itself: never purgeable, even when its link expired', () => {
    const row = { id: 7, email: 'u@example.com', created_at: iso(-5 * DAY), confirmed_at: null, confirmation_sent_at: iso(-5 * DAY) };
    expect(judgePendingRow(deviseConfirm, row, clock)).toMatchObject({ pending: true, expired: false, expiresInMs: undefined, purgeable: false });
    expect(judgePendingRow(deviseConfirm, row, clock, { confirm_within: 3 * DAY })).toMatchObject({ pending: true, expired: true, purgeable: false });
    expect(judgePendingRow(deviseConfirm, { ...row, confirmed_at: iso(-DAY) }, clock).pending).toBe(false);
  });
});

describe('recognition by catalog signature', () => {
  const t = (name: string, columns: string[]) => ({ schema: 'public', name, columns: columns.map((c) => ({ name: c })) });

  it('names each stack with its evidence, and uses only the parts whose columns exist', () => {
    const catalog = [
      t('django_migrations', ['id', 'app', 'name', 'applied']),
      t('account_emailaddress', ['id', 'user_id', 'email', 'verified', 'primary']),
      t('axes_accessattempt', ['id', 'username', 'ip_address', 'user_agent', 'attempt_time', 'failures_since_start']),
      t('auth_user', ['id', 'username', 'email']),
    ];
    const found = recogniseStacks(catalog);
    expect(found.map((s) => s.stack.id)).toEqual(['django', 'django-allauth', 'django-axes']);
    const allauth = found.find((s) => s.stack.id === 'django-allauth')!;
    expect(allauth.evidence).toEqual(['account_emailaddress(user_id, email, verified, primary)']);
    // HMAC confirmations (the default) leave no account_emailconfirmation table: only the addresses are read.
    expect(allauth.pending.map((p) => p.spec.table)).toEqual(['account_emailaddress']);
  });

  it('Devise without lockable columns has no lockout part', () => {
    const users = t('users', ['id', 'email', 'encrypted_password', 'confirmation_token', 'confirmed_at', 'confirmation_sent_at', 'created_at']);
    const [d] = recogniseStacks([users]);
    expect(d!.stack.id).toBe('devise');
    expect(d!.pending).toHaveLength(1);
    expect(d!.limiters).toHaveLength(0);
  });

  it('a lookalike table without the signature columns is not a stack', () => {
    expect(recogniseStacks([t('users', ['id', 'email', 'password_hash'])])).toEqual([]);
  });

  it('every entry has an id, a title, a signature and error texts that name a healfix command', () => {
    expect(new Set(STACKS.map((s) => s.id)).size).toBe(STACKS.length);
    for (const s of STACKS) {
      expect(s.recognise.tables.length).toBeGreaterThan(0);
      for (const e of s.errors ?? []) for (const c of e.check) expect(c).toMatch(/^healfix /);
    }
  });
});

describe('--setting NAME=VALUE', async () => {
  const { parseSettings } = await import('../../src/knowledge/settings.js');
  it("reads numbers, durations in the app's own unit or with a unit, and never", () => {
    expect(parseSettings(['AXES_FAILURE_LIMIT=5', 'ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS=7', 'AXES_COOLOFF_TIME=2', 'unlock_in=30min', 'confirm_within=never', 'maximum_attempts=3'])).toEqual({
      AXES_FAILURE_LIMIT: 5, ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS: 7 * DAY, AXES_COOLOFF_TIME: 2 * HOUR, unlock_in: 30 * MIN, confirm_within: null, maximum_attempts: 3,
    });
  });
  it('next commands carry the settings back as flags that parse to the same values', async () => {
    const { settingFlags } = await import('../../src/knowledge/settings.js');
    const settings = { AXES_FAILURE_LIMIT: 5, unlock_in: 30 * MIN, confirm_within: null };
    const flags = settingFlags(settings);
    expect(flags).toBe(' --setting AXES_FAILURE_LIMIT=5 --setting unlock_in=1800000ms --setting confirm_within=never');
    expect(parseSettings(flags.trim().split(/\s+/).filter((w) => w !== '--setting'))).toEqual(settings);
  });

  it('refuses unknown names, bare numbers without a known unit, and junk', () => {
    expect(() => parseSettings(['AXES_FAILURE_LIMT=5'])).toThrow(/unknown setting "AXES_FAILURE_LIMT"/);
    expect(() => parseSettings(['unlock_in=2'])).toThrow(/must be a duration/);
    expect(() => parseSettings(['AXES_FAILURE_LIMIT=lots'])).toThrow(/whole number/);
    expect(() => parseSettings(['nonsense'])).toThrow(/NAME=VALUE/);
  });
});

describe('Laravel: cache-table limiter (<key> + <key>:timer) and hashed reset tokens', async () => {
  const { laravel } = await import('../../src/knowledge/laravel.js');
  const { judgeLockouts } = await import('../../src/checks/rate-limits-rules.js');
  const limiter = laravel.limiters!.tables[0]!;
  const epoch = (offsetMs: number) => `i:${Math.floor((NOW + offsetMs) / 1000)};`;

  it('a key is locked while its hits reach maxAttempts and its timer row is in the future; other cache rows are not keys', () => {
    const rows = [
      { key: 'laravel_cache_login|1.2.3.4', value: 'i:5;' },
      { key: 'laravel_cache_login|1.2.3.4:timer', value: epoch(40_000) },
      { key: 'laravel_cache_login|5.6.7.8', value: 'i:2;' },
      { key: 'laravel_cache_login|5.6.7.8:timer', value: epoch(40_000) },
      { key: 'laravel_cache_login|9.9.9.9', value: 'i:7;' },
      { key: 'laravel_cache_login|9.9.9.9:timer', value: epoch(-1_000) },
      { key: 'laravel_cache_settings', value: 'i:99;' },
    ];
    const judged = judgeLockouts(limiter, rows, clock, {});
    expect(judged.locked).toEqual([expect.objectContaining({ account: 'laravel_cache_login|1.2.3.4', attempts: 5, locked: true, secondsUntilUnlock: 40 })]);
    // The window passed: not locked; its counter is still at the limit (Laravel resets it on the next check).
    expect(judged.atThreshold.map((a) => a.account)).toEqual(['laravel_cache_login|9.9.9.9']);
    expect(judgeLockouts(limiter, rows, clock, { maxAttempts: 2 }).locked.map((a) => a.account)).toEqual(['laravel_cache_login|1.2.3.4', 'laravel_cache_login|5.6.7.8']);
  });

  it('unverified users are pending accounts (never purged); reset tokens are hashed and expire created_at + 60 min', () => {
    const [users, resets] = laravel.pending!.tables;
    expect(judgePendingRow(users!, { id: 1, email: 'x@example.com', email_verified_at: null }, clock)).toMatchObject({ pending: true, purgeable: false });
    expect(resets!.secret).toEqual({ column: 'token', hashed: true });
    expect(judgePendingRow(resets!, { email: 'x@example.com', created_at: iso(-61 * MIN) }, clock)).toMatchObject({ expired: true, purgeable: true });
    expect(judgePendingRow(resets!, { email: 'x@example.com', created_at: iso(-61 * MIN) }, clock, { 'auth.passwords.users.expire': 2 * HOUR }).expired).toBe(false);
  });

  it('a 419 Page Expired is explained as Laravel CSRF, with its own advice', async () => {
    const { explainText } = await import('../../src/explain/index.js');
    const d = explainText('HTTP/1.1 419 unknown status\n\n419 | Page Expired').diagnoses[0]!;
    expect(d).toMatchObject({ id: 'csrf-failed', stack: { id: 'laravel' }, facts: { httpStatus: 419 } });
    expect(d.fix).toContain('_token');
  });
});
