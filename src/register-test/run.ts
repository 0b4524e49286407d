/**
 * register-test's core: replays a signup flow like a browser, proves the account exists, explains every
 * failure, optionally waits out a 429 or fixes lagging sequences and retries once, races N clients, and
 * cleans up. Returns data; prints nothing.
 */
import { UsageError } from '../errors.js';
import { HttpClient } from '../http/client.js';
import { fillTemplate, templateVariables, type Flow } from '../http/flow.js';
import { scrub, SecretSet } from '../secrets.js';
import { checkAccountRow } from './account.js';
import { cleanupRun } from './cleanup.js';
import { diagnoseFailure, readOtp } from './evidence.js';
import { resolveFlow } from './profile.js';
import { runRace } from './race.js';
import { runSteps, type PassContext, type PassResult } from './replay.js';
import { generateTestUser } from './test-user.js';
import type { RegisterTestHooks, RegisterTestOptions, RegisterTestResult } from './types.js';

function parseBaseUrl(url: string): URL {
  try {
    const base = new URL(url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('scheme');
    return base;
  } catch {
    throw new UsageError(`--url must be an http:// or https:// URL, got "${url}"`);
  }
}

/** The run's variables: the generated user, the flow's defaults, --field values (unknown ones go into the signup body). */
function runVariables(flow: Flow, user: ReturnType<typeof generateTestUser>, fields: Record<string, string>) {
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
  return { vars, extraBody, secrets };
}

export async function runRegisterTest(options: RegisterTestOptions, hooks: RegisterTestHooks = {}): Promise<RegisterTestResult> {
  const base = parseBaseUrl(options.url);
  if (options.otpFromDb && !options.db) throw new UsageError('--otp-from db needs a database: give --database-url (or DATABASE_URL, .env)');
  const newClient = () => new HttpClient({ baseUrl: base.toString(), connectTimeoutMs: options.connectTimeoutMs, timeoutMs: options.timeoutMs });
  const { flow, profile, reason } = await resolveFlow(options, newClient());
  const user = generateTestUser(options.prefix);
  const { vars, extraBody, secrets } = runVariables(flow, user, options.fields ?? {});

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
    ...(profile === 'flow' ? { flowName: flow.name } : {}),
    ok: false,
    user: { username: user.username, email: vars.email!, phone: vars.phone! },
    steps: [],
    findings: [],
    created: [],
    summary: '',
  };

  if (options.race) await runRace({ options, flow, vars, secrets, extraBody, getOtp, newClient, result });
  else await replayOnce({ options, hooks, flow, vars, secrets, extraBody, getOtp, newClient, result });

  if (options.cleanup) await cleanupRun(options, flow, result, vars);
  else if (result.created.length && !options.db) result.findings.push({ check: 'register-test', severity: 'ok', title: `left behind: ${result.created.join('; ')}`, hint: 'Delete them with --cleanup and a --database-url.' });

  // Nothing secret leaves the core: every string is scrubbed, secret-looking keys redacted.
  return scrubDeep(result, [...secrets]);
}

interface ReplayOnce {
  options: RegisterTestOptions;
  hooks: RegisterTestHooks;
  flow: Flow;
  vars: Record<string, string>;
  secrets: Set<string>;
  extraBody: Record<string, string>;
  getOtp: PassContext['getOtp'];
  newClient: () => HttpClient;
  result: RegisterTestResult;
}

/** One pass (and one retry after --wait / --fix-sequences), then the account row when a database is given. */
async function replayOnce(run: ReplayOnce): Promise<void> {
  const { options, hooks, flow, vars, secrets, extraBody, getOtp, newClient, result } = run;
  const pass = (attempt: number): Promise<PassResult> =>
    runSteps(flow.steps, { flow, vars: { ...vars }, client: newClient(), secrets, extraBody, getOtp, getLink: hooks.readLink, attempt, serverLog: options.serverLog }, { records: result.steps, signupAccepted: false });
  const evidence = { options, flow, vars, result, hooks };
  let attempt = 1;
  let outcome = await pass(attempt);
  if (outcome.failure && (await diagnoseFailure(outcome.failure, evidence))) {
    attempt = 2;
    outcome = await pass(attempt);
    if (outcome.failure) await diagnoseFailure(outcome.failure, { ...evidence, options: { ...options, wait: false, fixSequences: false } });
  }
  result.ok = outcome.ok;
  const label = result.flowName ? `flow "${result.flowName}"` : `${result.profile} flow`;
  const steps = result.steps.filter((s) => s.attempt === attempt);
  if (outcome.ok && options.db) {
    const check = await checkAccountRow(options.db, flow, vars);
    if (check.account) result.account = check.account;
    if (check.finding) {
      result.ok = false;
      result.findings.push(check.finding);
      result.summary = `registration not proven: ${check.finding.title}`;
      if (outcome.signupAccepted) result.created.push(`whatever the signup stored for ${vars.email}`);
      return;
    }
  }
  if (outcome.ok) result.created.push(`account ${vars.username} <${vars.email}>`);
  else if (outcome.signupAccepted) result.created.push(`pending signup for ${vars.email}`);
  const failed = result.steps.at(-1)!;
  const proof = result.account ? ` (${result.account.table} row read back)` : '';
  result.summary = outcome.ok
    ? `registration works: ${label} created ${vars.username} in ${steps.length} steps (${steps.reduce((a, s) => a + s.ms, 0)} ms)${attempt > 1 ? ' on the retry' : ''}${proof}`
    : `registration fails at ${failed.method} ${failed.path}: ${failed.status} — ${outcome.failure?.diagnosis.finding.title ?? failed.result}`;
}

function scrubDeep<T>(value: T, secrets: string[]): T {
  if (typeof value === 'string') return scrub(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, secrets)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v, secrets)])) as T;
  return value;
}
