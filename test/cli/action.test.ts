/**
 * The GitHub Action's step, run the way GitHub runs it: action.yml's env mapping resolved from the inputs,
 * GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / RUNNER_TEMP set, against the test database. Only the way healfix is
 * started differs (the built bin instead of `npx healfix@version`, which would fetch the published package).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
import { BIN } from '../helpers/exec.js';
import { testTempDir } from '../helpers/tmp.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
interface ActionYml {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: { id?: string; uses?: string; run?: string; env?: Record<string, string> }[] };
}
const action = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as ActionYml;
const step = action.runs.steps.find((s) => s.id === 'healfix')!;

/** The step's env as GitHub would compute it: `${{ inputs.x }}` from the given inputs, else the default, else ''. */
function stepEnv(inputs: Record<string, string>): Record<string, string> {
  const value = (name: string) => inputs[name] ?? action.inputs[name]?.default ?? '';
  return Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, v.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, n: string) => value(n))]));
}

function runStep(inputs: Record<string, string>, dir: string): Promise<{ code: number | null; stdout: string; stderr: string; outputs: Record<string, string>; summary: string }> {
  const files = { GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary.md') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', GITHUB_ACTIONS: 'true', CI: 'true', RUNNER_TEMP: dir, GITHUB_ACTION_PATH: root, ...files, ...stepEnv(inputs), HEALFIX_BIN: `${process.execPath} ${BIN}` };
  const script = step.run!.replace('"$GITHUB_ACTION_PATH/scripts/action.js"', join(root, 'scripts/action.js')).split(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, script.slice(1), { env, cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const outputs = Object.fromEntries(readFileSync(files.GITHUB_OUTPUT, 'utf8').trim().split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      resolve({ code, stdout, stderr, outputs, summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8') });
    });
  });
}

it('action.yml: a composite action that sets up Node, runs scripts/action.js and npx healfix at this version', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  expect(action.runs.using).toBe('composite');
  expect(action.runs.steps[0]!.uses).toMatch(/^actions\/setup-node@v\d+$/);
  expect(step.run).toBe('node "$GITHUB_ACTION_PATH/scripts/action.js"');
  expect(step.env!.HEALFIX_BIN).toBe('npx --yes healfix@${{ inputs.version }}');
  expect(action.inputs.version!.default).toBe(pkg.version);
  expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['command', 'database-url', 'url', 'flow', 'fail-on', 'reporters']));
  expect(action.outputs.ok!.value).toBe('${{ steps.healfix.outputs.ok }}');
  expect(action.outputs.json!.value).toBe('${{ steps.healfix.outputs.json }}');
});

describeDb('the Action step against the test database', () => {
  let db: TestDatabase;
  const password = 'act-Pw-90210-x';
  beforeAll(async () => {
    db = await createTestDatabase('action');
    await db.query(`do $$ begin create role healfix_action_user login superuser password '${password}'; exception when duplicate_object then null; end $$`);
  });
  afterAll(async () => {
    await db.query('drop role if exists healfix_action_user');
    await db.drop();
  });

  it('healthy: exit 0, ok=true, the JSON document at the json output, a healthy step summary', async () => {
    const dir = testTempDir('action-ok');
    const r = await runStep({ 'database-url': db.url }, dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.outputs).toEqual({ ok: 'true', json: join(dir, 'healfix-doctor.json'), 'exit-code': '0' });
    expect(JSON.parse(readFileSync(r.outputs.json!, 'utf8'))).toMatchObject({ command: 'doctor', ok: true });
    expect(r.summary).toContain('### healfix doctor: ✅ healthy');
    expect(r.stdout).not.toContain('::error');
  });

  it('a lagging sequence: exit 1, ok=false, an ::error annotation, the summary, the password only in ::add-mask::', async () => {
    await db.query('create table orders (id serial primary key); insert into orders (id) values (7)');
    try {
      const dir = testTempDir('action-bad');
      const r = await runStep({ 'database-url': db.urlFor('healfix_action_user', password), reporters: `github junit:${join(dir, 'junit.xml')}` }, dir);
      expect(r.code).toBe(1);
      expect(r.outputs).toMatchObject({ ok: 'false', 'exit-code': '1' });
      expect(r.stdout).toMatch(/^::error title=healfix doctor%3A sequences::public\.orders_id_seq lags max\(id\) by 7/m);
      expect(r.summary).toMatch(/\| sequences \| ❌ error \| 1 lagging sequence/);
      expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('<failure message="public.orders_id_seq lags max(id) by 7');
      const lines = (r.stdout + r.stderr).split('\n').filter((l) => l.includes(password));
      expect(lines).toEqual([`::add-mask::${db.urlFor('healfix_action_user', password)}`]);
      expect(r.summary + readFileSync(r.outputs.json!, 'utf8')).not.toContain(password);
    } finally {
      await db.query('drop table orders');
    }
  });

  it('fail-on warn reaches doctor; a bad input is one ::error and exit 2', async () => {
    const dir = testTempDir('action-input');
    const bad = await runStep({ command: 'drop-everything' }, dir);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/^::error title=healfix action::command must be one of doctor/m);
    const wrong = await runStep({ command: 'sequences', 'fail-on': 'warn', 'database-url': db.url }, dir);
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toContain('fail-on applies to the doctor command only');
    const strict = await runStep({ 'fail-on': 'warn', 'database-url': db.url }, dir);
    expect(strict.code).toBe(0);
    expect(JSON.parse(readFileSync(strict.outputs.json!, 'utf8'))).toMatchObject({ failOn: 'warn' });
  });
});
