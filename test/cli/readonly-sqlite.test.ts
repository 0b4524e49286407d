import { spawn } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type ExecResult } from '../helpers/exec.js';
import { createSanaDb, plantSanaProblems, type SanaDb } from '../fixtures/sana.js';

// A SQLite file this user may read but not write: every write command used to end in a stack trace
// ("attempt to write a readonly database"). As root (who may write anything) the CLI runs as `nobody`.
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

function runAsReader(args: string[]): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: '/tmp', NO_COLOR: '1' },
      cwd: '/tmp',
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('a read-only SQLite file with a write command', () => {
  let s: SanaDb;
  let rows: () => unknown;
  beforeAll(() => {
    s = createSanaDb();
    plantSanaProblems(s);
    s.db.pragma('journal_mode = DELETE');
    rows = () => s.db.prepare('select (select count(*) from temp_registrations) as t, (select group_concat(login_attempts) from users) as a').get();
    chmodSync(s.path, 0o444);
    chmodSync(s.dir, 0o555);
  });
  afterAll(() => {
    chmodSync(s.dir, 0o755);
    s.close();
    rmSync(s.dir, { recursive: true, force: true });
  });

  it('reads still work', async () => {
    const r = await runAsReader(['temp-registrations', '-d', s.path]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
  });

  for (const args of [['temp-registrations', '--purge-expired', '--yes'], ['rate-limits', '--unlock', 'erin@example.com', '--yes'], ['sequences', '--fix', '--yes']]) {
    it(`${args.join(' ')}: one line, exit 2, nothing changed`, async () => {
      const before = rows();
      const r = await runAsReader([args[0]!, '-d', s.path, ...args.slice(1)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^healfix: cannot write ${s.path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the (file|folder).* is not writable for this user .*nothing was changed\\n`));
      expect(r.stderr).not.toMatch(/readonly database|internal error|^\s+at /m);
      expect(rows()).toEqual(before);
    });
  }
});
