/**
 * GitHub Actions workflow commands: one ::error / ::warning annotation per finding (the run's summary page
 * lists them), and the Markdown summary for $GITHUB_STEP_SUMMARY.
 */
import { problemFindings, type DocumentView } from './view.js';

/** https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts: escapeData / escapeProperty. */
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function renderGithubAnnotations(view: DocumentView): string {
  const lines: string[] = [];
  if (view.error) {
    lines.push(`::error title=${escapeProperty(`healfix ${view.command}`)}::${escapeData([view.error.message, view.error.hint].filter(Boolean).join('\n'))}`);
    return `${lines.join('\n')}\n`;
  }
  for (const f of problemFindings(view)) {
    const message = [f.title, f.detail, f.hint && `hint: ${f.hint}`, f.next && `next: ${f.next}`].filter(Boolean).join('\n');
    lines.push(`::${f.severity === 'error' ? 'error' : 'warning'} title=${escapeProperty(`healfix ${view.command}: ${f.check}`)}::${escapeData(message)}`);
  }
  // A failed run with nothing to annotate (a check that ended "not verified") still gets one line.
  if (!view.ok && !lines.length) lines.push(`::error title=${escapeProperty(`healfix ${view.command}`)}::${escapeData(view.summary)}`);
  lines.push(`::notice title=${escapeProperty(`healfix ${view.command}`)}::${escapeData(`${view.verdict}: ${view.summary}`)}`);
  return `${lines.join('\n')}\n`;
}
