/**
 * Flow files: what register-test replays. The built-in profiles (flows/csrf-json.json, flows/otp.json) are
 * flow files too, and the examples for `--flow FILE` (JSON or YAML).
 */
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { UsageError } from '../errors.js';
import { isSecretKey } from '../secrets.js';

export type Capture =
  | { json: string; secret?: boolean; optional?: boolean }
  | { header: string; secret?: boolean; optional?: boolean }
  /** urlDecode: the value as a browser script reads it (axios sends XSRF-TOKEN decoded in X-XSRF-TOKEN). */
  | { cookie: string; sessionField?: string; urlDecode?: boolean; secret?: boolean; optional?: boolean }
  | { regex: string; group?: number; secret?: boolean; optional?: boolean }
  | { hidden: string; secret?: boolean; optional?: boolean }
  | { meta: string; secret?: boolean; optional?: boolean };

export interface FlowStep {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** A JSON body template; string values may hold {{variables}}. */
  json?: unknown;
  /** A form body template (application/x-www-form-urlencoded). */
  form?: Record<string, string>;
  /**
   * Statuses that count as success (default: a final 2xx). A redirect is judged by the server's first
   * answer: `expect: [302]` passes on the 302 itself, not on the page it leads to.
   */
  expect?: number[];
  /** Texts the final page must show (e.g. "Verify your e-mail address"). */
  text?: string[];
  /** Texts the final page must not show (e.g. "already registered"). */
  notText?: string[];
  /** The path the client ends on after redirects ("/accounts/confirm-email/"). */
  finalUrl?: string;
  /** Where the first redirect points (its Location, as a path). */
  location?: string;
  /** What the answer should be: 'json' (default for POST) or 'html' / 'any'. */
  response?: 'json' | 'html' | 'any';
  capture?: Record<string, Capture>;
  /** What the step is, for the diagnosis and --race: 'csrf', 'signup', 'page', 'verify'. */
  role?: 'csrf' | 'signup' | 'page' | 'verify' | 'other';
}

export interface FlowTableRef {
  table: string;
  column: string;
  /** A template: '{{email}}'. */
  value: string;
}

export interface FlowDatabase {
  /** Tables the signup writes to: a 500 scans their sequences. */
  writes?: string[];
  /** Where the created account lives. */
  account?: FlowTableRef;
  /** Pending-signup rows (temp registrations, OTPs) this run leaves behind. */
  pending?: FlowTableRef[];
  /** Rows deleted by --cleanup, in this order (each matched by one column = this run's value). */
  cleanup?: FlowTableRef[];
  /** Reads the OTP: an SQL query with ? placeholders and templated parameters. */
  otp?: { sql: string; params: string[] };
}

export interface Flow {
  name: string;
  description?: string;
  /** Which app this flow was written against (docs only). */
  app?: string;
  /** Defaults for variables (templates allowed); generated values and --field override them. */
  variables?: Record<string, string>;
  steps: FlowStep[];
  database?: FlowDatabase;
  /** Messages meaning a stale or overwritten OTP session. */
  sessionErrors?: string[];
}

export type BuiltinProfile = 'csrf-json' | 'otp';

export function builtinFlowUrl(profile: BuiltinProfile): URL {
  // From dist/http/ or src/http/, the package root is two levels up.
  return new URL(`../../flows/${profile}.json`, import.meta.url);
}

export function loadBuiltinFlow(profile: BuiltinProfile): Flow {
  return parseFlow(readFileSync(builtinFlowUrl(profile), 'utf8'), `${profile}.json`);
}

export async function loadFlowFile(path: string): Promise<Flow> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --flow ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (/\.ya?ml$/i.test(path)) {
    const { parse } = await import('yaml');
    let value: unknown;
    try {
      value = parse(text);
    } catch (error) {
      throw new UsageError(`--flow ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    }
    return validateFlow(value, path);
  }
  return parseFlow(text, path);
}

export function parseFlow(text: string, name: string): Flow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--flow ${name} is not valid JSON: ${(error as Error).message}`);
  }
  return validateFlow(value, name);
}

export function validateFlow(value: unknown, name: string): Flow {
  const fail = (what: string) => {
    throw new UsageError(`--flow ${name}: ${what}`);
  };
  if (!value || typeof value !== 'object') fail('expected an object with "steps"');
  const flow = value as Flow;
  // A misspelt key ("expects", "captures") was ignored silently and the flow ran without it: name it.
  unknownKeys(flow, FLOW_KEYS, 'the flow', fail);
  if (flow.database && typeof flow.database === 'object') unknownKeys(flow.database, DATABASE_KEYS, '"database"', fail);
  if (!Array.isArray(flow.steps) || flow.steps.length === 0) fail('"steps" must be a non-empty list');
  flow.steps.forEach((step, i) => {
    if (!step || typeof step !== 'object') fail(`step ${i + 1} is not an object`);
    if (typeof step.method !== 'string' || !/^[A-Za-z]+$/.test(step.method)) fail(`step ${i + 1} needs a "method"`);
    unknownKeys(step, STEP_KEYS, `step ${i + 1}`, fail);
    if (typeof step.path !== 'string' || step.path === '') fail(`step ${i + 1} needs a "path"`);
    if (isAbsoluteUrl(step.path)) fail(`step ${i + 1} "path" is a full URL (${step.path}): give a path on --url, e.g. "/signup"`);
    if (step.json !== undefined && step.form !== undefined) fail(`step ${i + 1} has both "json" and "form"`);
    for (const key of ['finalUrl', 'location'] as const) {
      const v = step[key];
      if (v !== undefined && (typeof v !== 'string' || !v.startsWith('/'))) fail(`step ${i + 1} "${key}" must be a path starting with / (e.g. "/welcome")`);
    }
    for (const key of ['text', 'notText'] as const) {
      const v = step[key];
      if (v !== undefined && (!Array.isArray(v) || v.some((t) => typeof t !== 'string' || t === ''))) fail(`step ${i + 1} "${key}" must be a list of texts`);
    }
    step.name ??= `${step.method.toUpperCase()} ${step.path}`;
    for (const [key, capture] of Object.entries(step.capture ?? {})) {
      if (capture && typeof capture === 'object') unknownKeys(capture, CAPTURE_KEYS, `capture "${key}" of step ${i + 1}`, fail);
      const kinds = ['json', 'header', 'cookie', 'regex', 'hidden', 'meta'].filter((k) => k in (capture as object));
      if (kinds.length !== 1) fail(`capture "${key}" of step ${i + 1} needs exactly one of json, header, cookie, regex, hidden, meta`);
      if ('regex' in capture) {
        try {
          new RegExp(capture.regex);
        } catch {
          fail(`capture "${key}" has an invalid regex`);
        }
      }
    }
  });
  flow.name ??= name;
  return flow;
}

const FLOW_KEYS = ['$schema', 'name', 'description', 'app', 'variables', 'steps', 'database', 'sessionErrors'];
const STEP_KEYS = ['name', 'method', 'path', 'headers', 'json', 'form', 'expect', 'text', 'notText', 'finalUrl', 'location', 'response', 'capture', 'role'];
const CAPTURE_KEYS = ['json', 'header', 'cookie', 'sessionField', 'urlDecode', 'regex', 'group', 'hidden', 'meta', 'secret', 'optional'];
const DATABASE_KEYS = ['writes', 'account', 'pending', 'cleanup', 'otp'];

function unknownKeys(value: object, known: string[], where: string, fail: (what: string) => void): void {
  const unknown = Object.keys(value).filter((k) => !known.includes(k));
  if (unknown.length) fail(`${where} has unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`);
}

/** "http://other/x", "//other/x": a step that would leave the --url host. */
export function isAbsoluteUrl(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(path.trim()) || /^[\\/]{2}/.test(path.trim());
}

// ------------------------------------------------------------ templates

const VARIABLE = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

export function templateVariables(value: unknown): string[] {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') for (const m of v.matchAll(VARIABLE)) out.add(m[1]!);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return [...out];
}

/** Fills {{variables}}; a string that is exactly one variable keeps nothing but its value. */
export function fillTemplate<T>(value: T, vars: Record<string, string>, where: string): T {
  const one = (s: string): string =>
    s.replace(VARIABLE, (_m, name: string) => {
      const v = vars[name];
      if (v === undefined) throw new UsageError(`${where} uses {{${name}}}, which nothing sets`, { hint: `Set it with --field ${name}=VALUE or capture it in an earlier step.` });
      return v;
    });
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return one(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

// ------------------------------------------------------------ captures

export interface CaptureSource {
  status: number;
  headers: Record<string, string>;
  body: string;
  cookie(name: string): Promise<string | undefined>;
}

/** Reads one capture; undefined when absent. */
export async function readCapture(capture: Capture, res: CaptureSource): Promise<string | undefined> {
  if ('json' in capture) {
    try {
      const v = jsonPath(JSON.parse(res.body), capture.json);
      return v === undefined || v === null ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v);
    } catch {
      return undefined;
    }
  }
  if ('header' in capture) return res.headers[capture.header.toLowerCase()];
  if ('cookie' in capture) {
    const raw = await res.cookie(capture.cookie);
    const value = raw !== undefined && capture.urlDecode ? safeDecodeUri(raw) : raw;
    if (value === undefined || !capture.sessionField) return value;
    const field = decodeSessionCookie(value)?.[capture.sessionField];
    return field === undefined || field === null ? undefined : String(field);
  }
  if ('regex' in capture) return new RegExp(capture.regex).exec(res.body)?.[capture.group ?? 1];
  if ('hidden' in capture) return htmlAttrOf(res.body, 'input', 'name', capture.hidden, 'value');
  return htmlAttrOf(res.body, 'meta', 'name', capture.meta, 'content');
}

/** $.a.b[0].c or a.b.0.c */
export function jsonPath(value: unknown, path: string): unknown {
  const parts = path.replace(/^\$\.?/, '').replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean);
  let cur: unknown = value;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function htmlAttrOf(html: string, tag: string, keyAttr: string, key: string, valueAttr: string): string | undefined {
  const tags = html.match(new RegExp(`<${tag}\\b[^>]*>`, 'gi')) ?? [];
  for (const t of tags) {
    const attrs: Record<string, string> = {};
    for (const m of t.matchAll(/([\w:-]+)\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))/g)) attrs[m[1]!.toLowerCase()] = m[3] ?? m[4] ?? m[5] ?? '';
    if (attrs[keyAttr] === key) return decodeEntities(attrs[valueAttr] ?? '');
  }
  return undefined;
}

function decodeEntities(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * Reads a signed-but-not-encrypted session cookie: Flask's itsdangerous format (`[.]payload.ts.sig`,
 * a leading dot meaning zlib-compressed) and plain `payload.sig`, payload being base64url JSON.
 */
export function decodeSessionCookie(value: string): Record<string, unknown> | undefined {
  const raw = value.replace(/^"|"$/g, '');
  const compressed = raw.startsWith('.');
  const payload = (compressed ? raw.slice(1) : raw).split('.')[0] ?? '';
  try {
    let buf = Buffer.from(payload, 'base64url');
    if (compressed) buf = inflateSync(buf);
    const v: unknown = JSON.parse(buf.toString('utf8'));
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a captured or configured variable must be masked in output. */
export function isSecretVariable(name: string, capture?: Capture): boolean {
  if (capture?.secret !== undefined) return capture.secret;
  return isSecretKey(name) || ('cookie' in (capture ?? {}) && !(capture as { sessionField?: string }).sessionField);
}

function safeDecodeUri(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
