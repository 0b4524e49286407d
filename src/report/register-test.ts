/** register-test output: a per-step table, findings with hints, a summary line; --json; JUnit XML for CI. */
import type { RegisterTestResult } from '../http/register-test.js';
import { chalk } from './color.js';
import type { Write } from './io.js';
import { jsonDocument } from './json.js';
import { registerTestOutcome } from '../contract/register-test.js';
import { mark, renderTable } from './table.js';

export function renderRegisterTest(result: RegisterTestResult, write: Write): void {
  write(`${chalk.bold('register-test')} ${result.url}  profile ${chalk.bold(result.profile)} (${result.profileReason})\n`);
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
    const n = (v: number | null) => (v === null ? 'n/a (no database)' : String(v));
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
  if (result.cleanup) write(`cleanup: ${result.cleanup.map((c) => `${c.deleted} from ${c.table}`).join(', ')}\n`);
  write(`${result.ok ? chalk.green('✔') : chalk.red('✖')} ${result.summary}\n`);
}

export function registerTestJson(result: RegisterTestResult): string {
  return jsonDocument('register-test', registerTestOutcome(result).ok, { ...result });
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML: one testcase per step, a failure element with the diagnosis. */
export function registerTestJunit(result: RegisterTestResult): string {
  const failures = result.steps.filter((s) => !s.ok).length;
  const time = (ms: number) => (ms / 1000).toFixed(3);
  const cases = result.steps.map((s) => {
    const name = `${s.client !== undefined ? `client ${s.client}: ` : ''}${s.attempt > 1 ? `retry: ` : ''}${s.name} (${s.method} ${s.path})`;
    const open = `    <testcase classname="healfix.register-test.${xml(result.profile)}" name="${xml(name)}" time="${time(s.ms)}"`;
    if (s.ok) return `${open}/>`;
    return `${open}>\n      <failure message="${xml(`${s.status}: ${s.result}`)}">${xml(result.findings.map((f) => [f.title, f.detail, f.hint].filter(Boolean).join('\n')).join('\n\n'))}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="healfix register-test" tests="${result.steps.length}" failures="${failures}">`,
    `  <testsuite name="register-test ${xml(result.url)}" tests="${result.steps.length}" failures="${failures}" time="${time(result.steps.reduce((a, s) => a + s.ms, 0))}">`,
    `    <properties><property name="summary" value="${xml(result.summary)}"/></properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** A line for the 429 countdown. */
export function countdownText(seconds: number, reason: string): string {
  return `${reason} — retrying in ${seconds}s`;
}
