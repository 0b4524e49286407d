/**
 * doctor's "which stack did healfix recognise, from what": the catalog read once, the knowledge of
 * src/knowledge applied, each stack with the tables its checks read ("django-allauth:
 * account_emailaddress, account_emailconfirmation"), so a user sees at a glance what was checked.
 */
import { describeAllTables, type TableInfo } from '../db/catalog.js';
import type { OpenedDatabase } from '../db/open.js';
import { recogniseStacks } from '../knowledge/recognise.js';

export interface RecognisedStackSummary {
  id: string;
  title: string;
  /** The tables (with columns) whose presence identified the stack. */
  evidence: string[];
  /** The tables the stack's checks read; "(not readable)" marks one this role may not SELECT from. */
  tables: string[];
}

export async function recogniseDatabaseStacks(db: OpenedDatabase): Promise<RecognisedStackSummary[]> {
  return summariseStacks(await describeAllTables(db));
}

/** Pure: the catalog in, one line of evidence per recognised stack out. */
export function summariseStacks(catalog: TableInfo[]): RecognisedStackSummary[] {
  return recogniseStacks(catalog).map((s) => {
    const used = [...s.pending, ...s.limiters].map(({ table }) => table as TableInfo);
    const names = [...new Set(used.map((t) => `${t.display ?? t.name}${t.readable === false ? ' (not readable)' : ''}`))];
    return { id: s.stack.id, title: s.stack.title, evidence: s.evidence, tables: names };
  });
}
