/**
 * The write step every state command shares: show the plan, ask (or --yes; no terminal → exit 2),
 * reopen the database for writing when it was opened read-only (SQLite), apply. The caller then
 * re-reads and reports what is true now.
 */
import type { OpenedDatabase } from '../db/open.js';
import type { WritePlan } from '../fix/write-plan.js';
import { writeStderr, writeStdout } from '../report/io.js';
import { emailMasker, renderPlan } from '../report/state-report.js';
import { confirmWrite } from './prompts.js';

export interface ApplyPlanOptions {
  yes?: boolean;
  json?: boolean;
  maskEmails?: boolean;
  /** The confirm question ("Delete 3 expired rows?"). */
  question: string;
  /** When false the caller already printed the plan. */
  showPlan?: boolean;
  /** Opens the same database for writing (SQLite handles are read-only by default). */
  reopenForWrite: () => Promise<OpenedDatabase>;
}

export async function confirmAndApply(db: OpenedDatabase, plan: WritePlan, options: ApplyPlanOptions): Promise<{ db: OpenedDatabase; applied: { table: string; changed: number }[] }> {
  // Under --json the plan goes to stderr, so stdout keeps its one document.
  if (options.showPlan !== false) emailMasker(options.json ? writeStderr : writeStdout, options.maskEmails)(renderPlan({ steps: plan.steps }));
  await confirmWrite({ yes: options.yes, message: options.question });
  let writeDb = db;
  if (db.kind === 'sqlite') {
    await db.close();
    writeDb = await options.reopenForWrite();
  }
  return { db: writeDb, applied: await plan.apply(writeDb) };
}
