import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTarget, resolveTarget } from '../../src/db/target.js';
import { ConfigError } from '../../src/errors.js';
import { testTempDir } from '../helpers/tmp.js';

function folder(files: Record<string, string> = {}): string {
  const dir = testTempDir('target');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const HEALING_SPACE_ENV = [
  '# Database Configuration',
  'DB_HOST=localhost',
  'DB_PORT=5433',
  'DB_NAME=healing_space_test',
  'DB_USER=healing_space_user',
  'DB_PASSWORD=healing_space_dev_password',
  'DATABASE_URL=postgres://audit:auditpw@audit-host/auditdb',
  'SECRET_KEY=healing_space_dev_secret_key_12345678901234567890',
].join('\n');

describe('resolveTarget', () => {
  it('prefers --database-url over everything else and masks its password', () => {
    const target = resolveTarget({
      databaseUrl: 'postgres://app:s3cret@db.example:6543/shop?sslmode=require',
      env: { DATABASE_URL: 'postgres://other@x/y', PGHOST: 'pg' },
      cwd: folder({ '.env': HEALING_SPACE_ENV }),
    });
    expect(target).toMatchObject({ kind: 'postgres', source: '--database-url', host: 'db.example', port: 6543, database: 'shop' });
    expect(target.display).toBe('postgres://app:****@db.example:6543/shop?sslmode=require');
    expect(target.display).not.toContain('s3cret');
  });

  it('uses DATABASE_URL, then PG* variables, then .env', () => {
    const cwd = folder({ '.env': HEALING_SPACE_ENV });
    expect(resolveTarget({ env: { DATABASE_URL: 'postgresql://u@h/d' }, cwd }).source).toBe('DATABASE_URL');
    const pgEnv = resolveTarget({ env: { PGHOST: 'pghost', PGDATABASE: 'appdb', PGUSER: 'me', PGPASSWORD: 'pw' }, cwd });
    expect(pgEnv).toMatchObject({ source: 'PG* environment', host: 'pghost', port: 5432, database: 'appdb', user: 'me' });
    expect(pgEnv.display).toBe('postgres://me:****@pghost:5432/appdb');
    const dotenv = resolveTarget({ env: {}, cwd });
    expect(dotenv).toMatchObject({ source: '.env', host: 'localhost', port: 5433, database: 'healing_space_test', user: 'healing_space_user', password: 'healing_space_dev_password' });
    expect(dotenv.display).toBe('postgres://healing_space_user:****@localhost:5433/healing_space_test');
  });

  it('reads another env file with --env-file and fails clearly when it is missing', () => {
    const cwd = folder({ 'prod.env': 'DB_HOST=10.0.0.5\nDB_NAME=prod\nDB_USER=app\n' });
    expect(resolveTarget({ envFile: 'prod.env', env: {}, cwd })).toMatchObject({ host: '10.0.0.5', database: 'prod', source: '.env' });
    expect(() => resolveTarget({ envFile: 'nope.env', env: {}, cwd })).toThrow(/env file not found: nope\.env/);
  });

  it('falls back to DATABASE_URL inside .env when DB_* are absent', () => {
    const cwd = folder({ '.env': 'DATABASE_URL=postgres://a:b@c:1234/d\n' });
    expect(resolveTarget({ env: {}, cwd })).toMatchObject({ host: 'c', port: 1234, database: 'd', source: '.env' });
  });

  it('recognises SQLite URLs and bare database file paths', () => {
    const cwd = folder();
    expect(resolveTarget({ databaseUrl: 'sqlite:data/sana_toolkit.db', env: {}, cwd })).toMatchObject({ kind: 'sqlite', path: join(cwd, 'data/sana_toolkit.db') });
    expect(resolveTarget({ databaseUrl: 'sqlite:///abs/app.sqlite', env: {}, cwd })).toMatchObject({ kind: 'sqlite', path: '/abs/app.sqlite' });
    expect(resolveTarget({ databaseUrl: './app.sqlite3', env: {}, cwd })).toMatchObject({ kind: 'sqlite' });
  });

  it('lists every way to configure a database when none is given', () => {
    const error = (() => {
      try {
        resolveTarget({ env: {}, cwd: folder() });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected an error');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('no database configured');
    for (const way of ['--database-url', 'DATABASE_URL', 'PGHOST', '.env', '--env-file']) expect(error.hint).toContain(way);
    expect(findTarget({ env: {}, cwd: folder() })).toBeUndefined();
  });

  it('rejects URLs it cannot use without echoing their password', () => {
    expect(() => resolveTarget({ databaseUrl: 'mysql://root:hunter22@h/db', env: {} })).toThrow(/unsupported database URL scheme in "mysql:\/\/root:\*\*\*\*@h\/db"/);
    expect(() => resolveTarget({ databaseUrl: 'not a url', env: {} })).toThrow(/not a database URL/);
    expect(() => resolveTarget({ databaseUrl: 'postgres://u:p@h:99999/db', env: {} })).toThrow(/(invalid port|cannot parse) .*postgres:\/\/u:\*\*\*\*@h:99999\/db/);
    expect(() => resolveTarget({ databaseUrl: '  ', env: {} })).toThrow(/--database-url is empty/);
    expect(() => resolveTarget({ env: { PGHOST: 'h', PGPORT: 'abc' } })).toThrow(/PGPORT is not a port/);
  });
});
