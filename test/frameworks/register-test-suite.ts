/**
 * The same register-test checks against each real framework app (test/frameworks/apps/*), through the built
 * binary like a user would run it, with a flow file written for the app (test/fixtures/flows/). Every verdict
 * is re-read from the app's database by the test itself.
 */
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';
import { describeFramework, type Availability, type RunningApp, type StartAppOptions } from '../helpers/frameworks.js';

export interface RegisterTestSuite {
  title: string;
  available: Availability;
  start: (options: StartAppOptions) => Promise<RunningApp>;
  /** test/fixtures/flows/<flow>.yaml */
  flow: string;
  /** The account table and its email column. */
  account: { table: string; email: string };
  /** What the framework says to --field password=abc. */
  refusedMessage: string;
  /** Rows with explicit ids past the account sequence's last value (an import that bypassed it). */
  lagAccounts: string;
  /** The constraint the log names and the sequence behind it. */
  constraint: string;
  sequence: string;
  /** How --server-log found the request's lines ("X-Request-Id", or the window the log gained during it). */
  logFoundBy: RegExp;
  /**
   * Why --race is not asserted for this app, when its outcome depends on timing (Laravel checks `unique:users`
   * before inserting, so two concurrent signups may both pass the check and one gets a 500).
   */
  raceUntestable?: string;
  /** Further checks on the 500 run (allauth: the other sequence it writes). */
  more?: (ctx: { db: TestDatabase; app: RunningApp; cli: (args: string[]) => ReturnType<typeof runCli> }) => void;
}

export const flowFile = (name: string) => fileURLToPath(new URL(`../fixtures/flows/${name}.yaml`, import.meta.url));

export function show(label: string, text: string): void {
  if (process.env.HEALFIX_SHOW_OUTPUT) process.stderr.write(`\n----- ${label}\n${text}\n`);
}

export function registerTestSuite(suite: RegisterTestSuite): void {
  describeFramework(`register-test against ${suite.title}`, suite.available, () => {
    let db: TestDatabase;
    let app: RunningApp;
    const cli = (args: string[]) => runCli(['register-test', '--url', app.url, '--flow', flowFile(suite.flow), '-d', db.url, ...args], { timeoutMs: 120_000 });
    const accountRows = async (email: string) =>
      Number((await db.query(`select count(*)::int as n from ${suite.account.table} where ${suite.account.email} = $1`, [email])).rows[0].n);

    beforeAll(async () => {
      db = await createTestDatabase(`rt${suite.flow.replace(/\W/g, '').slice(0, 6)}`);
      app = await suite.start({ databaseUrl: db.url });
    });
    afterAll(async () => {
      await app?.stop();
      await db?.drop();
    });

    it('a working signup with -d exits 0 only after reading the account row back', async () => {
      const run = await cli(['--json']);
      show('works', run.stdout + run.stderr);
      const doc = JSON.parse(run.stdout);
      expect(run.code, run.stdout).toBe(0);
      expect(doc.ok).toBe(true);
      expect(doc.summary).toMatch(new RegExp(`^registration works: flow "${suite.flow} signup" created hf_\\w+ in 2 steps .*\\(${suite.account.table} row read back\\)$`));
      expect(doc.account).toEqual({ table: suite.account.table, column: suite.account.email, value: doc.user.email, rows: 1 });
      expect(doc.steps[1].status).toBe(302); // the first answer, not the page the redirect leads to
      expect(doc.steps[1].hops[0].status).toBe(302);
      expect(await accountRows(doc.user.email)).toBe(1);
    });

    it('a signup the framework refuses (--field password=abc) exits 1 quoting its message, and no row exists', async () => {
      const run = await cli(['--field', 'password=abc']);
      show('refused', run.stdout + run.stderr);
      expect(run.code, run.stdout).toBe(1);
      expect(run.stdout).toContain(suite.refusedMessage);
      expect(run.stdout).toMatch(/refused the data/);
      expect(run.stdout).not.toMatch(/registration works/);
      const email = /test user \S+ <([^>]+)>/.exec(run.stdout)![1]!;
      expect(await accountRows(email)).toBe(0);
    });

    it('--cleanup --yes deletes the account and every row that points at it; the test re-reads none', async () => {
      const run = await cli(['--cleanup', '--yes', '--json']);
      show('cleanup', run.stdout + run.stderr);
      const doc = JSON.parse(run.stdout);
      expect(run.code, run.stdout).toBe(0);
      expect(doc.cleanup.find((c: { table: string }) => c.table === suite.account.table)).toEqual({ table: suite.account.table, deleted: 1, remaining: 0 });
      expect(await accountRows(doc.user.email)).toBe(0);
    });

    it('after explicit-id inserts, the 500 is named with the failing sequence from the server log; --fix-sequences --yes then passes', async () => {
      await db.query(suite.lagAccounts);
      // The app creates its log on the first line it writes; --server-log names a file that exists.
      appendFileSync(app.logFile, '');
      const run = await cli(['--server-log', app.logFile]);
      show('500', run.stdout + run.stderr);
      expect(run.code, run.stdout).toBe(1);
      expect(run.stdout).toContain(`duplicate key on ${suite.constraint}: sequence ${suite.sequence} lags max(id) by`);
      expect(run.stdout).toMatch(suite.logFoundBy);
      expect(run.stdout).not.toMatch(/\$2[abxy]\$\d\d\$/); // a password hash the log quotes (Laravel's INSERT) is masked
      const fixed = await cli(['--fix-sequences', '--yes', '--server-log', app.logFile]);
      show('fixed', fixed.stdout + fixed.stderr);
      expect(fixed.code, fixed.stdout).toBe(0);
      expect(fixed.stdout).toContain(`fixed ${suite.sequence}`);
      expect(fixed.stdout).toMatch(/registration works: .* on the retry/);
    });

    it.skipIf(Boolean(suite.raceUntestable))(`--race 3 with -d counts the accounts in the database; refused re-renders are not "accepted"${suite.raceUntestable ? ` (not asserted: ${suite.raceUntestable})` : ''}`, async () => {
      const run = await cli(['--race', '3', '--json']);
      show('race', run.stdout + run.stderr);
      const doc = JSON.parse(run.stdout);
      expect(await accountRows(doc.user.email)).toBe(1);
      expect(doc.race.accounts).toBe(1);
      expect(doc.race.signupsAccepted).toBe(doc.race.results.filter((r: { ok: boolean }) => r.ok).length);
      expect(run.code, run.stdout).toBe(0);
      const human = await cli(['--race', '2']);
      expect(human.stdout).toMatch(/race: 2 clients, \d signups accepted, accounts 1, pending rows n\/a \(the flow names no pending table\)/);
    });

    it('doctor --url --flow replays this flow inside the health report (the account proven by the database)', async () => {
      const run = await runCli(['doctor', '--url', app.url, '--flow', flowFile(suite.flow), '-d', db.url, '--json'], { timeoutMs: 120_000 });
      show('doctor', run.stdout + run.stderr);
      const doc = JSON.parse(run.stdout);
      const replay = doc.checks.find((c: { check: string }) => c.check === 'register-test');
      expect(replay, run.stdout).toMatchObject({ status: 'ok' });
      expect(replay.summary).toMatch(new RegExp(`^registration works: flow "${suite.flow} signup" created .*\\(${suite.account.table} row read back\\)$`));
      expect(run.code === 0).toBe(doc.ok);
    });

    suite.more?.({
      get db() {
        return db;
      },
      get app() {
        return app;
      },
      cli,
    });
  });
}
