import { describe, expect, it } from 'vitest';
import { explainText } from '../../src/explain/recognise.js';
import { authjs } from '../../src/knowledge/authjs.js';
import { betterAuth } from '../../src/knowledge/better-auth.js';
import { djangoOtp } from '../../src/knowledge/django-otp.js';
import { flaskLimiter } from '../../src/knowledge/flask-limiter.js';
import { phoenix } from '../../src/knowledge/phoenix.js';
import { rackAttack } from '../../src/knowledge/rack-attack.js';
import { recogniseStacks } from '../../src/knowledge/recognise.js';
import { rodauth } from '../../src/knowledge/rodauth.js';
import { judgeLimiterRow, judgePendingRow } from '../../src/knowledge/rules.js';
import type { LimiterTable, PendingTable } from '../../src/knowledge/types.js';
import { supabase } from '../../src/knowledge/supabase.js';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const clock = { nowMs: NOW, naiveNowMs: NOW };
const iso = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();
const naive = (offsetMs: number) => new Date(NOW + offsetMs).toISOString().replace('T', ' ').replace('Z', '');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('Auth.js verification_token', () => {
  const spec = authjs.pending!.tables[0]!;
  it('expires at its expires column; the token is a hash that is never read', () => {
    expect(judgePendingRow(spec, { identifier: 'a@example.com', expires: iso(-1000) }, clock)).toMatchObject({ expired: true, purgeable: true });
    expect(judgePendingRow(spec, { identifier: 'a@example.com', expires: iso(HOUR) }, clock)).toMatchObject({ expired: false, expiresInMs: HOUR });
    expect(spec.secret).toEqual({ column: 'token', hashed: true });
    // No single-column key: the purge keys on the physical row.
    expect(spec.key).toBeUndefined();
  });
});

describe('Supabase auth.one_time_tokens', () => {
  const [users, tokens] = supabase.pending!.tables as [PendingTable, PendingTable];
  it('a token expires GOTRUE_MAILER_OTP_EXP after created_at (default 24 h; the setting is in seconds)', () => {
    const row = { id: 't', user_id: 'u', token_type: 'confirmation_token', created_at: naive(-25 * HOUR) };
    expect(judgePendingRow(tokens, row, clock)).toMatchObject({ expired: true });
    expect(judgePendingRow(tokens, row, clock, { GOTRUE_MAILER_OTP_EXP: 2 * DAY }).expiresInMs).toBe(23 * HOUR);
    expect(tokens.expires).toMatchObject({ interval: { unitMs: 1000 } });
    expect(tokens.secret!.hashed).toBe(true);
  });
  it('an unconfirmed auth.users row is pending and is an account: never purgeable', () => {
    expect(judgePendingRow(users, { id: 'u', email: 'a@example.com', email_confirmed_at: null }, clock)).toMatchObject({ pending: true, purgeable: false });
    expect(judgePendingRow(users, { id: 'u', email: 'a@example.com', email_confirmed_at: iso(-DAY) }, clock).pending).toBe(false);
  });
  it('is recognised only by the auth-schema table', () => {
    const catalog = [{ schema: 'auth', name: 'one_time_tokens', columns: ['id', 'user_id', 'token_type', 'token_hash', 'relates_to', 'created_at'].map((name) => ({ name })) }];
    expect(recogniseStacks(catalog).map((s) => s.stack.id)).toContain('supabase');
    expect(recogniseStacks([{ ...catalog[0]!, schema: 'public' }]).map((s) => s.stack.id)).not.toContain('supabase');
  });
});

describe('Better Auth', () => {
  const verification = betterAuth.pending!.tables[0]!;
  const rateLimit = betterAuth.limiters!.tables[0]!;
  it('a verification row expires at expiresAt', () => {
    expect(judgePendingRow(verification, { id: 'v', identifier: 'email-verification-otp-a@example.com', expiresAt: iso(-1) }, clock).expired).toBe(true);
  });
  it('rateLimit: lastRequest is epoch ms; count at rateLimit.max inside the 10 s window is refused, after it is not', () => {
    const row = { key: '192.0.2.7/sign-up/email', count: 100, lastRequest: NOW - 4000 };
    expect(judgeLimiterRow(rateLimit, row, clock)).toMatchObject({ locked: true, endsInMs: 6000, limit: 100 });
    expect(judgeLimiterRow(rateLimit, { ...row, count: 99 }, clock).locked).toBe(false);
    expect(judgeLimiterRow(rateLimit, { ...row, lastRequest: NOW - 11_000 }, clock).locked).toBe(false);
    expect(judgeLimiterRow(rateLimit, row, clock, { 'rateLimit.max': 150 }).locked).toBe(false);
  });
});

describe('rodauth', () => {
  const [accounts] = rodauth.pending!.tables;
  const [lockouts, failures] = rodauth.limiters!.tables as [LimiterTable, LimiterTable];
  it('status_id 1 is pending (an account: never purgeable); 2 is verified', () => {
    expect(judgePendingRow(accounts!, { id: 1, email: 'a@example.com', status_id: 1 }, clock)).toMatchObject({ pending: true, purgeable: false });
    expect(judgePendingRow(accounts!, { id: 1, email: 'a@example.com', status_id: 2 }, clock).pending).toBe(false);
  });
  it('a lockout holds until its deadline; unlock deletes the row', () => {
    expect(judgeLimiterRow(lockouts, { id: 3, deadline: naive(HOUR) }, clock)).toMatchObject({ key: '3', locked: true, endsInMs: HOUR });
    expect(judgeLimiterRow(lockouts, { id: 3, deadline: naive(-1) }, clock).locked).toBe(false);
    expect(lockouts.unlock).toEqual({ kind: 'delete' });
  });
  it('login failures lock at max_invalid_logins (default 100)', () => {
    expect(judgeLimiterRow(failures, { id: 3, number: 100 }, clock).locked).toBe(true);
    expect(judgeLimiterRow(failures, { id: 3, number: 99 }, clock).locked).toBe(false);
  });
});

describe('django-otp', () => {
  const device = djangoOtp.pending!.tables[0]!;
  it('a cleared token is used; an expired device token is never purgeable (the row is the device)', () => {
    expect(judgePendingRow(device, { id: 1, user_id: 1, token: null, valid_until: iso(-HOUR) }, clock).used).toBe(true);
    expect(judgePendingRow(device, { id: 1, user_id: 1, token: '123456', valid_until: iso(-HOUR) }, clock)).toMatchObject({ used: false, expired: true, purgeable: false });
  });
});

describe('Phoenix users_tokens', () => {
  const tokens = phoenix.pending!.tables[1]!;
  it('only context "confirm" rows are codes; they expire @confirm_validity_in_days (default 7) after inserted_at; never purgeable', () => {
    const confirm = { id: 1, user_id: 1, context: 'confirm', inserted_at: naive(-8 * DAY) };
    expect(judgePendingRow(tokens, confirm, clock)).toMatchObject({ pending: true, expired: true, purgeable: false });
    expect(judgePendingRow(tokens, { ...confirm, context: 'session' }, clock).pending).toBe(false);
    expect(judgePendingRow(tokens, confirm, clock, { confirm_validity_in_days: 10 * DAY }).expiresInMs).toBe(2 * DAY);
    expect(tokens.secret).toEqual({ column: 'token', hashed: true });
  });
});

describe('limiters outside the database', () => {
  it('Flask-Limiter and rack-attack are never recognised from a catalog (they have no table)', () => {
    const catalog = [{ name: 'users', columns: [{ name: 'id' }, { name: 'email' }] }];
    expect(recogniseStacks(catalog).map((s) => s.stack.id)).not.toContain('flask-limiter');
    expect(recogniseStacks(catalog).map((s) => s.stack.id)).not.toContain('rack-attack');
    for (const stack of [flaskLimiter, rackAttack]) expect(stack.limiters!.outside![0]!.clear).toMatch(/redis|Redis/);
  });
  it('explain answers Flask-Limiter\'s 429 body and rack-attack\'s "Retry later" with where the state lives and how to clear it', () => {
    const flask = explainText('127.0.0.1 - - "POST /register HTTP/1.1" 429 -\n429 Too Many Requests: 5 per 1 minute').diagnoses[0]!;
    expect(flask.stack).toMatchObject({ id: 'flask-limiter' });
    expect(flask.fix).toContain('LIMITS');
    const rack = explainText('HTTP/1.1 429 Too Many Requests\nContent-Type: text/plain\n\nRetry later\n').diagnoses[0]!;
    expect(rack.stack).toMatchObject({ id: 'rack-attack' });
    expect(rack.fix).toContain('Rack::Attack.reset!');
  });
});
