import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';
import { testTempDir } from '../helpers/tmp.js';

// A project that wrote healfix.config.* once runs `healfix doctor` with no flags (issue 10 §4).
describeDb('project config file', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('project_config');
    await db.query('create table accounts (id serial primary key)');
    await db.query('insert into accounts (id) values (1), (2), (3)'); // the sequence now lags max(id)
  });
  afterAll(() => db.drop());

  it('healfix.config.json found from a subfolder: doctor needs no flags and says where the database came from', async () => {
    const dir = testTempDir('config-json');
    writeFileSync(join(dir, 'healfix.config.json'), JSON.stringify({ databaseUrl: db.url }));
    mkdirSync(join(dir, 'app', 'sub'), { recursive: true });
    const human = await runCli(['doctor'], { cwd: join(dir, 'app', 'sub') });
    expect(human.stdout).toContain('(from config ../../healfix.config.json)');
    expect(human.stdout).toContain('public.accounts_id_seq');
    expect(human.code).toBe(1);
    const json = await runCli(['doctor', '--json'], { cwd: dir });
    const doc = JSON.parse(json.stdout);
    expect(doc.target.source).toBe('config healfix.config.json');
    expect(doc.ok).toBe(false);
    expect(json.code).toBe(1);
  });

  it('the "healfix" key of package.json, with an ignored check reported as ignored with its reason', async () => {
    const dir = testTempDir('config-pkg');
    const healfix = { databaseUrl: db.url, ignore: [{ check: 'sequences', reason: 'accounts are imported with their ids (ticket 42)' }] };
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', healfix }));
    const result = await runCli(['doctor', '--json'], { cwd: dir });
    const doc = JSON.parse(result.stdout);
    const sequences = doc.checks.find((c: { check: string }) => c.check === 'sequences');
    expect(sequences).toMatchObject({ status: 'skipped', skippedReason: 'ignored in package.json ("healfix" key): accounts are imported with their ids (ticket 42)' });
    expect(doc.ok).toBe(true);
    expect(result.code).toBe(0);
    const human = await runCli(['doctor'], { cwd: dir });
    expect(human.stdout).toContain('accounts are imported with their ids (ticket 42)');
  });

  it('an ignored sequence stays in the report as ignored, with its reason; an unknown check id is a typo', async () => {
    const dir = testTempDir('config-subject');
    const ignore = [{ check: 'sequences', subject: 'public.accounts_id_seq', reason: 'ids come from the CRM import' }];
    writeFileSync(join(dir, 'healfix.config.json'), JSON.stringify({ databaseUrl: db.url, ignore }));
    const json = await runCli(['doctor', '--json'], { cwd: dir });
    const doc = JSON.parse(json.stdout);
    const sequences = doc.checks.find((c: { check: string }) => c.check === 'sequences');
    expect(sequences.status).toBe('ok');
    expect(sequences.summary).toContain('1 ignored in healfix.config.json');
    expect(sequences.findings[0].title).toMatch(/^ignored \(error\): public\.accounts_id_seq lags .* — ids come from the CRM import \(healfix\.config\.json\)$/);
    expect(json.code).toBe(0);
    const human = await runCli(['doctor'], { cwd: dir });
    expect(human.stdout).toContain('1 ignored in healfix.config.json');

    writeFileSync(join(dir, 'healfix.config.json'), JSON.stringify({ databaseUrl: db.url, ignore: [{ check: 'sequence', reason: 'x' }] }));
    const typo = await runCli(['doctor'], { cwd: dir });
    expect(typo.stderr).toBe('healfix: healfix.config.json: ignore: unknown check "sequence" (doctor\'s checks: sequences, temp-registrations, rate-limits, register-test)\n');
    expect(typo.code).toBe(2);
  });

  it('doctor reads the table and column mappings of the file, as the single commands would from flags', async () => {
    const dir = testTempDir('config-mapping');
    await db.query(`create table signup_holds (addr text, valid_until timestamptz, ref text primary key);
      insert into signup_holds values ('m@example.com', now() - interval '2 hours', 'r1'), ('n@example.com', now() + interval '1 hour', 'r2')`);
    try {
      const pending = (doc: { checks: { check: string; summary: string }[] }) => doc.checks.find((c) => c.check === 'temp-registrations')!.summary;
      const unmapped = JSON.parse((await runCli(['doctor', '--json', '-d', db.url], { cwd: dir })).stdout);
      expect(pending(unmapped)).not.toContain('2 pending signups');
      const tempRegistrations = { table: 'signup_holds', columns: { id: 'ref', email: 'addr', expires: 'valid_until' } };
      writeFileSync(join(dir, 'healfix.config.json'), JSON.stringify({ databaseUrl: db.url, tempRegistrations }));
      const mapped = JSON.parse((await runCli(['doctor', '--json'], { cwd: dir })).stdout);
      expect(pending(mapped)).toContain('2 pending signups (1 expired)');
    } finally {
      await db.query('drop table signup_holds');
    }
  });

  it('YAML, the URL read from the variable databaseUrlEnv names, --fail-on from the file; a flag still wins', async () => {
    const dir = testTempDir('config-yaml');
    writeFileSync(join(dir, 'healfix.config.yaml'), 'databaseUrlEnv: APP_DB\nfailOn: warn\nstatementTimeout: 20s\n');
    const fromFile = await runCli(['doctor', '--json'], { cwd: dir, env: { APP_DB: db.url } });
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ failOn: 'warn', target: { source: 'config healfix.config.yaml' } });
    const flagWins = await runCli(['doctor', '--json', '--fail-on', 'error'], { cwd: dir, env: { APP_DB: db.url } });
    expect(JSON.parse(flagWins.stdout).failOn).toBe('error');
    const unset = await runCli(['doctor'], { cwd: dir });
    expect(unset.stderr.trim()).toBe('healfix: healfix.config.yaml: databaseUrlEnv names APP_DB, which is not set');
    expect(unset.code).toBe(2);
  });

  it('flags > environment > config: -d and DATABASE_URL both beat the file', async () => {
    const dir = testTempDir('config-order');
    writeFileSync(join(dir, 'healfix.config.json'), JSON.stringify({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none' }));
    const env = await runCli(['doctor', '--json'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(JSON.parse(env.stdout).target.source).toBe('DATABASE_URL');
    const flag = await runCli(['doctor', '--json', '-d', db.url], { cwd: dir });
    expect(JSON.parse(flag.stdout).target.source).toBe('--database-url');
  });

  it('a typo is one line naming the key and the file, exit 2; under --json one document with code "config"', async () => {
    const dir = testTempDir('config-typo');
    writeFileSync(join(dir, 'healfix.config.json'), JSON.stringify({ databseUrl: db.url }));
    const human = await runCli(['doctor'], { cwd: dir });
    expect(human.stderr).toBe('healfix: healfix.config.json: unknown key "databseUrl" (did you mean "databaseUrl"?)\n');
    expect(human.stdout).toBe('');
    expect(human.code).toBe(2);
    const json = await runCli(['doctor', '--json'], { cwd: dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ command: 'doctor', ok: false, error: { code: 'config' } });
    expect(json.code).toBe(2);

    writeFileSync(join(dir, 'healfix.config.json'), JSON.stringify({ rateLimits: { limit: '5' } }));
    const wrongType = await runCli(['rate-limits'], { cwd: dir });
    expect(wrongType.stderr).toBe('healfix: healfix.config.json: "rateLimits.limit" must be a number, got string\n');
    expect(wrongType.code).toBe(2);
  });

  it('--config FILE uses that file wherever healfix runs, and the next commands name it again', async () => {
    const dir = testTempDir('config-flag');
    const file = join(dir, 'ci.yml');
    writeFileSync(file, `databaseUrl: ${db.url}\n`);
    const result = await runCli(['doctor', '--config', file], { cwd: testTempDir('elsewhere') });
    expect(result.stdout).toContain(`healfix sequences --fix --config ${file}`);
    expect(result.code).toBe(1);
    const missing = await runCli(['doctor', '--config', join(dir, 'nope.json')]);
    expect(missing.stderr.trim()).toBe(`healfix: --config: file not found: ${join(dir, 'nope.json')}`);
    expect(missing.code).toBe(2);
  });
});
