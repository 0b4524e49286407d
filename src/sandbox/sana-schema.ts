import type BetterSqlite3 from 'better-sqlite3';

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
