import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { retryAfterSeconds } from '../../src/http/client.js';
import { diagnoseAnswer, fieldErrors, waitSeconds } from '../../src/http/diagnose.js';
import { decodeSessionCookie, fillTemplate, loadBuiltinFlow, readCapture, validateFlow } from '../../src/http/flow.js';
import { generateTestUser, parseFields } from '../../src/register-test/index.js';

const answer = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, body, headers });

describe('waitSeconds', () => {
  it('reads Retry-After, retry_after and "Please wait N seconds", and names the HTML limiter', () => {
    expect(waitSeconds(answer(429, '', { 'retry-after': '12' }))).toEqual({ seconds: 12, source: 'Retry-After header' });
    expect(waitSeconds(answer(429, '{"code":"RATE_LIMITED","error":"Too many requests. Please wait 295 seconds.","retry_after":295}')).seconds).toBe(295);
    expect(waitSeconds(answer(429, '{"message":"Please wait 60 seconds before requesting a new code","status":"error"}')).seconds).toBe(60);
    expect(waitSeconds(answer(429, '<h1>Too Many Requests</h1><p>50 per 1 hour</p>', { 'content-type': 'text/html' }))).toEqual({ limiter: '50 per 1 hour' });
    expect(retryAfterSeconds(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThanOrEqual(29);
  });
});

describe('diagnoseAnswer', () => {
  const flow = loadBuiltinFlow('otp');
  const step = flow.steps[2]!;
  it('explains a stale OTP session and points at temp-registrations', () => {
    const d = diagnoseAnswer(step, answer(400, '{"message":"Invalid verification session","status":"error"}'), flow, { headers: {}, body: { email: 'a@b.co' } });
    expect(d.kind).toBe('otp-session');
    expect(d.finding.nextCommand).toBe('healfix temp-registrations --email a@b.co');
  });
  it('says which CSRF header was sent and rejected', () => {
    const d = diagnoseAnswer(step, answer(403, '{"code":"CSRF_FAILED","error":"CSRF token missing or invalid"}'), flow, { headers: { 'X-CSRF-Token': 'x' } });
    expect(d.finding.title).toBe('CSRF check failed: the token was sent in X-CSRF-Token and rejected');
  });
  it('CSRF advice names the flow\'s own token step, never another app\'s endpoint', async () => {
    const { readFileSync } = await import('node:fs');
    const django = validateFlow((await import('yaml')).parse(readFileSync(new URL('../fixtures/flows/django-allauth.yaml', import.meta.url), 'utf8')), 'django-allauth.yaml');
    const page = readFileSync(new URL('../fixtures/frameworks/django/csrf-403.html', import.meta.url), 'utf8');
    const d = diagnoseAnswer(django.steps[1]!, answer(403, page, { 'content-type': 'text/html' }), django, { headers: {}, body: { csrfmiddlewaretoken: 'x' } });
    expect(d.kind).toBe('csrf');
    expect(d.finding.title).toBe('CSRF check failed: the token was sent in the body field csrfmiddlewaretoken and rejected');
    expect(d.finding.hint).toBe('Send the token captured by step "signup form" (GET /accounts/signup/) back unchanged, with the cookies of the same session; check that the flow captures it from the right step.');
    expect(d.finding.hint).not.toContain('/api/csrf-token');
  });
  it('quotes the per-field messages of a JSON validation answer (Laravel\'s 422, DRF\'s 400)', () => {
    const laravel = diagnoseAnswer(step, answer(422, '{"message":"The given data was invalid.","errors":{"password":["The password must be at least 8 characters."],"email":["The email has already been taken."]}}'), flow, { headers: {} });
    expect(laravel.kind).toBe('validation');
    expect(laravel.finding.title).toBe('POST /auth/api/verify-otp refused the data: "The password must be at least 8 characters."; "The email has already been taken."');
    expect(fieldErrors({ username: ['A user with that username already exists.'], detail: 'x' })).toEqual(['A user with that username already exists.']);
    expect(fieldErrors({ errors: [{ msg: 'Invalid value', path: 'email' }] })).toEqual(['Invalid value']);
    expect(fieldErrors({ error: 'nope' })).toEqual([]);
  });
  it('keeps the error_id of a 500', () => {
    const d = diagnoseAnswer(step, answer(500, '{"code":"INTERNAL_ERROR","error":"An unexpected error occurred. Please try again.","error_id":"849e6587"}'), flow, { headers: {} });
    expect(d).toMatchObject({ kind: 'server-error', errorId: '849e6587' });
  });
});

describe('flows and captures', () => {
  const res = (body: string, headers: Record<string, string> = {}, cookies: Record<string, string> = {}) => ({
    status: 200,
    body,
    headers,
    cookie: async (n: string) => cookies[n],
  });
  it('captures JSON paths, headers, hidden inputs, meta tags, regexes and session cookie fields', async () => {
    expect(await readCapture({ json: '$.a.b[1]' }, res('{"a":{"b":[1,"x"]}}'))).toBe('x');
    expect(await readCapture({ header: 'X-Token' }, res('', { 'x-token': 't' }))).toBe('t');
    expect(await readCapture({ hidden: 'csrf_token' }, res('<input type="hidden" name="csrf_token" value="abc&amp;d">'))).toBe('abc&d');
    expect(await readCapture({ meta: 'csrf-token' }, res('<meta content="m1" name="csrf-token">'))).toBe('m1');
    expect(await readCapture({ regex: 'data-temp-user-id="(temp_\\w+)"' }, res('<form data-temp-user-id="temp_ab12">'))).toBe('temp_ab12');
    const flask = `.${deflateSync(Buffer.from('{"temp_id":"temp_zz"}')).toString('base64url')}.ts.sig`;
    expect(await readCapture({ cookie: 'session', sessionField: 'temp_id' }, res('', {}, { session: flask }))).toBe('temp_zz');
    expect(decodeSessionCookie(`${Buffer.from('{"a":1}').toString('base64url')}.sig`)).toEqual({ a: 1 });
  });
  it('fills templates and refuses unknown variables and malformed flows', () => {
    expect(fillTemplate({ a: '{{x}}-{{ y }}' }, { x: '1', y: '2' }, 's')).toEqual({ a: '1-2' });
    expect(() => fillTemplate('{{nope}}', {}, 'step "a"')).toThrow('step "a" uses {{nope}}, which nothing sets');
    expect(() => validateFlow({ steps: [] }, 'f.json')).toThrow('"steps" must be a non-empty list');
    expect(() => validateFlow({ steps: [{ method: 'GET', path: '/', capture: { a: { json: '$', header: 'x' } } }] }, 'f')).toThrow(/exactly one/);
    expect(() => parseFields(['novalue'])).toThrow('--field must be key=value');
  });
  it('generates unique users with a strong password', () => {
    const a = generateTestUser('ci');
    const b = generateTestUser('ci');
    expect(a.username).not.toBe(b.username);
    expect(a.password.length).toBeGreaterThanOrEqual(12);
    for (const re of [/[A-Z]/, /[a-z]/, /\d/, /[^A-Za-z0-9]/]) expect(a.password).toMatch(re);
    expect(() => generateTestUser('bad prefix')).toThrow('--prefix');
  });
});
