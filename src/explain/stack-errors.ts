/**
 * Error texts declared by the stacks of src/knowledge: found in a paste, folded over the generic
 * diagnosis they make specific (a Django CSRF reason over the bare "CSRF verification failed"), and
 * worded from the entry's templates. Pure: text in, data out.
 */
import { STACKS } from '../knowledge/index.js';
import type { ErrorText, StackKnowledge } from '../knowledge/types.js';
import type { Diagnosis, DiagnosisFacts, DiagnosisId } from './types.js';
import { shellQuote } from '../checks/next-command.js';

export interface StackMatch {
  stack: StackKnowledge;
  error: ErrorText;
}

export interface HitLike {
  id: DiagnosisId;
  key: string;
  position: number;
  facts: DiagnosisFacts;
  stack?: StackMatch;
}

/** How far (in characters) a generic match may be from a stack's own text and still be the same event. */
const SAME_EVENT = 400;

export function recogniseStackErrors(text: string, stacks: readonly StackKnowledge[] = STACKS): HitLike[] {
  const hits: HitLike[] = [];
  for (const stack of stacks) {
    for (const error of stack.errors ?? []) {
      const re = new RegExp(error.match.source, error.match.flags.includes('g') ? error.match.flags : `${error.match.flags}g`);
      for (const m of text.matchAll(re)) {
        const facts: DiagnosisFacts = error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {};
        hits.push({ id: error.refines ?? 'stack-error', key: `${stack.id}:${error.id}`, position: m.index, facts, stack: { stack, error } });
      }
    }
  }
  return hits;
}

/**
 * Drops each generic hit that a stack hit refines near it, handing its facts (a temp id, the seconds
 * to wait, the URL) to the stack hit. Two stacks refining the same generic text both stay.
 */
export function foldRefinedHits<T extends HitLike>(hits: T[]): T[] {
  const specific = hits.filter((h) => h.stack?.error.refines);
  const dropped = new Set<T>();
  for (const generic of hits) {
    if (generic.stack) continue;
    const near = specific.filter((s) => s.id === generic.id && Math.abs(s.position - generic.position) <= SAME_EVENT);
    if (!near.length) continue;
    dropped.add(generic);
    for (const s of near) {
      s.facts = { ...generic.facts, ...s.facts };
      s.position = Math.min(s.position, generic.position);
    }
  }
  return hits.filter((h) => !dropped.has(h));
}

type Wording = Pick<Diagnosis, 'title' | 'cause' | 'fix' | 'nextCommands'>;


function originOf(url: string | undefined): string {
  if (!url) return '<app-url>';
  try {
    return shellQuote(new URL(url).origin);
  } catch {
    return '<app-url>';
  }
}

/** Fills {tempId} {email} {origin} {wait} {Wait} {limit} from what the paste says, with neutral fallbacks. */
export function fillTemplate(template: string, facts: DiagnosisFacts, forCommand = false): string {
  const wait = facts.seconds !== undefined ? `wait ${facts.seconds} seconds` : 'wait for the window to pass';
  const values: Record<string, string> = {
    tempId: facts.tempId ?? "the session's temp_id",
    email: facts.email ? (forCommand ? shellQuote(facts.email) : facts.email) : '<address>',
    origin: originOf(facts.url),
    wait: facts.seconds !== undefined ? `: ${wait}` : '',
    waitText: wait,
    Wait: `${wait.charAt(0).toUpperCase()}${wait.slice(1)}`,
    limit: facts.limit ?? 'N per window',
  };
  return template.replace(/\{(\w+)\}/g, (all, name: string) => values[name] ?? all);
}

export function stackWording(match: StackMatch, facts: DiagnosisFacts): Wording {
  const { error } = match;
  return {
    title: fillTemplate(error.title, facts),
    cause: fillTemplate(error.cause, facts),
    fix: fillTemplate(error.fix, facts),
    nextCommands: error.check.map((c) => fillTemplate(c, facts, true)),
  };
}
