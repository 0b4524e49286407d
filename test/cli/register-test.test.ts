import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealingSpaceSchema } from '../../src/demo/sandbox/healing-space.js';
import { startSandbox } from '../../src/demo/sandbox/server.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';

const show = (label: string, out: string) => {
  if (process.env.HEALFIX_SHOW_OUTPUT) process.stderr.write(`\n===== ${label}\n${out}`);
};

/** A server that answers every request the same way (or never, when reply is undefined). */
async function fixedServer(reply?: { status: number; contentType?: string; body: string }): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    if (!reply) return; // accepts, reads, never answers
    res.writeHead(reply.status, reply.contentType ? { 'Content-Type': reply.contentType } : {});
    res.end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('healfix register-test (binary): a server that cannot be used is one line, exit 2', () => {
  const secret = ['--field', 'password=Sup3r$ecretPassw0rd', '--field', 'pin=9876'];
  const oneLine = (r: { code: number | null; stdout: string; stderr: string }, line: RegExp) => {
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(line);
    expect(lines.filter((l) => l.startsWith('healfix:'))).toHaveLength(1);
    expect(lines.length).toBeLessThanOrEqual(2); // the error, and at most one hint line
    expect(r.stderr).not.toContain('    at ');
    expect(r.stderr).not.toContain('internal error');
    expect(r.stderr + r.stdout).not.toContain('Sup3r$ecretPassw0rd');
    expect(r.stderr + r.stdout).not.toContain('9876');
  };

  it('DNS failure', async () => {
    const r = await runCli(['register-test', '--url', 'http://healfix-no-such-host.invalid:5000', ...secret]);
    oneLine(r, /^healfix: cannot resolve host healfix-no-such-host\.invalid \(DNS\)$/);
  });

  it('a server that accepts but never answers: timeout', async () => {
    const srv = await fixedServer();
    try {
      const started = Date.now();
      const r = await runCli(['register-test', '--url', srv.url, '--timeout', '500ms', ...secret]);
      oneLine(r, /^healfix: no complete answer from 127\.0\.0\.1:\d+ within 500ms$/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await srv.close();
    }
  });

  it('an HTML 200 where JSON was expected', async () => {
    const srv = await fixedServer({ status: 200, contentType: 'text/html; charset=utf-8', body: '<!doctype html><html><body><h1>Welcome</h1></body></html>' });
    try {
      const csrf = await runCli(['register-test', '--url', srv.url, '--profile', 'csrf-json', ...secret]);
      oneLine(csrf, /^healfix: GET \/api\/csrf-token answered 200 with an HTML page, not JSON$/);
      // auto: the HTML site looks like it has a verify page, so the otp flow's POST finds the HTML
      const auto = await runCli(['register-test', '--url', srv.url, ...secret]);
      oneLine(auto, /^healfix: POST \/auth\/api\/send-signup-otp answered 200 with an HTML page, not JSON$/);
      const text = await runCli(['register-test', '--url', srv.url, '--profile', 'otp', '--otp', '123456', ...secret]);
      oneLine(text, /^healfix: POST \/auth\/api\/send-signup-otp answered 200 with an HTML page, not JSON$/);
    } finally {
      await srv.close();
    }
  });

  it('a non-JSON text answer and an empty body', async () => {
    const plain = await fixedServer({ status: 200, contentType: 'text/plain', body: 'OK' });
    const empty = await fixedServer({ status: 200, body: '' });
    try {
      oneLine(await runCli(['register-test', '--url', plain.url, '--profile', 'csrf-json', ...secret]), /^healfix: GET \/api\/csrf-token answered 200 with text\/plain text, not JSON$/);
      oneLine(await runCli(['register-test', '--url', empty.url, '--profile', 'csrf-json', ...secret]), /^healfix: GET \/api\/csrf-token answered 200 with an empty body$/);
      oneLine(await runCli(['register-test', '--url', empty.url, '--profile', 'otp', '--otp', '123456', ...secret]), /^healfix: POST \/auth\/api\/send-signup-otp answered 200 with an empty body$/);
    } finally {
      await plain.close();
      await empty.close();
    }
  });
});

describeDb('healfix register-test (binary)', () => {
  let tdb: TestDatabase;
  let pool: pg.Pool;
  let dir: string;
  beforeAll(async () => {
    tdb = await createTestDatabase('clirt');
    await createHealingSpaceSchema(await tdb.connect(), { lagging: true });
    pool = new pg.Pool({ connectionString: tdb.url, max: 3 });
    dir = mkdtempSync(join(tmpdir(), 'healfix-clirt-'));
  });
  afterAll(async () => {
    await pool.end();
    await tdb.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('usage errors and an unreachable server exit 2 with one line', async () => {
    const missing = await runCli(['register-test']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^healfix: --url is required/);
    const bad = await runCli(['register-test', '--url', 'ftp://x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--url must be an http:// or https:// URL');
    const refused = await runCli(['register-test', '--url', 'http://127.0.0.1:1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.split('\n')[0]).toBe('healfix: connection refused by 127.0.0.1:1');
    expect(refused.stderr).not.toMatch(/at \w+ \(/); // no stack
  });

  it('500 diagnosed (exit 1), then fixed with --fix-sequences --yes (exit 0)', async () => {
    const logFile = join(dir, 'hs.log');
    const sb = await startSandbox({ app: 'healing-space', pg: pool, logFile, debug: true });
    try {
      const diag = await runCli(['register-test', '--url', sb.url, '-d', tdb.url, '--server-log', logFile]);
      show('500 diagnosed', diag.stdout + diag.stderr);
      expect(diag.code).toBe(1);
      expect(diag.stdout).toContain('duplicate key on notifications_pkey: sequence public.notifications_id_seq lags max(id) by 2 (and 1 more the signup writes: public.audit_logs_id_seq)');
      expect(diag.stdout).toContain('DETAIL:  Key (id)=(1) already exists.');
      const fixed = await runCli(['register-test', '--url', sb.url, '-d', tdb.url, '--fix-sequences', '--yes', '--server-log', logFile]);
      show('500 fixed', fixed.stdout + fixed.stderr);
      expect(fixed.code).toBe(0);
      expect(fixed.stdout).toMatch(/fixed public\.notifications_id_seq: next value \d+ -> 4/);
      expect(fixed.stdout).toMatch(/registration works: .* on the retry/);
    } finally {
      await sb.close();
    }
  });

  it('success; --json and JUnit never contain the password, PIN or CSRF token', async () => {
    const sb = await startSandbox({ app: 'healing-space', pg: pool, debug: true, logFile: join(dir, 'ok.log') });
    try {
      const noYes = await runCli(['register-test', '--url', sb.url, '-d', tdb.url, '--cleanup']);
      expect(noYes.code).toBe(2);
      expect(noYes.stderr).toContain('refusing to write without confirmation');
      const cleaned = await runCli(['register-test', '--url', sb.url, '-d', tdb.url, '--cleanup', '--yes']);
      expect(cleaned.code).toBe(0);
      expect(cleaned.stdout).toContain('cleanup: 1 from notifications, 0 from patient_approvals, 1 from audit_logs, 1 from users');
      const human = await runCli(['register-test', '--url', sb.url]);
      show('success', human.stdout + human.stderr);
      expect(human.code).toBe(0);
      const junit = join(dir, 'junit.xml');
      const json = await runCli(['register-test', '--url', sb.url, '--json', '--reporter', 'junit', '--output', junit, '--field', 'password=Sup3r$ecretPassw0rd', '--field', 'pin=9876']);
      expect(json.code).toBe(0);
      const doc = JSON.parse(json.stdout) as { ok: boolean; command: string; steps: { status: number }[] };
      expect(doc).toMatchObject({ schemaVersion: 1, command: 'register-test', ok: true, profile: 'csrf-json' });
      expect(doc.steps.map((s) => s.status)).toEqual([200, 201]);
      const xml = readFileSync(junit, 'utf8');
      expect(xml).toContain('<testsuites name="healfix register-test" tests="2" failures="0">');
      for (const out of [human.stdout, human.stderr, json.stdout, json.stderr, xml]) {
        expect(out).not.toContain('Sup3r$ecretPassw0rd');
        expect(out).not.toContain('9876');
        expect(out).not.toMatch(/[0-9a-f]{64}/);
        expect(out).not.toMatch(/Hf[A-Za-z0-9]{12}7!#q/);
      }
    } finally {
      await sb.close();
    }
  });

  it('429 explained (exit 1) and waited out with --wait (exit 0)', { timeout: 120_000 }, async () => {
    // A 10 s window: the second run must land inside it even when each CLI start takes seconds on a loaded
    // machine (a 2 s window let it expire first); --wait then sleeps out what is left of it.
    const sb = await startSandbox({ app: 'healing-space', pg: pool, registerLimit: { max: 1, windowSec: 10 }, debug: true });
    try {
      expect((await runCli(['register-test', '--url', sb.url, '--profile', 'csrf-json'])).code).toBe(0);
      const limited = await runCli(['register-test', '--url', sb.url, '--profile', 'csrf-json']);
      expect(limited.code).toBe(1);
      expect(limited.stdout).toMatch(/rate limited by the register limiter: wait \d+s \(from the retry_after field\)/);
      const waited = await runCli(['register-test', '--url', sb.url, '--profile', 'csrf-json', '--wait']);
      show('429 --wait', waited.stdout + waited.stderr);
      expect(waited.code).toBe(0);
    } finally {
      await sb.close();
    }
  });

  it('--race 5 on the pre-fix OTP flow: exit 1, four dead sessions, no OTP in output', async () => {
    const path = join(dir, 'sana.db');
    const sb = await startSandbox({ app: 'sana', sqlitePath: path });
    try {
      const race = await runCli(['register-test', '--url', sb.url, '-d', `sqlite:${path}`, '--otp-from', 'db', '--race', '5']);
      show('race 5', race.stdout + race.stderr);
      expect(race.code).toBe(1);
      expect(race.stdout).toMatch(/race of 5 clients: 5 signups accepted, 1 account, 0 pending rows, 5 OTP rows; 4 failed at verify otp 400: Invalid verification session/);
      const reader = new Database(path, { readonly: true });
      const codes = (reader.prepare('select otp_code from user_otp').all() as { otp_code: string }[]).map((r) => r.otp_code);
      reader.close();
      for (const code of codes) expect(race.stdout).not.toContain(code);
      const json = await runCli(['register-test', '--url', sb.url, '-d', `sqlite:${path}`, '--otp-from', 'db', '--json']);
      expect(json.code).toBe(0);
      const reader2 = new Database(path, { readonly: true });
      const all = (reader2.prepare('select otp_code from user_otp').all() as { otp_code: string }[]).map((r) => r.otp_code);
      reader2.close();
      for (const code of all) expect(json.stdout).not.toContain(`"${code}"`);
    } finally {
      await sb.close();
    }
  });
});
