/**
 * The --json contract (issue 10 §3): each command's document is a declared type, built by a pure
 * toXxxJson() that lists its fields; `ok` and the exit code come from one Outcome. The per-command
 * field lists (FIELDS) are checked against docs/json.md by test/unit/json-contract.test.ts.
 */
import type { Finding } from '../checks/types.js';
import { EXIT, type ExitCode } from '../errors.js';

/** Bumped on any breaking change of a --json document; documented in docs/json.md. */
export const JSON_SCHEMA_VERSION = 1;

/** The exit code and the document's `ok`, decided together so they cannot disagree. */
export interface Outcome {
  exitCode: ExitCode;
  ok: boolean;
}

export function outcomeOf(exitCode: ExitCode): Outcome {
  return { exitCode, ok: exitCode === EXIT.OK };
}

export interface Envelope<C extends string> {
  schemaVersion: typeof JSON_SCHEMA_VERSION;
  command: C;
  ok: boolean;
}

export interface TargetJson {
  kind: string;
  source: string;
  display: string;
}

/** Where the data came from, password already masked in `display`. */
export function targetJson(target: TargetJson | undefined): TargetJson | undefined {
  return target && { kind: target.kind, source: target.source, display: target.display };
}

export function envelope<C extends string>(command: C, outcome: Outcome): Envelope<C> {
  return { schemaVersion: JSON_SCHEMA_VERSION, command, ok: outcome.ok };
}

/** A finding as documents carry it: every field named (the check's Finding, field by field), nothing internal. */
export type FindingJson = Pick<Finding, 'check' | 'severity' | 'title' | 'detail' | 'hint' | 'nextCommand' | 'subject' | 'data'>;

export function findingJson(f: FindingJson): FindingJson {
  return { check: f.check, severity: f.severity, title: f.title, detail: f.detail, hint: f.hint, nextCommand: f.nextCommand, subject: f.subject, data: f.data };
}

/** Drops undefined members so the document carries only what is there (JSON.stringify would too). */
export function defined<T extends object>(doc: T): T {
  return Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== undefined)) as T;
}

/** Over a fleet (--all-databases, --targets, several -d): the count line and one section per database. */
export interface FleetJson {
  fleet: { text: string; databases: number; ok: number; problems: number; errors: number; exitCode: number };
  databases: Record<string, unknown>[];
}

/** The fields a command's document may carry besides the envelope, as a const a test checks the docs against. */
export type FieldList<Body> = { readonly [K in keyof Required<Body>]: true };
