import type { CutoverComparison } from '../fix/sequences-cutover.js';
import { chalk } from './color.js';
import type { Write } from './io.js';

/** What a cutover (--source) compared, before the plan: the sequences one side lacks, and what was not read. */
export function renderCutoverComparison(write: Write, source: string, comparison: CutoverComparison, options: { headroom?: bigint } = {}): void {
  write(`Source: ${source} ${chalk.dim(`(${comparison.floors.size} sequences on both sides${options.headroom ? `, headroom ${options.headroom}` : ''})`)}\n`);
  const list = (names: string[]) => (names.length > 10 ? `${names.slice(0, 10).join(', ')} … and ${names.length - 10} more` : names.join(', '));
  if (comparison.sourceOnly.length) write(chalk.yellow(`On the source only (${comparison.sourceOnly.length}): ${list(comparison.sourceOnly)}\n`));
  if (comparison.targetOnly.length) write(chalk.dim(`On the target only (${comparison.targetOnly.length}): ${list(comparison.targetOnly)}\n`));
  for (const u of comparison.unreadable) write(chalk.red(`Not verified: ${u.sequence}: ${u.reason}\n`));
  for (const u of comparison.unattached) {
    write(chalk.red(`Not moved: ${u.sequence} feeds no column here (nothing to lock), source next ${u.sourceNext}, target next ${u.targetNext ?? 'unread'}\n`));
    write(chalk.dim(`  run when nothing calls it: select setval('${u.sequence.replace(/'/g, "''")}', ${u.sourceNext}, false);\n`));
  }
}

/** After the fix: every matched sequence at or past the source's counter, or the ones that are not. */
export function renderCutoverCheck(write: Write, short: { sequence: string; nextValue: string; sourceNext: string }[], matched: number): void {
  if (!short.length) {
    write(chalk.green(`Every one of ${matched} matched sequences is at or past the source's counter.\n`));
    return;
  }
  for (const s of short) write(chalk.red(`Behind the source: ${s.sequence} next ${s.nextValue}, source next ${s.sourceNext}\n`));
}

/** The `cutover` member of the --json document. */
export function cutoverJson(comparison: CutoverComparison, short?: { sequence: string; nextValue: string; sourceNext: string }[], headroom?: bigint): Record<string, unknown> {
  return {
    matched: comparison.floors.size,
    headroom: (headroom ?? 0n).toString(),
    sourceOnly: comparison.sourceOnly,
    targetOnly: comparison.targetOnly,
    unreadable: comparison.unreadable,
    unattached: comparison.unattached,
    ...(short ? { behindSource: short } : {}),
  };
}
