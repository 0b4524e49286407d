import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateFlow } from '../../src/http/flow.js';
import { STACKS } from '../../src/knowledge/index.js';
import { stackOfPage } from '../../src/register-test/discover/discover.js';
import { buildFormFlow, findCsrf, pickSignupForm } from '../../src/register-test/discover/form-flow.js';
import { parseForms, parseLinks } from '../../src/register-test/discover/html-form.js';
import { buildJsonFlow, fieldsFromValidationError, isSchemaError } from '../../src/register-test/discover/json-api.js';
import { flowFileText } from '../../src/register-test/discover/save-flow.js';

const page = (stack: string, name = 'signup.html') => readFileSync(new URL(`../fixtures/frameworks/${stack}/${name}`, import.meta.url), 'utf8');

/** Reads a saved real page the way discovery does and returns the flow it would replay. */
function discoverPage(stack: string, path: string, cookies: string[] = [], file = 'signup.html') {
  const html = page(stack, file);
  const known = stackOfPage(STACKS, path, html);
  const signup = pickSignupForm(parseForms(html), known);
  if (!signup) throw new Error(`no signup form found in ${stack}/signup.html`);
  const csrf = findCsrf(html, signup.form, cookies, known);
  return { known, csrf, ...buildFormFlow({ pagePath: path, pageUrl: `http://127.0.0.1:8000${path}`, page: html, signup, csrf, stack: known }) };
}

describe('discovery over the saved real signup pages', () => {
  it('django-allauth: email, password1/password2, csrfmiddlewaretoken, a 302 on success, the account in account_emailaddress', () => {
    const { known, csrf, flow } = discoverPage('django', '/accounts/signup/');
    expect(known?.id).toBe('django-allauth');
    expect(csrf).toEqual({ how: 'hidden', name: 'csrfmiddlewaretoken' });
    const [get, post] = flow.steps;
    expect(get).toMatchObject({ method: 'GET', path: '/accounts/signup/', capture: { csrf: { hidden: 'csrfmiddlewaretoken', secret: true } } });
    expect(post).toMatchObject({ method: 'POST', path: '/accounts/signup/', expect: [302] });
    expect(post!.form).toEqual({ csrfmiddlewaretoken: '{{csrf}}', email: '{{email}}', password1: '{{password}}', password2: '{{password}}' });
    expect(flow.database?.account).toEqual({ table: 'account_emailaddress', column: 'email', value: '{{email}}' });
  });

  it('Devise: user[email], user[password], user[password_confirmation], authenticity_token, POST /users', () => {
    const { known, flow } = discoverPage('rails', '/users/sign_up');
    expect(known?.id).toBe('devise');
    const post = flow.steps[1]!;
    expect(post.path).toBe('/users');
    expect(post.form).toMatchObject({ authenticity_token: '{{csrf}}', 'user[email]': '{{email}}', 'user[password]': '{{password}}', 'user[password_confirmation]': '{{password}}', commit: 'Sign up' });
    expect(flow.database?.account?.table).toBe('users');
  });

  it('Laravel: name, email, password, password_confirmation, _token; {{full_name}} has a default', () => {
    const { known, csrf, flow } = discoverPage('laravel', '/register', ['XSRF-TOKEN']);
    expect(known?.id).toBe('laravel');
    expect(csrf).toEqual({ how: 'hidden', name: '_token' });
    expect(flow.steps[1]!.form).toEqual({ _token: '{{csrf}}', name: '{{full_name}}', email: '{{email}}', password: '{{password}}', password_confirmation: '{{password}}' });
    expect(flow.variables).toEqual({ full_name: 'Healfix Test' });
  });

  it('Express + csrf-csrf: the _csrf hidden input', () => {
    const { known, flow } = discoverPage('express', '/register');
    expect(known?.id).toBe('express-passport');
    expect(flow.steps[1]!.form).toEqual({ _csrf: '{{csrf}}', email: '{{email}}', password: '{{password}}', password_confirmation: '{{password}}' });
  });

  it("Django's UserCreationForm (rendered by Debian's Django 3.2): username, password1, password2, the auth_user row by username", () => {
    const { known, flow } = discoverPage('django', '/signup/', [], 'usercreationform.html');
    expect(known?.id).toBe('django');
    expect(flow.steps[1]!.form).toEqual({ csrfmiddlewaretoken: '{{csrf}}', username: '{{username}}', password1: '{{password}}', password2: '{{password}}' });
    expect(flow.database?.account).toEqual({ table: 'auth_user', column: 'username', value: '{{username}}' });
  });

  it('a page whose only form is a login form has no signup form', () => {
    const html = page('django', 'login-locked.html');
    expect(pickSignupForm(parseForms(html))).toBeUndefined();
  });

  it('without a hidden token: the meta csrf-token goes into X-CSRF-Token; else a CSRF cookie is mirrored', () => {
    const html = '<meta name="csrf-token" content="abc"><form method="post" action="/join"><input name="username"><input type="password" name="pw"><input type="checkbox" name="accept_terms" value="yes"><input type="text" name="company" required></form>';
    const signup = pickSignupForm(parseForms(html))!;
    const meta = buildFormFlow({ pagePath: '/join', pageUrl: 'http://x/join', page: html, signup, csrf: findCsrf(html, signup.form, []) });
    expect(meta.flow.steps[1]!.headers).toEqual({ 'X-CSRF-Token': '{{csrf}}' });
    expect(meta.flow.steps[0]!.capture).toEqual({ csrf: { meta: 'csrf-token', secret: true } });
    expect(meta.flow.steps[1]!.form).toEqual({ username: '{{username}}', pw: '{{password}}', accept_terms: 'yes', company: 'healfix' });
    const bare = html.replace(/<meta[^>]*>/, '');
    expect(findCsrf(bare, signup.form, ['XSRF-TOKEN'])).toEqual({ how: 'cookie', name: 'XSRF-TOKEN', header: 'X-XSRF-TOKEN' });
    expect(findCsrf(bare, signup.form, ['csrftoken'])).toEqual({ how: 'cookie', name: 'csrftoken', header: 'X-CSRFToken' });
    expect(findCsrf(bare, signup.form, [])).toEqual({ how: 'none' });
  });

  it('finds the sign-up link on a page', () => {
    expect(parseLinks(page('django')).filter((l) => /sign up/i.test(l.text))).toEqual([{ href: '/accounts/signup/', text: 'Sign Up' }]);
  });

  it('the saved flow is YAML that --flow reads back unchanged', async () => {
    const { flow } = discoverPage('rails', '/users/sign_up');
    const text = await flowFileText(flow, ['GET /users/sign_up answered 200'], 'yaml');
    expect(text).toMatch(/^# Written by healfix/);
    const { parse } = await import('yaml');
    expect(validateFlow(parse(text), 'saved.yaml')).toEqual(flow);
  });
});

describe('JSON APIs by their schema errors', () => {
  it.each([
    ['RealWorld', '{"errors":{"email":["can\'t be blank"],"username":["can\'t be blank"],"password":["can\'t be blank"]}}', ['email', 'username', 'password']],
    ['express-validator', '{"errors":[{"type":"field","path":"email","msg":"Invalid value"},{"path":"password","msg":"too short"}]}', ['email', 'password']],
    ['FastAPI', '{"detail":[{"loc":["body","email"],"msg":"field required"},{"loc":["body","password"],"msg":"field required"}]}', ['email', 'password']],
    ['zod flatten', '{"error":{"fieldErrors":{"email":["Required"],"name":["Required"]}}}', ['email', 'name']],
    ['a sentence', '{"error":"email and password are required"}', ['email', 'password']],
  ])('%s', (_name, body, fields) => {
    expect(fieldsFromValidationError(body)).toEqual(fields);
    expect(isSchemaError(422, body)).toBe(true);
  });

  it('a CSRF refusal or a 404 is not a schema answer', () => {
    expect(isSchemaError(403, '{"errors":{"email":[]}}')).toBe(false);
    expect(isSchemaError(400, '{"error":"invalid csrf token for email"}')).toBe(false);
    expect(isSchemaError(404, '{"error":"not found"}')).toBe(false);
  });

  it('an answer naming only the password is flagged: no email or username field was found', () => {
    expect(buildJsonFlow({ path: '/auth/v1/signup', fields: fieldsFromValidationError('{"code":400,"msg":"Signup requires a valid password"}') }).missing).toEqual(['email']);
  });

  it('RealWorld wraps the body in "user" and checks the users row', () => {
    const realworld = STACKS.find((s) => s.id === 'realworld')!;
    const { flow, missing } = buildJsonFlow({ path: '/api/users', fields: ['email', 'username', 'password'], stack: realworld });
    expect(flow.steps[0]).toMatchObject({ method: 'POST', path: '/api/users', json: { user: { email: '{{email}}', username: '{{username}}', password: '{{password}}' } } });
    expect(missing).toEqual([]);
    expect(flow.database?.account).toEqual({ table: 'users', column: 'email', value: '{{email}}' });
  });
});
