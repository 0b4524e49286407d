import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { expect, it } from 'vitest';
import { runCli } from '../helpers/exec.js';

const leftovers = () => readdirSync(tmpdir()).filter((n) => /^healfix-(demo|pg)-/.test(n));

it('healfix demo walks the whole story, every step ends as expected, and nothing is left behind', async () => {
  const before = new Set(leftovers());
  const result = await runCli(['demo'], { timeoutMs: 120_000 });
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
  expect(leftovers().filter((n) => !before.has(n))).toEqual([]);
});
