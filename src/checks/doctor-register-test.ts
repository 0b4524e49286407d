import type { OpenedDatabase } from '../db/open.js';
import { runRegisterTest } from '../http/register-test.js';
import type { CheckResult } from './types.js';

/**
 * doctor --url: one registration replay, read-only (no --wait, no fixes). The throwaway account it creates
 * is listed, not deleted: doctor writes nothing itself.
 */
export async function registerTestCheck(url: string, db: OpenedDatabase | undefined): Promise<CheckResult> {
  try {
    const result = await runRegisterTest({ url, db, otpFromDb: Boolean(db) });
    const findings = result.findings.map((f) => ({ ...f, check: f.check || 'register-test' }));
    return {
      check: 'register-test',
      status: result.ok ? 'ok' : 'error',
      summary: result.summary,
      findings: result.ok ? findings.filter((f) => f.severity !== 'error') : findings,
    };
  } catch (error) {
    const reason = (error as Error).message;
    return { check: 'register-test', status: 'error', summary: reason, findings: [{ check: 'register-test', severity: 'error', title: reason, nextCommand: `healfix register-test --url ${url}` }] };
  }
}
