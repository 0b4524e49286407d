/**
 * A test double of the two real apps of ../shared/reference/: Healing Space (Flask + PostgreSQL) and the
 * SANA Toolkit (Flask + SQLite). node:http only, on 127.0.0.1, backed by a real database, reproducing their
 * HTTP contracts: statuses, JSON bodies, cookies, both Healing Space limiters, the lagging-sequence 500 with
 * its error_id and server log line, and the SANA OTP race before and after the fix. It is not the apps:
 * it is what healfix's tests, the demo and `register-test` are checked against.
 */
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { PostgresDatabase } from '../db/postgres.js';
import { createSanaSchema, localTimestamp } from './sana-schema.js';

export interface SandboxLimit {
  max: number;
  windowSec: number;
}

export interface SandboxOptions {
  app: 'healing-space' | 'sana';
  /** Healing Space: the database holding its schema (createHealingSpaceSchema). */
  pg?: PostgresDatabase | pg.Pool;
  /** SANA: the SQLite file (created, with its schema, when missing). */
  sqlitePath?: string;
  /** SANA: run the version with the session-mismatch fix (2 s per-email dedup, 60 s same-session window). */
  sanaFixed?: boolean;
  /** Healing Space register limiter; default 3 per 300 s (50 per 60 s with debug). */
  registerLimit?: SandboxLimit;
  /** Healing Space per-endpoint per-IP limiter answering HTML; default 50 per 3600 s. */
  endpointLimit?: SandboxLimit;
  /** Healing Space DEBUG: no Secure on the CSRF cookie, register limiter 50 per 60 s. */
  debug?: boolean;
  /** Server log lines are also appended to this file. */
  logFile?: string;
  port?: number;
}

export interface Sandbox {
  url: string;
  close(): Promise<void>;
  /** The server log, one entry per line. */
  log: string[];
}

interface Reply {
  status: number;
  body: string;
  type: string;
  headers?: Record<string, string | string[]>;
}

const json = (status: number, value: unknown, headers?: Record<string, string | string[]>): Reply => ({
  status,
  body: JSON.stringify(value),
  type: 'application/json',
  headers,
});
const html = (status: number, body: string, headers?: Record<string, string | string[]>): Reply => ({ status, body, type: 'text/html; charset=utf-8', headers });

/** In-process sliding-window limiter, like the apps' dict-of-timestamps limiters. */
class Limiter {
  private hits = new Map<string, number[]>();
  constructor(private limit: SandboxLimit) {}
  /** Seconds to wait when the key is over the limit, else 0. Does not record. */
  retryAfter(key: string, now = Date.now()): number {
    const windowMs = this.limit.windowSec * 1000;
    const hits = (this.hits.get(key) ?? []).filter((t) => now - t < windowMs);
    this.hits.set(key, hits);
    if (hits.length < this.limit.max) return 0;
    return Math.max(1, Math.ceil((hits[0]! + windowMs - now) / 1000));
  }
  record(key: string, now = Date.now()): void {
    const hits = this.hits.get(key) ?? [];
    hits.push(now);
    this.hits.set(key, hits);
  }
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const log: string[] = [];
  // Like a real app, the log file exists once the app runs (register-test checks --server-log up front).
  if (options.logFile) appendFileSync(options.logFile, '');
  const writeLog = (line: string) => {
    log.push(line);
    if (options.logFile) appendFileSync(options.logFile, `${line}\n`);
  };
  const handler = options.app === 'healing-space' ? healingSpace(options, writeLog) : sana(options, writeLog);
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => handler.handle(req, body))
      .catch((error: unknown) => {
        writeLog(`[SANDBOX] unhandled: ${(error as Error).message}`);
        return json(500, { error: 'sandbox failure' });
      })
      .then((reply) => send(res, reply));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.close();
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { 'Content-Type': reply.type, 'Content-Length': Buffer.byteLength(reply.body), ...reply.headers });
  res.end(reply.body);
}

function isJson(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function cookies(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const hash = (text: string) => createHash('sha256').update(text).digest('hex');

function passwordProblem(password: string): string | undefined {
  if (password.length < 8) return 'Password must be at least 8 characters long';
  if (!/[A-Z]/.test(password)) return 'Password must contain at least one uppercase letter';
  if (!/[a-z]/.test(password)) return 'Password must contain at least one lowercase letter';
  if (!/\d/.test(password)) return 'Password must contain at least one number';
  if (!/[^A-Za-z0-9]/.test(password)) return 'Password must contain at least one special character';
  return undefined;
}

interface AppHandler {
  handle(req: IncomingMessage, body: string): Promise<Reply>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- Healing Space

function healingSpace(options: SandboxOptions, writeLog: (line: string) => void): AppHandler {
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

// ---------------------------------------------------------------- SANA

const SANA_ERROR = { message: 'An error occurred. Please try again.', status: 'error' };
const sanaJson = (status: number, message: string, extra: Record<string, unknown> = {}) =>
  json(status, { message, ...extra, status: status < 300 ? 'success' : 'error' });

interface SanaSession {
  temp_id: string;
  email: string;
  /** The real app keeps the plain signup password in its (signed, not encrypted) cookie. */
  password: string;
  sent_at: number;
}

function sana(options: SandboxOptions, writeLog: (line: string) => void): AppHandler {
  if (!options.sqlitePath) throw new Error('startSandbox: sana needs options.sqlitePath');
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  const db = new Database(options.sqlitePath);
  db.pragma('busy_timeout = 5000');
  createSanaSchema(db);
  const secret = randomBytes(32);
  const lastSignupByEmail = new Map<string, number>();

  const sign = (session: SanaSession) => {
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
    return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
  };
  const sessionOf = (req: IncomingMessage): SanaSession | undefined => {
    const raw = cookies(req).sana_session;
    if (!raw) return undefined;
    const [payload, mac] = raw.split('.');
    if (!payload || !mac) return undefined;
    const expected = Buffer.from(createHmac('sha256', secret).update(payload).digest('base64url'));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SanaSession;
    } catch {
      return undefined;
    }
  };
  const setSession = (session: SanaSession) => ({ 'Set-Cookie': `sana_session=${sign(session)}; HttpOnly; Path=/; SameSite=Lax` });
  const clearSession = { 'Set-Cookie': 'sana_session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/; SameSite=Lax' };
  const minutesFromNow = (m: number) => localTimestamp(new Date(Date.now() + m * 60_000));

  const issueOtp = (tempId: string): void => {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    db.prepare(`INSERT INTO user_otp (identifier, otp_code, otp_type, is_used, expires_at, created_at) VALUES (?, ?, 'signup', 0, ?, ?)`).run(
      tempId,
      code,
      minutesFromNow(10),
      localTimestamp(),
    );
  };

  function sendSignupOtp(req: IncomingMessage, data: Record<string, unknown>): Reply {
    const email = str(data.email).toLowerCase();
    const password = typeof data.password === 'string' ? data.password : '';
    if (!email) return sanaJson(400, 'Email is required');
    if (!password) return sanaJson(400, 'Password is required');
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return sanaJson(400, 'Invalid email format');
    const weak = passwordProblem(password);
    if (weak) return sanaJson(400, weak);
    if (db.prepare('SELECT 1 FROM users WHERE email = ?').get(email)) return sanaJson(409, 'An account with this email already exists');
    if (options.sanaFixed) {
      const existing = sessionOf(req);
      if (existing && existing.email === email && Date.now() - existing.sent_at < 60_000) {
        return sanaJson(200, 'Verification code already sent to your email', { redirect: '/auth/verify-otp' });
      }
      const last = lastSignupByEmail.get(email);
      if (last !== undefined && Date.now() - last < 2_000) return sanaJson(429, 'Please wait before trying again');
      lastSignupByEmail.set(email, Date.now());
    }
    const tempId = `temp_${randomBytes(8).toString('hex')}`;
    // email is UNIQUE: a new signup for the same email replaces the previous pending row (and its temp_id).
    db.prepare('INSERT OR REPLACE INTO temp_registrations (temp_id, email, password_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(
      tempId,
      email,
      hash(password),
      localTimestamp(),
      minutesFromNow(20),
    );
    if (!db.prepare('SELECT 1 FROM temp_registrations WHERE temp_id = ?').get(tempId)) {
      return sanaJson(400, 'Database verification failed');
    }
    issueOtp(tempId);
    return {
      ...sanaJson(200, 'Verification code sent to your email', { redirect: '/auth/verify-otp' }),
      headers: setSession({ temp_id: tempId, email, password, sent_at: Date.now() }),
    };
  }

  function createAccount(tempId: string, email: string, passwordHash: string, otpId: number): Reply | undefined {
    if (db.prepare('SELECT 1 FROM users WHERE email = ?').get(email)) return sanaJson(409, 'An account with this email already exists');
    const now = localTimestamp();
    db.transaction(() => {
      db.prepare('INSERT INTO users (email, password_hash, is_verified, is_active, created_at, updated_at) VALUES (?, ?, 1, 1, ?, ?)').run(
        email,
        passwordHash,
        now,
        now,
      );
      db.prepare('UPDATE user_otp SET is_used = 1, used_at = ? WHERE otp_id = ?').run(now, otpId);
      db.prepare('DELETE FROM temp_registrations WHERE temp_id = ?').run(tempId);
    })();
    return undefined;
  }

  function findOtp(tempId: string, code: string): { otp_id: number } | undefined {
    return db
      .prepare(
        `SELECT otp_id FROM user_otp WHERE identifier = ? AND otp_code = ? AND otp_type = 'signup' AND is_used = 0 AND expires_at > ?
         ORDER BY otp_id DESC LIMIT 1`,
      )
      .get(tempId, code, localTimestamp()) as { otp_id: number } | undefined;
  }

  function checkCode(code: string): Reply | undefined {
    if (!code) return sanaJson(400, 'Verification code is required');
    if (!/^\d{6}$/.test(code)) return sanaJson(400, 'Invalid verification code format');
    return undefined;
  }

  const success = () => sanaJson(200, 'Account created successfully! Please login.', { redirect: '/auth/login' });

  function verifyOtp(req: IncomingMessage, data: Record<string, unknown>): Reply {
    const session = sessionOf(req);
    if (!session?.email) return sanaJson(400, 'Email is required for verification');
    const code = str(data.otp_code);
    const bad = checkCode(code);
    if (bad) return bad;
    const temp = db.prepare('SELECT temp_id, email, password_hash, expires_at FROM temp_registrations WHERE temp_id = ?').get(session.temp_id) as
      | { temp_id: string; email: string; password_hash: string; expires_at: string }
      | undefined;
    if (!temp) {
      if (options.sanaFixed) return sanaJson(400, 'Registration session expired. Please start over.');
      writeLog(`No temp_registration found for temp_id: ${session.temp_id}`);
      return sanaJson(400, 'Invalid verification session');
    }
    if (temp.expires_at < localTimestamp()) return sanaJson(400, 'Registration session expired. Please start over.');
    const otp = findOtp(temp.temp_id, code);
    if (!otp) return sanaJson(400, 'Invalid or expired verification code');
    const conflict = createAccount(temp.temp_id, temp.email, temp.password_hash, otp.otp_id);
    if (conflict) return conflict;
    const reply = success();
    reply.headers = clearSession;
    return reply;
  }

  function verifyOtpDb(data: Record<string, unknown>): Reply {
    const email = str(data.email).toLowerCase();
    if (!email) return sanaJson(400, 'Email is required for verification');
    const code = str(data.otp_code);
    const bad = checkCode(code);
    if (bad) return bad;
    const tempId = str(data.temp_user_id);
    const temp = db
      .prepare(`SELECT temp_id, email, password_hash, expires_at FROM temp_registrations WHERE email = ?${tempId ? ' AND temp_id = ?' : ''}`)
      .get(...(tempId ? [email, tempId] : [email])) as { temp_id: string; email: string; password_hash: string; expires_at: string } | undefined;
    if (!temp || temp.expires_at < localTimestamp()) return sanaJson(400, 'Registration session expired. Please start over.');
    const otp = findOtp(temp.temp_id, code);
    if (!otp) return sanaJson(400, 'Invalid or expired verification code');
    return createAccount(temp.temp_id, temp.email, temp.password_hash, otp.otp_id) ?? success();
  }

  function resendOtp(req: IncomingMessage): Reply {
    const session = sessionOf(req);
    if (!session?.email) return sanaJson(400, 'Email is required for verification');
    if (Date.now() - session.sent_at < 60_000) return sanaJson(429, 'Please wait 60 seconds before requesting a new code');
    if (!db.prepare('SELECT 1 FROM temp_registrations WHERE temp_id = ?').get(session.temp_id)) {
      return sanaJson(400, 'Registration session expired. Please start over.');
    }
    issueOtp(session.temp_id);
    return { ...sanaJson(200, 'New verification code sent'), headers: setSession({ ...session, sent_at: Date.now() }) };
  }

  return {
    async handle(req, body) {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const route = `${req.method} ${url.pathname}`;
      if (route === 'GET /auth/verify-otp') {
        const session = sessionOf(req);
        if (!session) return html(302, '<a href="/auth/signup">/auth/signup</a>', { Location: '/auth/signup' });
        return html(
          200,
          `<!doctype html><html><head><meta name="csrf-token" content=""><title>Verify - SANA Toolkit</title></head><body>` +
            `<form id="otp-form" data-temp-user-id="${session.temp_id}"><input type="hidden" name="email" value="${session.email}">` +
            `<input name="otp_code" maxlength="6"></form></body></html>`,
        );
      }
      if (route === 'GET /auth/signup') {
        return html(200, '<!doctype html><html><head><title>Sign up - SANA Toolkit</title></head><body><form id="signup-form"></form></body></html>');
      }
      const api = ['/auth/api/send-signup-otp', '/auth/api/verify-otp', '/auth/api/verify-otp-db', '/auth/api/resend-otp'];
      if (!api.includes(url.pathname)) return html(404, '<h1>Not Found</h1>');
      if (req.method !== 'POST') return html(405, '<h1>Method Not Allowed</h1>');
      const data = isJson(req) ? parseJsonObject(body) : undefined;
      if (!data) return json(500, SANA_ERROR);
      try {
        if (url.pathname === '/auth/api/send-signup-otp') return sendSignupOtp(req, data);
        if (url.pathname === '/auth/api/verify-otp') return verifyOtp(req, data);
        if (url.pathname === '/auth/api/verify-otp-db') return verifyOtpDb(data);
        return resendOtp(req);
      } catch (error) {
        writeLog(`[ERROR] ${url.pathname}: ${(error as Error).message}`);
        return json(500, SANA_ERROR);
      }
    },
    async close() {
      db.close();
    },
  };
}
