/**
 * The Healing Space sandbox (Flask + PostgreSQL, ../shared/reference/healing-space.md): its schema and its
 * HTTP contract — CSRF token endpoint, JSON registration, both limiters, the lagging-sequence 500 with
 * its error_id and server log line.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import pg from 'pg';
import { hash, html, isJson, json, Limiter, parseJsonObject, passwordProblem, str, type AppHandler, type Reply, type SandboxOptions } from './shared.js';

export function healingSpaceApp(options: SandboxOptions, writeLog: (line: string) => void): AppHandler {
  if (!options.pg) throw new Error('startSandbox: healing-space needs options.pg');
  const pool: pg.Pool = 'pool' in options.pg ? options.pg.pool : options.pg;
  const endpointLimiter = new Limiter(options.endpointLimit ?? { max: 50, windowSec: 3600 });
  const registerLimiter = new Limiter(options.registerLimit ?? (options.debug ? { max: 50, windowSec: 60 } : { max: 3, windowSec: 300 }));
  const tooMany = () =>
    html(429, '<!doctype html>\n<html lang=en>\n<title>429 Too Many Requests</title>\n<h1>Too Many Requests</h1>\n<p>50 per 1 hour</p>\n');

  async function register(req: IncomingMessage, body: string): Promise<Reply> {
    const ip = req.socket.remoteAddress ?? '?';
    if (!isJson(req)) return json(415, { error: 'Invalid Content-Type. Only application/json is allowed.' });
    const data = parseJsonObject(body) ?? {};
    // CSRF: shape only (64 alphanumerics), not tied to the cookie.
    const token = str(req.headers['x-csrf-token']) || str(req.headers['x-csrftoken']) || str(data._csrf_token);
    if (!/^[A-Za-z0-9]{64}$/.test(token)) return json(403, { code: 'CSRF_FAILED', error: 'CSRF token missing or invalid' });
    // Register limiter, keyed on IP and on username; every request past CSRF counts, 429s do not.
    const username = str(data.username);
    const keys = [`ip:${ip}`, ...(username ? [`user:${username.toLowerCase()}`] : [])];
    const wait = Math.max(...keys.map((k) => registerLimiter.retryAfter(k)));
    if (wait > 0) return json(429, { code: 'RATE_LIMITED', error: `Too many requests. Please wait ${wait} seconds.`, retry_after: wait });
    for (const k of keys) registerLimiter.record(k);

    const f = Object.fromEntries(
      ['password', 'pin', 'email', 'phone', 'full_name', 'dob', 'conditions', 'country', 'area', 'clinician_id'].map((k) => [k, str(data[k])]),
    ) as Record<string, string>;
    if (!username || !f.password || !f.pin || !f.email || !f.phone) return json(400, { error: 'All fields are required' });
    if (!f.country || !f.area) return json(400, { error: 'Country and area are required' });
    if (!f.full_name) return json(400, { error: 'Full name is required' });
    if (!f.dob) return json(400, { error: 'Date of birth is required' });
    if (!f.conditions) return json(400, { error: 'Medical conditions/diagnosis is required' });
    const weak = passwordProblem(f.password!);
    if (weak) return json(400, { error: weak });

    const taken = await pool.query<{ u: boolean; e: boolean; p: boolean }>(
      `select exists(select 1 from users where username = $1) as u,
              exists(select 1 from users where lower(email) = lower($2)) as e,
              exists(select 1 from users where phone = $3) as p`,
      [username, f.email, f.phone],
    );
    const t = taken.rows[0]!;
    if (t.u) return json(409, { error: 'Username already exists' });
    if (t.e) return json(409, { error: 'Email already in use' });
    if (t.p) return json(409, { error: 'Phone number already in use' });

    const pending = Boolean(f.clinician_id);
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `insert into users (username, email, phone, password_hash, pin_hash, full_name, dob, conditions, country, area, role, clinician_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'user', $11)`,
        [username, f.email, f.phone, hash(f.password!), hash(f.pin!), f.full_name, f.dob, f.conditions, f.country, f.area, f.clinician_id || null],
      );
      await client.query(`insert into notifications (recipient_username, message, notification_type) values ($1, $2, 'welcome')`, [
        username,
        'Welcome to Healing Space!',
      ]);
      if (pending) {
        await client.query(`insert into patient_approvals (patient_username, clinician_username) values ($1, $2)`, [username, f.clinician_id]);
      }
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => {});
      const id = randomBytes(4).toString('hex');
      const e = error as { message?: string; detail?: string };
      writeLog(`[ERROR ${id}] register: ${e.message ?? String(error)}`);
      if (e.detail) writeLog(`DETAIL:  ${e.detail}`);
      return json(500, { code: 'INTERNAL_ERROR', error: 'An unexpected error occurred. Please try again.', error_id: id });
    } finally {
      client.release();
    }
    // The audit log is written separately and its errors are swallowed (a lagging audit_logs loses rows silently).
    await pool.query(`insert into audit_logs (username, action, details) values ($1, 'register', 'account created')`, [username]).catch(() => {});
    return json(201, {
      message: pending
        ? 'Account created! Your clinician must approve your account before you can use all features.'
        : 'Account created! You can start using Healing Space immediately.',
      pending_approval: pending,
      success: true,
      username,
    });
  }

  return {
    async handle(req, body) {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const ip = req.socket.remoteAddress ?? '?';
      const route = `${req.method} ${url.pathname}`;
      const known = route === 'GET /api/csrf-token' || route === 'POST /api/auth/register';
      if (known) {
        const key = `${route}|${ip}`;
        if (endpointLimiter.retryAfter(key) > 0) return tooMany();
        endpointLimiter.record(key);
      }
      if (route === 'GET /api/csrf-token') {
        const token = randomBytes(32).toString('hex');
        return json(200, { csrf_token: token }, { 'Set-Cookie': `csrf_token=${token}; Path=/; SameSite=Strict${options.debug ? '' : '; Secure'}` });
      }
      if (route === 'POST /api/auth/register') return register(req, body);
      if (url.pathname === '/api/csrf-token' || url.pathname === '/api/auth/register') return json(405, { error: 'Method not allowed' });
      return json(404, { error: 'Endpoint not found' });
    },
    async close() {},
  };
}



/**
 * The part of the Healing Space schema (Flask + PostgreSQL, ../shared/reference/healing-space.md) that its
 * registration touches: users (text primary key, no sequence) and six `id SERIAL` tables.
 *
 * Seed rows are inserted with explicit ids, as the app's own data import did. With `lagging: true` the four
 * sequences of the seed report (notifications, audit_logs, alerts, chat_sessions) are left untouched, so
 * their next value (1) collides with existing rows: the first registration fails with
 * `duplicate key value violates unique constraint "notifications_pkey"`, `Key (id)=(1) already exists.`
 * Without `lagging`, every sequence is moved past max(id).
 */
export async function createHealingSpaceSchema(client: pg.ClientBase, options: { lagging?: boolean } = {}): Promise<void> {
  await client.query(`
    create table users (
      username text primary key,
      email text,
      phone text,
      password_hash text not null,
      pin_hash text,
      full_name text,
      dob text,
      conditions text,
      country text,
      area text,
      role text not null default 'user',
      clinician_id text,
      created_at timestamp not null default now(),
      last_login timestamp
    );
    create table notifications (
      id serial primary key,
      recipient_username text not null,
      message text not null,
      notification_type text not null default 'info',
      read boolean not null default false,
      created_at timestamp not null default now()
    );
    create table audit_logs (
      id serial primary key,
      username text,
      action text not null,
      details text,
      created_at timestamp not null default now()
    );
    create table alerts (
      id serial primary key,
      username text not null,
      alert_type text not null,
      details text,
      status text not null default 'open',
      created_at timestamp not null default now()
    );
    create table chat_sessions (
      id serial primary key,
      username text not null,
      session_name text not null default 'Main Chat',
      is_active boolean not null default true,
      created_at timestamp not null default now()
    );
    create table patient_approvals (
      id serial primary key,
      patient_username text not null,
      clinician_username text not null,
      status text not null default 'pending',
      request_date timestamp not null default now()
    );
    create table verification_codes (
      id serial primary key,
      identifier text not null,
      code text not null,
      method text not null default 'email',
      created_at timestamp not null default now(),
      expires_at timestamp not null,
      verified boolean not null default false
    );

    insert into users (username, email, phone, password_hash, pin_hash, full_name, dob, conditions, country, area, role) values
      ('admin', 'admin@healing.example', '+440000000001', 'seed', 'seed', 'Admin', '1980-01-01', 'n/a', 'UK', 'London', 'admin'),
      ('dr_smith', 'smith@healing.example', '+440000000002', 'seed', 'seed', 'Dr Smith', '1975-05-05', 'n/a', 'UK', 'Leeds', 'clinician'),
      ('patient_one', 'p1@healing.example', '+440000000003', 'seed', 'seed', 'Patient One', '1990-01-01', 'Anxiety', 'UK', 'York', 'user');

    insert into notifications (id, recipient_username, message, notification_type) values
      (1, 'admin', 'Welcome to Healing Space', 'welcome'),
      (2, 'dr_smith', 'Welcome to Healing Space', 'welcome'),
      (3, 'patient_one', 'Welcome to Healing Space', 'welcome');
    insert into audit_logs (id, username, action, details) values
      (1, 'admin', 'register', 'seed'), (2, 'dr_smith', 'register', 'seed'), (3, 'patient_one', 'register', 'seed'),
      (4, 'patient_one', 'login', 'seed'), (5, 'admin', 'login', 'seed');
    insert into alerts (id, username, alert_type, details) values
      (1, 'patient_one', 'mood', 'seed'), (2, 'patient_one', 'crisis', 'seed');
    insert into chat_sessions (id, username) values (1, 'patient_one'), (2, 'admin');
    insert into patient_approvals (id, patient_username, clinician_username, status) values (1, 'patient_one', 'dr_smith', 'approved');
    select setval('patient_approvals_id_seq', 1);
  `);
  if (!options.lagging) {
    await client.query(`
      select setval('notifications_id_seq', (select max(id) from notifications));
      select setval('audit_logs_id_seq', (select max(id) from audit_logs));
      select setval('alerts_id_seq', (select max(id) from alerts));
      select setval('chat_sessions_id_seq', (select max(id) from chat_sessions));
    `);
  }
}
