/**
 * `sequences --json`. The document is still built by src/report/sequences.ts (streamed while the scan
 * reads; another branch is reworking it): this declares its fields and decides `ok` with the exit code.
 */
import type { SequenceFixOutcome } from '../fix/sequences.js';
import { EXIT } from '../errors.js';
import { outcomeOf, type Envelope, type FieldList, type FleetJson, type Outcome, type TargetJson } from './envelope.js';

export interface SequencesSummaryJson {
  text: string;
  checked: number;
  lagging: number;
  unfixable: number;
  skipped: number;
  nearExhaustion: number;
  typeTraps: number;
  durationMs: number;
}

export interface SequencesBody {
  target?: TargetJson;
  summary?: SequencesSummaryJson;
  /** One per sequence (problems only unless --all); fields in docs/json.md. */
  findings?: Record<string, unknown>[];
  fixes?: SequenceFixOutcome[];
  dryRun?: boolean;
  interrupted?: boolean;
  after?: Record<string, unknown>[];
  /** On a logical-replication subscriber: the note, subscriptions, replicated tables, a fix warning. */
  replication?: Record<string, unknown>;
  /** --fix --source: the comparison with the old database. */
  cutover?: Record<string, unknown>;
  /** --fix: scanMs, fixMs, afterMs. */
  timing?: Record<string, number>;
  /** Over a fleet instead of target/summary/findings. */
  fleet?: FleetJson['fleet'];
  databases?: FleetJson['databases'];
  /** A streamed document that stopped part-way closes with the error. */
  error?: { message: string; hint?: string; code?: string };
}

export type SequencesJson = Envelope<'sequences'> & SequencesBody;

export const SEQUENCES_FIELDS = {
  target: true, summary: true, findings: true, fixes: true, dryRun: true, interrupted: true, after: true, replication: true, cutover: true, timing: true,
  fleet: true, databases: true, error: true,
} as const satisfies FieldList<SequencesBody>;

/** 0 nothing lagging or unverified, 1 problems, 2 a --fix interrupted part-way. */
export function sequencesOutcome(problems: boolean, interrupted = false): Outcome {
  return outcomeOf(interrupted ? EXIT.ERROR : problems ? EXIT.PROBLEMS : EXIT.OK);
}
