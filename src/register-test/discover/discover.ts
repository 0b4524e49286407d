/**
 * `register-test --profile auto`: finds the signup the way a person would — the app's own links on `/`, the
 * paths its framework uses (knowledge entries' signupProfile), the paths most apps use — and reads the form
 * (or a JSON API's validation answer) into a flow. Returns the flow and, line by line, what it saw and why.
 * Core: no printing; HTTP through the injected client.
 */
import { UsageError } from '../../errors.js';
import type { HttpRequest, HttpResponse } from '../../http/client.js';
import { loadBuiltinFlow, type BuiltinProfile, type Flow } from '../../http/flow.js';
import { STACKS } from '../../knowledge/index.js';
import type { HttpProbe, StackKnowledge } from '../../knowledge/types.js';
import { CSRF_COOKIE_HEADERS } from './fields.js';
import { buildFormFlow, findCsrf, pickSignupForm } from './form-flow.js';
import { parseForms, parseLinks } from './html-form.js';
import { buildJsonFlow, fieldsFromValidationError, isSchemaError } from './json-api.js';

/** Where most apps put a signup form, whatever their framework. Stack-specific paths live in src/knowledge. */
export const GENERIC_FORM_PATHS = ['/register', '/signup', '/sign-up', '/sign_up', '/join', '/auth/register', '/auth/signup', '/account/register', '/accounts/register/', '/users/new', '/registration'];
/** Where most JSON APIs take a signup. */
export const GENERIC_API_PATHS = ['/api/users', '/api/auth/register', '/api/auth/signup', '/api/register', '/api/signup', '/api/v1/auth/register', '/api/v1/users', '/auth/v1/signup'];
/** Link texts a person would click to sign up. */
export const SIGNUP_LINK = /\bsign\s*-?\s*up\b|\bregist(er|ration)\b|create (an |your )?account|^join\b|get started/i;

export interface DiscoveryClient {
  send(req: HttpRequest): Promise<HttpResponse>;
  cookie(name: string): Promise<string | undefined>;
}

export interface Discovery {
  flow: Flow;
  /** 'healing-space', 'django-allauth', 'form', 'json-api': what the flow was recognised as. */
  profile: string;
  stack?: StackKnowledge;
  /** What discovery saw and why it chose this flow, one line each, safe to print. */
  explanation: string[];
}

export interface DiscoverOptions {
  stacks?: readonly StackKnowledge[];
}

export async function discoverSignup(client: DiscoveryClient, options: DiscoverOptions = {}): Promise<Discovery> {
  const stacks = options.stacks ?? STACKS;
  const explanation: string[] = [];
  const tried: string[] = [];

  const probed: string[] = [];
  const seed = await recogniseBuiltinApp(client, stacks, probed);
  if (seed) return seed;
  if (probed.length) explanation.push(`not a seed app: ${probed.map((t) => t.replace(/^GET /, '')).join(', ')}`);

  const home = await client.send({ method: 'GET', path: '/' });
  const base = new URL(home.url);
  const linked = home.status === 200 ? signupLinks(home.body, base) : [];
  explanation.push(linked.length ? `GET / answered ${home.status}; its signup link${linked.length > 1 ? 's' : ''}: ${linked.map((l) => `"${l.text}" -> ${l.path}`).join(', ')}` : `GET / answered ${home.status} with no link named sign up or register`);

  const formPaths = unique([...linked.map((l) => l.path), ...stacks.flatMap((s) => (s.signupProfile?.kind === 'form' ? s.signupProfile.paths : [])), ...GENERIC_FORM_PATHS]);
  for (const path of formPaths) {
    const page = await client.send({ method: 'GET', path });
    tried.push(`GET ${path} ${page.status}`);
    if (page.status !== 200 || !/html/i.test(page.headers['content-type'] ?? '')) continue;
    const forms = parseForms(page.body);
    const pagePath = pathOf(page.url);
    const stack = stackOfPage(stacks, pagePath, page.body);
    const signup = pickSignupForm(forms, stack);
    if (!signup) {
      if (forms.length) explanation.push(`GET ${path} has ${forms.length} form${forms.length > 1 ? 's' : ''} but none with a password and an email or username`);
      continue;
    }
    const cookies = await cookieNames(client, stack);
    const csrf = findCsrf(page.body, signup.form, cookies, stack);
    const built = buildFormFlow({ pagePath, pageUrl: page.url, page: page.body, signup, csrf, stack });
    const post = built.flow.steps[1]!;
    explanation.push(
      `GET ${path}${pagePath !== path ? ` (redirected to ${pagePath})` : ''} answered 200 with a signup form: ${post.method} ${post.path}`,
      ...built.fields.map((f) => `  ${f}`),
      csrfLine(csrf),
      stack ? `recognised as ${stack.title}: ${stack.signupProfile!.means}` : `no known stack's markup: a generic form; success is taken as ${post.expect!.join('/')} (edit "expect" in a saved flow if the app answers otherwise)`,
    );
    if (!stack?.signupProfile?.account) explanation.push('no account table known for this stack: give a flow with database.account to have the account row checked');
    return { flow: built.flow, profile: stack?.id ?? 'form', ...(stack ? { stack } : {}), explanation };
  }
  explanation.push(`no signup form at ${tried.map((t) => t.replace(/^GET /, '')).join(', ')}`);

  const json = await discoverJsonApi(client, stacks, explanation);
  if (json) return json;
  throw new UsageError(`cannot find a signup form or API on ${base.origin}: ${explanation.at(-1)}`, {
    hint: 'Describe the signup in a flow file (see flows/*.json) and pass --flow FILE, or pick --profile csrf-json|otp.',
  });
}

/** The seed apps and any app-kind stack with a built-in flow: recognised by their own probes. */
async function recogniseBuiltinApp(client: DiscoveryClient, stacks: readonly StackKnowledge[], tried: string[]): Promise<Discovery | undefined> {
  for (const stack of stacks) {
    const builtin = stack.signup?.find((s) => s.file);
    if (stack.kind !== 'app' || !builtin || !stack.recognise.probes?.length) continue;
    for (const probe of stack.recognise.probes) {
      const answer = await client.send({ method: probe.method, path: probe.path });
      tried.push(`GET ${probe.path} ${answer.status}`);
      if (!probeMatches(probe, answer)) continue;
      return {
        flow: loadBuiltinFlow(builtin.profile as BuiltinProfile),
        profile: builtin.profile,
        stack,
        explanation: [`GET ${probe.path} answered ${answer.status}${answer.redirects ? ' after a redirect' : ''}: ${probe.means}`, `recognised as ${stack.title}: built-in flow ${builtin.file} (${builtin.description})`],
      };
    }
  }
  return undefined;
}

export function probeMatches(probe: HttpProbe, answer: Pick<HttpResponse, 'status' | 'body' | 'redirects'>): boolean {
  if (probe.status === undefined && probe.body === undefined) return answer.status === 200 || (answer.redirects > 0 && answer.status < 400);
  return (probe.status === undefined || probe.status === answer.status) && (probe.body === undefined || probe.body.test(answer.body));
}

async function discoverJsonApi(client: DiscoveryClient, stacks: readonly StackKnowledge[], explanation: string[]): Promise<Discovery | undefined> {
  const specific = stacks.flatMap((s) => (s.signupProfile?.kind === 'json' ? s.signupProfile.paths.map((path) => ({ path, stack: s })) : []));
  const paths = unique([...specific.map((s) => s.path), ...GENERIC_API_PATHS]);
  const mirror = await csrfCookieMirror(client);
  const answers: string[] = [];
  for (const path of paths) {
    const wrappers = unique(specific.filter((s) => s.path === path).map((s) => s.stack.signupProfile!.jsonWrapper ?? ''));
    for (const wrapper of wrappers.length ? wrappers : ['']) {
      const body = JSON.stringify(wrapper ? { [wrapper]: {} } : {});
      const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
      if (mirror) headers[mirror.header] = mirror.value;
      const answer = await client.send({ method: 'POST', path, headers, body });
      answers.push(`${path} ${answer.status}`);
      if (!isSchemaError(answer.status, answer.body)) continue;
      const fields = fieldsFromValidationError(answer.body);
      const stack = specific.find((s) => s.path === path && (s.stack.signupProfile!.jsonWrapper ?? '') === wrapper && (!s.stack.signupProfile!.marker || s.stack.signupProfile!.marker.test(answer.body)))?.stack;
      const built = buildJsonFlow({ path, fields, ...(stack ? { stack } : {}), ...(mirror ? { csrf: { cookie: mirror.cookie, header: mirror.header } } : {}) });
      explanation.push(
        `POST ${body} to ${path} answered ${answer.status} asking for ${fields.join(', ')}`,
        ...built.fields.map((f) => `  ${f}`),
        mirror ? `CSRF: cookie ${mirror.cookie} sent back in ${mirror.header}` : 'CSRF: none asked for',
        stack ? `recognised as ${stack.title}: ${stack.signupProfile!.means}` : `a generic JSON API: success is taken as ${built.flow.steps.at(-1)!.expect!.join('/')}`,
      );
      if (built.missing.length) explanation.push(`the answer names no ${built.missing.join(', ')} field: check the flow before trusting it`);
      return { flow: built.flow, profile: stack?.id ?? 'json-api', ...(stack ? { stack } : {}), explanation };
    }
  }
  explanation.push(`no JSON API answered POST {} with a list of missing fields (${answers.join(', ')})`);
  return undefined;
}

async function csrfCookieMirror(client: DiscoveryClient): Promise<{ cookie: string; header: string; value: string } | undefined> {
  for (const m of CSRF_COOKIE_HEADERS) {
    const value = await client.cookie(m.cookie);
    if (value) return { ...m, value: safeDecode(value) };
  }
  return undefined;
}

async function cookieNames(client: DiscoveryClient, stack?: StackKnowledge): Promise<string[]> {
  const names = unique([...(stack?.signupProfile?.csrfCookie ? [stack.signupProfile.csrfCookie.cookie] : []), ...CSRF_COOKIE_HEADERS.map((m) => m.cookie)]);
  const out: string[] = [];
  for (const n of names) if (await client.cookie(n)) out.push(n);
  return out;
}

/** The stack whose signup markup this page shows; a stack that serves this very path wins a tie. */
export function stackOfPage(stacks: readonly StackKnowledge[], path: string, html: string): StackKnowledge | undefined {
  const matching = stacks.filter((s) => s.signupProfile?.kind === 'form' && s.signupProfile.marker?.test(html));
  return matching.find((s) => s.signupProfile!.paths.includes(path)) ?? matching[0];
}

function signupLinks(html: string, base: URL): { text: string; path: string }[] {
  return parseLinks(html).flatMap((link) => {
    if (!SIGNUP_LINK.test(link.text) && !SIGNUP_LINK.test(link.href)) return [];
    try {
      const url = new URL(link.href, base);
      return url.origin === base.origin ? [{ text: link.text, path: `${url.pathname}${url.search}` }] : [];
    } catch {
      return [];
    }
  });
}

function csrfLine(csrf: ReturnType<typeof findCsrf>): string {
  if (csrf.how === 'hidden') return `CSRF: hidden input ${csrf.name}, read from the page on every run`;
  if (csrf.how === 'meta') return `CSRF: <meta name="${csrf.name}"> sent back in ${csrf.header}`;
  if (csrf.how === 'cookie') return `CSRF: cookie ${csrf.name} mirrored into ${csrf.header}`;
  return 'CSRF: none found in the form, its page or its cookies';
}

function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
