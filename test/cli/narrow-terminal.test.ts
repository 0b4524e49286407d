import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/exec.js';

// A real pseudo-terminal (util-linux `script`) 0 columns wide: ora counted Infinity wrapped lines and
// cleared them forever, so the command never ended. Skipped visibly where `script` is not installed.
const hasScript = spawnSync('script', ['--version']).status === 0;
const describePty = hasScript ? describe : describe.skip;
if (!hasScript) process.stderr.write('[healfix tests] SKIPPED narrow-terminal: util-linux `script` not installed\n');

function inPty(columns: number, args: string[]): Promise<{ code: number | null; killed: boolean; out: string }> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? '/tmp', TERM: 'xterm' };
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', `stty cols ${columns} rows 24; ${quoted}`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let killed = false;
    child.stdout.on('data', (d) => {
      // The hang writes escape codes without end: keep only the tail.
      out = (out + d).slice(-20_000);
    });
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, killed, out });
    });
  });
}

describePty('a terminal 0 columns wide', () => {
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'healfix-pty-'));
    db = join(dir, 'app.db');
    const { default: Database } = await import('better-sqlite3');
    new Database(db).exec('create table users (id integer primary key, email text)').close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('doctor ends with its report instead of spinning forever', async () => {
    const r = await inPty(0, ['doctor', '-d', `sqlite:${db}`]);
    expect(r.killed).toBe(false);
    expect(r.out).toMatch(/\d+ checks/);
    expect([0, 1]).toContain(r.code);
  });

  it('a normal width still ends (the spinner is drawn there)', async () => {
    const r = await inPty(80, ['doctor', '-d', `sqlite:${db}`]);
    expect(r.killed).toBe(false);
    expect(r.out).toMatch(/\d+ checks/);
  });
});
