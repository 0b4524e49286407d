/**
 * Issue 11's "done when", through the binary with no flow and no profile: against each real framework app,
 * `register-test --url URL -d DB` discovers the signup, creates an account and exits 0 only after reading
 * the row back; `--cleanup --yes` leaves no row behind; `doctor --url URL -d DB` passes. The test re-reads
 * every verdict from the app's database itself.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';
import {
  describeFramework, djangoAvailable, expressAvailable, laravelAvailable, railsAvailable,
  startDjangoApp, startExpressApp, startLaravelApp, startRailsApp,
  type Availability, type RunningApp, type StartAppOptions,
} from '../helpers/frameworks.js';
import { show } from './register-test-suite.js';

interface ZeroConfigCase {
  title: string;
  available: Availability;
  start: (options: StartAppOptions) => Promise<RunningApp>;
  /** The profile discovery must recognise. */
  profile: RegExp;
  /** Where the account lands: table and the column holding the generated email. */
  account: { table: string; email: string };
}

const CASES: ZeroConfigCase[] = [
  // allauth's account is proven by its email-address row (account_emailaddress), written after auth_user.
  { title: 'Django + allauth', available: djangoAvailable(), start: startDjangoApp, profile: /allauth/, account: { table: 'account_emailaddress', email: 'email' } },
  { title: 'Rails + Devise', available: railsAvailable(), start: startRailsApp, profile: /devise/, account: { table: 'users', email: 'email' } },
  { title: 'Express + passport', available: expressAvailable(), start: startExpressApp, profile: /express|form/, account: { table: 'users', email: 'email' } },
  { title: 'Laravel', available: laravelAvailable(), start: startLaravelApp, profile: /laravel/, account: { table: 'users', email: 'email' } },
];

for (const c of CASES) {
  describeFramework(`zero-config register-test and doctor against ${c.title}`, c.available, () => {
    let db: TestDatabase;
    let app: RunningApp;
    const rows = async (email: string) =>
      Number((await db.query(`select count(*)::int as n from ${c.account.table} where ${c.account.email} = $1`, [email])).rows[0].n);

    beforeAll(async () => {
      db = await createTestDatabase('zc');
      app = await c.start({ databaseUrl: db.url });
    });
    afterAll(async () => {
      await app?.stop();
      await db?.drop();
    });

    it('register-test --url URL -d DB with no flow discovers the signup, creates the account and exits 0 with the row read back', async () => {
      const run = await runCli(['register-test', '--url', app.url, '-d', db.url, '--json'], { timeoutMs: 120_000 });
      show(`${c.title} zero-config`, run.stdout + run.stderr);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const doc = JSON.parse(run.stdout);
      expect(doc.ok).toBe(true);
      expect(doc.profile).toMatch(c.profile);
      expect(doc.account).toMatchObject({ table: c.account.table, rows: 1 });
      expect(await rows(doc.user.email)).toBe(1);
    });

    it('--cleanup --yes removes the account it created (and the rows that point at it): nothing is left', async () => {
      const run = await runCli(['register-test', '--url', app.url, '-d', db.url, '--cleanup', '--yes', '--json'], { timeoutMs: 120_000 });
      show(`${c.title} cleanup`, run.stdout + run.stderr);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const doc = JSON.parse(run.stdout);
      // Every table it deleted from is re-read: nothing of the account remains.
      const deleted = doc.cleanup.filter((r: { deleted: number }) => r.deleted > 0);
      expect(deleted.length).toBeGreaterThan(0);
      expect(deleted.map((r: { remaining?: number }) => r.remaining)).toEqual(deleted.map(() => 0));
      expect(await rows(doc.user.email)).toBe(0);
    });

    it('doctor --url URL -d DB passes, its replay included', async () => {
      const run = await runCli(['doctor', '--url', app.url, '-d', db.url, '--json'], { timeoutMs: 120_000 });
      show(`${c.title} doctor`, run.stdout + run.stderr);
      const doc = JSON.parse(run.stdout);
      expect(run.code, JSON.stringify(doc.checks, null, 1)).toBe(0);
      const replay = doc.checks.find((k: { check: string }) => k.check === 'register-test');
      expect(replay?.status).toBe('ok');
    });
  });
}
