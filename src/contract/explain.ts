import type { LiveCheck } from '../explain/live.js';
import type { ExplainResult } from '../explain/types.js';
import { EXIT } from '../errors.js';
import { envelope, outcomeOf, type Envelope, type FieldList, type Outcome } from './envelope.js';

/** Everything `healfix explain` reports: the text diagnosis and the live state. */
export interface ExplainReport {
  result: ExplainResult;
  live: LiveCheck;
}

export interface ExplainBody {
  recognised: boolean;
  sources: ExplainResult['sources'];
  diagnoses: ExplainResult['diagnoses'];
  live: LiveCheck;
  summary: string;
}

export type ExplainJson = Envelope<'explain'> & ExplainBody;

export const EXPLAIN_FIELDS = { recognised: true, sources: true, diagnoses: true, live: true, summary: true } as const satisfies FieldList<ExplainBody>;

/** 0 recognised (and healthy if checked), 1 unrecognised or still broken, 2 live check could not connect. */
export function explainOutcome(report: ExplainReport): Outcome {
  if (report.live.status === 'failed') return outcomeOf(EXIT.ERROR);
  if (!report.result.recognised) return outcomeOf(EXIT.PROBLEMS);
  return outcomeOf(report.live.problemPresent ? EXIT.PROBLEMS : EXIT.OK);
}

/** `summary` is the human closing line, worded by the reporter and carried as is. */
export function toExplainJson(report: ExplainReport, summary: string): ExplainJson {
  return {
    ...envelope('explain', explainOutcome(report)),
    recognised: report.result.recognised,
    sources: report.result.sources,
    diagnoses: report.result.diagnoses,
    live: report.live,
    summary,
  };
}
