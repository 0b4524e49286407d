import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from '../helpers/exec.js';

it('healfix demo walks the whole story, every step ends as expected, and nothing is left behind', async () => {
  // The demo's own temp folder: other runs sharing /tmp at the same time cannot make it look leaky. Mode 755
  // because, as root, the embedded server's data folder in it belongs to the postgres OS user.
  const tmp = mkdtempSync(join(tmpdir(), 'healfix-demotmp-'));
  chmodSync(tmp, 0o755);
  const result = await runCli(['demo'], { timeoutMs: 120_000, env: { TMPDIR: tmp } });
  const leftovers = readdirSync(tmp);
  rmSync(tmp, { recursive: true, force: true });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const out = result.stdout;
  expect(out.match(/\(as expected/g)?.length).toBe(7);
  expect(out).not.toContain('expected exit');
  // The story's key beats, from the real commands' own output.
  expect(out).toMatch(/sequences\s+│\s+error\s+│\s+4 lagging sequences/);
  expect(out).toContain('duplicate key value violates unique constraint "notifications_pkey"');
  expect(out).toMatch(/public\.notifications_id_seq\s+│\s+\d+\s+│\s+\d+\s+│\s+fixed/);
  expect(out).toMatch(/✔ registration works/);
  expect(out).toContain('4 of 5 clients got a verification session that no longer exists');
  expect(out).toMatch(/one-time codes point at temp ids with no pending signup/);
  expect(out).toContain('Now on your own database:');
  // The embedded server's password is masked in every command line shown.
  expect(out).toMatch(/-d postgres:\/\/postgres:\*\*\*\*@127\.0\.0\.1:\d+\/healing_space/);
  expect(leftovers).toEqual([]);
});
