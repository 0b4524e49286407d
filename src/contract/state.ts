/** temp-registrations and rate-limits: a state report, optionally a plan, the applied write and its re-read. */
import type { TempRegistrationsResult } from '../checks/temp-registrations.js';
import type { RateLimitsResult } from '../checks/rate-limits.js';
import { EXIT } from '../errors.js';
import { defined, envelope, findingJson, outcomeOf, targetJson, type Envelope, type FieldList, type FindingJson, type Outcome, type TargetJson } from './envelope.js';

export interface PlanJson {
  steps: { table: string; sql: string; rows: number }[];
  dryRun?: boolean;
  action?: string;
  note?: string;
}

/** What a write command adds to its report: the plan, what was applied, and the re-read after it. */
export interface WriteView {
  target?: TargetJson;
  plan?: PlanJson;
  applied?: { table: string; changed: number }[];
  verified?: { ok: boolean; message: string };
}

/**
 * Read only: 1 when any finding is a problem. A plan not applied (dry run, or nothing to do): 1 while it
 * has steps, 0 when it has none. After a write: what the re-read says.
 */
export function stateOutcome(findings: readonly { severity: string; data?: Record<string, unknown> }[], view: WriteView = {}): Outcome {
  // Expired signups that are accounts are never purged: while one remains, a purge is not done either.
  const stays = findings.some((f) => typeof f.data?.expiredAccounts === 'number');
  if (view.verified) return outcomeOf(view.verified.ok && !stays ? EXIT.OK : EXIT.PROBLEMS);
  if (view.plan) return outcomeOf(view.plan.steps.length || stays ? EXIT.PROBLEMS : EXIT.OK);
  return outcomeOf(findings.some((f) => f.severity !== 'ok') ? EXIT.PROBLEMS : EXIT.OK);
}

export interface TempRegistrationsBody {
  target?: TargetJson;
  tables: TempRegistrationsResult['tables'];
  counts: TempRegistrationsResult['counts'];
  findings: FindingJson[];
  trace?: TempRegistrationsResult['trace'];
  /** The unconfirmed signups by email (first 50), each pending / expired / link expired. */
  pendingSignups?: TempRegistrationsResult['pendingSignups'];
  inMemoryOnly?: boolean;
  stacks: TempRegistrationsResult['stacks'];
  clock: { now: string };
  plan?: PlanJson;
  applied?: WriteView['applied'];
  verified?: WriteView['verified'];
}

export type TempRegistrationsJson = Envelope<'temp-registrations'> & TempRegistrationsBody;

export const TEMP_REGISTRATIONS_FIELDS = {
  target: true, tables: true, counts: true, findings: true, trace: true, pendingSignups: true, inMemoryOnly: true, stacks: true, clock: true, plan: true, applied: true, verified: true,
} as const satisfies FieldList<TempRegistrationsBody>;

export function toTempRegistrationsJson(result: TempRegistrationsResult, view: WriteView): TempRegistrationsJson {
  return {
    ...envelope('temp-registrations', stateOutcome(result.findings, view)),
    ...defined({
      target: targetJson(view.target),
      tables: result.tables,
      counts: result.counts,
      findings: result.findings.map(findingJson),
      trace: result.trace,
      pendingSignups: result.pendingSignups,
      inMemoryOnly: result.inMemoryOnly,
      stacks: result.stacks,
      clock: result.clock,
      plan: view.plan,
      applied: view.applied,
      verified: view.verified,
    }),
  };
}

export interface RateLimitsBody {
  target?: TargetJson;
  tables: RateLimitsResult['tables'];
  inMemoryOnly: boolean;
  rateLimit?: RateLimitsResult['rateLimit'];
  lockout?: RateLimitsResult['lockout'];
  stacks: RateLimitsResult['stacks'];
  findings: FindingJson[];
  clock: { now: string };
  plan?: PlanJson;
  applied?: WriteView['applied'];
  verified?: WriteView['verified'];
}

export type RateLimitsJson = Envelope<'rate-limits'> & RateLimitsBody;

export const RATE_LIMITS_FIELDS = {
  target: true, tables: true, inMemoryOnly: true, rateLimit: true, lockout: true, stacks: true, findings: true, clock: true, plan: true, applied: true, verified: true,
} as const satisfies FieldList<RateLimitsBody>;

export function toRateLimitsJson(result: RateLimitsResult, view: WriteView): RateLimitsJson {
  return {
    ...envelope('rate-limits', stateOutcome(result.findings, view)),
    ...defined({
      target: targetJson(view.target),
      tables: result.tables,
      inMemoryOnly: result.inMemoryOnly,
      rateLimit: result.rateLimit,
      lockout: result.lockout,
      stacks: result.stacks,
      findings: result.findings.map(findingJson),
      clock: result.clock,
      plan: view.plan,
      applied: view.applied,
      verified: view.verified,
    }),
  };
}
