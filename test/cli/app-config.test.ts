/**
 * healfix connects from the app's own folder: the real Rails app's config layout (config/database.yml with ERB)
 * and a Laravel .env, each pointing at a test database; the report names the source and never the password.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pgTarget, createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
import { APPS_DIR } from '../helpers/frameworks.js';
import { runCli } from '../helpers/exec.js';

describeDb('connection from the app\'s own config (binary)', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase('appcfg');
    await db.query('create table users (id serial primary key, email text)');
    dir = mkdtempSync(join(tmpdir(), 'healfix-appcfg-cli-'));
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Rails: config/database.yml of the real app\'s layout, RAILS_ENV=production, ENV lookups', async () => {
    const app = join(dir, 'rails');
    cpSync(join(APPS_DIR, 'rails'), app, { recursive: true });
    const t = pgTarget(db.url);
    // The real app's production entry reads DATABASE_URL; this one spells the parts out, as most apps do.
    writeFileSync(join(app, 'config/database.yml'), `default: &default\n  adapter: postgresql\n  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>\n\nproduction:\n  <<: *default\n  host: <%= ENV.fetch("SHOP_DB_HOST", "localhost") %>\n  port: ${t.port}\n  database: ${t.database}\n  username: ${t.user}\n  password: <%= ENV["SHOP_DATABASE_PASSWORD"] %>\n`);
    const r = await runCli(['sequences'], { cwd: app, env: { RAILS_ENV: 'production', SHOP_DB_HOST: t.host, SHOP_DATABASE_PASSWORD: t.password ?? '' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`(from app config: config/database.yml (RAILS_ENV=production))`);
    expect(r.stdout).toContain(`/${t.database}`);
    if (t.password) expect(r.stdout + r.stderr).not.toContain(t.password);
  });

  it('Laravel: .env with DB_CONNECTION=pgsql, DB_DATABASE, DB_USERNAME', async () => {
    const app = join(dir, 'laravel');
    cpSync(join(APPS_DIR, 'laravel'), app, { recursive: true });
    const t = pgTarget(db.url);
    writeFileSync(join(app, '.env'), `APP_NAME=Shop\nDB_CONNECTION=pgsql\nDB_HOST=${t.host}\nDB_PORT=${t.port}\nDB_DATABASE=${t.database}\nDB_USERNAME=${t.user}\nDB_PASSWORD=${t.password ?? ''}\n`);
    const r = await runCli(['sequences', '--json'], { cwd: app });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    if (t.password) expect(JSON.stringify(doc)).not.toContain(t.password);
    const human = await runCli(['sequences'], { cwd: app });
    expect(human.stdout).toContain('(from app config: .env (Laravel DB_CONNECTION=pgsql))');
    expect(human.stdout).toContain(t.password ? `${t.user}:****@` : `${t.user}@`);
  });
});
