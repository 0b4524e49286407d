/**
 * The framework's error markup read from pages the real apps served (test/fixtures/frameworks/<stack>/, captured
 * by the frameworks suite): a re-rendered signup form is a refusal quoting its messages, a clean form is not.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { judgeAnswer } from '../../src/register-test/assertions.js';
import { parseSelector, readPageErrors } from '../../src/register-test/html-errors.js';

const page = (stack: string, file: string) => readFileSync(new URL(`../fixtures/frameworks/${stack}/${file}`, import.meta.url), 'utf8');

describe('readPageErrors over the real frameworks\' pages', () => {
  it.each([
    ['django', 'signup-error-password.html', ['This password is too common.'], /errorlist/],
    ['django', 'signup-error-email-taken.html', ['A user is already registered with this e-mail address.'], /errorlist/],
    ['rails', 'signup-error-password.html', ['Password is too short (minimum is 6 characters)'], /#error_explanation/],
    ['rails', 'signup-error-email-taken.html', ['Email has already been taken'], /#error_explanation/],
    ['express', 'signup-error-password.html', ['Password must be at least 8 characters.'], /ul\.errors/],
    ['express', 'signup-error-email-taken.html', ['Email is already registered.'], /ul\.errors/],
    ['laravel', 'signup-error-password.html', ['The password must be at least 8 characters.'], /invalid-feedback/],
    ['laravel', 'signup-error-email-taken.html', ['The email has already been taken.'], /invalid-feedback/],
  ])('%s %s: quotes the framework\'s message', (stack, file, messages, markup) => {
    const errors = readPageErrors(page(stack, file));
    expect(errors.messages).toEqual(messages);
    expect(errors.matchedBy.join(' ')).toMatch(markup);
  });

  it.each(['django', 'rails', 'express', 'laravel'])('%s signup.html (the empty form): no error', (stack) => {
    expect(readPageErrors(page(stack, 'signup.html')).messages).toEqual([]);
  });

  it('ignores error-looking text in scripts, and reads a text pattern where no markup holds it', () => {
    const html = '<html><body><script>var t = "<ul class=\\"errorlist\\"><li>x</li></ul>";</script><p>Sorry. Email has already been taken. Try again.</p></body></html>';
    expect(readPageErrors(html).messages).toEqual(['Email has already been taken.']);
  });

  it('keeps the innermost match once (a list and its items name the same messages)', () => {
    const html = '<div class="invalid-feedback"><ul><li>Too short.</li><li>Too common.</li></ul></div>';
    expect(readPageErrors(html).messages).toEqual(['Too short.', 'Too common.']);
  });

  it('parses the small selector language and refuses what it cannot read', () => {
    expect(parseSelector('ul.errorlist li')).toEqual([{ tag: 'ul', classes: ['errorlist'] }, { tag: 'li', classes: [] }]);
    expect(parseSelector('#error_explanation')).toEqual([{ id: 'error_explanation', classes: [] }]);
    expect(parseSelector('[role=alert]')).toEqual([{ classes: [], attr: { name: 'role', value: 'alert' } }]);
    expect(() => parseSelector('a > b')).toThrow(/unsupported selector/);
  });
});

describe('judgeAnswer', () => {
  const html = { 'content-type': 'text/html; charset=utf-8' };
  const post = { name: 'signup', method: 'POST', path: '/accounts/signup/' };

  it('a POST answered 200 with Django\'s re-rendered form is refused, quoting the error', () => {
    const broken = judgeAnswer(post, { url: 'http://x/accounts/signup/', status: 200, headers: html, body: page('django', 'signup-error-password.html'), hops: [] }, 'POST /accounts/signup/');
    expect(broken?.refused).toEqual(['This password is too common.']);
    expect(broken?.title).toBe('POST /accounts/signup/ refused the data: "This password is too common."');
  });

  it('a GET of a page is not judged by its markup (the login page may show an alert)', () => {
    expect(judgeAnswer({ ...post, method: 'GET' }, { url: 'http://x/', status: 200, headers: html, body: page('rails', 'login-locked.html'), hops: [] }, 'GET /')).toBeUndefined();
  });

  it('a POST that redirected was accepted: an alert on the page it leads to is not a refusal', () => {
    const answer = { url: 'http://x/users/sign_in', status: 200, headers: html, body: page('rails', 'login-locked.html'), hops: [{ url: 'http://x/users', status: 302, location: '/users/sign_in' }] };
    expect(judgeAnswer({ ...post, path: '/users' }, answer, 'POST /users')).toBeUndefined();
    expect(judgeAnswer({ ...post, path: '/users' }, { ...answer, hops: [] }, 'POST /users')?.refused).toEqual(['Your account is locked.']);
  });

  it('a POST redirected back to its own form (Laravel\'s back()) is refused by the errors that page shows', () => {
    const answer = { url: 'http://x/register', status: 200, headers: html, body: page('laravel', 'signup-error-password.html'), hops: [{ url: 'http://x/register', status: 302, location: 'http://x/register' }] };
    const broken = judgeAnswer({ ...post, path: '/register' }, answer, 'POST /register');
    expect(broken?.refused).toEqual(['The password must be at least 8 characters.']);
    expect(broken?.hint).toMatch(/^The app redirected back \(302\) to the form again/);
  });

  it('checks the first redirect\'s Location, the final URL and texts present / absent', () => {
    const answer = { url: 'http://x/accounts/confirm-email/', status: 200, headers: html, body: '<p>Verify Your E-mail Address</p>', hops: [{ url: 'http://x/accounts/signup/', status: 302, location: '/accounts/confirm-email/' }] };
    const step = { ...post, location: '/accounts/confirm-email/', finalUrl: '/accounts/confirm-email/', text: ['Verify Your E-mail Address'], notText: ['already registered'] };
    expect(judgeAnswer(step, answer, 'POST /accounts/signup/')).toBeUndefined();
    expect(judgeAnswer({ ...step, location: '/' }, answer, 'POST /accounts/signup/')?.title).toBe('POST /accounts/signup/ redirected to /accounts/confirm-email/, not /');
    expect(judgeAnswer({ ...step, finalUrl: '/home' }, answer, 'P')?.title).toBe('P ended on /accounts/confirm-email/, not /home');
    expect(judgeAnswer({ ...step, text: ['Welcome'] }, answer, 'P')?.title).toBe('P: the answer does not show "Welcome"');
    expect(judgeAnswer({ ...step, notText: ['E-mail'] }, answer, 'P')?.title).toBe('P: the answer shows "E-mail"');
    expect(judgeAnswer({ ...step, location: '/x' }, { ...answer, hops: [] }, 'P')?.title).toBe('P answered 200, not a redirect to /x');
  });
});
