/** register-test output: a per-step table, findings with hints, a summary line; --json; JUnit XML for CI. */
import type { RegisterTestResult } from '../register-test/index.js';
import { chalk } from './color.js';
import type { Write } from './io.js';
import { jsonDocument } from './json.js';
import { registerTestOutcome } from '../contract/register-test.js';
import { mark, renderTable } from './table.js';
import { renderJunit } from './reporters/junit.js';
import { viewDocument } from './reporters/view.js';

export function renderRegisterTest(result: RegisterTestResult, write: Write): void {
  const profile = result.flowName ? `flow ${chalk.bold(result.flowName)}` : `profile ${chalk.bold(result.profile)}`;
  write(`${chalk.bold('register-test')} ${result.url}  ${profile} (${result.profileReason})\n`);
  write(`test user ${result.user.username} <${result.user.email}> ${result.user.phone}\n`);
  const multi = result.steps.some((s) => s.client !== undefined);
  const retried = result.steps.some((s) => s.attempt > 1);
  const head = [...(multi ? ['Client'] : []), ...(retried ? ['Try'] : []), 'Step', 'Method', 'Path', 'Status', 'ms', 'Result'];
  const rows = result.steps.map((s) => [
    ...(multi ? [String(s.client ?? '')] : []),
    ...(retried ? [String(s.attempt)] : []),
    s.name,
    s.method,
    s.path,
    s.status === null ? '-' : String(s.status),
    String(s.ms),
    s.ok ? mark.ok(s.result || 'ok') : mark.error(s.result),
  ]);
  write(renderTable(head, rows));
  if (result.race) {
    const r = result.race;
    const n = (v: number | null) => (v === null ? `n/a (${r.unread ?? 'no database'})` : String(v));
    write(`race: ${r.clients} clients, ${r.signupsAccepted} signups accepted, accounts ${n(r.accounts)}, pending rows ${n(r.pendingRows)}, OTP rows ${n(r.verificationRows)}\n`);
  }
  if (result.serverLog?.length) {
    write(`${chalk.bold('server log:')}\n`);
    for (const line of result.serverLog) write(`  ${line}\n`);
  }
  if (result.sequences?.fixed.length) {
    for (const f of result.sequences.fixed) write(`${f.status === 'fixed' ? mark.ok('fixed') : mark.error(f.status)} ${f.sequence}: next value ${f.before} -> ${f.after}\n`);
  }
  for (const f of result.findings) {
    const tag = f.severity === 'error' ? mark.error('✖') : f.severity === 'warn' ? mark.warn('!') : mark.ok('✔');
    write(`${tag} ${f.title}\n`);
    if (f.detail) write(`  ${chalk.dim(f.detail)}\n`);
    if (f.hint) write(`  ${chalk.dim('hint:')} ${f.hint}\n`);
    if (f.nextCommand) write(`  ${chalk.dim('next:')} ${f.nextCommand}\n`);
  }
  if (result.account) write(`account: ${result.account.rows} row${result.account.rows === 1 ? '' : 's'} in ${result.account.table} for ${result.account.column} = ${result.account.value}\n`);
  if (result.cleanup) {
    const left = result.cleanup.filter((c) => (c.remaining ?? 0) > 0);
    const proof = result.cleanup.some((c) => c.remaining !== undefined) ? (left.length ? `; left behind: ${left.map((c) => `${c.remaining} in ${c.table}`).join(', ')}` : '; re-read: nothing left') : '';
    write(`cleanup: ${result.cleanup.map((c) => `${c.deleted} from ${c.table}`).join(', ')}${proof}\n`);
  }
  write(`${result.ok ? chalk.green('✔') : chalk.red('✖')} ${result.summary}\n`);
}

export function registerTestJson(result: RegisterTestResult): string {
  return jsonDocument('register-test', registerTestOutcome(result).ok, { ...result });
}

/** JUnit XML: the one JUnit reporter (src/report/reporters/junit.ts) over this run's document. */
export function registerTestJunit(result: RegisterTestResult): string {
  return renderJunit(viewDocument(JSON.parse(registerTestJson(result)) as Record<string, unknown>));
}
