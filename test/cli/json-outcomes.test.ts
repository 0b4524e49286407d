import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/exec.js';
import { createSanaDb, plantSanaProblems, type SanaDb } from '../fixtures/sana.js';

// Issue 10 §3: for every command and outcome, the document's `ok` is true exactly when the exit code is 0.
const made: SanaDb[] = [];
afterAll(() => {
  for (const s of made) {
    s.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
});
function sana(problems: boolean): string {
  const s = createSanaDb();
  if (problems) plantSanaProblems(s);
  made.push(s);
  return `sqlite:${s.path}`;
}
const REFUSED = 'postgres://nobody@127.0.0.1:1/none';

async function outcome(args: string[], expected: 0 | 1 | 2, input?: string): Promise<Record<string, unknown>> {
  const r = await runCli([...args, '--json'], { input });
  const doc = JSON.parse(r.stdout) as Record<string, unknown>;
  expect({ args, code: r.code, ok: doc.ok }).toEqual({ args, code: expected, ok: expected === 0 });
  return doc;
}

describe('--json ok === (exit === 0), through the binary', () => {
  const clean = sana(false);
  const planted = sana(true);

  it('doctor: healthy, problems, error', async () => {
    await outcome(['doctor', '-d', clean], 0);
    await outcome(['doctor', '-d', planted, '--fail-on', 'warn'], 1);
    expect(await outcome(['doctor', '-d', REFUSED, '--connect-timeout', '2s'], 2)).toMatchObject({ error: { code: 'connection' } });
  });

  it('temp-registrations: healthy, problems, dry run with and without work, error', async () => {
    await outcome(['temp-registrations', '-d', clean], 0);
    await outcome(['temp-registrations', '-d', planted], 1);
    const plan = await outcome(['temp-registrations', '-d', planted, '--purge-expired', '--dry-run'], 1);
    expect((plan.plan as { steps: unknown[] }).steps.length).toBeGreaterThan(0);
    await outcome(['temp-registrations', '-d', clean, '--purge-expired', '--dry-run'], 0);
    expect(await outcome(['temp-registrations', '-d', clean, '--dry-run'], 2)).toMatchObject({ error: { code: 'usage' } });
  });

  it('rate-limits: healthy, problems, dry runs (the --unlock --dry-run of an unlocked account is ok: true, exit 0), error', async () => {
    await outcome(['rate-limits', '-d', clean], 0);
    await outcome(['rate-limits', '-d', planted], 1);
    await outcome(['rate-limits', '-d', planted, '--unlock', 'erin@example.com', '--dry-run'], 1);
    const none = await outcome(['rate-limits', '-d', planted, '--unlock', 'frank@example.com', '--dry-run'], 0);
    expect((none.plan as { note?: string }).note).toBe('frank@example.com is not locked');
    await outcome(['rate-limits', '-d', REFUSED, '--connect-timeout', '2s'], 2);
  });

  it('explain: recognised, not recognised, usage error', async () => {
    await outcome(['explain', '--offline'], 0, 'duplicate key value violates unique constraint "users_pkey"\nDETAIL:  Key (id)=(7) already exists.');
    await outcome(['explain', '--offline'], 1, 'all good here');
    await outcome(['explain', '--no-such-flag'], 2);
  });

  it('sequences: healthy, error', async () => {
    await outcome(['sequences', '-d', clean], 0);
    await outcome(['sequences', '-d', REFUSED, '--connect-timeout', '2s'], 2);
  });

  it('register-test: usage error', async () => {
    expect(await outcome(['register-test'], 2)).toMatchObject({ command: 'register-test', error: { code: 'usage' } });
  });
});
