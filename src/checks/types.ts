/**
 * The shape every check hands to `doctor` and the reporters. Checks compute these and print nothing.
 */
export type Severity = 'ok' | 'warn' | 'error';
export type CheckStatus = Severity | 'skipped';

export interface Finding {
  /** Which check produced it: 'sequences', 'temp-registrations', 'rate-limits', 'server', ... */
  check: string;
  severity: Severity;
  /** One line: what is wrong ("public.notifications_id_seq lags max(id) by 41"). */
  title: string;
  /** What it means for signup, in a sentence or two. */
  detail?: string;
  /** What to do about it. */
  hint?: string;
  /** The exact healfix command to run next, if there is one. */
  nextCommand?: string;
  /** The object concerned: a sequence, a table, an email (masked), a key. */
  subject?: string;
  /** Check-specific machine-readable facts (numbers as strings when they can exceed 2^53). */
  data?: Record<string, unknown>;
}

export interface CheckResult {
  check: string;
  /** Worst severity among findings, or 'skipped' when the check could not run. */
  status: CheckStatus;
  /** One line for the summary table ("3 lagging sequences in 2 schemas (46 checked)"). */
  summary: string;
  findings: Finding[];
  /** Why the check could not run (no privilege, no such tables, wrong database kind). */
  skippedReason?: string;
}

export function worstSeverity(findings: readonly Pick<Finding, 'severity'>[]): Severity {
  if (findings.some((f) => f.severity === 'error')) return 'error';
  if (findings.some((f) => f.severity === 'warn')) return 'warn';
  return 'ok';
}
