/**
 * One pass of a flow, step by step, like a browser: fill the templates, send, judge the first answer (and
 * the page a redirect leads to), capture what later steps need. Stops at the first step that fails and
 * hands back its answer for the evidence.
 */
import { statSync } from 'node:fs';
import { HealfixError, UsageError } from '../errors.js';
import type { HttpClient, HttpResponse } from '../http/client.js';
import { diagnoseAnswer, isHtml, parseJson, serverMessage, type Diagnosis } from '../http/diagnose.js';
import { fillTemplate, isSecretVariable, readCapture, templateVariables, type Flow, type FlowStep } from '../http/flow.js';
import { judgeAnswer, refusedByPage } from './assertions.js';
import type { StepRecord } from './types.js';

export interface Failure {
  step: FlowStep;
  answer: HttpResponse;
  sent: { headers: Record<string, string>; body?: unknown };
  diagnosis: Diagnosis;
  /** Size of --server-log before the request went out: what the server wrote after it is this request's. */
  logOffset?: number;
}

export interface PassResult {
  ok: boolean;
  records: StepRecord[];
  failure?: Failure;
  signupAccepted: boolean;
}

export interface PassContext {
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
  /** --server-log: its size is noted before each request. */
  serverLog?: string;
}

/** Said wherever a cut answer is reported: what was kept, and that the rest was never read. */
export function truncationNote(answer: { truncatedAt?: number }): string {
  if (answer.truncatedAt === undefined) return '';
  return ` (answer longer than ${Math.round(answer.truncatedAt / 1024 / 1024)} MB: kept the first ${Math.round(answer.truncatedAt / 1024 / 1024)} MB, stopped reading)`;
}

function logSize(file: string | undefined): number | undefined {
  if (!file) return undefined;
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

/** A redirect target as a path when it stays on the same origin; never its query, which may carry a token. */
function shownLocation(location: string, from: string): string {
  try {
    const target = new URL(location, from);
    return target.origin === new URL(from).origin ? target.pathname : `${target.origin}${target.pathname}`;
  } catch {
    return location.split('?')[0]!;
  }
}

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  sentBody?: unknown;
}

function buildRequest(step: FlowStep, ctx: PassContext): Sent {
  const where = `step "${step.name}"`;
  const path = fillTemplate(step.path, ctx.vars, where);
  const headers = fillTemplate(step.headers ?? {}, ctx.vars, where);
  let body: string | undefined;
  let sentBody: unknown;
  if (step.json !== undefined) {
    sentBody = fillTemplate(step.json, ctx.vars, where);
    if (step.role === 'signup' && sentBody && typeof sentBody === 'object' && !Array.isArray(sentBody)) sentBody = { ...sentBody, ...ctx.extraBody };
    body = JSON.stringify(sentBody);
    headers['Content-Type'] ??= 'application/json';
  } else if (step.form !== undefined) {
    sentBody = fillTemplate(step.form, ctx.vars, where);
    if (step.role === 'signup') sentBody = { ...(sentBody as Record<string, string>), ...ctx.extraBody };
    body = new URLSearchParams(sentBody as Record<string, string>).toString();
    headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
  }
  return { method: step.method.toUpperCase(), path, headers, body, sentBody };
}

/** Whether the step's answer must be JSON: POSTs by default, except forms and steps expecting a redirect. */
function wantsJson(step: FlowStep, method: string, expected: boolean): boolean {
  if (step.response) return step.response === 'json';
  const jsonCapture = expected && Object.values(step.capture ?? {}).some((c) => 'json' in c);
  if (method === 'GET') return jsonCapture;
  if (step.form !== undefined || (step.expect ?? []).some((s) => s >= 300 && s < 400)) return jsonCapture;
  return true;
}

export async function runSteps(steps: FlowStep[], ctx: PassContext, start: { records: StepRecord[]; signupAccepted: boolean }): Promise<PassResult> {
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
    const req = buildRequest(step, ctx);
    const { method, path, headers } = req;
    const logOffset = logSize(ctx.serverLog);
    const answer = await client.send({ method, path, headers, body: req.body });
    const first = answer.hops[0]?.status ?? answer.status;
    // A redirect is judged by the server's first answer; a flow written for the final page still passes.
    const expected = step.expect ? step.expect.includes(first) || step.expect.includes(answer.status) : answer.status >= 200 && answer.status < 300;
    const record: StepRecord = { ...(ctx.clientNo ? { client: ctx.clientNo } : {}), attempt: ctx.attempt, name: step.name, method, path, status: first, ms: answer.ms, ok: expected, result: '' };
    if (answer.hops.length) {
      // Without the query: a redirect may carry a token (a confirmation key) that output must not show.
      record.hops = answer.hops.map((h) => ({ status: h.status, location: shownLocation(h.location, h.url) }));
      record.finalStatus = answer.status;
    }
    if (answer.truncatedAt !== undefined) record.bodyTruncatedAt = answer.truncatedAt;
    records.push(record);
    const sent = { headers, body: req.sentBody };
    const fail = (diagnosis: Diagnosis): PassResult => {
      record.ok = false;
      record.result = diagnosis.finding.title;
      return { ok: false, records, failure: { step, answer, sent, diagnosis, ...(logOffset !== undefined ? { logOffset } : {}) }, signupAccepted };
    };
    const wantJson = wantsJson(step, method, expected);
    // A 5xx with no body (Rails' production 500 without public/500.html) is still a server error to explain.
    const serverError = answer.status >= 500 && !expected;
    if (answer.body.trim() === '' && !(expected && !wantJson) && !serverError) {
      throw new HealfixError(`${method} ${path} answered ${answer.status} with an empty body`, { hint: 'Is --url the app itself and not a proxy or another service?' });
    }
    if (wantJson && !parseJson(answer.body) && answer.status !== 429 && !serverError) {
      const kind = isHtml(answer) ? 'an HTML page' : `${answer.headers['content-type'] ?? 'untyped'} text`;
      throw new HealfixError(`${method} ${path} answered ${answer.status} with ${kind}, not JSON${answer.status === 404 ? ' (no such endpoint)' : ''}${truncationNote(answer)}`, {
        hint: 'Check --url (the app base URL) and --profile, or describe the endpoints with --flow FILE (a form step: "form", "expect": [302]).',
      });
    }
    // A re-rendered form (200 or 422) is a refusal quoting the framework's words, expected status or not.
    const refused = answer.status < 500 && answer.status !== 429 ? refusedByPage(step, answer, `${method} ${path}`) : undefined;
    if (!expected && !refused) return fail(diagnoseAnswer(step, answer, flow, sent));
    const broken = refused ?? judgeAnswer(step, answer, `${method} ${path}`);
    if (broken) {
      return fail({
        kind: broken.refused ? 'validation' : 'unexpected',
        ...(broken.refused ? { message: broken.refused.join('; ') } : {}),
        finding: { check: 'register-test', severity: 'error', subject: `${method} ${path}`, title: broken.title, hint: broken.hint },
      });
    }
    if (step.role === 'signup') signupAccepted = true;
    for (const [name, capture] of Object.entries(step.capture ?? {})) {
      const value = await readCapture(capture, { ...answer, cookie: (n) => client.cookie(n) });
      if (value === undefined) {
        if (capture.optional || vars[name] !== undefined) continue;
        const title = `${method} ${path}: "${name}" not found in the answer`;
        const result = fail({ kind: 'unexpected', finding: { check: 'register-test', severity: 'error', title, hint: 'Fix the capture in the flow file.' } });
        record.result = `capture "${name}" not found in the answer`;
        return result;
      }
      vars[name] = value;
      if (isSecretVariable(name, capture)) secrets.add(value);
    }
    record.result = isHtml(answer) ? 'ok' : (serverMessage(answer)?.slice(0, 80) ?? 'ok');
    if (record.hops) record.result = `${record.result} (${record.hops.map((h) => `${h.status} → ${h.location}`).join(', ')} → ${answer.status})`;
    record.result += truncationNote(answer);
  }
  for (const v of await client.cookieValues()) secrets.add(v);
  return { ok: true, records, signupAccepted };
}
