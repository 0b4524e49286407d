/** The Markdown summary: GitHub's step summary, a PR comment, a GitLab note. */
import { groupFindings, problemFindings, type DocumentView, type ViewStatus } from './view.js';

const ICON: Record<ViewStatus, string> = { ok: '✅ ok', warn: '⚠️ warn', error: '❌ error', skipped: '⏭️ skipped' };

/** Table cells: a pipe or a newline would break the row. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

export function renderMarkdown(view: DocumentView): string {
  const out: string[] = [];
  out.push(`### healfix ${view.command}: ${view.ok ? '✅' : '❌'} ${view.verdict}`, '');
  if (view.target) out.push(`Database: ${code(view.target)}`, '');
  if (view.error) {
    out.push(`**error:** ${view.error.message}`, ...(view.error.hint ? ['', view.error.hint] : []), '');
    return `${out.join('\n')}\n`;
  }
  out.push('| check | status | summary |', '| --- | --- | --- |');
  for (const c of view.checks) out.push(`| ${cell(c.check)} | ${ICON[c.status]} | ${cell(c.status === 'skipped' ? c.skippedReason ?? c.summary : c.summary)} |`);
  out.push('');
  if (view.steps?.length) {
    out.push('| step | request | status | ms | result |', '| --- | --- | --- | --- | --- |');
    for (const s of view.steps) out.push(`| ${cell(s.name)} | ${cell(`${s.method} ${s.path}`)} | ${s.status ?? '-'} | ${s.ms} | ${s.ok ? '✅' : '❌'} ${cell(s.result)} |`);
    out.push('');
  }
  for (const g of groupFindings(problemFindings(view))) {
    out.push(`**${g.severity === 'error' ? '❌' : '⚠️'} ${g.check}**${g.findings.length > 1 ? ` (${g.findings.length})` : ''}`, '');
    for (const f of g.findings) out.push(`- ${f.title}`);
    if (g.hint) out.push('', `hint: ${g.hint}`);
    if (g.next) out.push('', `next: ${code(g.next)}`);
    out.push('');
  }
  out.push(`**${view.verdict}:** ${view.summary}`, '');
  return out.join('\n');
}
