/**
 * The HTML report opened in a real headless Chromium (Debian `chromium`): the page loads without a console
 * message (no script error, no blocked resource), every finding of the run's document is in the rendered
 * DOM, and a screenshot is taken. HEALFIX_UPDATE_DOCS=1 copies the screenshots to docs/ (README shows them).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseDocument } from 'htmlparser2';
import { findAll, textContent } from 'domutils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealingSpaceSchema } from '../../src/demo/sandbox/healing-space.js';
import { startSandbox } from '../../src/demo/sandbox/server.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';

const CHROMIUM = ['chromium', 'chromium-browser'].find((c) => spawnSync(c, ['--version']).status === 0);
if (!CHROMIUM) process.stderr.write('[healfix tests] SKIPPED html-report in Chromium: chromium is not installed (Debian package chromium, in .ci/apt-packages)\n');
const describeChromium = CHROMIUM ? describeDb : describe.skip;
const docs = fileURLToPath(new URL('../../docs/', import.meta.url));

interface Rendered {
  dom: string;
  console: string[];
  png: Buffer;
}

/** Chromium with the flags a CI container needs; its own profile folder, no network beyond the file. */
function render(file: string, dir: string): Rendered {
  const profile = mkdtempSync(join(dir, 'profile-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--hide-scrollbars', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0'];
  const url = pathToFileURL(file).href;
  const dump = spawnSync(CHROMIUM!, [...flags, '--dump-dom', url], { encoding: 'utf8', timeout: 60_000 });
  expect(dump.status, dump.stderr).toBe(0);
  const png = join(dir, 'shot.png');
  const shot = spawnSync(CHROMIUM!, [...flags, '--window-size=1000,900', `--screenshot=${png}`, url], { encoding: 'utf8', timeout: 60_000 });
  expect(shot.status, shot.stderr).toBe(0);
  // Console messages (a script error, a CSP refusal, a failed load) are logged as CONSOLE lines.
  const console = `${dump.stderr}\n${shot.stderr}`.split('\n').filter((l) => /CONSOLE|Uncaught|Refused to|ERR_FILE_NOT_FOUND|net::ERR/.test(l));
  return { dom: dump.stdout, console, png: readFileSync(png) };
}

function expectScreenshot(png: Buffer): void {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(png.readUInt32BE(16)).toBe(1000); // IHDR width
  // A blank page compresses to a few hundred bytes; text and tables do not.
  expect(png.length).toBeGreaterThan(20_000);
}

/** The titles of the findings that need attention, from the run's own JSON document. */
function problemTitles(doc: { checks?: { findings: { severity: string; title: string }[] }[]; findings?: { severity: string; title: string }[] }): string[] {
  const findings = doc.checks ? doc.checks.flatMap((c) => c.findings) : doc.findings ?? [];
  return findings.filter((f) => f.severity !== 'ok').map((f) => f.title);
}

describeChromium('the HTML report in headless Chromium', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase('html_report');
    await createHealingSpaceSchema(await db.connect(), { lagging: true });
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    dir = mkdtempSync(join(tmpdir(), 'healfix-html-'));
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('doctor: no console message, every finding in the rendered page, a screenshot', async () => {
    const html = join(dir, 'doctor.html');
    const json = join(dir, 'doctor.json');
    const r = await runCli(['doctor', '-d', db.url, '--reporter', `html:${html}`, '--reporter', `json:${json}`]);
    expect(r.code).toBe(1);
    const titles = problemTitles(JSON.parse(readFileSync(json, 'utf8')));
    expect(titles.length).toBe(4);
    const page = render(html, dir);
    expect(page.console).toEqual([]);
    const shown = findAll((e) => 'data-finding' in e.attribs, parseDocument(page.dom).children).map((e) => textContent(e));
    for (const title of titles) expect(shown.some((t) => t.includes(title)), title).toBe(true);
    expectScreenshot(page.png);
    if (process.env.HEALFIX_UPDATE_DOCS) copyFileSync(join(dir, 'shot.png'), join(docs, 'html-report-doctor.png'));
  });

  it('register-test: the signup timeline (a 500 on register) and its findings render, the password nowhere', async () => {
    const sb = await startSandbox({ app: 'healing-space', pg: pool });
    try {
      const html = join(dir, 'register-test.html');
      const json = join(dir, 'register-test.json');
      const r = await runCli(['register-test', '--url', sb.url, '--field', 'password=Sup3r$ecretPassw0rd', '--reporter', `html:${html}`, '--reporter', `json:${json}`]);
      expect(r.code).toBe(1);
      const titles = problemTitles(JSON.parse(readFileSync(json, 'utf8')));
      expect(titles.length).toBeGreaterThan(0);
      const page = render(html, dir);
      expect(page.console).toEqual([]);
      const dom = parseDocument(page.dom);
      const steps = findAll((e) => (e.attribs.class ?? '').startsWith('step '), dom.children);
      expect(steps.map((s) => textContent(s))).toEqual([expect.stringMatching(/csrf token.*GET \/api\/csrf-token.*200/s), expect.stringMatching(/register.*POST \/api\/auth\/register.*500/s)]);
      const shown = findAll((e) => 'data-finding' in e.attribs, dom.children).map((e) => textContent(e));
      for (const title of titles) expect(shown.some((t) => t.includes(title)), title).toBe(true);
      expect(page.dom).not.toContain('Sup3r$ecretPassw0rd');
      expectScreenshot(page.png);
      if (process.env.HEALFIX_UPDATE_DOCS) copyFileSync(join(dir, 'shot.png'), join(docs, 'html-report-register-test.png'));
    } finally {
      await sb.close();
    }
  });
});
