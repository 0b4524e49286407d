/**
 * register-test's core: replays a signup flow like a browser, explains every failure, optionally waits out
 * a 429 or fixes lagging sequences and retries once, races N clients, and cleans up. Returns data; prints nothing.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspectTempRegistrations } from '../checks/temp-registrations.js';
import type { Finding } from '../checks/types.js';
import type { OpenedDatabase } from '../db/open.js';
import { HealfixError, UsageError } from '../errors.js';
import { scrub, SecretSet } from '../secrets.js';
import { HttpClient, NetworkError, type HttpResponse } from './client.js';
import { countRows, deleteRows, queryRows } from './database.js';
import { diagnoseAnswer, isHtml, parseJson, serverMessage, type Diagnosis } from './diagnose.js';
import {
  fillTemplate,
  isSecretVariable,
  loadBuiltinFlow,
  loadFlowFile,
  readCapture,
  templateVariables,
  type BuiltinProfile,
  type Flow,
  type FlowStep,
} from './flow.js';
// Stand-in until src/checks/sequences.ts and src/fix/sequences.ts land: swap this import for those two.
import { scanSequences, type SequenceFinding } from '../checks/sequences.js';
import { fixSequences, planSequenceFix, type SequenceFixOutcome } from '../fix/sequences.js';

export type ProfileChoice = 'auto' | BuiltinProfile;

export interface RegisterTestOptions {
  url: string;
  profile?: ProfileChoice;
  flowFile?: string;
  /** A flow found by --profile auto's discovery (src/register-test/discover/), used instead of the probes below. */
  discovered?: { flow: Flow; profile: string; reason: string };
  prefix?: string;
  fields?: Record<string, string>;
  otp?: string;
  otpFromDb?: boolean;
  /** The app's database when configured (read-only unless cleanup / fix). */
  db?: OpenedDatabase;
  race?: number;
  wait?: boolean;
  fixSequences?: boolean;
  serverLog?: string;
  cleanup?: boolean;
  connectTimeoutMs?: number;
  timeoutMs?: number;
  /** Longest Retry-After --wait sleeps out (default MAX_WAIT_SEC). */
  maxWaitSec?: number;
}

/** --wait sleeps out a short limiter window; anything longer is reported, not waited for. */
export const MAX_WAIT_SEC = 300;

export interface RegisterTestHooks {
  /** Obtains the OTP: a prompt, or the mail catcher / mail folder of --otp-from (which reads vars.email). */
  askOtp?(message: string, vars: Record<string, string>): Promise<string>;
  /** Reads the confirmation link (a path on --url) sent to vars.email: --otp-from's mail source. */
  readLink?(vars: Record<string, string>): Promise<string>;
  /** Sleeps out a 429 (with a countdown in the CLI). */
  waitOut?(seconds: number, reason: string): Promise<void>;
  /** Must throw when the write is not confirmed (confirmWrite). */
  confirm?(message: string, plan: string[]): Promise<void>;
}

export interface StepRecord {
  client?: number;
  attempt: number;
  name: string;
  method: string;
  path: string;
  status: number | null;
  ms: number;
  ok: boolean;
  result: string;
  /** The answer was longer than healfix keeps: only this many bytes were read (see MAX_BODY_BYTES). */
  bodyTruncatedAt?: number;
}

export interface RaceClient {
  client: number;
  ok: boolean;
  failedAt?: string;
  status?: number;
  message?: string;
}

export interface RaceSummary {
  clients: number;
  signupsAccepted: number;
  accounts: number | null;
  pendingRows: number | null;
  verificationRows: number | null;
  results: RaceClient[];
}

/** What the temp-registrations check saw for the test user's email after an OTP session failure. */
export interface TempRegistrationEvidence {
  email: string;
  /** Pending rows for the email now. */
  pendingRows: number;
  /** Unused, unexpired codes belonging to those rows (or keyed by the email). */
  liveOtps: number;
  /** Codes whose temp id has no pending row any more: for this email (created next to its pending row) and in all. */
  orphanOtps: number;
  orphanOtpsTotal: number;
  summary: string;
}

export interface RegisterTestResult {
  url: string;
  profile: string;
  profileReason: string;
  ok: boolean;
  user: { username: string; email: string; phone: string };
  steps: StepRecord[];
  findings: Finding[];
  sequences?: { lagging: Pick<SequenceFinding, 'sequence' | 'nextValue' | 'dataMax' | 'lag'>[]; fixed: SequenceFixOutcome[] };
  serverLog?: string[];
  race?: RaceSummary;
  tempRegistrations?: TempRegistrationEvidence;
  created: string[];
  cleanup?: { table: string; deleted: number }[];
  summary: string;
}

// ------------------------------------------------------------ test data

export function generateTestUser(prefix = 'hf', random: () => string = () => randomBytes(3).toString('hex')) {
  if (!/^[a-z][a-z0-9_]{0,20}$/i.test(prefix)) throw new UsageError(`--prefix must be 1-21 letters, digits or _, starting with a letter, got "${prefix}"`);
  const id = `${Date.now().toString(36).slice(-5)}${random()}`.toLowerCase();
  const username = `${prefix.toLowerCase()}_${id}`;
  const password = `Hf${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}7!#q`;
  return {
    username,
    email: `${username}@example.com`,
    phone: `+4479${String(randomInt(0, 1e8)).padStart(8, '0')}`,
    password,
    pin: String(randomInt(1000, 10000)),
  };
}

export function parseFields(values: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--field must be key=value, got "${v}"`);
    out[v.slice(0, eq).trim()] = v.slice(eq + 1);
  }
  return out;
}

// ------------------------------------------------------------ profile

export async function resolveFlow(options: RegisterTestOptions, client: HttpClient): Promise<{ flow: Flow; profile: string; reason: string }> {
  if (options.flowFile) return { flow: await loadFlowFile(options.flowFile), profile: 'flow', reason: `from --flow ${options.flowFile}` };
  if (options.discovered) return options.discovered;
  const choice = options.profile ?? 'auto';
  if (choice !== 'auto') return { flow: loadBuiltinFlow(choice), profile: choice, reason: 'from --profile' };
  const csrf = await client.send({ method: 'GET', path: '/api/csrf-token' });
  if (csrf.status === 200 && typeof parseJson(csrf.body)?.csrf_token === 'string') {
    return { flow: loadBuiltinFlow('csrf-json'), profile: 'csrf-json', reason: 'GET /api/csrf-token answered 200 with a csrf_token' };
  }
  const verify = await client.send({ method: 'GET', path: '/auth/verify-otp' });
  if (verify.status === 200 || verify.redirects > 0) {
    return { flow: loadBuiltinFlow('otp'), profile: 'otp', reason: `GET /auth/verify-otp exists (${verify.redirects ? 'redirects to a signup page' : verify.status}), no /api/csrf-token` };
  }
  throw new UsageError(`cannot tell which signup flow ${options.url} uses: GET /api/csrf-token answered ${csrf.status}, GET /auth/verify-otp answered ${verify.status}`, {
    hint: 'Pick one with --profile csrf-json|otp, or describe the flow in a file and pass --flow FILE.',
  });
}

// ------------------------------------------------------------ one pass of a flow

interface Failure {
  step: FlowStep;
  answer: HttpResponse;
  sent: { headers: Record<string, string>; body?: unknown };
  diagnosis: Diagnosis;
}

interface PassResult {
  ok: boolean;
  records: StepRecord[];
  failure?: Failure;
  signupAccepted: boolean;
}

interface PassContext {
  flow: Flow;
  vars: Record<string, string>;
  client: HttpClient;
  secrets: Set<string>;
  extraBody: Record<string, string>;
  getOtp: (vars: Record<string, string>) => Promise<string>;
  /** The confirmation link from mail ({{confirm_link}} in a verify step), from --otp-from mailpit|maildev|file. */
  getLink?: (vars: Record<string, string>) => Promise<string>;
  attempt: number;
  clientNo?: number;
}

async function runSteps(steps: FlowStep[], ctx: PassContext, start: { records: StepRecord[]; signupAccepted: boolean }): Promise<PassResult> {
  const { flow, vars, client, secrets } = ctx;
  const records = start.records;
  let signupAccepted = start.signupAccepted;
  for (const step of steps) {
    if (templateVariables([step.path, step.headers, step.json, step.form]).includes('otp') && vars.otp === undefined) {
      vars.otp = await ctx.getOtp(vars);
      secrets.add(vars.otp);
    }
    if (templateVariables([step.path]).includes('confirm_link') && vars.confirm_link === undefined) {
      if (!ctx.getLink) throw new UsageError('this flow follows the confirmation link from mail: pass --otp-from mailpit[=URL], maildev[=URL], maildir:PATH or file:PATH');
      vars.confirm_link = await ctx.getLink(vars);
      secrets.add(vars.confirm_link);
    }
    const where = `step "${step.name}"`;
    const path = fillTemplate(step.path, vars, where);
    const headers = fillTemplate(step.headers ?? {}, vars, where);
    let body: string | undefined;
    let sentBody: unknown;
    if (step.json !== undefined) {
      sentBody = fillTemplate(step.json, vars, where);
      if (step.role === 'signup' && sentBody && typeof sentBody === 'object' && !Array.isArray(sentBody)) sentBody = { ...sentBody, ...ctx.extraBody };
      body = JSON.stringify(sentBody);
      headers['Content-Type'] ??= 'application/json';
    } else if (step.form !== undefined) {
      sentBody = fillTemplate(step.form, vars, where);
      body = new URLSearchParams(sentBody as Record<string, string>).toString();
      headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
    }
    const method = step.method.toUpperCase();
    const answer = await client.send({ method, path, headers, body });
    const expected = step.expect ? step.expect.includes(answer.status) : answer.status >= 200 && answer.status < 300;
    const record: StepRecord = { ...(ctx.clientNo ? { client: ctx.clientNo } : {}), attempt: ctx.attempt, name: step.name, method, path, status: answer.status, ms: answer.ms, ok: expected, result: '' };
    if (answer.truncatedAt !== undefined) record.bodyTruncatedAt = answer.truncatedAt;
    records.push(record);
    // A GET whose answer feeds a JSON capture (the CSRF token) must be JSON too, or the capture fails obscurely.
    const jsonCapture = expected && Object.values(step.capture ?? {}).some((c) => 'json' in c);
    const wantJson = (step.response ?? (method === 'GET' && !jsonCapture ? 'any' : 'json')) === 'json';
    if (answer.body.trim() === '' && !(expected && !wantJson)) {
      throw new HealfixError(`${method} ${path} answered ${answer.status} with an empty body`, { hint: 'Is --url the app itself and not a proxy or another service?' });
    }
    if (wantJson && !parseJson(answer.body) && answer.status !== 429) {
      const kind = isHtml(answer) ? 'an HTML page' : `${answer.headers['content-type'] ?? 'untyped'} text`;
      throw new HealfixError(`${method} ${path} answered ${answer.status} with ${kind}, not JSON${answer.status === 404 ? ' (no such endpoint)' : ''}${truncationNote(answer)}`, {
        hint: 'Check --url (the app base URL) and --profile, or describe the endpoints with --flow FILE.',
      });
    }
    if (!expected) {
      const diagnosis = diagnoseAnswer(step, answer, flow, { headers, body: sentBody });
      record.result = diagnosis.finding.title;
      return { ok: false, records, failure: { step, answer, sent: { headers, body: sentBody }, diagnosis }, signupAccepted };
    }
    if (step.role === 'signup') signupAccepted = true;
    for (const [name, capture] of Object.entries(step.capture ?? {})) {
      const value = await readCapture(capture, { ...answer, cookie: (n) => client.cookie(n) });
      if (value === undefined) {
        if (capture.optional || vars[name] !== undefined) continue;
        record.ok = false;
        record.result = `capture "${name}" not found in the answer`;
        return {
          ok: false,
          records,
          signupAccepted,
          failure: {
            step,
            answer,
            sent: { headers },
            diagnosis: { kind: 'unexpected', finding: { check: 'register-test', severity: 'error', title: `${method} ${path}: "${name}" not found in the answer`, hint: 'Fix the capture in the flow file.' } },
          },
        };
      }
      vars[name] = value;
      if (isSecretVariable(name, capture)) secrets.add(value);
    }
    record.result = serverMessage(answer)?.slice(0, 80) ?? 'ok';
    if (isHtml(answer)) record.result = 'ok';
    record.result += truncationNote(answer);
  }
  for (const v of await client.cookieValues()) secrets.add(v);
  return { ok: true, records, signupAccepted };
}

// ------------------------------------------------------------ the command's core

export async function runRegisterTest(options: RegisterTestOptions, hooks: RegisterTestHooks = {}): Promise<RegisterTestResult> {
  let base: URL;
  try {
    base = new URL(options.url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new UsageError(`--url must be an http:// or https:// URL, got "${options.url}"`);
  }
  if (options.otpFromDb && !options.db) throw new UsageError('--otp-from db needs a database: give --database-url (or DATABASE_URL, .env)');
  const newClient = () => new HttpClient({ baseUrl: base.toString(), connectTimeoutMs: options.connectTimeoutMs, timeoutMs: options.timeoutMs });
  const probe = newClient();
  const { flow, profile, reason } = await resolveFlow(options, probe);

  const user = generateTestUser(options.prefix);
  const fields = options.fields ?? {};
  const known = new Set(templateVariables(flow.steps.map((s) => [s.path, s.headers, s.json, s.form])));
  const vars: Record<string, string> = { ...user };
  for (const [k, v] of Object.entries(flow.variables ?? {})) vars[k] = fillTemplate(v, vars, `variable ${k}`);
  const extraBody: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    vars[k] = v;
    if (!known.has(k)) extraBody[k] = v;
  }
  const secrets = new SecretSet([vars.password!, vars.pin!]);
  for (const [k, v] of Object.entries(vars)) if (/pass|pin|token|secret|otp/i.test(k)) secrets.add(v);

  const getOtp = async (v: Record<string, string>): Promise<string> => {
    if (options.otp) return options.otp;
    if (options.otpFromDb && options.db) return readOtp(flow, options.db, v);
    if (hooks.askOtp) return hooks.askOtp(`OTP sent for ${v.email ?? v.username}`, v);
    throw new UsageError('this flow needs an OTP: pass --otp CODE or --otp-from db');
  };

  const result: RegisterTestResult = {
    url: base.toString(),
    profile,
    profileReason: reason,
    ok: false,
    user: { username: user.username, email: vars.email!, phone: vars.phone! },
    steps: [],
    findings: [],
    created: [],
    summary: '',
  };

  if (options.race) {
    await runRace(options, flow, vars, secrets, extraBody, getOtp, newClient, result);
  } else {
    let attempt = 1;
    let pass = await runSteps(flow.steps, { flow, vars: { ...vars }, client: newClient(), secrets, extraBody, getOtp, getLink: hooks.readLink, attempt }, { records: result.steps, signupAccepted: false });
    const retry = pass.failure ? await diagnoseFailure(pass.failure, options, flow, vars, result, hooks) : false;
    if (retry) {
      attempt = 2;
      pass = await runSteps(flow.steps, { flow, vars: { ...vars }, client: newClient(), secrets, extraBody, getOtp, getLink: hooks.readLink, attempt }, { records: result.steps, signupAccepted: false });
      if (pass.failure) await diagnoseFailure(pass.failure, { ...options, wait: false, fixSequences: false }, flow, vars, result, hooks);
    }
    result.ok = pass.ok;
    if (pass.ok) result.created.push(`account ${vars.username} <${vars.email}>`);
    else if (pass.signupAccepted) result.created.push(`pending signup for ${vars.email}`);
    const failed = result.steps.at(-1)!;
    result.summary = pass.ok
      ? `registration works: ${profile} flow created ${vars.username} in ${result.steps.filter((s) => s.attempt === attempt).length} steps (${sum(result.steps.filter((s) => s.attempt === attempt).map((s) => s.ms))} ms)${attempt > 1 ? ' on the retry' : ''}`
      : `registration fails at ${failed.method} ${failed.path}: ${failed.status} — ${pass.failure?.diagnosis.finding.title ?? failed.result}`;
  }

  if (options.cleanup) await cleanup(options, flow, result, vars);
  else if (result.created.length && !options.db) result.findings.push({ check: 'register-test', severity: 'ok', title: `left behind: ${result.created.join('; ')}`, hint: 'Delete them with --cleanup and a --database-url.' });

  // Nothing secret leaves the core: every string is scrubbed, secret-looking keys redacted.
  return scrubDeep(result, [...secrets]);
}

async function readOtp(flow: Flow, db: OpenedDatabase, vars: Record<string, string>): Promise<string> {
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

/** Said wherever a cut answer is reported: what was kept, and that the rest was never read. */
function truncationNote(answer: { truncatedAt?: number }): string {
  if (answer.truncatedAt === undefined) return '';
  return ` (answer longer than ${Math.round(answer.truncatedAt / 1024 / 1024)} MB: kept the first ${Math.round(answer.truncatedAt / 1024 / 1024)} MB, stopped reading)`;
}

/** Explains a failure and says whether to retry once (after --wait or --fix-sequences). */
async function diagnoseFailure(
  failure: Failure,
  options: RegisterTestOptions,
  flow: Flow,
  vars: Record<string, string>,
  result: RegisterTestResult,
  hooks: RegisterTestHooks,
): Promise<boolean> {
  const { diagnosis } = failure;
  result.findings.push(diagnosis.finding);
  if (diagnosis.kind === 'rate-limited' && options.wait) {
    if (diagnosis.waitSec === undefined) return false;
    const cap = options.maxWaitSec ?? MAX_WAIT_SEC;
    if (diagnosis.waitSec > cap) {
      // A day-long Retry-After is a lockout, not a pause: say so instead of sleeping silently for a day.
      diagnosis.finding.detail = `${diagnosis.finding.detail ?? ''} --wait waits at most ${cap}s; the server asks for ${diagnosis.waitSec}s, so healfix did not wait or retry.`.trim();
      diagnosis.finding.hint = `Retry after ${new Date(Date.now() + diagnosis.waitSec * 1000).toISOString()}, or clear the limit (healfix rate-limits --unlock, or restart the app for in-memory limits).`;
      return false;
    }
    await (hooks.waitOut ?? ((s) => new Promise((r) => setTimeout(r, s * 1000))))(diagnosis.waitSec + 1, diagnosis.finding.title);
    return true;
  }
  if (diagnosis.kind === 'server-error') {
    if (options.serverLog && diagnosis.errorId) {
      const lines = findLogLines(options.serverLog, diagnosis.errorId);
      result.serverLog = lines;
      if (lines.length) diagnosis.finding.detail = `server log: ${lines.join(' ')}`;
      else diagnosis.finding.detail = `${diagnosis.finding.detail} No line with ${diagnosis.errorId} in ${options.serverLog}.`;
    }
    if (options.db?.kind === 'postgres') {
      const lagging = await laggingSequencesBehind(options.db, flow, result);
      if (!lagging.length) {
        diagnosis.finding.hint = `No lagging sequence among ${flow.database?.writes?.join(', ') ?? 'the tables'}; read the server log${diagnosis.errorId ? ` for ${diagnosis.errorId}` : ''}.`;
        return false;
      }
      const names = lagging.map((f) => f.sequence);
      diagnosis.finding.title = `server error ${failure.answer.status}${diagnosis.errorId ? ` (error_id ${diagnosis.errorId})` : ''}: lagging sequence ${names.join(', ')}`;
      diagnosis.finding.hint = 'Run healfix sequences --fix, or re-run with --fix-sequences to fix and retry once.';
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
    return false;
  }
  if (diagnosis.kind === 'otp-session') {
    if (options.serverLog && vars.temp_id) result.serverLog = findLogLines(options.serverLog, vars.temp_id);
    if (options.db && vars.email) await addTempRegistrationEvidence(options.db, vars.email, result);
  }
  return false;
}

/**
 * A 500 on signup is most often a duplicate key from a lagging sequence (the Healing Space report): scans
 * the tables the flow writes to, records what lags in result.sequences and adds a finding per sequence.
 */
async function laggingSequencesBehind(db: Extract<OpenedDatabase, { kind: 'postgres' }>, flow: Flow, result: RegisterTestResult): Promise<SequenceFinding[]> {
  const tables = flow.database?.writes;
  const scan = await scanSequences(db.pg, tables ? { tables } : {});
  const lagging = scan.findings.filter((f) => f.status === 'lagging');
  result.sequences = { lagging: lagging.map(({ sequence, nextValue, dataMax, lag }) => ({ sequence, nextValue, dataMax, lag })), fixed: [] };
  for (const f of lagging) {
    result.findings.push({
      check: 'sequences',
      severity: 'error',
      subject: f.sequence,
      title: `${f.sequence} lags max(id) by ${f.lag}: next value ${f.nextValue}, max(id) ${f.dataMax}`,
      detail: `Inserts into ${f.consumers.map((c) => c.table).join(', ')} collide with existing rows (duplicate key).`,
    });
  }
  return lagging;
}

/** Runs the temp-registrations check for the test user's email and adds its evidence (the overwritten temp id) to the result. */
async function addTempRegistrationEvidence(db: OpenedDatabase, email: string, result: RegisterTestResult): Promise<void> {
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

export function findLogLines(file: string, needle: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --server-log ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const lines = text.split('\n');
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (!line.includes(needle)) return;
    out.push(line.trim());
    for (let j = i + 1; j < lines.length && /^\s*(DETAIL|HINT|CONTEXT):/.test(lines[j]!); j++) out.push(lines[j]!.trim());
  });
  return out;
}

// ------------------------------------------------------------ --race

async function runRace(
  options: RegisterTestOptions,
  flow: Flow,
  vars: Record<string, string>,
  secrets: Set<string>,
  extraBody: Record<string, string>,
  getOtp: (v: Record<string, string>) => Promise<string>,
  newClient: () => HttpClient,
  result: RegisterTestResult,
): Promise<void> {
  const n = options.race!;
  const signupAt = flow.steps.findIndex((s) => s.role === 'signup');
  // Phases: every client prepares (CSRF token, pages), then all signups go out at once, then each verifies.
  const phases = signupAt >= 0 ? [flow.steps.slice(0, signupAt), [flow.steps[signupAt]!], flow.steps.slice(signupAt + 1)] : [flow.steps];
  const noOtpSource = !options.otp && !options.otpFromDb;
  const clients = Array.from({ length: n }, (_, i) => ({
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
    } satisfies PassContext,
    records: [] as StepRecord[],
    pass: undefined as PassResult | undefined,
    error: undefined as Error | undefined,
  }));
  const phase = async (c: (typeof clients)[number], steps: FlowStep[]) => {
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

  let accounts: number | null = null;
  let pendingRows: number | null = null;
  let verificationRows: number | null = null;
  const db = options.db;
  const dbSpec = flow.database;
  if (db && dbSpec?.account) accounts = await countRows(db, dbSpec.account, fillTemplate(dbSpec.account.value, vars, 'database.account'));
  if (db && dbSpec?.pending?.[0]) pendingRows = await countRows(db, dbSpec.pending[0], fillTemplate(dbSpec.pending[0].value, vars, 'database.pending'));
  if (db && dbSpec?.pending?.[1]) {
    verificationRows = 0;
    const ids = new Set(clients.map((c) => c.ctx.vars.temp_id).filter((x): x is string => Boolean(x)));
    for (const id of ids) verificationRows += await countRows(db, dbSpec.pending[1], id);
  }
  const signupsAccepted = clients.filter((c) => c.pass?.signupAccepted).length;
  result.race = { clients: n, signupsAccepted, accounts, pendingRows, verificationRows, results };

  const byMessage = new Map<string, number[]>();
  for (const r of results.filter((x) => !x.ok)) {
    const key = `${r.failedAt} ${r.status}: ${r.message ?? ''}`;
    byMessage.set(key, [...(byMessage.get(key) ?? []), r.client]);
  }
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
  const lagging = serverErrors.length && db?.kind === 'postgres' ? await laggingSequencesBehind(db, flow, result) : [];
  if (serverErrors.length && lagging.length) {
    const first = serverErrors[0]!.pass!.failure!.diagnosis;
    const ids = serverErrors.map((c) => c.pass!.failure!.diagnosis.errorId).filter(Boolean);
    // Not a race at all: every insert through a lagging sequence collides, concurrent or not.
    result.findings.unshift({
      ...first.finding,
      title: `${serverErrors.length} of ${n} clients got a server error ${serverErrors[0]!.pass!.failure!.answer.status}${ids.length ? ` (error_id ${ids.join(', ')})` : ''}: lagging sequence ${lagging.map((f) => f.sequence).join(', ')}`,
      detail: 'The inserts collide with existing rows through a sequence behind max(id), whether or not the clients run at once; fix that first, then race again.',
      hint: 'Run healfix sequences --fix, then re-run the race.',
      nextCommand: 'healfix sequences --fix',
    });
  } else if (serverErrors.length) {
    const first = serverErrors[0]!.pass!.failure!.diagnosis;
    const ids = serverErrors.map((c) => c.pass!.failure!.diagnosis.errorId).filter(Boolean);
    const conflicts = results.filter((r) => r.status === 409).length;
    result.findings.push({
      ...first.finding,
      title: `${serverErrors.length} of ${n} clients got a server error ${serverErrors[0]!.pass!.failure!.answer.status} under concurrency${ids.length ? ` (error_id ${ids.join(', ')})` : ''}`,
      detail: `${n} signups for one user went out at once: ${signupsAccepted} accepted, ${conflicts} refused with 409, ${serverErrors.length} answered ${first.message ? `"${first.message}"` : 'a 500'}. Concurrent requests likely passed the app's "already exists" check together and the database's unique constraint refused the late ones, which the app does not turn into a 409.`,
      hint: 'Catch the unique violation on insert and answer 409; read the server log (--server-log FILE) for the error ids.',
    });
  }
  if (okClients + (accounts ?? 0) === 0 && !staleSessions.length && !serverErrors.length && noOtpSource) {
    result.findings.push({ check: 'register-test', severity: 'warn', title: 'no OTP source: clients sent a dummy code', hint: 'Use --otp-from db to verify each client with its own code.' });
  }
  if (okClients) result.created.push(`account for ${vars.email}`);
  if (signupsAccepted > okClients) result.created.push(`pending signups for ${vars.email}`);
  const failures = [...byMessage.entries()].map(([k, ids]) => `${ids.length} failed at ${k} (client${ids.length > 1 ? 's' : ''} ${ids.join(', ')})`);
  result.summary = `race of ${n} clients: ${signupsAccepted} signup${signupsAccepted === 1 ? '' : 's'} accepted, ${accounts ?? okClients} account${(accounts ?? okClients) === 1 ? '' : 's'}${pendingRows !== null ? `, ${pendingRows} pending row${pendingRows === 1 ? '' : 's'}` : ''}${verificationRows !== null ? `, ${verificationRows} OTP rows` : ''}${failures.length ? `; ${failures.join('; ')}` : ''}`;
  vars.temp_ids = [...new Set(clients.map((c) => c.ctx.vars.temp_id).filter(Boolean))].join(',');
  for (const c of clients) if (c.ctx.vars.temp_id && !vars.temp_id) vars.temp_id = c.ctx.vars.temp_id;
}

// ------------------------------------------------------------ --cleanup

async function cleanup(options: RegisterTestOptions, flow: Flow, result: RegisterTestResult, vars: Record<string, string>): Promise<void> {
  const refs = flow.database?.cleanup ?? [];
  if (!options.db || !refs.length) {
    result.findings.push({
      check: 'register-test',
      severity: 'warn',
      title: `--cleanup needs a database; created: ${result.created.join('; ') || 'nothing'}`,
      hint: 'Give --database-url so the test account and its pending rows can be deleted.',
    });
    return;
  }
  const deleted: { table: string; deleted: number }[] = [];
  // Only this run's values: its username / email, and every temp id its clients captured.
  const tempIds = (vars.temp_ids ?? vars.temp_id ?? '').split(',').filter(Boolean);
  for (const ref of refs) {
    const values = ref.value.includes('temp_id') ? tempIds.map((id) => fillTemplate(ref.value, { ...vars, temp_id: id }, 'cleanup')) : [fillTemplate(ref.value, vars, 'cleanup')];
    let n = 0;
    for (const value of values) n += await deleteRows(options.db, ref, value);
    deleted.push({ table: ref.table, deleted: n });
  }
  result.cleanup = deleted;
}

// ------------------------------------------------------------ helpers

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function scrubDeep<T>(value: T, secrets: string[]): T {
  if (typeof value === 'string') return scrub(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, secrets)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v, secrets)])) as T;
  return value;
}
