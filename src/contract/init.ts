import type { InitDetection } from '../init/detect.js';
import { EXIT } from '../errors.js';
import { envelope, outcomeOf, type Envelope, type FieldList, type Outcome } from './envelope.js';

/** What `healfix init` did: what it detected, the file it wrote, and what the user still has to do. */
export interface InitReport {
  detection: InitDetection;
  /** Absolute path of the written healfix.config.yaml. */
  path: string;
  /** The keys written (never a password: the env variable's name stands for the URL). */
  written: Record<string, unknown>;
  /** Steps left to the user (export DATABASE_URL, ...). */
  actions: string[];
}

export interface InitBody {
  database: InitDetection['database'];
  stacks: InitDetection['stacks'];
  app: Omit<NonNullable<InitDetection['app']>, 'flow'> | undefined;
  path: string;
  written: Record<string, unknown>;
  actions: string[];
}

export type InitJson = Envelope<'init'> & InitBody;

export const INIT_FIELDS = { database: true, stacks: true, app: true, path: true, written: true, actions: true } as const satisfies FieldList<InitBody>;

/** 0 written and everything detected was proven; 1 written but the database did not answer or the signup was not found. */
export function initOutcome(report: InitReport): Outcome {
  const { database, app } = report.detection;
  const verified = (!database || database.connected) && (!app || !app.error);
  return outcomeOf(verified ? EXIT.OK : EXIT.PROBLEMS);
}

export function toInitJson(report: InitReport): InitJson {
  const d = report.detection;
  const app = d.app && { url: d.app.url, profile: d.app.profile, stack: d.app.stack, signupPath: d.app.signupPath, explanation: d.app.explanation, error: d.app.error };
  return { ...envelope('init', initOutcome(report)), database: d.database, stacks: d.stacks, app, path: report.path, written: report.written, actions: report.actions };
}
