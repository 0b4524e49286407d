/**
 * doctor --url: one registration replay, read-only (no --wait, no fixes). The throwaway account it creates
 * is listed, not deleted: doctor writes nothing itself. Lives above checks/ and register-test/, which it
 * combines, so neither of them imports the other.
 */
import type { CheckResult } from '../checks/types.js';
import type { OpenedDatabase } from '../db/open.js';
import { asResolvedFlow, discoverAt } from '../register-test/discover/index.js';
import { runRegisterTest, type ProfileChoice } from '../register-test/index.js';

export interface RegisterTestCheckOptions {
  url: string;
  db?: OpenedDatabase;
  flowFile?: string;
  profile?: ProfileChoice;
}

export async function registerTestCheck(options: RegisterTestCheckOptions): Promise<CheckResult> {
  const { url, db, flowFile, profile } = options;
  try {
    // No flow and no profile: find the signup as register-test does (--profile auto), so doctor --url needs no flags.
    const discovered = !flowFile && (profile ?? 'auto') === 'auto' ? asResolvedFlow(await discoverAt(url, {})) : undefined;
    const result = await runRegisterTest({ url, db, otpFromDb: Boolean(db), flowFile, profile, discovered });
    const findings = result.findings.map((f) => ({ ...f, check: f.check || 'register-test' }));
    return {
      check: 'register-test',
      status: result.ok ? 'ok' : 'error',
      summary: result.summary,
      findings: result.ok ? findings.filter((f) => f.severity !== 'error') : findings,
    };
  } catch (error) {
    const reason = (error as Error).message;
    const again = [`healfix register-test --url ${url}`, flowFile ? `--flow ${flowFile}` : profile && profile !== 'auto' ? `--profile ${profile}` : ''].filter(Boolean).join(' ');
    return { check: 'register-test', status: 'error', summary: reason, findings: [{ check: 'register-test', severity: 'error', title: reason, nextCommand: again }] };
  }
}
