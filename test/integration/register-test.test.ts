import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFromFlags, type OpenedDatabase } from '../../src/db/open.js';
import { HttpClient } from '../../src/http/client.js';
import { runRegisterTest } from '../../src/http/register-test.js';
import { bufferWriter } from '../../src/report/io.js';
import { registerTestJson, registerTestJunit, renderRegisterTest } from '../../src/report/register-test.js';
import { createHealingSpaceSchema } from '../../src/demo/sandbox/healing-space.js';
import { startSandbox, type Sandbox } from '../../src/demo/sandbox/server.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';

function everyOutput(result: Awaited<ReturnType<typeof runRegisterTest>>): string {
  const human = bufferWriter();
  renderRegisterTest(result, human.write);
  return [human.text(), registerTestJson(result), registerTestJunit(result)].join('\n');
}

describeDb('register-test against the Healing Space sandbox', () => {
  let tdb: TestDatabase;
  let db: OpenedDatabase;
  let dir: string;
  beforeAll(async () => {
    tdb = await createTestDatabase('rths');
    await createHealingSpaceSchema(await tdb.connect(), { lagging: true });
    db = await openFromFlags({ databaseUrl: tdb.url });
    dir = mkdtempSync(join(tmpdir(), 'healfix-rt-'));
  });
  afterAll(async () => {
    await db.close();
    await tdb.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('diagnoses the lagging-sequence 500 with the server log line, fixes it with --fix-sequences and retries once', async () => {
    const logFile = join(dir, 'server.log');
    const sb = await startSandbox({ app: 'healing-space', pg: db.kind === 'postgres' ? db.pg : undefined, logFile });
    try {
      const first = await runRegisterTest({ url: sb.url, db, serverLog: logFile });
      expect(first.ok).toBe(false);
      expect(first.profile).toBe('csrf-json');
      expect(first.steps.map((s) => s.status)).toEqual([200, 500]); // csrf, register (the auto probe is not a step)
      expect(first.findings[0]!.title).toMatch(/^server error 500 \(error_id [0-9a-f]{8}\): lagging sequence public\.audit_logs_id_seq, public\.notifications_id_seq$/);
      expect(first.sequences!.lagging.map((l) => l.sequence)).toEqual(['public.audit_logs_id_seq', 'public.notifications_id_seq']);
      expect(first.serverLog).toEqual([
        expect.stringMatching(/^\[ERROR [0-9a-f]{8}\] register: duplicate key value violates unique constraint "notifications_pkey"$/),
        'DETAIL:  Key (id)=(1) already exists.',
      ]);
      expect(first.findings[0]!.nextCommand).toBe('healfix sequences --fix');

      const plans: string[][] = [];
      const fixed = await runRegisterTest({ url: sb.url, db, fixSequences: true }, { confirm: async (_m, plan) => void plans.push(plan) });
      expect(plans[0], JSON.stringify(plans)).toContain(`select setval('"public"."notifications_id_seq"', 3, true); -- next value 3 -> 4`); // each failed attempt consumed one value
      expect(fixed.sequences!.fixed.map((f) => [f.sequence, f.status])).toContainEqual(['public.notifications_id_seq', 'fixed']);
      expect(fixed.ok).toBe(true);
      expect(fixed.steps.filter((s) => s.attempt === 2).map((s) => s.status)).toEqual([200, 201]);
      const { rows } = await tdb.query('select username from users where username = $1', [fixed.user.username]);
      expect(rows).toHaveLength(1);
    } finally {
      await sb.close();
    }
  });

  it('succeeds, masks the password, PIN and CSRF token everywhere, and cleans up only its own rows', async () => {
    const sb = await startSandbox({ app: 'healing-space', pg: db.kind === 'postgres' ? db.pg : undefined, debug: true });
    try {
      const writable = await openFromFlags({ databaseUrl: tdb.url }, { write: true });
      const result = await runRegisterTest({ url: sb.url, db: writable, cleanup: true, prefix: 'mask' });
      await writable.close();
      expect(result.ok).toBe(true);
      expect(result.summary).toMatch(/^registration works: csrf-json flow created mask_\w+ in 2 steps/);
      expect(result.cleanup).toEqual([
        { table: 'notifications', deleted: 1 },
        { table: 'patient_approvals', deleted: 0 },
        { table: 'audit_logs', deleted: 1 },
        { table: 'users', deleted: 1 },
      ]);
      const { rows } = await tdb.query('select count(*)::int as n from users');
      expect(rows[0].n).toBe(4); // 3 seed rows + the account of the previous test
      const out = everyOutput(result);
      expect(out).not.toMatch(/Hf[A-Za-z0-9]{12}7!#q/); // generated password shape
      expect(out).not.toMatch(/[0-9a-f]{64}/); // CSRF token
    } finally {
      await sb.close();
    }
  });

  it('explains a 429 and waits it out with --wait', async () => {
    const sb = await startSandbox({ app: 'healing-space', pg: db.kind === 'postgres' ? db.pg : undefined, registerLimit: { max: 1, windowSec: 2 } });
    try {
      const ok = await runRegisterTest({ url: sb.url, profile: 'csrf-json' });
      expect(ok.ok).toBe(true);
      const limited = await runRegisterTest({ url: sb.url, profile: 'csrf-json' });
      expect(limited.ok).toBe(false);
      expect(limited.findings[0]!.title).toMatch(/^rate limited by the register limiter: wait [12]s \(from the retry_after field\)$/);
      const waits: number[] = [];
      const waited = await runRegisterTest({ url: sb.url, profile: 'csrf-json', wait: true }, {
        waitOut: async (s) => {
          waits.push(s);
          await new Promise((r) => setTimeout(r, s * 1000));
        },
      });
      expect(waits).toHaveLength(1);
      expect(waited.ok).toBe(true);
      expect(waited.steps.map((s) => `${s.attempt}:${s.status}`)).toEqual(['1:200', '1:429', '2:200', '2:201']);
    } finally {
      await sb.close();
    }
  });

  it('names the HTML endpoint limiter', async () => {
    const sb = await startSandbox({ app: 'healing-space', pg: db.kind === 'postgres' ? db.pg : undefined, endpointLimit: { max: 1, windowSec: 60 } });
    try {
      const result = await runRegisterTest({ url: sb.url, profile: 'csrf-json' });
      await runRegisterTest({ url: sb.url, profile: 'csrf-json' }).catch(() => undefined);
      const again = await runRegisterTest({ url: sb.url, profile: 'csrf-json' });
      expect(result.ok).toBe(true);
      expect(again.findings[0]!.title).toBe('rate limited by the per-endpoint limiter (50 per 1 hour, HTML page): its window is 1 hour');
    } finally {
      await sb.close();
    }
  });

  it('says which CSRF token was missing when a flow skips it', async () => {
    const sb = await startSandbox({ app: 'healing-space', pg: db.kind === 'postgres' ? db.pg : undefined, debug: true });
    const flowFile = join(dir, 'no-csrf.yaml');
    writeFileSync(
      flowFile,
      ['name: no-csrf', 'steps:', '  - name: register', '    role: signup', '    method: POST', '    path: /api/auth/register', '    json:', '      username: "{{username}}"', '      password: "{{password}}"', ''].join('\n'),
    );
    try {
      const result = await runRegisterTest({ url: sb.url, flowFile });
      expect(result.ok).toBe(false);
      expect(result.steps[0]!.status).toBe(403);
      expect(result.findings[0]!.title).toBe('CSRF check failed: the request carried no CSRF token (no X-CSRF-Token / X-CSRFToken header, no _csrf_token field)');
    } finally {
      await sb.close();
    }
  });

  it('reports a 409 for the generated user as a finding', async () => {
    const sb = await startSandbox({ app: 'healing-space', pg: db.kind === 'postgres' ? db.pg : undefined, debug: true });
    try {
      const result = await runRegisterTest({ url: sb.url, profile: 'csrf-json', fields: { email: 'admin@healing.example' } });
      expect(result.ok).toBe(false);
      expect(result.findings[0]!.title).toBe('the generated user was refused as a duplicate: "Email already in use"');
    } finally {
      await sb.close();
    }
  });

  it('--race 5 on csrf-json: one account, and every other client\'s 409 or 500 named per client', async () => {
    // Independent of test order: the register tables' sequences in step with their data.
    for (const t of ['notifications', 'patient_approvals', 'audit_logs']) {
      await tdb.query(`select setval(pg_get_serial_sequence('${t}', 'id'), (select coalesce(max(id), 0) + 1 from ${t}), false)`);
    }
    const sb = await startSandbox({ app: 'healing-space', pg: db.kind === 'postgres' ? db.pg : undefined, debug: true });
    try {
      const result = await runRegisterTest({ url: sb.url, profile: 'csrf-json', db, race: 5 });
      expect(result.race).toMatchObject({ clients: 5, signupsAccepted: 1, accounts: 1, pendingRows: null });
      const { rows } = await tdb.query('select count(*)::int as n from users where username = $1', [result.user.username]);
      expect(rows[0].n).toBe(1);
      // Every client got its CSRF token first, then the five POSTs went out at once.
      expect(result.steps.filter((s) => s.name === 'csrf token').map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
      const results = result.race!.results;
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const failed = results.filter((r) => !r.ok);
      expect(failed).toHaveLength(4);
      for (const f of failed) {
        expect(f.failedAt).toBe('register');
        expect([409, 500]).toContain(f.status);
        expect(f.message).toBe(f.status === 409 ? 'Username already exists' : 'An unexpected error occurred. Please try again.');
      }
      const conflicts = failed.filter((f) => f.status === 409).map((f) => f.client);
      const errors = failed.filter((f) => f.status === 500).map((f) => f.client);
      const summary = `race of 5 clients: 1 signup accepted, 1 account; ${[
        ...(conflicts.length ? [`${conflicts.length} failed at register 409: Username already exists (client${conflicts.length > 1 ? 's' : ''} ${conflicts.join(', ')})`] : []),
        ...(errors.length ? [`${errors.length} failed at register 500: An unexpected error occurred. Please try again. (client${errors.length > 1 ? 's' : ''} ${errors.join(', ')})`] : []),
      ].join('; ')}`;
      expect(result.summary).toBe(summary);
      // 409s are the app doing its job; a 500 under concurrency is a finding and fails the run.
      expect(result.ok).toBe(errors.length === 0);
      if (errors.length) {
        expect(result.findings[0]!.title).toMatch(new RegExp(`^${errors.length} of 5 clients got a server error 500 under concurrency \\(error_id [0-9a-f]{8}(, [0-9a-f]{8})*\\)$`));
        expect(result.findings[0]!.detail).toContain(`1 accepted, ${conflicts.length} refused with 409, ${errors.length} answered "An unexpected error occurred. Please try again."`);
      }
      const out = everyOutput(result);
      for (const c of [...conflicts, ...errors]) expect(out).toMatch(new RegExp(`│ ${c} +│ register +│ POST +│ /api/auth/register +│ (409|500) `));
    } finally {
      await sb.close();
    }
  });

  it('--race whose 500s come from a lagging sequence says so instead of blaming concurrency', async () => {
    // Every insert into notifications collides, raced or not: the seed report's fault, not a race (50 rows
    // ahead, so the values the failed attempts burn do not carry the sequence past them).
    await tdb.query(`insert into notifications (id, recipient_username, message) select g, 'seed', 'seed' from generate_series(900001, 900050) g on conflict do nothing`);
    await tdb.query(`select setval('notifications_id_seq', 900001, false)`);
    const sb = await startSandbox({ app: 'healing-space', pg: db.kind === 'postgres' ? db.pg : undefined, debug: true });
    try {
      const result = await runRegisterTest({ url: sb.url, profile: 'csrf-json', db, race: 3 });
      expect(result.ok).toBe(false);
      const errors = result.race!.results.filter((r) => r.status === 500).length;
      expect(errors).toBeGreaterThan(0);
      expect(result.findings[0]!.title).toMatch(new RegExp(`^${errors} of 3 clients got a server error 500 \\(error_id [0-9a-f]{8}(, [0-9a-f]{8})*\\): lagging sequence (public\\.\\w+, )*public\\.notifications_id_seq(, public\\.\\w+)*$`));
      expect(result.findings[0]!.nextCommand).toBe('healfix sequences --fix');
      expect(result.sequences!.lagging.map((l) => l.sequence)).toContain('public.notifications_id_seq');
      expect(result.findings.some((f) => /under concurrency/.test(f.title))).toBe(false);
    } finally {
      await sb.close();
      await tdb.query(`delete from notifications where id between 900001 and 900050`);
      await tdb.query(`select setval('notifications_id_seq', (select coalesce(max(id), 0) + 1 from notifications), false)`);
    }
  });
});

describe('register-test against the SANA sandbox', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'healfix-rts-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function sana(name: string, fixed = false): Promise<{ sb: Sandbox; db: OpenedDatabase; path: string }> {
    const path = join(dir, `${name}.db`);
    const sb = await startSandbox({ app: 'sana', sqlitePath: path, sanaFixed: fixed });
    return { sb, db: await openFromFlags({ databaseUrl: `sqlite:${path}` }), path };
  }

  it('picks the otp profile, reads the OTP from SQLite and verifies; the OTP never appears in output', async () => {
    const { sb, db } = await sana('ok');
    try {
      const result = await runRegisterTest({ url: sb.url, db, otpFromDb: true });
      expect(result.profile).toBe('otp');
      expect(result.profileReason).toMatch(/GET \/auth\/verify-otp exists/);
      expect(result.ok).toBe(true);
      expect(result.steps.map((s) => s.status)).toEqual([200, 200, 200]);
      const otp = db.kind === 'sqlite' ? (db.sqlite.prepare('select otp_code from user_otp').get() as { otp_code: string }).otp_code : '';
      const out = everyOutput(result);
      expect(out).not.toContain(otp);
      expect(out).not.toMatch(/temp_[0-9a-f]{16}/); // the temp id rides in the session cookie but is not secret... nor printed
    } finally {
      await db.close();
      await sb.close();
    }
  });

  it('--race 5 before the fix: one account, four clients with a dead session', async () => {
    const { sb, db } = await sana('race-pre');
    try {
      const result = await runRegisterTest({ url: sb.url, profile: 'otp', db, otpFromDb: true, race: 5 });
      expect(result.ok).toBe(false);
      expect(result.race).toMatchObject({ clients: 5, signupsAccepted: 5, accounts: 1, pendingRows: 0, verificationRows: 5 });
      const failed = result.race!.results.filter((r) => !r.ok);
      expect(failed).toHaveLength(4);
      expect(new Set(failed.map((f) => f.message))).toEqual(new Set(['Invalid verification session']));
      expect(result.findings[0]!.title).toBe('4 of 5 clients got a verification session that no longer exists');
      expect(result.findings[0]!.nextCommand).toMatch(/^healfix temp-registrations --email hf_\w+@example\.com$/);
      expect(sb.log.filter((l) => l.startsWith('No temp_registration found for temp_id: temp_'))).toHaveLength(4);
      // The temp-registrations check ran for the email in the same run: five codes, none with a pending row left
      // (four overwritten temp ids, and the winner's row removed by its verification).
      expect(result.tempRegistrations).toMatchObject({ email: result.user.email, pendingRows: 0, orphanOtpsTotal: 5 });
      const evidence = result.findings.find((f) => f.check === 'temp-registrations' && f.subject === result.user.email);
      expect(evidence?.title).toMatch(/^temp-registrations for hf_\w+@example\.com: 0 pending rows, 0 live OTPs, \d+ orphaned OTPs? next to its signups \(5 orphaned in all\)$/);
      expect(result.findings.some((f) => f.check === 'temp-registrations' && /^5 one-time codes point at temp ids with no pending signup/.test(f.title))).toBe(true);
    } finally {
      await db.close();
      await sb.close();
    }
  });

  it('an OTP session failure runs the temp-registrations check for the email: the overwritten temp id shows', async () => {
    const { sb, db } = await sana('overwritten');
    // Letters only: secrets (PINs, codes) are masked wherever they appear, and a run of digits in the
    // address could match one by chance.
    const email = `ow_${Array.from({ length: 10 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('')}@example.com`;
    try {
      // Between this run's signup and its verify, a second signup for the same email replaces the pending row.
      const result = await runRegisterTest({ url: sb.url, profile: 'otp', db, fields: { email } }, {
        askOtp: async () => {
          const other = new HttpClient({ baseUrl: sb.url });
          const res = await other.send({ method: 'POST', path: '/auth/api/send-signup-otp', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: 'An0ther-Passw0rd!' }) });
          expect(res.status).toBe(200);
          return '123456';
        },
      });
      expect(result.ok).toBe(false);
      expect(result.findings[0]!.title).toBe('the verification session no longer matches a pending signup: "Invalid verification session"');
      expect(result.tempRegistrations).toEqual({
        email,
        pendingRows: 1,
        liveOtps: 1,
        orphanOtps: 1,
        orphanOtpsTotal: 1,
        summary: `${email}: 1 pending row, 1 live OTP, 1 orphaned OTP next to its signups (1 orphaned in all)`,
      });
      const evidence = result.findings[1]!;
      expect(evidence).toMatchObject({ check: 'temp-registrations', severity: 'error', nextCommand: `healfix temp-registrations --email ${email}` });
      expect(evidence.detail).toMatch(/a later signup for the same email replaced the row/);
      expect(everyOutput(result)).toContain(`temp-registrations for ${email}: 1 pending row, 1 live OTP, 1 orphaned OTP`);
      // Without a database there is nothing to inspect.
      const noDb = await runRegisterTest({ url: sb.url, profile: 'otp', otp: '123456' });
      expect(noDb.tempRegistrations).toBeUndefined();
    } finally {
      await db.close();
      await sb.close();
    }
  });

  it('--race 5 after the fix: the extras get 429 and one account is created', async () => {
    const { sb, db } = await sana('race-fixed', true);
    try {
      const result = await runRegisterTest({ url: sb.url, profile: 'otp', db, otpFromDb: true, race: 5 });
      expect(result.race).toMatchObject({ signupsAccepted: 1, accounts: 1 });
      expect(result.race!.results.filter((r) => !r.ok).map((r) => r.status)).toEqual([429, 429, 429, 429]);
      expect(result.ok).toBe(true);
    } finally {
      await db.close();
      await sb.close();
    }
  });

  it('an unreachable server is one ConnectionError', async () => {
    const error = await runRegisterTest({ url: 'http://127.0.0.1:1' }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('connection refused by 127.0.0.1:1');
    expect((error as unknown as { exitCode: number }).exitCode).toBe(2);
  });
});
