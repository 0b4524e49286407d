import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealingSpaceSchema } from '../../src/demo/sandbox/healing-space.js';
import { startSandbox, type Sandbox } from '../../src/demo/sandbox/server.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';

const user = (n: string) => ({
  username: `sb_${n}`,
  password: 'SecurePass123!@',
  pin: '1234',
  email: `sb_${n}@example.com`,
  phone: `+4470000${n.padStart(5, '0')}`,
  full_name: 'Sandbox User',
  dob: '1990-01-01',
  conditions: 'Depression',
  country: 'UK',
  area: 'London',
});

async function csrf(url: string): Promise<string> {
  const res = await fetch(`${url}/api/csrf-token`);
  expect(res.headers.get('set-cookie')).toMatch(/^csrf_token=[0-9a-f]{64}; Path=\/; SameSite=Strict/);
  return ((await res.json()) as { csrf_token: string }).csrf_token;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describeDb('sandbox: Healing Space', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase('sbhs');
    const client = await db.connect();
    await createHealingSpaceSchema(client, { lagging: true });
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    dir = mkdtempSync(join(tmpdir(), 'healfix-sb-'));
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seeds the four lagging sequences of the seed report', async () => {
    const { rows } = await db.query<{ name: string; last_value: string | null }>(
      `select sequencename as name, last_value::text from pg_sequences order by 1`,
    );
    const next = Object.fromEntries(rows.map((r) => [r.name, r.last_value]));
    expect(Object.keys(next).sort()).toEqual(
      ['alerts_id_seq', 'audit_logs_id_seq', 'chat_sessions_id_seq', 'notifications_id_seq', 'patient_approvals_id_seq', 'verification_codes_id_seq'],
    );
    expect(next.patient_approvals_id_seq).toBe('1');
    for (const lagging of ['notifications_id_seq', 'audit_logs_id_seq', 'alerts_id_seq', 'chat_sessions_id_seq']) {
      expect(next[lagging]).toBeNull(); // never called: nextval() = 1, but rows from id 1 exist
    }
  });

  it('answers 500 with an error_id and logs the duplicate key, then 201 after the fix; 403, 415, 409, 429', async () => {
    const logFile = join(dir, 'server.log');
    const sb: Sandbox = await startSandbox({ app: 'healing-space', pg: pool, logFile, registerLimit: { max: 3, windowSec: 300 } });
    try {
      const token = await csrf(sb.url);
      const reg = `${sb.url}/api/auth/register`;
      expect((await post(reg, user('1'))).status).toBe(403);
      expect(await (await post(reg, user('1'))).json()).toEqual({ code: 'CSRF_FAILED', error: 'CSRF token missing or invalid' });
      const r415 = await fetch(reg, { method: 'POST', headers: { 'Content-Type': 'text/plain', 'X-CSRF-Token': token }, body: 'x' });
      expect(r415.status).toBe(415);

      const r500 = await post(reg, user('1'), { 'X-CSRF-Token': token });
      expect(r500.status).toBe(500);
      const b500 = (await r500.json()) as Record<string, string>;
      expect(b500).toMatchObject({ code: 'INTERNAL_ERROR', error: 'An unexpected error occurred. Please try again.' });
      expect(b500.error_id).toMatch(/^[0-9a-f]{8}$/);
      expect(sb.log).toEqual([
        `[ERROR ${b500.error_id}] register: duplicate key value violates unique constraint "notifications_pkey"`,
        'DETAIL:  Key (id)=(1) already exists.',
      ]);
      expect(readFileSync(logFile, 'utf8')).toContain(`[ERROR ${b500.error_id}]`);
      expect((await db.query(`select 1 from users where username = 'sb_1'`)).rowCount).toBe(0);

      await db.query(`select setval('notifications_id_seq', (select max(id) from notifications))`);
      const ok = await post(reg, user('1'), { 'X-CSRF-Token': token });
      expect(ok.status).toBe(201);
      expect(await ok.json()).toEqual({
        message: 'Account created! You can start using Healing Space immediately.',
        pending_approval: false,
        success: true,
        username: 'sb_1',
      });
      const dup = await post(reg, { ...user('2'), email: user('1').email }, { 'X-CSRFToken': token });
      expect(dup.status).toBe(409);
      expect(await dup.json()).toEqual({ error: 'Email already in use' });
      const limited = await post(reg, user('3'), { 'X-CSRF-Token': token });
      expect(limited.status).toBe(429);
      const lb = (await limited.json()) as { retry_after: number; error: string; code: string };
      expect(lb.code).toBe('RATE_LIMITED');
      expect(lb.retry_after).toBeGreaterThan(290);
      expect(lb.error).toBe(`Too many requests. Please wait ${lb.retry_after} seconds.`);
      expect(limited.headers.get('retry-after')).toBeNull();
    } finally {
      await sb.close();
    }
  });

  it('answers the per-endpoint limiter in HTML', async () => {
    const sb = await startSandbox({ app: 'healing-space', pg: pool, endpointLimit: { max: 2, windowSec: 60 } });
    try {
      await csrf(sb.url);
      await csrf(sb.url);
      const res = await fetch(`${sb.url}/api/csrf-token`);
      expect(res.status).toBe(429);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('<h1>Too Many Requests</h1>\n<p>50 per 1 hour</p>');
    } finally {
      await sb.close();
    }
  });
});

describe('sandbox: SANA', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'healfix-sana-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const signup = (url: string, email: string) =>
    post(`${url}/auth/api/send-signup-otp`, { email, password: 'SecurePass123!@' });
  const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0]!;

  it('signs up, shows the temp id, verifies with the OTP from the database', async () => {
    const path = join(dir, 'ok.db');
    const sb = await startSandbox({ app: 'sana', sqlitePath: path });
    try {
      const res = await signup(sb.url, 'a@example.com');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ message: 'Verification code sent to your email', redirect: '/auth/verify-otp', status: 'success' });
      expect(res.headers.get('set-cookie')).toMatch(/^sana_session=[^;]+; HttpOnly; Path=\/; SameSite=Lax$/);
      const cookie = cookieOf(res);
      const page = await (await fetch(`${sb.url}/auth/verify-otp`, { headers: { cookie } })).text();
      const tempId = /data-temp-user-id="(temp_[0-9a-f]+)"/.exec(page)![1]!;
      const reader = new Database(path, { readonly: true });
      const { otp_code } = reader.prepare(`select otp_code from user_otp where identifier = ? and otp_type = 'signup' and is_used = 0`).get(tempId) as { otp_code: string };
      reader.close();
      expect(otp_code).toMatch(/^\d{6}$/);
      const wrong = await post(`${sb.url}/auth/api/verify-otp`, { otp_code: otp_code === '000000' ? '111111' : '000000' }, { cookie });
      expect(await wrong.json()).toEqual({ message: 'Invalid or expired verification code', status: 'error' });
      const ok = await post(`${sb.url}/auth/api/verify-otp`, { otp_code }, { cookie });
      expect(await ok.json()).toEqual({ message: 'Account created successfully! Please login.', redirect: '/auth/login', status: 'success' });
      expect((await signup(sb.url, 'a@example.com')).status).toBe(409);
      const form = await fetch(`${sb.url}/auth/api/send-signup-otp`, { method: 'POST', body: 'email=x' });
      expect(form.status).toBe(500);
      expect(await form.json()).toEqual({ message: 'An error occurred. Please try again.', status: 'error' });
    } finally {
      await sb.close();
    }
  });

  it('reproduces the race before the fix and the 429 after it', async () => {
    const pre = await startSandbox({ app: 'sana', sqlitePath: join(dir, 'pre.db') });
    try {
      const responses = await Promise.all([1, 2, 3].map(() => signup(pre.url, 'race@example.com')));
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
      const results = await Promise.all(
        responses.map(async (r) => (await post(`${pre.url}/auth/api/verify-otp`, { otp_code: '123456' }, { cookie: cookieOf(r) })).json()),
      );
      const stale = results.filter((b) => (b as { message: string }).message === 'Invalid verification session');
      expect(stale).toHaveLength(2);
      expect(pre.log.filter((l) => /^No temp_registration found for temp_id: temp_[0-9a-f]+$/.test(l))).toHaveLength(2);
    } finally {
      await pre.close();
    }
    const fixed = await startSandbox({ app: 'sana', sqlitePath: join(dir, 'fixed.db'), sanaFixed: true });
    try {
      const responses = await Promise.all([1, 2, 3].map(() => signup(fixed.url, 'race@example.com')));
      expect(responses.map((r) => r.status).sort()).toEqual([200, 429, 429]);
      const again = await post(`${fixed.url}/auth/api/send-signup-otp`, { email: 'race@example.com', password: 'SecurePass123!@' }, {
        cookie: cookieOf(responses.find((r) => r.status === 200)!),
      });
      expect(await again.json()).toMatchObject({ message: 'Verification code already sent to your email' });
    } finally {
      await fixed.close();
    }
  });
});
