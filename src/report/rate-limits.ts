import type { RateLimitsResult } from '../checks/rate-limits.js';
import { rateLimitsCheckResult } from '../checks/rate-limits.js';
import { chalk } from './color.js';
import { renderTable } from './table.js';
import { emailMasker, renderApplied, renderFindings, renderPlan, type PlanView, stateJson, type StateReportOptions } from './state-report.js';

export interface RateLimitsReportOptions extends StateReportOptions {
  plan?: PlanView & { action?: string };
}

export function reportRateLimits(result: RateLimitsResult, options: RateLimitsReportOptions): void {
  const write = emailMasker(options.write, options.maskEmails);
  const problems = result.findings.filter((f) => f.severity !== 'ok').length;
  if (options.json) {
    const { purgeTargets: _p, writeTargets: _w, ...rest } = result;
    write(stateJson('rate-limits', rest, problems, options));
    return;
  }
  let out = '';
  if (options.target) out += `${chalk.dim('database:')} ${options.target.display}\n`;
  for (const t of result.tables) out += `${chalk.dim('found')} ${chalk.bold(t.table)} ${chalk.dim(`(${t.role}): ${t.reason}`)}\n`;
  const rl = result.rateLimit;
  if (rl) {
    out += `\n${chalk.bold(rl.table)}: ${rl.rows} keys, ${rl.active} in an open window, ${rl.blocked.length} blocked, ${rl.stale} stale\n`;
    if (rl.blocked.length) {
      out += renderTable(['blocked key', 'hits', 'unblocks in'], rl.blocked.slice(0, 20).map((k) => [k.key, k.hits, k.secondsUntilUnblock === undefined ? 'never' : `${k.secondsUntilUnblock} s`]));
    }
    if (rl.top.length) out += renderTable(['top key', 'hits', 'window ends'], rl.top.map((k) => [k.key, k.hits, k.expiresAt ?? 'never']));
  }
  const lo = result.lockout;
  if (lo) {
    const rows = [...lo.locked, ...lo.atThreshold];
    const how = [lo.stack, `lockout at ${lo.threshold} failures`, lo.lockedStatus ? `answers ${lo.lockedStatus} while locked` : ''].filter(Boolean).join(', ');
    out += `\n${chalk.bold(lo.table)}: ${lo.locked.length} locked account${lo.locked.length === 1 ? '' : 's'} (${how})\n`;
    if (rows.length) out += renderTable(['account', 'failed logins', 'locked until', 'unlocks in'], rows.map((a) => [a.account, a.attempts, a.lockedUntil ?? '', a.locked ? (a.secondsUntilUnlock !== undefined ? `${a.secondsUntilUnlock} s` : 'when reset') : 'not locked']));
  }
  if (options.plan) out += `\n${renderPlan(options.plan)}`;
  else if (result.findings.length) out += `\n${renderFindings(result.findings)}`;
  if (options.applied) out += renderApplied(options.applied, options.plan?.action === 'unlock' ? 'updated' : 'deleted');
  out += `\n${rateLimitsCheckResult(result).summary}.\n`;
  write(out);
}
