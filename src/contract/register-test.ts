/**
 * `register-test --json`. The document is built by src/report/register-test.ts: this declares its fields
 * and decides `ok` with the exit code.
 */
import type { RegisterTestResult } from '../register-test/types.js';
import { EXIT } from '../errors.js';
import { outcomeOf, type Envelope, type FieldList, type Outcome } from './envelope.js';

export type RegisterTestBody = Omit<RegisterTestResult, 'ok'>;

export type RegisterTestJson = Envelope<'register-test'> & RegisterTestBody;

export const REGISTER_TEST_FIELDS = {
  url: true, profile: true, profileReason: true, flowName: true, user: true, account: true, steps: true, findings: true, sequences: true, serverLog: true,
  race: true, tempRegistrations: true, created: true, cleanup: true, summary: true,
} as const satisfies FieldList<RegisterTestBody>;

/** 0 the signup went through (and verified), 1 it did not. */
export function registerTestOutcome(result: Pick<RegisterTestResult, 'ok'>): Outcome {
  return outcomeOf(result.ok ? EXIT.OK : EXIT.PROBLEMS);
}
