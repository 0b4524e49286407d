/**
 * Issue 14's `healfix init` "done when", through the binary: in a copy of each real app's folder, holding the
 * database config that framework uses, `healfix init --yes --url URL` writes healfix.config.yaml; then a plain
 * `healfix doctor`, run from that folder with no flags, passes — its registration replay against the URL the
 * file recorded included. The database role has a real password: the file must not contain it, and must name
 * the environment variable the URL (or the password) comes from.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';
import {
  APPS_DIR, describeFramework, djangoAvailable, expressAvailable, railsAvailable,
  startDjangoApp, startExpressApp, startRailsApp,
  type Availability, type RunningApp, type StartAppOptions,
} from '../helpers/frameworks.js';
import { show } from './register-test-suite.js';

interface AppFolder {
  /** The environment the user's shell has when running healfix in this folder (no DATABASE_URL unless the framework uses it). */
  env: Record<string, string>;
  /** The variable the written file must name. */
  names: string;
}

interface InitCase {
  title: string;
  dir: 'django' | 'rails' | 'express';
  available: Availability;
  start: (options: StartAppOptions) => Promise<RunningApp>;
  /** What the app folder holds for its database, written into the copy; returns the shell's environment. */
  configure: (folder: string, url: URL) => AppFolder;
  /** The stack doctor must recognise in the catalog (undefined: none expected from the tables alone). */
  stack?: string;
  profile: RegExp;
  /** --save-flow: the discovered flow saved as a file the config names (instead of profile: auto). */
  saveFlow?: string;
}

const CASES: InitCase[] = [
  {
    title: 'Django + allauth (DATABASE_URL in the environment)',
    dir: 'django',
    available: djangoAvailable(),
    start: startDjangoApp,
    configure: (_folder, url) => ({ env: { DATABASE_URL: url.toString() }, names: 'databaseUrlEnv: DATABASE_URL' }),
    stack: 'django-allauth',
    profile: /allauth/,
  },
  {
    title: 'Rails + Devise (config/database.yml with host/database keys, the password from ENV)',
    dir: 'rails',
    available: railsAvailable(),
    start: startRailsApp,
    configure: (folder, url) => {
      writeFileSync(
        join(folder, 'config/database.yml'),
        [
          'production:',
          '  adapter: postgresql',
          `  host: ${url.hostname}`,
          `  port: ${url.port || 5432}`,
          `  database: ${url.pathname.slice(1)}`,
          `  username: ${decodeURIComponent(url.username)}`,
          '  password: <%= ENV["APP_DATABASE_PASSWORD"] %>',
          '',
        ].join('\n'),
      );
      return { env: { RAILS_ENV: 'production', APP_DATABASE_PASSWORD: decodeURIComponent(url.password) }, names: 'APP_DATABASE_PASSWORD' };
    },
    stack: 'devise',
    profile: /devise/,
  },
  {
    title: 'Express + passport (a .env with DATABASE_URL)',
    dir: 'express',
    available: expressAvailable(),
    start: startExpressApp,
    configure: (folder, url) => {
      writeFileSync(join(folder, '.env'), `DATABASE_URL=${url.toString()}\n`);
      return { env: {}, names: 'databaseUrlEnv: DATABASE_URL' };
    },
    profile: /express|form/,
    saveFlow: 'flows/signup.yaml',
  },
];

for (const c of CASES) {
  describeFramework(`healfix init --yes in a ${c.title} app folder`, c.available, () => {
    let db: TestDatabase;
    let app: RunningApp;
    let folder: string;
    let shell: AppFolder;
    const role = `healfix_init_${randomBytes(3).toString('hex')}`;
    const password = `pw-${randomBytes(9).toString('hex')}`;

    beforeAll(async () => {
      db = await createTestDatabase('init');
      // A role with a real password: the app and healfix log in with it, and it must never reach the file.
      await db.query(`create role ${role} login superuser password '${password}'`);
      const url = new URL(db.urlFor(role, password));
      app = await c.start({ databaseUrl: url.toString() });
      folder = mkdtempSync(join(tmpdir(), `healfix-init-${c.dir}-`));
      cpSync(join(APPS_DIR, c.dir), folder, { recursive: true });
      mkdirSync(join(folder, 'flows'), { recursive: true });
      shell = c.configure(folder, url);
    });
    afterAll(async () => {
      await app?.stop();
      if (folder) rmSync(folder, { recursive: true, force: true });
      await db?.drop();
      const { default: pg } = await import('pg');
      const { adminUrl } = await import('../helpers/db.js');
      const admin = new pg.Client({ connectionString: adminUrl() });
      await admin.connect();
      await admin.query(`drop role if exists ${role}`).finally(() => admin.end());
    });

    it('writes healfix.config.yaml naming where the database comes from, with no password in it', async () => {
      const saveFlow = c.saveFlow ? ['--save-flow', c.saveFlow] : [];
      const run = await runCli(['init', '--yes', '--url', app.url, ...saveFlow, '--json'], { cwd: folder, env: shell.env, timeoutMs: 120_000 });
      show(`${c.title} init`, run.stdout + run.stderr);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const doc = JSON.parse(run.stdout);
      expect(doc).toMatchObject({ command: 'init', ok: true, path: join(folder, 'healfix.config.yaml') });
      expect(doc.database.connected).toBe(true);
      if (c.stack) expect(doc.stacks.map((s: { id: string }) => s.id)).toContain(c.stack);
      expect(doc.app.profile).toMatch(c.profile);
      const text = readFileSync(join(folder, 'healfix.config.yaml'), 'utf8');
      show(`${c.title} healfix.config.yaml`, text);
      expect(text).not.toContain(password);
      expect(run.stdout + run.stderr).not.toContain(password);
      expect(text).toContain(shell.names);
      const keys = parse(text);
      expect(keys).toMatchObject({ url: app.url, failOn: 'error', ...(c.saveFlow ? { flow: c.saveFlow } : { profile: 'auto' }) });
      // The saved flow is the one register-test --flow reads back (doctor below replays it).
      if (c.saveFlow) expect(parse(readFileSync(join(folder, c.saveFlow), 'utf8')).steps.some((s: { role?: string }) => s.role === 'signup')).toBe(true);
    });

    it('then `healfix doctor` with no flags, from that folder, passes: database checks and the replay against the recorded URL', async () => {
      const run = await runCli(['doctor'], { cwd: folder, env: shell.env, timeoutMs: 180_000 });
      show(`${c.title} doctor`, run.stdout + run.stderr);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/healthy/);
      // The same run, as its document: which database, which stacks, and the replay's own verdict.
      const json = await runCli(['doctor', '--json'], { cwd: folder, env: shell.env, timeoutMs: 180_000 });
      const doc = JSON.parse(json.stdout);
      expect(json.code, JSON.stringify(doc.checks, null, 1)).toBe(0);
      expect(doc.target.display).toContain(db.name);
      if (c.stack) expect(doc.stacks.map((s: { id: string }) => s.id)).toContain(c.stack);
      expect(doc.checks.find((k: { check: string }) => k.check === 'register-test')?.status).toBe('ok');
      expect(json.stdout).not.toContain(password);
    });
  });
}
