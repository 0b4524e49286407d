import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closesMidHandshake, httpServer, refusedPort, silentServer, type FaultServer } from '../helpers/fault-servers.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
import { runCli, type ExecResult } from '../helpers/exec.js';
import { HEALING_SPACE, PENDING_SIGNUPS, RATE_LIMITER_FLEXIBLE } from '../fixtures/pg-shapes.js';

// Every database command against every way a connection goes wrong. Each must end within its timeout
// with one error line (and at most a hint line) on stderr, no stack trace, exit 2, and under --json
// exactly one JSON document on stdout.

const PASTE = 'ERROR:  duplicate key value violates unique constraint "notifications_pkey"\nDETAIL:  Key (id)=(1) already exists.';

/** Every command, given the database URL (and the app URL register-test replays against). */
const COMMANDS: [string, (db: string, app: string) => string[]][] = [
  ['doctor', (db) => ['doctor', '-d', db]],
  ['sequences', (db) => ['sequences', '-d', db]],
  ['sequences --fix --yes', (db) => ['sequences', '--fix', '--yes', '-d', db]],
  ['temp-registrations', (db) => ['temp-registrations', '-d', db]],
  ['rate-limits', (db) => ['rate-limits', '-d', db]],
  ['register-test -d', (db, app) => ['register-test', '--url', app, '-d', db]],
  ['explain (live)', (db) => ['explain', PASTE, '-d', db]],
];

/** One healfix error line, maybe a hint after it, never a stack. */
function expectOneErrorLine(r: ExecResult, message: RegExp): void {
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^healfix: /);
  expect(lines[0]).toMatch(message);
  expect(lines.length).toBeLessThanOrEqual(2);
  expect(r.stderr).not.toMatch(/\n\s+at \S+/);
  expect(r.stderr).not.toMatch(/internal error/);
}

function expectOneJsonDocument(r: ExecResult): void {
  const doc = JSON.parse(r.stdout) as { ok: boolean; error: { message: string; code: string } };
  expect(doc.ok).toBe(false);
  expect(doc.error.code).toBe('connection');
}

/**
 * explain still explains the pasted text offline when its live check cannot reach the database (docs:
 * exit 2, the report says why): one "live check failed" line in the report, nothing on stderr.
 */
function expectExplainLiveFailed(r: ExecResult, json: boolean, message: RegExp): void {
  expect(r.stderr).toBe('');
  if (json) {
    const doc = JSON.parse(r.stdout) as { ok: boolean; live: { status: string; message: string } };
    expect(doc.ok).toBe(false);
    expect(doc.live.status).toBe('failed');
    expect(doc.live.message).toMatch(message);
  } else {
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('live check failed'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  }
}

/** The expectations for one run of one command under a fault. */
function expectFault(name: string, r: ExecResult, json: boolean, message: RegExp): void {
  expect(r.code).toBe(2);
  if (name.startsWith('explain')) return expectExplainLiveFailed(r, json, message);
  if (json) expectOneJsonDocument(r);
  else expectOneErrorLine(r, message);
}

// An app for register-test: answers every request (it is not reached when the database fails first).
let app: Server;
let appUrl: string;
let appRequests = 0;
beforeAll(async () => {
  app = createHttpServer((_req, res) => {
    appRequests++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => app.close(() => r())));

const FAULTS: [string, () => Promise<FaultServer>, RegExp][] = [
  ['a refused port', refusedPort, /refused/i],
  ['a silent port', silentServer, /timed out|within|timeout/i],
  ['an HTTP port', httpServer, /PostgreSQL protocol|not a PostgreSQL server/i],
  ['a server closing mid-handshake', closesMidHandshake, /PostgreSQL protocol|closed|ended|terminated|unexpected|lost/i],
];

for (const [fault, start, message] of FAULTS) {
  describe(`against ${fault}`, () => {
    let server: FaultServer;
    beforeAll(async () => {
      server = await start();
    });
    afterAll(() => server.close());

    for (const [name, args] of COMMANDS) {
      it(`${name}: one line, exit 2; --json: one document`, async () => {
        const db = `postgres://healfix:pw@127.0.0.1:${server.port}/app`;
        const before = appRequests;
        const human = await runCli([...args(db, appUrl), '--connect-timeout', '2s'], { timeoutMs: 30_000 });
        expectFault(name, human, false, message);
        const json = await runCli([...args(db, appUrl), '--connect-timeout', '2s', '--json'], { timeoutMs: 30_000 });
        expectFault(name, json, true, message);
        // The database is checked before the signup is replayed: no account is created against a dead database.
        expect(appRequests).toBe(before);
      });
    }
  });
}

describeDb('a backend terminated mid-query (pg_terminate_backend from a second session)', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase('faults');
    await tdb.query(HEALING_SPACE + RATE_LIMITER_FLEXIBLE + PENDING_SIGNUPS);
  });
  afterAll(() => tdb.drop());

  /** Polls (up to 20 s) for a healfix session of this database waiting on a lock, and terminates it. */
  async function terminateHealfixWhenBlocked(tdb: TestDatabase): Promise<boolean> {
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const { rows } = await tdb.query<{ pid: number }>(
        `select pid from pg_stat_activity where application_name = 'healfix' and datname = current_database() and wait_event_type = 'Lock'`,
      );
      if (rows.length) {
        await tdb.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [rows.map((r) => r.pid)]);
        return true;
      }
    }
    return false;
  }

  // register-test reads its database only after a failed signup; the connection faults above cover it.
  for (const [name, args] of COMMANDS.filter(([n]) => n !== 'register-test -d')) {
    for (const json of [false, true]) {
      it(`${name}${json ? ' --json' : ''}: exit 2 with one line, never a healthy report`, async () => {
        // Every table locked: whatever the command reads first, it waits there (--lock-timeout is long).
        const holder = await tdb.connect();
        await holder.query('begin');
        await holder.query('lock table users, notifications, verification_codes, rlflx, pending_signups, accounts in access exclusive mode');
        try {
          const run = runCli([...args(tdb.url, appUrl), '--lock-timeout', '60s', '--statement-timeout', '60s', '--connect-timeout', '5s', ...(json ? ['--json'] : [])], { timeoutMs: 90_000 });
          const terminated = await terminateHealfixWhenBlocked(tdb);
          // Released at once: a command that carried on with a new session must not wait out the lock too.
          await holder.query('rollback');
          expect(terminated).toBe(true);
          const r = await run;
          expectFault(name, r, json, /terminat|lost the connection/i);
          expect(r.stdout).not.toMatch(/healthy/);
        } finally {
          await holder.query('rollback').catch(() => {});
        }
      });
    }
  }
});
