import type { TempRegistrationsResult } from '../checks/temp-registrations.js';
import { chalk } from './color.js';
import { renderTable } from './table.js';
import { emailMasker, renderApplied, renderFindings, renderPlan, type StateReportOptions } from './state-report.js';
import { toTempRegistrationsJson } from '../contract/state.js';
import { serializeDocument } from './json.js';

export interface TempRegistrationsReportOptions extends StateReportOptions {
  /** The closing line's counts ("3 pending signups (1 expired)"), worded by the check. */
  summary: string;
}

export function reportTempRegistrations(result: TempRegistrationsResult, options: TempRegistrationsReportOptions): void {
  const write = emailMasker(options.write, options.maskEmails);
  const problems = result.findings.filter((f) => f.severity !== 'ok').length;
  if (options.json) {
    write(serializeDocument(toTempRegistrationsJson(result, options)));
    return;
  }
  let out = '';
  if (options.target) out += `${chalk.dim('database:')} ${options.target.display}\n`;
  if (result.inMemoryOnly) {
    out += 'No pending-signup or one-time-code table found: the app keeps pending signups elsewhere (its session or process memory).\n';
    out += `${chalk.dim('If the tables have unusual names, name them:')} healfix temp-registrations --table NAME --otp-table NAME --columns email=COL,expires=COL\n`;
    write(out);
    return;
  }
  for (const t of result.tables) out += `${chalk.dim('found')} ${chalk.bold(t.table)} ${chalk.dim(`(${t.role}): ${t.reason}`)}\n`;
  const rows: (string | number)[][] = [];
  const p = result.counts.pending;
  if (p) rows.push([p.table, p.rows, p.live, p.expired, '', p.oldestCreatedAt ?? '']);
  const o = result.counts.otp;
  if (o) rows.push([o.table, o.rows, o.live, o.expired, `${o.used} used, ${o.orphans} orphaned`, o.oldestCreatedAt ?? '']);
  out += renderTable(['table', 'rows', 'live', 'expired', 'other', 'oldest created'], rows);
  if (result.pendingSignups?.length) {
    out += `\n${chalk.bold('Pending signups')}${p && p.rows > result.pendingSignups.length ? chalk.dim(` (first ${result.pendingSignups.length} of ${p.rows})`) : ''}\n`;
    out += renderTable(['email', 'created', 'expires', 'state'], result.pendingSignups.map((s) => [s.email, s.createdAt ?? '', s.expiresAt ?? '', s.state]));
  }
  if (result.trace) {
    const t = result.trace;
    out += `\n${chalk.bold(`Signup of ${t.email}`)}: ${t.pending.length} pending row${t.pending.length === 1 ? '' : 's'}, account ${t.accountExists === undefined ? 'unknown (no users table)' : t.accountExists ? 'exists' : 'does not exist'}\n`;
    const trows: (string | number)[][] = [
      ...t.pending.map((r) => ['pending', r.key, '', r.createdAt ?? '', r.expiresAt ?? '', r.expired ? 'expired' : `live, expires in ${r.expiresInSeconds ?? '?'} s`]),
      ...t.otps.map((r) => ['code', r.identifier, r.code, r.createdAt ?? '', r.expiresAt ?? '', otpState(r)]),
      ...t.probableRaceOtps.map((r) => ['code (orphan, same burst)', r.identifier, r.code, r.createdAt ?? '', r.expiresAt ?? '', otpState(r)]),
    ];
    out += trows.length ? renderTable(['what', 'temp id / identifier', 'code', 'created', 'expires', 'state'], trows) : 'Nothing stored for this email.\n';
  }
  if (options.plan) out += `\n${renderPlan(options.plan)}`;
  else if (result.findings.length) out += `\n${renderFindings(result.findings)}`;
  if (options.applied) out += renderApplied(options.applied, 'deleted');
  out += `\n${options.summary}: ${problems ? chalk.red(`${problems} problem${problems === 1 ? '' : 's'}`) : chalk.green('no problems')}.\n`;
  write(out);
}

function otpState(o: { used: boolean; expired: boolean; link: string }): string {
  return [o.used ? 'used' : o.expired ? 'expired' : 'live', o.link === 'orphan' ? 'no pending row' : ''].filter(Boolean).join(', ');
}
