/**
 * The human view of any --json document: a compact check table, findings grouped under one shared hint and
 * one next step, the summary line. Used when `human` is named next to other reporters (the command then runs
 * once, in document mode) and by --quiet.
 */
import { chalk } from '../color.js';
import { mark, renderTable } from '../table.js';
import { groupFindings, problemFindings, type DocumentView, type ViewStatus } from './view.js';

const STATUS: Record<ViewStatus, () => string> = { ok: () => mark.ok('ok'), warn: () => mark.warn('warn'), error: () => mark.error('error'), skipped: () => mark.skip('skipped') };

export function summaryLine(view: DocumentView): string {
  return `${view.ok ? chalk.green(`✔ ${view.verdict}:`) : chalk.red(`✖ ${view.verdict}:`)} ${view.summary}\n`;
}

export function renderHumanView(view: DocumentView, options: { verbose?: boolean } = {}): string {
  if (view.error) return `${chalk.red('healfix:')} ${view.error.message}\n${view.error.hint ? `${chalk.dim(view.error.hint)}\n` : ''}`;
  let out = view.target ? `${chalk.dim('Database:')} ${view.target}\n\n` : '';
  out += renderTable(['check', 'status', 'summary'], view.checks.map((c) => [c.check, STATUS[c.status](), c.status === 'skipped' ? c.skippedReason ?? c.summary : c.summary]));
  if (view.steps?.length) out += renderTable(['step', 'request', 'status', 'ms', 'result'], view.steps.map((s) => [s.name, `${s.method} ${s.path}`, s.status ?? '-', s.ms, s.ok ? mark.ok(s.result || 'ok') : mark.error(s.result)]));
  const groups = groupFindings(problemFindings(view));
  if (groups.length) out += '\n';
  for (const g of groups) {
    const label = g.severity === 'error' ? mark.error('error') : mark.warn('warn');
    for (const f of g.findings) {
      out += `${label} ${chalk.bold(f.check)}: ${f.title}\n`;
      if (options.verbose && f.detail) out += `  ${f.detail}\n`;
    }
    if (g.hint) out += `  ${chalk.dim('hint:')} ${g.hint}\n`;
    if (g.next) out += `  ${chalk.dim('next:')} ${chalk.cyan(g.next)}\n`;
  }
  return `${out}\n${summaryLine(view)}`;
}
