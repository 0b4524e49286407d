import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { createHealingSpaceSchema } from '../../src/demo/sandbox/healing-space.js';
import { startSandbox } from '../../src/demo/sandbox/server.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';
import { createSanaDb, plantSanaProblems, SANA_CODES, type SanaDb } from '../fixtures/sana.js';

interface DoctorDoc {
  ok: boolean;
  checks: { check: string; status: string; findings: { severity: string; title: string; nextCommand?: string }[] }[];
}

function findings(doc: DoctorDoc, check: string) {
  return doc.checks.find((c) => c.check === check)?.findings ?? [];
}

describeDb('doctor on the two seed incidents', () => {
  let hs: TestDatabase;
  let sana: SanaDb;
  beforeAll(async () => {
    hs = await createTestDatabase('doctor_hs');
    const client = await hs.connect();
    await createHealingSpaceSchema(client, { lagging: true });
    sana = createSanaDb();
    plantSanaProblems(sana);
  });
  afterAll(async () => {
    sana.close();
    await hs.drop();
  });

  it('Healing Space: names each of the four lagging sequences with the command that fixes them', async () => {
    const result = await runCli(['doctor', '--json', '-d', hs.url]);
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as DoctorDoc;
    expect(doc.ok).toBe(false);
    const lagging = findings(doc, 'sequences').filter((f) => f.severity === 'error');
    expect(lagging.map((f) => f.title.split(' ')[0]).sort()).toEqual([
      'public.alerts_id_seq',
      'public.audit_logs_id_seq',
      'public.chat_sessions_id_seq',
      'public.notifications_id_seq',
    ]);
    for (const f of lagging) expect(f.nextCommand).toMatch(/^healfix sequences --fix -d postgres:\/\/postgres(:\*\*\*\*)?@127\.0\.0\.1:\d+\/healfix_doctor_hs_\w+$/);
    expect(doc.checks.find((c) => c.check === 'rate-limits')?.status).toBe('ok');
    expect(result.stdout + result.stderr).not.toMatch(/postgres:[^*@/]+@/);

    const fix = await runCli(['sequences', '--fix', '--yes', '-d', hs.url]);
    expect(fix.code).toBe(0);
    const after = await runCli(['doctor', '--json', '-d', hs.url]);
    expect(after.code).toBe(0);
    expect(findings(JSON.parse(after.stdout) as DoctorDoc, 'sequences')).toEqual([]);
  });

  it('SANA: orphan OTPs, the race, an expired row and a locked account, each with its next command; codes never shown', async () => {
    const result = await runCli(['doctor', '--json', '-d', `sqlite:${sana.path}`]);
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as DoctorDoc;
    const pending = findings(doc, 'temp-registrations');
    const has = (title: RegExp, next: RegExp) => expect(pending.find((f) => title.test(f.title))?.nextCommand, String(title)).toMatch(next);
    has(/live signup codes for alice@example\.com/, /^healfix temp-registrations --email alice@example\.com --database-url sqlite:/);
    has(/point at temp ids with no pending signup/, /^healfix temp-registrations --email /);
    has(/expired pending signups in temp_registrations never cleaned/, /^healfix temp-registrations --purge-expired --database-url sqlite:/);
    has(/already have an account/, /--email dave@example\.com/);
    const locked = findings(doc, 'rate-limits').find((f) => /erin@example\.com is locked/.test(f.title));
    expect(locked?.nextCommand).toMatch(/^healfix rate-limits --unlock erin@example\.com --database-url sqlite:/);
    for (const code of SANA_CODES) expect(result.stdout + result.stderr).not.toContain(code);

    const human = await runCli(['doctor', '-d', `sqlite:${sana.path}`]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/temp-registrations\s+│\s+error/);
    expect(human.stdout).toContain('next: healfix rate-limits --unlock erin@example.com');
    expect(human.stdout).toMatch(/✖ problems: 1 error, 1 warning/);
  });

  it('with --url, replays a registration too: the lagging sequence breaks it, and in-memory limits point at the real URL', async () => {
    const broken = await createTestDatabase('doctor_url');
    const client = await broken.connect();
    await createHealingSpaceSchema(client, { lagging: true });
    const pool = new pg.Pool({ connectionString: broken.url, max: 2 });
    const app = await startSandbox({ app: 'healing-space', pg: pool, debug: true });
    try {
      const result = await runCli(['doctor', '--json', '-d', broken.url, '--url', app.url]);
      expect(result.code).toBe(1);
      const doc = JSON.parse(result.stdout) as DoctorDoc;
      const replay = doc.checks.find((c) => c.check === 'register-test');
      expect(replay?.status).toBe('error');
      expect(replay?.findings.map((f) => f.title).join('\n')).toMatch(/500.*lagging sequence.*notifications_id_seq/);
      const inMemory = findings(doc, 'rate-limits').find((f) => /process memory/.test(f.title));
      expect(inMemory?.nextCommand).toContain(`healfix register-test --url ${app.url}`);
    } finally {
      await app.close();
      await pool.end();
      await broken.drop();
    }
  });
});
