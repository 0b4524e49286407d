import type { ConnectionFlags } from '../cli/options.js';
import type { CheckResult } from './types.js';

/** doctor --url: replays one registration; wired to register-test once it lands. */
export async function registerTestCheck(url: string, _flags: ConnectionFlags): Promise<CheckResult> {
  return { check: 'register-test', status: 'skipped', summary: `register-test against ${url} is not available yet`, findings: [], skippedReason: 'register-test not available' };
}
