/**
 * --race N: N clients sign up the same user at once (each with its own cookie jar), then each verifies.
 * Counts what the database holds afterwards when one is given, and explains stale sessions, duplicates and
 * server errors.
 */
import type { OpenedDatabase } from '../db/open.js';
import { NetworkError, type HttpClient } from '../http/client.js';
import { fillTemplate, type Flow, type FlowStep } from '../http/flow.js';
import { accountRef } from './account.js';
import { countRows } from './database.js';
import { addTempRegistrationEvidence } from './evidence.js';
import { runSteps, type PassContext, type PassResult } from './replay.js';
import { laggingSequencesBehind, laggingWords, reportLagging } from './sequences-evidence.js';
import type { RaceClient, RegisterTestOptions, RegisterTestResult, StepRecord } from './types.js';

export interface RaceOptions {
  options: RegisterTestOptions;
  flow: Flow;
  vars: Record<string, string>;
  secrets: Set<string>;
  extraBody: Record<string, string>;
  getOtp: (v: Record<string, string>) => Promise<string>;
  newClient: () => HttpClient;
  result: RegisterTestResult;
}

interface RaceRunner {
  no: number;
  ctx: PassContext;
  records: StepRecord[];
  pass?: PassResult;
  error?: Error;
}

/** Phases: every client prepares (CSRF token, pages), then all signups go out at once, then each verifies. */
async function runClients(race: RaceOptions, n: number, noOtpSource: boolean): Promise<RaceRunner[]> {
  const { options, flow, vars, secrets, extraBody, getOtp, newClient } = race;
  const signupAt = flow.steps.findIndex((s) => s.role === 'signup');
  const phases = signupAt >= 0 ? [flow.steps.slice(0, signupAt), [flow.steps[signupAt]!], flow.steps.slice(signupAt + 1)] : [flow.steps];
  const clients: RaceRunner[] = Array.from({ length: n }, (_, i) => ({
    no: i + 1,
    ctx: {
      flow,
      vars: { ...vars },
      client: newClient(),
      secrets,
      extraBody,
      // Without a code source every client sends a dummy code: a stale session still shows itself.
      getOtp: noOtpSource ? async () => '000000' : getOtp,
      attempt: 1,
      clientNo: i + 1,
      serverLog: options.serverLog,
    },
    records: [],
  }));
  const phase = async (c: RaceRunner, steps: FlowStep[]) => {
    try {
      c.pass = await runSteps(steps, c.ctx, { records: c.records, signupAccepted: c.pass?.signupAccepted ?? false });
    } catch (error) {
      if (error instanceof NetworkError) throw error;
      c.error = error as Error;
      c.pass = { ok: false, records: c.records, signupAccepted: c.pass?.signupAccepted ?? false };
    }
  };
  for (const [i, steps] of phases.entries()) {
    await Promise.all(clients.filter((c) => i === 0 || c.pass?.ok).map((c) => phase(c, steps)));
  }
  return clients;
}

interface RaceCounts {
  accounts: number | null;
  pendingRows: number | null;
  verificationRows: number | null;
  unread?: string;
}

/** What the database holds for the raced user: accounts, pending rows, codes. */
async function countRaceRows(db: OpenedDatabase | undefined, flow: Flow, vars: Record<string, string>, clients: RaceRunner[]): Promise<RaceCounts> {
  if (!db) return { accounts: null, pendingRows: null, verificationRows: null, unread: 'no database' };
  const spec = flow.database;
  const account = await accountRef(db, flow);
  const accounts = account ? await countRows(db, account, fillTemplate(account.value, vars, 'database.account')) : null;
  const pendingRows = spec?.pending?.[0] ? await countRows(db, spec.pending[0], fillTemplate(spec.pending[0].value, vars, 'database.pending')) : null;
  let verificationRows: number | null = null;
  if (spec?.pending?.[1]) {
    verificationRows = 0;
    const ids = new Set(clients.map((c) => c.ctx.vars.temp_id).filter((x): x is string => Boolean(x)));
    for (const id of ids) verificationRows += await countRows(db, spec.pending[1], id);
  }
  const unread = accounts === null ? 'no account table known' : pendingRows === null ? 'the flow names no pending table' : undefined;
  return { accounts, pendingRows, verificationRows, ...(unread ? { unread } : {}) };
}

export async function runRace(race: RaceOptions): Promise<void> {
  const { options, flow, vars, result } = race;
  const n = options.race!;
  const noOtpSource = !options.otp && !options.otpFromDb;
  const clients = await runClients(race, n, noOtpSource);
  const results: RaceClient[] = clients.map((c) => {
    const last = c.records.at(-1);
    const failure = c.pass?.failure;
    return {
      client: c.no,
      ok: Boolean(c.pass?.ok),
      ...(c.pass?.ok ? {} : { failedAt: last?.name, status: last?.status ?? undefined, message: failure?.diagnosis.message ?? c.error?.message ?? last?.result }),
    };
  });
  for (const c of clients) result.steps.push(...c.records);

  const db = options.db;
  const { accounts, pendingRows, verificationRows, unread } = await countRaceRows(db, flow, vars, clients);
  // A signup the app re-rendered with field errors failed its step, so it is never counted here.
  const signupsAccepted = clients.filter((c) => c.pass?.signupAccepted).length;
  result.race = { clients: n, signupsAccepted, accounts, pendingRows, verificationRows, ...(unread ? { unread } : {}), results };

  const staleSessions = clients.filter((c) => c.pass?.failure?.diagnosis.kind === 'otp-session');
  const serverErrors = clients.filter((c) => c.pass?.failure?.diagnosis.kind === 'server-error');
  const okClients = results.filter((r) => r.ok).length;
  const duplicates = (accounts ?? okClients) > 1;
  result.ok = !duplicates && staleSessions.length === 0 && serverErrors.length === 0 && okClients <= 1 && (accounts ?? okClients) === 1;
  if (staleSessions.length) {
    result.findings.push({
      check: 'register-test',
      severity: 'error',
      title: `${staleSessions.length} of ${n} clients got a verification session that no longer exists`,
      detail: `All ${signupsAccepted} signups for one email were accepted, but each replaced the previous pending row (email is UNIQUE): ${pendingRows ?? '?'} pending row survived, ${verificationRows ?? '?'} OTP rows were written, and every client but the last is left with a dead temp id.`,
      hint: 'Answer a second signup for the same email with 429 or "code already sent" (the fixed SANA dedup), and keep the dedup in the database if the app runs several processes.',
      nextCommand: `healfix temp-registrations --email ${vars.email}`,
    });
  }
  if (staleSessions.length && db && vars.email) await addTempRegistrationEvidence(db, vars.email, result);
  if (duplicates) result.findings.push({ check: 'register-test', severity: 'error', title: `${accounts ?? okClients} accounts created for one email under concurrency`, hint: 'Enforce uniqueness in the database (a unique index), not only in the app.' });
  await explainServerErrors(race, serverErrors, { signupsAccepted, results });
  if (okClients + (accounts ?? 0) === 0 && !staleSessions.length && !serverErrors.length && noOtpSource) {
    result.findings.push({ check: 'register-test', severity: 'warn', title: 'no OTP source: clients sent a dummy code', hint: 'Use --otp-from db to verify each client with its own code.' });
  }
  for (const r of results.filter((x) => !x.ok)) {
    const refused = clients.find((c) => c.no === r.client)?.pass?.failure?.diagnosis;
    if (refused?.kind === 'validation' && !result.findings.includes(refused.finding)) result.findings.push(refused.finding);
  }
  if (okClients) result.created.push(`account for ${vars.email}`);
  if (signupsAccepted > okClients) result.created.push(`pending signups for ${vars.email}`);
  result.summary = raceSummary(n, signupsAccepted, accounts ?? okClients, pendingRows, verificationRows, results);
  vars.temp_ids = [...new Set(clients.map((c) => c.ctx.vars.temp_id).filter(Boolean))].join(',');
  for (const c of clients) if (c.ctx.vars.temp_id && !vars.temp_id) vars.temp_id = c.ctx.vars.temp_id;
}

function raceSummary(n: number, accepted: number, accounts: number, pendingRows: number | null, verificationRows: number | null, results: RaceClient[]): string {
  const byMessage = new Map<string, number[]>();
  // By status, then client: the same outcome reads the same however the clients interleaved.
  const failed = results.filter((x) => !x.ok).sort((a, b) => (a.status ?? 0) - (b.status ?? 0) || a.client - b.client);
  for (const r of failed) {
    const key = `${r.failedAt} ${r.status}: ${r.message ?? ''}`;
    byMessage.set(key, [...(byMessage.get(key) ?? []), r.client]);
  }
  const failures = [...byMessage.entries()].map(([k, ids]) => `${ids.length} failed at ${k} (client${ids.length > 1 ? 's' : ''} ${ids.join(', ')})`);
  return `race of ${n} clients: ${accepted} signup${accepted === 1 ? '' : 's'} accepted, ${accounts} account${accounts === 1 ? '' : 's'}${pendingRows !== null ? `, ${pendingRows} pending row${pendingRows === 1 ? '' : 's'}` : ''}${verificationRows !== null ? `, ${verificationRows} OTP rows` : ''}${failures.length ? `; ${failures.join('; ')}` : ''}`;
}

async function explainServerErrors(race: RaceOptions, serverErrors: RaceRunner[], seen: { signupsAccepted: number; results: RaceClient[] }): Promise<void> {
  if (!serverErrors.length) return;
  const { options, flow, result } = race;
  const n = options.race!;
  const db = options.db;
  const first = serverErrors[0]!.pass!.failure!;
  const ids = serverErrors.map((c) => c.pass!.failure!.diagnosis.errorId).filter(Boolean);
  const evidence = db?.kind === 'postgres' ? await laggingSequencesBehind(db, flow, undefined) : undefined;
  if (evidence?.lagging.length) {
    reportLagging(evidence, result);
    // Not a race at all: every insert through a lagging sequence collides, concurrent or not.
    result.findings.unshift({
      ...first.diagnosis.finding,
      title: `${serverErrors.length} of ${n} clients got a server error ${first.answer.status}${ids.length ? ` (error_id ${ids.join(', ')})` : ''}: ${laggingWords(evidence, undefined).title}`,
      detail: 'The inserts collide with existing rows through a sequence behind max(id), whether or not the clients run at once; fix that first, then race again.',
      hint: 'Run healfix sequences --fix, then re-run the race.',
      nextCommand: 'healfix sequences --fix',
    });
    return;
  }
  const conflicts = seen.results.filter((r) => r.status === 409).length;
  result.findings.push({
    ...first.diagnosis.finding,
    title: `${serverErrors.length} of ${n} clients got a server error ${first.answer.status} under concurrency${ids.length ? ` (error_id ${ids.join(', ')})` : ''}`,
    detail: `${n} signups for one user went out at once: ${seen.signupsAccepted} accepted, ${conflicts} refused with 409, ${serverErrors.length} answered ${first.diagnosis.message ? `"${first.diagnosis.message}"` : 'a 500'}. Concurrent requests likely passed the app's "already exists" check together and the database's unique constraint refused the late ones, which the app does not turn into a 409.`,
    hint: 'Catch the unique violation on insert and answer 409; read the server log (--server-log FILE) for the error ids.',
  });
}
