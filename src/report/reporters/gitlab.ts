/** GitLab Code Quality report (a JSON array): what the merge request widget lists. */
import { createHash } from 'node:crypto';
import { problemFindings, type DocumentView } from './view.js';

interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  location: { path: string; lines: { begin: number } };
}

/**
 * Findings are about a database or a running app, not a line of code: the location names the check, so the
 * widget groups them; the fingerprint is stable across runs for the same finding (GitLab diffs by it).
 */
export function renderGitlab(view: DocumentView): string {
  const issue = (check: string, title: string, severity: CodeQualityIssue['severity'], subject?: string, detail?: string): CodeQualityIssue => ({
    description: [title, detail].filter(Boolean).join(' — '),
    check_name: `healfix-${view.command}-${check}`,
    fingerprint: createHash('sha256').update(JSON.stringify([view.command, check, subject ?? title])).digest('hex'),
    severity,
    location: { path: `healfix/${view.command}/${check}`, lines: { begin: 1 } },
  });
  const issues = view.error
    ? [issue('error', view.error.message, 'blocker', view.error.code, view.error.hint)]
    : problemFindings(view).map((f) => issue(f.check, f.title, f.severity === 'error' ? 'major' : 'minor', f.subject, f.hint));
  return `${JSON.stringify(issues, null, 2)}\n`;
}
