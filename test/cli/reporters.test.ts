/**
 * Contract tests of every --reporter over real documents: healthy, problem and error runs of the built
 * binary against the test database (and the sandbox app for register-test), never hand-written documents.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'htmlparser2';
import { findAll, textContent } from 'domutils';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHealingSpaceSchema } from '../../src/demo/sandbox/healing-space.js';
import { startSandbox } from '../../src/demo/sandbox/server.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';
import { testTempDir } from '../helpers/tmp.js';

const ALL = (dir: string) => ['junit', 'markdown', 'gitlab', 'html', 'json'].flatMap((r) => ['--reporter', `${r}:${join(dir, `report.${r}`)}`]);
const read = (dir: string, name: string) => readFileSync(join(dir, `report.${name}`), 'utf8');
const xmlElements = (xml: string, name: string) => findAll((e) => e.name === name, parseDocument(xml, { xmlMode: true }).children);

describeDb('--reporter over doctor documents', () => {
  let healthy: TestDatabase;
  let broken: TestDatabase;
  const password = 'rep-Secret-pw-4471';
  beforeAll(async () => {
    [healthy, broken] = await Promise.all([createTestDatabase('rep_ok'), createTestDatabase('rep_bad')]);
    // Two lagging sequences: one fix (one hint, one next step) for both.
    await broken.query('create table orders (id serial primary key); insert into orders (id) values (5), (6)');
    await broken.query('create table invoices (id serial primary key); insert into invoices (id) values (3)');
    await broken.query(`do $$ begin create role healfix_rep_user login superuser password '${password}'; exception when duplicate_object then null; end $$`);
  });
  afterAll(async () => {
    await broken.query('drop role if exists healfix_rep_user');
    await Promise.all([healthy.drop(), broken.drop()]);
  });

  it('problem run: every reporter says what failed, exit 1 as without reporters, no password anywhere', async () => {
    const dir = testTempDir('rep-problem');
    const summary = join(dir, 'step-summary.md');
    writeFileSync(summary, '# earlier step\n');
    const url = broken.urlFor('healfix_rep_user', password);
    const r = await runCli(['doctor', '-d', url, '--reporter', 'github', ...ALL(dir)], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(r.code).toBe(1);

    // github: one ::error per finding on stdout, next to the human report (no other reporter took stdout).
    const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(annotations.filter((l) => l.startsWith('::error title=healfix doctor%3A sequences::'))).toHaveLength(2);
    expect(annotations.some((l) => l.includes('public.orders_id_seq lags max(id) by 6'))).toBe(true);
    expect(r.stdout).toContain('✖ problems: 1 error');
    // The step summary is appended to, never overwritten.
    const md = readFileSync(summary, 'utf8');
    expect(md.startsWith('# earlier step\n### healfix doctor: ❌ problems')).toBe(true);
    expect(md).toMatch(/\| sequences \| ❌ error \| 2 lagging sequences/);

    // junit: a suite per check, a failing case per error finding.
    const xml = read(dir, 'junit');
    const suites = xmlElements(xml, 'testsuite');
    expect(suites.map((s) => s.attribs.name)).toEqual(['server', 'sequences', 'temp-registrations', 'rate-limits']);
    const failures = xmlElements(xml, 'failure');
    expect(failures.map((f) => f.attribs.message).sort()).toEqual([
      expect.stringContaining('public.invoices_id_seq lags max(id) by 3'),
      expect.stringContaining('public.orders_id_seq lags max(id) by 6'),
    ]);
    expect(xmlElements(xml, 'testsuites')[0]!.attribs.failures).toBe('2');

    // markdown: the same summary; the two findings share one hint and one next step.
    const markdown = read(dir, 'markdown');
    expect(markdown).toContain('- public.orders_id_seq lags max(id) by 6');
    expect(markdown.match(/^next: /gm)).toHaveLength(1);
    expect(markdown).toContain('healfix sequences --fix');

    // gitlab: Code Quality issues with every field GitLab requires.
    const issues = JSON.parse(read(dir, 'gitlab')) as { description: string; check_name: string; fingerprint: string; severity: string; location: { path: string; lines: { begin: number } } }[];
    expect(issues).toHaveLength(2);
    for (const i of issues) {
      expect(i.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(i).toMatchObject({ check_name: 'healfix-doctor-sequences', severity: 'major', location: { path: 'healfix/doctor/sequences', lines: { begin: 1 } } });
    }
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(2);

    // html: self-contained, each finding visible.
    const html = read(dir, 'html');
    const dom = parseDocument(html);
    expect(findAll((e) => e.name === 'script' || (e.name === 'link' && e.attribs.rel === 'stylesheet') || e.name === 'img', dom.children)).toHaveLength(0);
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    const findings = findAll((e) => 'data-finding' in e.attribs, dom.children).map((e) => textContent(e));
    expect(findings.some((t) => t.includes('public.orders_id_seq lags max(id) by 6'))).toBe(true);
    expect(findings.some((t) => t.includes('public.invoices_id_seq lags max(id) by 3'))).toBe(true);

    // json: the document --json prints.
    expect(JSON.parse(read(dir, 'json'))).toMatchObject({ schemaVersion: 1, command: 'doctor', ok: false, counts: { error: 1 } });

    for (const text of [r.stdout, r.stderr, md, xml, markdown, read(dir, 'gitlab'), html, read(dir, 'json')]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(encodeURIComponent(password));
    }
  });

  it('healthy run: exit 0, no ::error, an empty Code Quality report, JUnit without failures', async () => {
    const dir = testTempDir('rep-healthy');
    const r = await runCli(['doctor', '-d', healthy.url, '--reporter', 'github', ...ALL(dir)], { env: { GITHUB_STEP_SUMMARY: join(dir, 'summary.md') } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('::error');
    expect(r.stdout).toMatch(/^::notice title=healfix doctor::healthy: 0 errors/m);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('### healfix doctor: ✅ healthy');
    expect(JSON.parse(read(dir, 'gitlab'))).toEqual([]);
    expect(xmlElements(read(dir, 'junit'), 'failure')).toHaveLength(0);
    expect(xmlElements(read(dir, 'junit'), 'testsuite').length).toBeGreaterThanOrEqual(4);
    expect(read(dir, 'html')).toContain('<span class="verdict ok">healthy</span>');
  });

  it('error run (no server there): exit 2, the error in every report, one document on stdout under --reporter json', async () => {
    const dir = testTempDir('rep-error');
    const refused = 'postgres://nobody@127.0.0.1:1/none';
    const r = await runCli(['doctor', '-d', refused, '--connect-timeout', '2s', '--reporter', 'json', '--reporter', 'github', ...ALL(dir).slice(0, 8)]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string } };
    expect(doc).toMatchObject({ ok: false, error: { code: 'connection' } });
    // stdout is the one document: the annotation went to stderr, where the runner reads it too.
    expect(r.stderr).toMatch(/^::error title=healfix doctor::/m);
    expect(xmlElements(read(dir, 'junit'), 'failure')[0]!.attribs.message).toBe(doc.error.message);
    expect(JSON.parse(read(dir, 'gitlab'))).toMatchObject([{ severity: 'blocker', description: expect.stringContaining(doc.error.message) }]);
    expect(read(dir, 'markdown')).toContain(`**error:** ${doc.error.message}`);
    expect(read(dir, 'html')).toContain('<strong>error:</strong>');
  });

  it('bad reporter paths and names are refused before any work: exit 2, one line, nothing written', async () => {
    const dir = testTempDir('rep-paths');
    const missing = await runCli(['doctor', '-d', broken.url, '--reporter', `junit:${join(dir, 'no', 'such', 'r.xml')}`, '--reporter', `html:${join(dir, 'r.html')}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^healfix: --reporter junit .*: folder .* does not exist/);
    expect(missing.stdout).toBe('');
    expect(existsSync(join(dir, 'r.html'))).toBe(false);
    const unknown = await runCli(['doctor', '-d', broken.url, '--reporter', 'sarif', '--json']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ ok: false, error: { code: 'usage', message: expect.stringContaining('unknown reporter "sarif"') } });
    // A flag commander rejects: --reporter json still gets its one document.
    const bogus = await runCli(['doctor', '--bogus', '--reporter', 'json']);
    expect(bogus.code).toBe(2);
    expect(JSON.parse(bogus.stdout)).toMatchObject({ ok: false, error: { code: 'usage', message: "unknown option '--bogus'" } });
    const two = await runCli(['doctor', '-d', broken.url, '--reporter', 'junit', '--reporter', 'gitlab']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('junit and gitlab would both write to stdout');
  });

  it('human output: compact, one shared hint for two findings, fits COLUMNS=40, --verbose adds the detail', async () => {
    const wide = await runCli(['doctor', '-d', broken.url]);
    expect(wide.code).toBe(1);
    expect(wide.stdout.match(/^├/gm)).toHaveLength(1);
    expect(wide.stdout.match(/^  next: healfix sequences --fix/gm)).toHaveLength(1);
    expect(wide.stdout).not.toContain('fails with a duplicate key error');
    const verbose = await runCli(['doctor', '-d', broken.url, '--verbose']);
    expect(verbose.stdout.match(/fails with a duplicate key error/g)).toHaveLength(2);
    const narrow = await runCli(['doctor', '-d', broken.url], { env: { COLUMNS: '40' } });
    expect(narrow.code).toBe(1);
    expect(narrow.stdout).toContain('sequences  error\n  2 lagging sequences in 1 schema (2 checked)');
    // Piped with no COLUMNS: a table 120 columns wide at most.
    for (const line of wide.stdout.split('\n').filter((l) => /^[┌│├└]/.test(l))) expect(line.length).toBeLessThanOrEqual(120);
  });

  it('--quiet prints only the summary line, with the same exit code', async () => {
    const r = await runCli(['doctor', '-d', broken.url, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('✖ problems: 1 error, 0 warnings, 2 ok, 1 skipped (4 checks; failing on error)\n');
  });

  it('other commands render through the same reporters (sequences, temp-registrations)', async () => {
    const dir = testTempDir('rep-cmds');
    const seq = await runCli(['sequences', '-d', broken.url, '--reporter', `gitlab:${join(dir, 'seq.json')}`, '--reporter', `junit:${join(dir, 'seq.xml')}`]);
    expect(seq.code).toBe(1);
    expect(seq.stdout).toContain('public.orders_id_seq');
    const issues = JSON.parse(readFileSync(join(dir, 'seq.json'), 'utf8')) as { description: string }[];
    expect(issues.map((i) => i.description).sort()).toEqual([expect.stringContaining('public.invoices_id_seq lags the data by 3'), expect.stringContaining('public.orders_id_seq lags the data by 6')]);
    expect(xmlElements(readFileSync(join(dir, 'seq.xml'), 'utf8'), 'failure')).toHaveLength(2);
    // explain: a recognised paste is a warning about the app, and the run itself is fine (exit 0).
    const paste = 'ERROR: duplicate key value violates unique constraint "notifications_pkey" DETAIL: Key (id)=(3) already exists.';
    const explained = await runCli(['explain', '--offline', '--reporter', 'github', '--reporter', `markdown:${join(dir, 'explain.md')}`], { input: paste });
    expect(explained.code).toBe(0);
    expect(explained.stdout).toMatch(/^::warning title=healfix explain%3A explain::Duplicate key on "notifications_pkey"/m);
    expect(readFileSync(join(dir, 'explain.md'), 'utf8')).toMatch(/^### healfix explain: ✅ explained/);
    const temp = await runCli(['temp-registrations', '-d', healthy.url, '--reporter', 'markdown']);
    expect(temp.stdout).toMatch(/^### healfix temp-registrations: /);
  });
});

describeDb('--reporter over register-test documents (the sandbox app)', () => {
  let tdb: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    tdb = await createTestDatabase('rep_rt');
    await createHealingSpaceSchema(await tdb.connect(), { lagging: true });
    pool = new pg.Pool({ connectionString: tdb.url, max: 3 });
  });
  afterAll(async () => {
    await pool.end();
    await tdb.drop();
  });

  it('a 500 then a clean signup: steps as JUnit cases and as the HTML timeline, the test password nowhere', async () => {
    const sb = await startSandbox({ app: 'healing-space', pg: pool });
    const dir = testTempDir('rep-rt');
    const secret = ['--field', 'password=Sup3r$ecretPassw0rd'];
    try {
      const failed = await runCli(['register-test', '--url', sb.url, ...secret, '--reporter', `junit:${join(dir, 'fail.xml')}`, '--reporter', `html:${join(dir, 'fail.html')}`]);
      expect(failed.code).toBe(1);
      const failXml = readFileSync(join(dir, 'fail.xml'), 'utf8');
      const failing = xmlElements(failXml, 'failure');
      expect(failing).toHaveLength(1);
      expect(failing[0]!.attribs.message).toMatch(/^500: /);
      const failHtml = readFileSync(join(dir, 'fail.html'), 'utf8');
      const steps = findAll((e) => (e.attribs.class ?? '').startsWith('step '), parseDocument(failHtml).children);
      expect(steps.map((s) => s.attribs.class)).toEqual(['step ok', 'step error']);
      expect(textContent(steps[1]!)).toMatch(/POST \/api\/auth\/register/);

      expect((await runCli(['sequences', '--fix', '--yes', '-d', tdb.url])).code).toBe(0);
      const passed = await runCli(['register-test', '--url', sb.url, ...secret, '--reporter', 'junit', '--output', join(dir, 'ok.xml')]);
      expect(passed.code).toBe(0);
      const okXml = readFileSync(join(dir, 'ok.xml'), 'utf8');
      expect(xmlElements(okXml, 'testcase')).toHaveLength(2);
      expect(xmlElements(okXml, 'failure')).toHaveLength(0);
      for (const text of [failed.stdout, failed.stderr, failXml, failHtml, passed.stdout, okXml]) expect(text).not.toContain('Sup3r$ecretPassw0rd');
    } finally {
      await sb.close();
    }
  });
});
