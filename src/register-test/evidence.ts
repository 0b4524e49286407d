/**
 * What a failed pass means, with the evidence the server and the database hold: the log lines of a 500 and
 * the sequence behind its duplicate key, the pending rows behind a dead verification session. Says whether
 * to retry once (after --wait or --fix-sequences).
 */
import { inspectTempRegistrations } from '../checks/temp-registrations.js';
import type { OpenedDatabase } from '../db/open.js';
import { HealfixError, UsageError } from '../errors.js';
import { fixSequences, planSequenceFix } from '../fix/sequences.js';
import { fillTemplate, type Flow } from '../http/flow.js';
import { queryRows } from './database.js';
import type { Failure } from './replay.js';
import { laggingSequencesBehind, laggingWords, orphanAccounts, reportLagging } from './sequences-evidence.js';
import { findLogLines, parseDuplicateKey, searchServerLog } from './server-log.js';
import { MAX_WAIT_SEC, type RegisterTestHooks, type RegisterTestOptions, type RegisterTestResult } from './types.js';

export interface EvidenceContext {
  options: RegisterTestOptions;
  flow: Flow;
  vars: Record<string, string>;
  result: RegisterTestResult;
  hooks: RegisterTestHooks;
}

/** Explains a failure and says whether to retry once (after --wait or --fix-sequences). */
export async function diagnoseFailure(failure: Failure, ctx: EvidenceContext): Promise<boolean> {
  const { options, vars, result } = ctx;
  const { diagnosis } = failure;
  result.findings.push(diagnosis.finding);
  if (diagnosis.kind === 'rate-limited' && options.wait) return waitOutLimit(failure, ctx);
  if (diagnosis.kind === 'server-error') return explainServerError(failure, ctx);
  if (diagnosis.kind === 'otp-session') {
    if (options.serverLog && vars.temp_id) result.serverLog = findLogLines(options.serverLog, vars.temp_id);
    if (options.db && vars.email) await addTempRegistrationEvidence(options.db, vars.email, result);
  }
  return false;
}

async function waitOutLimit(failure: Failure, ctx: EvidenceContext): Promise<boolean> {
  const { diagnosis } = failure;
  if (diagnosis.waitSec === undefined) return false;
  const cap = ctx.options.maxWaitSec ?? MAX_WAIT_SEC;
  if (diagnosis.waitSec > cap) {
    // A day-long Retry-After is a lockout, not a pause: say so instead of sleeping silently for a day.
    diagnosis.finding.detail = `${diagnosis.finding.detail ?? ''} --wait waits at most ${cap}s; the server asks for ${diagnosis.waitSec}s, so healfix did not wait or retry.`.trim();
    diagnosis.finding.hint = `Retry after ${new Date(Date.now() + diagnosis.waitSec * 1000).toISOString()}, or clear the limit (healfix rate-limits --unlock, or restart the app for in-memory limits).`;
    return false;
  }
  await (ctx.hooks.waitOut ?? ((s) => new Promise((r) => setTimeout(r, s * 1000))))(diagnosis.waitSec + 1, diagnosis.finding.title);
  return true;
}

/** The server log's lines for this request (by error id, X-Request-Id or time window), said even when none. */
export function serverLogEvidence(failure: Failure, options: RegisterTestOptions, result: RegisterTestResult): string[] {
  if (!options.serverLog) return [];
  const { diagnosis } = failure;
  const log = searchServerLog({ file: options.serverLog, errorId: diagnosis.errorId, requestId: failure.answer.headers['x-request-id'], offset: failure.logOffset });
  result.serverLog = log.lines;
  if (diagnosis.errorId) {
    diagnosis.finding.detail = log.found ? `server log: ${log.lines.join(' ')}` : `${diagnosis.finding.detail} No line with ${diagnosis.errorId} in ${options.serverLog}.`;
  } else if (log.found) diagnosis.finding.detail = `${diagnosis.finding.detail ?? ''} Server log (${log.how}): ${log.lines.slice(0, 3).join(' | ')}`.trim();
  else diagnosis.finding.detail = `${diagnosis.finding.detail ?? ''} Nothing about this request in ${options.serverLog} (searched by ${log.how}).`.trim();
  return log.lines;
}

async function explainServerError(failure: Failure, ctx: EvidenceContext): Promise<boolean> {
  const { options, flow, result, hooks } = ctx;
  const { diagnosis } = failure;
  const lines = serverLogEvidence(failure, options, result);
  const duplicate = parseDuplicateKey(lines);
  if (options.db?.kind !== 'postgres') {
    if (duplicate) diagnosis.finding.title = `${diagnosis.finding.title}: duplicate key on ${duplicate.constraint}`;
    return false;
  }
  const evidence = await laggingSequencesBehind(options.db, flow, duplicate);
  reportLagging(evidence, result);
  result.findings.push(...(await orphanAccounts(options.db, evidence.stacks)));
  const lagging = evidence.lagging;
  if (!lagging.length) {
    diagnosis.finding.hint = `No lagging sequence among ${flow.database?.writes?.join(', ') ?? evidence.writesFrom}; read the server log${diagnosis.errorId ? ` for ${diagnosis.errorId}` : ''}.`;
    return false;
  }
  const words = laggingWords(evidence, duplicate);
  diagnosis.finding.title = `server error ${failure.answer.status}${diagnosis.errorId ? ` (error_id ${diagnosis.errorId})` : ''}: ${words.title}`;
  if (words.detail) diagnosis.finding.detail = `${words.detail} ${diagnosis.finding.detail ?? ''}`.trim();
  diagnosis.finding.hint = lagging.length > 1 ? `Fix all ${lagging.length} together: healfix sequences --fix, or re-run with --fix-sequences to fix them and retry once.` : 'Run healfix sequences --fix, or re-run with --fix-sequences to fix and retry once.';
  diagnosis.finding.nextCommand = 'healfix sequences --fix';
  if (!options.fixSequences) return false;
  const plan = lagging.map((f) => {
    const step = planSequenceFix(f);
    return step ? `${step.sql} -- next value ${f.nextValue} -> ${step.after}` : `${f.sequence}: cannot be fixed (${f.reason ?? f.status})`;
  });
  if (hooks.confirm) await hooks.confirm(`Fix ${lagging.length} lagging sequence(s) and retry the registration once?`, plan);
  const fixed = await fixSequences(options.db.pg, lagging, {});
  result.sequences = { lagging: result.sequences?.lagging ?? [], fixed };
  return fixed.some((f) => f.status === 'fixed');
}

/** Runs the temp-registrations check for the test user's email and adds its evidence (the overwritten temp id) to the result. */
export async function addTempRegistrationEvidence(db: OpenedDatabase, email: string, result: RegisterTestResult): Promise<void> {
  let check: Awaited<ReturnType<typeof inspectTempRegistrations>>;
  try {
    check = await inspectTempRegistrations(db, { email });
  } catch (error) {
    result.findings.push({ check: 'temp-registrations', severity: 'warn', title: `the temp-registrations check could not run: ${(error as Error).message}` });
    return;
  }
  if (check.inMemoryOnly) {
    result.findings.push({ check: 'temp-registrations', severity: 'ok', title: 'no pending-signup or one-time-code table in the database: the app keeps pending signups elsewhere' });
    return;
  }
  const trace = check.trace;
  const pendingRows = trace?.pending.length ?? 0;
  const liveOtps = trace?.otps.filter((o) => o.live).length ?? 0;
  const orphanOtps = trace?.probableRaceOtps.length ?? 0;
  const orphanOtpsTotal = check.counts.otp?.orphans ?? 0;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const summary = `${email}: ${plural(pendingRows, 'pending row')}, ${plural(liveOtps, 'live OTP')}, ${plural(orphanOtps, 'orphaned OTP')} next to its signups (${orphanOtpsTotal} orphaned in all)`;
  result.tempRegistrations = { email, pendingRows, liveOtps, orphanOtps, orphanOtpsTotal, summary };
  const overwritten = orphanOtps > 0 || orphanOtpsTotal > 0;
  result.findings.push({
    check: 'temp-registrations',
    severity: overwritten ? 'error' : 'warn',
    subject: email,
    title: `temp-registrations for ${summary}`,
    detail: overwritten
      ? 'Codes were issued for temp ids whose pending row is gone: a later signup for the same email replaced the row (email is UNIQUE), so the earlier session cookies point at nothing.'
      : 'No orphaned code: the pending row expired or was deleted, not overwritten.',
    nextCommand: `healfix temp-registrations --email ${email}`,
  });
  result.findings.push(...check.findings.filter((f) => f.severity !== 'ok'));
}

export async function readOtp(flow: Flow, db: OpenedDatabase, vars: Record<string, string>): Promise<string> {
  const spec = flow.database?.otp;
  if (!spec) throw new UsageError(`the ${flow.name} flow has no database.otp query: use --otp CODE`);
  if (!vars.temp_id && spec.params.some((p) => p.includes('temp_id'))) {
    throw new HealfixError('no temp id captured from the session cookie or the verify page, so the OTP cannot be looked up');
  }
  const rows = await queryRows(db, spec.sql, fillTemplate(spec.params, vars, 'database.otp'));
  const code = rows[0] ? Object.values(rows[0])[0] : undefined;
  if (code === undefined || code === null) throw new HealfixError(`no unused signup OTP in the database for ${vars.temp_id ?? vars.email}`, { hint: 'Is --database-url the database the server writes to?' });
  return String(code);
}
