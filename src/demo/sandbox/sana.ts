/**
 * The SANA Toolkit sandbox (Flask + SQLite, ../shared/reference/sana.md): its schema with the UTC expiry
 * trigger, and its signup + OTP contract, before and after the session-mismatch fix (the OTP race).
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { cookies, hash, html, isJson, json, parseJsonObject, passwordProblem, str, type AppHandler, type Reply, type SandboxOptions } from './shared.js';

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

export function sanaApp(options: SandboxOptions, writeLog: (line: string) => void): AppHandler {
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


/**
 * The SANA Toolkit signup tables (Flask + SQLite, ../shared/reference/sana.md), exactly as the app creates
 * them: temp_registrations with its CHECK, NOCASE unique email and the AFTER INSERT trigger that deletes
 * expired rows (comparing the app's local-time strings with SQLite's UTC datetime('now')), user_otp and
 * users with AUTOINCREMENT, and the WAL journal.
 */
export function createSanaSchema(db: BetterSqlite3.Database): void {
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS temp_registrations (
      temp_id TEXT PRIMARY KEY CHECK (temp_id LIKE 'temp_%'),
      email TEXT UNIQUE NOT NULL COLLATE NOCASE,
      password_hash TEXT,
      created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
      expires_at DATETIME
    );
    CREATE TRIGGER IF NOT EXISTS cleanup_expired_temp_registrations
    AFTER INSERT ON temp_registrations
    BEGIN
      DELETE FROM temp_registrations WHERE expires_at < datetime('now');
    END;
    CREATE TABLE IF NOT EXISTS user_otp (
      otp_id INTEGER PRIMARY KEY AUTOINCREMENT,
      identifier TEXT NOT NULL,
      otp_code TEXT NOT NULL,
      otp_type TEXT NOT NULL CHECK (otp_type IN ('login', 'signup')),
      is_used BOOLEAN DEFAULT FALSE,
      expires_at DATETIME NOT NULL,
      created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
      used_at DATETIME
    );
    CREATE INDEX IF NOT EXISTS idx_user_otp_identifier ON user_otp(identifier, otp_type);
    CREATE TABLE IF NOT EXISTS users (
      user_id INTEGER PRIMARY KEY AUTOINCREMENT,
      email TEXT UNIQUE NOT NULL COLLATE NOCASE,
      password_hash TEXT NOT NULL,
      is_verified BOOLEAN DEFAULT FALSE,
      is_active BOOLEAN DEFAULT TRUE,
      created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
      last_login DATETIME,
      login_attempts INTEGER DEFAULT 0,
      locked_until DATETIME,
      updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
    );
  `);
}

/** Python's str(datetime.now()) in local time: 'YYYY-MM-DD HH:MM:SS.ffffff' (the app's timestamps). */
export function localTimestamp(date: Date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(date.getMilliseconds() * 1000, 6)}`;
}
