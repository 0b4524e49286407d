/** Reads a failed answer and says why, in the words of the app's contract. Pure: no I/O. */
import type { Finding } from '../checks/types.js';
import { retryAfterSeconds } from './client.js';
import type { Flow, FlowStep } from './flow.js';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type FailureKind = 'rate-limited' | 'csrf' | 'server-error' | 'conflict' | 'otp-session' | 'otp-code' | 'validation' | 'unexpected';

export interface Diagnosis {
  kind: FailureKind;
  finding: Finding;
  /** Seconds to wait, for 429s that say so. */
  waitSec?: number;
  /** The server's error id, for 500s that carry one (Healing Space's error_id). */
  errorId?: string;
  /** The server's own message (error / message field, or the HTML text). */
  message?: string;
}

export function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function isHtml(answer: Answer): boolean {
  return /html/i.test(answer.headers['content-type'] ?? '') || /^\s*<(!doctype|html)/i.test(answer.body);
}

/** The server's message: JSON error/message, else the text of an HTML page's h1 and p. */
export function serverMessage(answer: Answer): string | undefined {
  const json = parseJson(answer.body);
  if (json) {
    const m = json.error ?? json.message ?? json.detail;
    return typeof m === 'string' ? m : undefined;
  }
  if (isHtml(answer)) {
    const parts = [...answer.body.matchAll(/<(h1|p)\b[^>]*>([\s\S]*?)<\/\1>/gi)].map((m) => m[2]!.replace(/<[^>]+>/g, '').trim());
    return parts.filter(Boolean).join(': ') || undefined;
  }
  return answer.body.trim().slice(0, 200) || undefined;
}

/** Seconds to wait out a 429: Retry-After, a retry_after field, or "Please wait N seconds". */
export function waitSeconds(answer: Answer): { seconds?: number; source?: string; limiter?: string } {
  const header = retryAfterSeconds(answer.headers['retry-after']);
  if (header !== undefined) return { seconds: header, source: 'Retry-After header' };
  const json = parseJson(answer.body);
  const field = json?.retry_after;
  if (typeof field === 'number' || (typeof field === 'string' && /^\d+$/.test(field))) return { seconds: Number(field), source: 'retry_after field' };
  const text = serverMessage(answer) ?? '';
  const m = /wait\s+(\d+)\s*(second|sec|s\b|minute|min)/i.exec(text);
  if (m) return { seconds: Number(m[1]) * (/^min/i.test(m[2]!) ? 60 : 1), source: `"${m[0]}"` };
  const rate = /(\d+)\s+per\s+(\d+)\s+(second|minute|hour|day)s?/i.exec(text);
  if (rate) return { limiter: `${rate[1]} per ${rate[2]} ${rate[3]}` };
  return {};
}

const CSRF_HEADER = /csrf|xsrf/i;

/**
 * The per-field messages of a JSON validation answer: `errors` as { field: [msg] } (Laravel, Rails APIs),
 * as [msg] or [{ message | msg | detail }] (express-validator, JSON:API, FastAPI), or DRF's top-level
 * { field: [msg] }.
 */
export function fieldErrors(json: Record<string, unknown> | undefined): string[] {
  if (!json) return [];
  const text = (v: unknown): string[] => {
    if (typeof v === 'string') return [v];
    if (Array.isArray(v)) return v.flatMap(text);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const m = o.message ?? o.msg ?? o.detail;
      return typeof m === 'string' ? [m] : [];
    }
    return [];
  };
  const errors = json.errors;
  if (errors && typeof errors === 'object') return [...new Set(Array.isArray(errors) ? text(errors) : Object.values(errors).flatMap(text))];
  const drf = Object.values(json).filter((v) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));
  return [...new Set(drf.flatMap(text))];
}

/**
 * Where this flow gets its token, in its own words: the step that captures it. No app's endpoint is named
 * unless the flow itself uses it (the csrf-json profile's GET /api/csrf-token).
 */
function csrfHint(flow: Flow, sent: boolean): string {
  const source = flow.steps.find((s) => s.role === 'csrf' || Object.keys(s.capture ?? {}).some((k) => CSRF_HEADER.test(k)));
  const from = source ? `step "${source.name}" (${source.method.toUpperCase()} ${source.path})` : undefined;
  if (sent) {
    return from
      ? `Send the token captured by ${from} back unchanged, with the cookies of the same session; check that the flow captures it from the right step.`
      : 'Send the token back unchanged, with the cookies of the session that received it.';
  }
  return from
    ? `Send the token captured by ${from} with this request (a header or a form field, as the app expects).`
    : 'GET the form (or the token endpoint) first, keep its cookies, and send its CSRF token back: a hidden input, <meta name="csrf-token">, or the cookie mirrored into a header (XSRF-TOKEN → X-XSRF-TOKEN).';
}

export function diagnoseAnswer(step: FlowStep, answer: Answer, flow: Flow, sent: { headers: Record<string, string>; body?: unknown }): Diagnosis {
  const where = `${step.method.toUpperCase()} ${step.path}`;
  const message = serverMessage(answer);
  const said = message ? `: "${message}"` : '';
  const base = { check: 'register-test', subject: where } as const;

  if (answer.status === 429) {
    const wait = waitSeconds(answer);
    const limiter = wait.limiter
      ? `the per-endpoint limiter (${wait.limiter}, HTML page)`
      : parseJson(answer.body)?.code === 'RATE_LIMITED' || /too many requests/i.test(message ?? '')
        ? 'the register limiter'
        : 'a rate limiter';
    const waitText = wait.seconds !== undefined ? `wait ${wait.seconds}s (from the ${wait.source})` : wait.limiter ? `its window is ${wait.limiter.replace(/^\d+ per /, '')}` : 'no wait time given';
    return {
      kind: 'rate-limited',
      waitSec: wait.seconds,
      message,
      finding: {
        ...base,
        severity: 'error',
        title: `rate limited by ${limiter}: ${waitText}`,
        detail: `${where} answered 429${said}. Every attempt that passes CSRF counts, failed ones too; limiter state lives in the app's memory.`,
        hint: wait.seconds !== undefined ? `Re-run with --wait to sleep ${wait.seconds}s and retry once, or restart the app to clear in-memory limits.` : 'Wait for the window to pass or restart the app.',
        nextCommand: 'healfix rate-limits',
      },
    };
  }

  const json = parseJson(answer.body);
  if (answer.status === 403 && (json?.code === 'CSRF_FAILED' || /csrf/i.test(message ?? ''))) {
    const csrfHeaders = Object.entries(sent.headers).filter(([k]) => CSRF_HEADER.test(k));
    const bodyToken = sent.body && typeof sent.body === 'object' ? Object.keys(sent.body).find((k) => CSRF_HEADER.test(k)) : undefined;
    const what = csrfHeaders.length
      ? `the token was sent in ${csrfHeaders.map(([k]) => k).join(', ')} and rejected`
      : bodyToken
        ? `the token was sent in the body field ${bodyToken} and rejected`
        : 'the request carried no CSRF token (no X-CSRF-Token / X-CSRFToken header, no _csrf_token field)';
    return {
      kind: 'csrf',
      message,
      finding: {
        ...base,
        severity: 'error',
        title: `CSRF check failed: ${what}`,
        detail: `${where} answered 403${said}.`,
        hint: csrfHint(flow, Boolean(csrfHeaders.length || bodyToken)),
      },
    };
  }

  if (answer.status >= 500) {
    const errorId = typeof json?.error_id === 'string' ? json.error_id : undefined;
    return {
      kind: 'server-error',
      errorId,
      message,
      finding: {
        ...base,
        severity: 'error',
        title: `server error ${answer.status}${errorId ? ` (error_id ${errorId})` : ''}`,
        detail: `${where} answered ${answer.status}${said}. The real cause is only in the server log.`,
        hint: 'Give a database (--database-url) to scan its sequences, and --server-log FILE to find the log line.',
      },
    };
  }

  if (answer.status === 409) {
    return {
      kind: 'conflict',
      message,
      finding: {
        ...base,
        severity: 'error',
        title: `the generated user was refused as a duplicate${said}`,
        detail: 'The username, email and phone are new on every run: either a leftover from an earlier run with the same --field values, or the app checks uniqueness wrongly (case, trimming, another table).',
        hint: 'Re-run without fixed --field values; if it persists, look at how the app looks up existing users.',
      },
    };
  }

  const sessionError = (flow.sessionErrors ?? []).find((s) => message?.includes(s));
  if (sessionError) {
    return {
      kind: 'otp-session',
      message,
      finding: {
        ...base,
        severity: 'error',
        title: `the verification session no longer matches a pending signup${said}`,
        detail:
          'The session cookie holds a temp id whose temp_registrations row is gone: a second signup for the same email replaced it (email is UNIQUE), or it expired; the server logs "No temp_registration found for temp_id: ...".',
        hint: 'Look at the pending rows for this email; `--race 2` reproduces the overwrite on demand.',
        nextCommand: `healfix temp-registrations --email ${String((sent.body as Record<string, unknown> | undefined)?.email ?? '<email>')}`,
      },
    };
  }

  if (/verification code/i.test(message ?? '') && answer.status === 400) {
    return {
      kind: 'otp-code',
      message,
      finding: { ...base, severity: 'error', title: `the OTP was refused${said}`, hint: 'Use --otp-from db to read the code the server stored, or check the code you typed.' },
    };
  }

  const fields = answer.status === 400 || answer.status === 422 ? fieldErrors(json) : [];
  if (fields.length) {
    return {
      kind: 'validation',
      message: fields.join('; '),
      finding: {
        ...base,
        severity: 'error',
        title: `${where} refused the data: ${fields.map((f) => `"${f}"`).join('; ')}`,
        detail: `${where} answered ${answer.status}${said}.`,
        hint: 'The app validated the generated data and created nothing; adjust it with --field key=value.',
      },
    };
  }

  return {
    kind: answer.status === 400 || answer.status === 422 ? 'validation' : 'unexpected',
    message,
    finding: {
      ...base,
      severity: 'error',
      title: `${where} answered ${answer.status}${said}`,
      hint: answer.status === 400 ? 'The app refused the generated data: adjust it with --field key=value.' : undefined,
    },
  };
}
