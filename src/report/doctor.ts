import type { DoctorResult, FailOn } from '../checks/doctor.js';
import { countByStatus, doctorOutcome, toDoctorJson } from '../contract/doctor.js';
import type { RecognisedStackSummary } from '../checks/doctor-stacks.js';
import type { CheckStatus, Finding } from '../checks/types.js';
import type { DatabaseTarget } from '../db/target.js';
import { chalk } from './color.js';
import type { Write } from './io.js';
import { serializeDocument } from './json.js';
import { mark, renderTable } from './table.js';

const STATUS_LABEL: Record<CheckStatus, () => string> = {
  ok: () => mark.ok('ok'),
  warn: () => mark.warn('warn'),
  error: () => mark.error('error'),
  skipped: () => mark.skip('skipped'),
};

/**
 * Findings printed per check: a health report, not an inventory. 10,000 lagging sequences would be
 * 40,000 lines; the summary table counts them all and --json lists every one.
 */
export const MAX_FINDINGS_PER_CHECK = 10;

export function reportDoctorHuman(write: Write, result: DoctorResult, target: DatabaseTarget | undefined, failOn: FailOn, options: { verbose?: boolean } = {}): void {
  if (target) write(`${chalk.dim('Database:')} ${target.display} ${chalk.dim(`(from ${target.source})`)}\n\n`);
  if (result.stacks) write(`${chalk.dim('Recognised:')} ${result.stacks.length ? stacksLine(result.stacks) : 'no known stack (tables found by name and shape)'}\n\n`);
  write(renderTable(['check', 'status', 'summary'], result.checks.map((c) => [c.check, STATUS_LABEL[c.status](), c.summary])));
  const problems = result.checks.map((c) => ({ check: c.check, findings: c.findings.filter((f) => f.severity !== 'ok') }));
  if (problems.some((p) => p.findings.length > 0)) write('\n');
  for (const { check, findings } of problems) {
    // Findings with the same hint and next step are one fix: the hint and `next:` are said once, under the group.
    for (const group of groupByAdvice(findings.slice(0, MAX_FINDINGS_PER_CHECK))) {
      for (const f of group) {
        const label = f.severity === 'error' ? mark.error('error') : mark.warn('warn');
        write(`${label} ${chalk.bold(f.check)}: ${f.title}\n`);
        if (f.detail && (options.verbose || group.length === 1)) write(`  ${f.detail}\n`);
      }
      const [first] = group;
      if (first?.hint) write(`  ${chalk.dim('hint:')} ${first.hint}\n`);
      if (first?.nextCommand) write(`  ${chalk.dim('next:')} ${chalk.cyan(first.nextCommand)}\n`);
    }
    const more = findings.length - MAX_FINDINGS_PER_CHECK;
    if (more > 0) write(chalk.dim(`… and ${more} more ${check} finding${more === 1 ? '' : 's'} (every one: healfix doctor --json)\n`));
  }
  for (const c of result.checks.filter((x) => x.status === 'skipped')) {
    write(`${mark.skip('skipped')} ${chalk.bold(c.check)}: ${c.skippedReason ?? c.summary}\n`);
  }
  const counts = countByStatus(result);
  const passed = doctorOutcome(result, failOn).ok;
  const line = `${counts.error} error${counts.error === 1 ? '' : 's'}, ${counts.warn} warning${counts.warn === 1 ? '' : 's'}, ${counts.ok} ok, ${counts.skipped} skipped (${result.checks.length} checks; failing on ${failOn})`;
  write(`\n${passed ? chalk.green('✔ healthy:') : chalk.red('✖ problems:')} ${line}\n`);
}

export function doctorJson(result: DoctorResult, target: DatabaseTarget | undefined, failOn: FailOn): string {
  return serializeDocument(toDoctorJson(result, target, failOn));
}

/** Consecutive-or-not findings sharing severity, hint and next command, in first-seen order. */
function groupByAdvice(findings: Finding[]): Finding[][] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = JSON.stringify([f.severity, f.hint ?? '', f.nextCommand ?? '']);
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  return [...groups.values()];
}

/** "django-allauth: account_emailaddress, account_emailconfirmation; django-axes: axes_accessattempt". */
export function stacksLine(stacks: RecognisedStackSummary[]): string {
  return stacks.map((s) => `${s.id}: ${(s.tables.length ? s.tables : s.evidence.map((e) => e.replace(/\(.*$/, ''))).join(', ')}`).join('; ');
}
