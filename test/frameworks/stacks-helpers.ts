/** What the real-app stack suites (stacks-*.test.ts) share: the test user's password and addresses, and showing a run. */
import { randomBytes } from 'node:crypto';
import { runCli } from '../helpers/exec.js';
import { show } from './register-test-suite.js';

export const testPassword = (): string => `Pw-${randomBytes(9).toString('base64url')}`;
export const testEmail = (label: string): string => `hf-${label}-${randomBytes(4).toString('hex')}@example.test`;
export const json = (stdout: string) => JSON.parse(stdout);

/** What a user sees, printed with HEALFIX_SHOW_OUTPUT=1 (closing notes quote these runs). */
export function showRun(args: string[], r: { code: number | null; stdout: string }): void {
  show(`$ healfix ${args.join(' ')}   # exit ${r.code}`, r.stdout);
}

/** healfix against the suite's database (its URL read at each call: the database is made in beforeAll), shown as `-d DB`. */
export function healfixOn(url: () => string) {
  return async (args: string[]) => {
    const r = await runCli([...args, '-d', url()]);
    showRun([...args, '-d', 'DB'], r);
    return r;
  };
}
