import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findAppConfig } from '../../src/db/app-config/index.js';
import { renderErb } from '../../src/db/app-config/rails.js';
import { findTarget } from '../../src/db/target.js';

let dir: string;
const write = (rel: string, text: string) => {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), text);
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'healfix-appcfg-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const RAILS_YML = `default: &default
  adapter: postgresql
  encoding: unicode
  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>
  host: <%= ENV.fetch("DB_HOST", "localhost") %>
  username: app

development:
  <<: *default
  database: shop_development

production:
  <<: *default
  database: shop_production
  password: <%= ENV["SHOP_DATABASE_PASSWORD"] %>
`;

describe('Rails config/database.yml', () => {
  it('reads the RAILS_ENV entry with its anchors and ENV lookups; the password is masked in display and named source', () => {
    write('config/database.yml', RAILS_YML);
    const target = findTarget({ cwd: dir, env: { RAILS_ENV: 'production', DB_HOST: 'db.internal', SHOP_DATABASE_PASSWORD: 's3cr/t' } });
    expect(target).toMatchObject({ kind: 'postgres', host: 'db.internal', port: 5432, database: 'shop_production', user: 'app', password: 's3cr/t' });
    expect(target!.source).toBe('app config: config/database.yml (RAILS_ENV=production)');
    expect(target!.display).toBe('postgres://app:****@db.internal/shop_production');
  });

  it('development by default; DATABASE_URL still wins, as in Rails', () => {
    write('config/database.yml', RAILS_YML);
    expect(findTarget({ cwd: dir, env: {} })).toMatchObject({ database: 'shop_development', host: 'localhost', source: 'app config: config/database.yml (RAILS_ENV=development)' });
    expect(findTarget({ cwd: dir, env: { DATABASE_URL: 'postgres://x@h/other' } })).toMatchObject({ database: 'other', source: 'DATABASE_URL' });
  });

  it('a missing environment entry and Ruby it cannot evaluate are one clear error each', () => {
    write('config/database.yml', RAILS_YML);
    expect(() => findTarget({ cwd: dir, env: { RAILS_ENV: 'staging' } })).toThrow('config/database.yml has no "staging" entry (RAILS_ENV=staging)');
    expect(() => renderErb('host: <%= Rails.application.credentials.db_host %>', {}, 'config/database.yml')).toThrow(/cannot evaluate <%= Rails\.application\.credentials\.db_host %> without Ruby/);
  });

  it('sqlite3 paths are relative to the app', () => {
    write('config/database.yml', 'development:\n  adapter: sqlite3\n  database: db/development.sqlite3\n');
    expect(findTarget({ cwd: dir, env: {} })).toMatchObject({ kind: 'sqlite', path: join(dir, 'db/development.sqlite3') });
  });
});

describe('Laravel .env', () => {
  it('DB_CONNECTION=pgsql with DB_DATABASE / DB_USERNAME (not the Flask DB_NAME / DB_USER the generic reader knows)', () => {
    write('.env', 'APP_NAME=Shop\nDB_CONNECTION=pgsql\nDB_HOST=127.0.0.1\nDB_PORT=5433\nDB_DATABASE=shop\nDB_USERNAME=laravel\nDB_PASSWORD="p@ss word"\n');
    const target = findTarget({ cwd: dir, env: {} });
    expect(target).toMatchObject({ kind: 'postgres', host: '127.0.0.1', port: 5433, database: 'shop', user: 'laravel', password: 'p@ss word' });
    expect(target!.source).toBe('app config: .env (Laravel DB_CONNECTION=pgsql)');
    expect(target!.display).not.toContain('p@ss');
  });

  it('mysql is refused by name; sqlite uses database/database.sqlite', () => {
    write('.env', 'DB_CONNECTION=mysql\nDB_HOST=127.0.0.1\n');
    expect(() => findTarget({ cwd: dir, env: {} })).toThrow('DB_CONNECTION=mysql');
    write('.env', 'DB_CONNECTION=sqlite\n');
    expect(findTarget({ cwd: dir, env: {} })).toMatchObject({ kind: 'sqlite', path: join(dir, 'database/database.sqlite') });
  });

  it('a .env without DB_CONNECTION is left to the generic reader', () => {
    write('.env', 'DB_HOST=h\nDB_NAME=n\nDB_USER=u\n');
    expect(findAppConfig({ cwd: dir, env: {} })).toBeUndefined();
    expect(findTarget({ cwd: dir, env: {} })).toMatchObject({ source: '.env', database: 'n' });
  });
});

describe('Prisma schema.prisma', () => {
  const schema = (url: string, provider = 'postgresql') => `generator client { provider = "prisma-client-js" }\n\ndatasource db {\n  provider = "${provider}"\n  url      = ${url}\n}\n\nmodel User { id Int @id }\n`;

  it('env("NAME") from the environment, then from prisma/.env', () => {
    write('prisma/schema.prisma', schema('env("SHOP_DB")'));
    expect(findTarget({ cwd: dir, env: { SHOP_DB: 'postgres://u:pw@h:6543/shop' } })).toMatchObject({ port: 6543, database: 'shop', source: 'app config: prisma/schema.prisma env("SHOP_DB")' });
    write('prisma/.env', 'SHOP_DB=postgres://u:pw@h2/shop2\n');
    const t = findTarget({ cwd: dir, env: {} })!;
    expect(t).toMatchObject({ host: 'h2', database: 'shop2', source: 'app config: prisma/schema.prisma env("SHOP_DB") from prisma/.env' });
    expect(t.display).toBe('postgres://u:****@h2/shop2');
  });

  it('an unset env() is an error naming the variable; sqlite file: is relative to the schema', () => {
    write('prisma/schema.prisma', schema('env("NOPE")'));
    expect(() => findTarget({ cwd: dir, env: {} })).toThrow('prisma/schema.prisma reads its url from env("NOPE"), which is not set here nor in a .env');
    write('prisma/schema.prisma', schema('"file:./dev.db"', 'sqlite'));
    expect(findTarget({ cwd: dir, env: {} })).toMatchObject({ kind: 'sqlite', path: join(dir, 'prisma/dev.db') });
  });
});

// Debian's python3 has python3-django (a pyenv python3 first on PATH may not).
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const djangoMissing = spawnSync(PYTHON, ['-c', 'import django'], { encoding: 'utf8' }).status !== 0;
if (djangoMissing) process.stderr.write(`[healfix] SKIPPED Django settings read: ${PYTHON} cannot import django (apt-get install python3-django)\n`);

describe('Django settings (only with --django-settings)', () => {
  it.skipIf(djangoMissing)(`imports the module with ${PYTHON} and reads DATABASES["default"]${djangoMissing ? ' (skipped: no django)' : ''}`, () => {
    write('mysite/__init__.py', '');
    write('mysite/settings.py', 'SECRET_KEY = "x"\nDATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "mysite", "USER": "dj", "PASSWORD": "pw!", "HOST": "db", "PORT": "5444"}}\n');
    const env = { PATH: process.env.PATH, HEALFIX_PYTHON: PYTHON };
    const target = findTarget({ cwd: dir, env, djangoSettings: 'mysite.settings' });
    expect(target).toMatchObject({ host: 'db', port: 5444, database: 'mysite', user: 'dj', password: 'pw!', source: 'app config: Django settings mysite.settings' });
    expect(target!.display).toBe('postgres://dj:****@db:5444/mysite');
    // Without --django-settings nothing Python runs and nothing is found.
    expect(findTarget({ cwd: dir, env })).toBeUndefined();
    expect(() => findTarget({ cwd: dir, env, djangoSettings: 'no_such.settings' })).toThrow(/cannot read Django settings no_such\.settings: ModuleNotFoundError/);
  });
});
