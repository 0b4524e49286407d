import type { CheckResult, CheckStatus } from '../checks/types.js';
import type { DoctorResult, FailOn } from '../checks/doctor.js';
import type { ServerFacts } from '../checks/server.js';
import type { RecognisedStackSummary } from '../checks/doctor-stacks.js';
import { EXIT } from '../errors.js';
import { defined, envelope, findingJson, outcomeOf, targetJson, type Envelope, type FieldList, type FindingJson, type FleetJson, type Outcome, type TargetJson } from './envelope.js';

export interface CheckJson {
  check: string;
  status: CheckStatus;
  summary: string;
  skippedReason?: string;
  findings: FindingJson[];
}

export interface DoctorBody {
  failOn: FailOn;
  target?: TargetJson;
  server?: ServerFacts;
  /** The stacks recognised in the catalog and the tables that told. */
  stacks?: RecognisedStackSummary[];
  counts?: Record<CheckStatus, number>;
  checks?: CheckJson[];
  /** Over a fleet (report/doctor-fleet.ts) instead of server/counts/checks. */
  fleet?: FleetJson['fleet'];
  databases?: FleetJson['databases'];
}

export type DoctorJson = Envelope<'doctor'> & DoctorBody & Required<Pick<DoctorBody, 'counts' | 'checks'>>;

export const DOCTOR_FIELDS = { failOn: true, target: true, server: true, stacks: true, counts: true, checks: true, fleet: true, databases: true } as const satisfies FieldList<DoctorBody>;

const RANK: Record<CheckStatus, number> = { skipped: 0, ok: 0, warn: 1, error: 2 };

/** Exit 1 when a check reached --fail-on, else 0. */
export function doctorOutcome(result: DoctorResult, failOn: FailOn): Outcome {
  const failed = result.checks.some((c) => RANK[c.status] >= RANK[failOn]);
  return outcomeOf(failed ? EXIT.PROBLEMS : EXIT.OK);
}

export function countByStatus(result: DoctorResult): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, error: 0, skipped: 0 };
  for (const c of result.checks) counts[c.status] += 1;
  return counts;
}

function checkJson(c: CheckResult): CheckJson {
  return defined({ check: c.check, status: c.status, summary: c.summary, skippedReason: c.skippedReason, findings: c.findings.map(findingJson) });
}

export function toDoctorJson(result: DoctorResult, target: TargetJson | undefined, failOn: FailOn): DoctorJson {
  return {
    ...envelope('doctor', doctorOutcome(result, failOn)),
    ...defined({ failOn, target: targetJson(target), server: result.server, stacks: result.stacks }),
    counts: countByStatus(result),
    checks: result.checks.map(checkJson),
  };
}
