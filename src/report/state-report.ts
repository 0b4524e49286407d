/** What the temp-registrations and rate-limits reporters share: findings, plans, applied writes, the JSON document. */
import type { Finding } from '../checks/types.js';
import { maskEmail } from '../secrets.js';
import { chalk } from './color.js';
import type { Write } from './io.js';
import { mark, renderTable } from './table.js';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** --mask-emails: every address in the output becomes a****@example.com. */
export function emailMasker(write: Write, mask: boolean | undefined): Write {
  return mask ? (text) => write(text.replace(EMAIL, (m) => maskEmail(m))) : write;
}

export function severityMark(severity: Finding['severity']): string {
  return severity === 'error' ? mark.error() : severity === 'warn' ? mark.warn() : mark.ok('note');
}

/**
 * Findings as one table, then each detail under its number; findings that share a hint and a next command
 * get them once, under the last of the run, instead of the same two lines repeated.
 */
export function renderFindings(findings: Finding[]): string {
  if (!findings.length) return '';
  let out = renderTable(['#', 'severity', 'finding'], findings.map((f, i) => [i + 1, severityMark(f.severity), f.title]));
  const advice = (f: Finding) => JSON.stringify([f.hint ?? '', f.nextCommand ?? '']);
  // Neighbours only: the numbers stay in order.
  const groups: number[][] = [];
  findings.forEach((f, i) => {
    const last = groups[groups.length - 1];
    if (last && advice(findings[last[0]!]!) === advice(f)) last.push(i);
    else groups.push([i]);
  });
  for (const members of groups) {
    for (const i of members) out += `${chalk.bold(`${i + 1}.`)} ${findings[i]!.detail ?? ''}\n`;
    const f = findings[members[0]!]!;
    const who = members.length > 1 ? ` (${members.map((i) => i + 1).join(', ')})` : '';
    if (f.hint) out += `   ${chalk.dim(`hint${who}:`)} ${f.hint}\n`;
    if (f.nextCommand) out += `   ${chalk.dim(`next${f.hint ? '' : who}:`)} ${chalk.cyan(f.nextCommand)}\n`;
  }
  return out;
}

export interface PlanView {
  steps: { table: string; sql: string; rows: number }[];
  dryRun?: boolean;
  /** Why there is nothing to do, when that needs saying ("erin@example.com is not locked"). */
  note?: string;
}

export function renderPlan(plan: PlanView): string {
  if (!plan.steps.length) return `${chalk.bold('Plan:')} nothing to change${plan.note ? ` (${plan.note})` : ''}.\n`;
  let out = `${chalk.bold('Plan')} (one transaction${plan.dryRun ? ', dry run: nothing will be changed' : ''}):\n`;
  out += renderTable(['table', 'rows', 'statement'], plan.steps.map((s) => [s.table, s.rows, s.sql]));
  return out;
}

export function renderApplied(changes: { table: string; changed: number }[], verb: string): string {
  const total = changes.reduce((n, c) => n + c.changed, 0);
  return `${mark.ok('done:')} ${verb} ${total} row${total === 1 ? '' : 's'}${changes.length ? ` (${changes.map((c) => `${c.table}: ${c.changed}`).join(', ')})` : ''}.\n`;
}

/** What temp-registrations and rate-limits reports share: where, and what a write planned or did. */
export interface StateReportOptions {
  write: Write;
  json?: boolean;
  maskEmails?: boolean;
  target?: { kind: string; source: string; display: string };
  plan?: PlanView;
  applied?: { table: string; changed: number }[];
  /** After a write: what the re-read found ("erin@example.com is no longer locked"). */
  verified?: { ok: boolean; message: string };
}

/** The line printed after a write, from the re-read. */
export function renderVerified(v: { ok: boolean; message: string }): string {
  return `${v.ok ? mark.ok('now:') : mark.error('now:')} ${v.message}\n`;
}
