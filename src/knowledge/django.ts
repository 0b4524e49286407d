/** Django itself: CSRF reasons (django/middleware/csrf.py) and the IntegrityError wrapper. */
import type { StackKnowledge } from './types.js';

const CHECK = ['healfix register-test --url {origin}'];

export const django: StackKnowledge = {
  id: 'django',
  title: 'Django',
  kind: 'framework',
  recognise: { tables: [{ table: 'django_migrations', columns: ['app', 'name', 'applied'] }] },
  // Django's forms render field and non-field errors as <ul class="errorlist"><li>…</li></ul>.
  signupErrorMarkup: { selectors: ['ul.errorlist li'] },
  // Django's own UserCreationForm behind a hand-written view: username, password1, password2.
  signupProfile: {
    kind: 'form',
    paths: ['/signup/', '/register/', '/accounts/register/', '/accounts/signup/'],
    marker: /name="csrfmiddlewaretoken"[\s\S]*name="username"[\s\S]*name="password2"/,
    csrfField: 'csrfmiddlewaretoken',
    csrfCookie: { cookie: 'csrftoken', header: 'X-CSRFToken' },
    csrfRefusedStatus: 403,
    fields: { password: ['password1'], passwordConfirmation: ['password2'] },
    account: { table: 'auth_user', column: 'username', value: '{{username}}' },
    cleanup: [{ table: 'auth_user', column: 'username', value: '{{username}}' }],
    successStatus: [302],
    means: 'a Django UserCreationForm (username, password1, password2, csrfmiddlewaretoken); a 302 means the user was saved',
  },
  errors: [
    {
      id: 'csrf-cookie-not-set',
      match: /CSRF cookie not set\.?/i,
      refines: 'csrf-failed',
      httpStatus: 403,
      title: '403 Forbidden (CSRF cookie not set)',
      cause: 'Django found no csrftoken cookie on the POST: the client did not GET the form page first (which sets it), dropped the cookie (another host or port, Secure cookie over http, SameSite), or the view never rendered {% csrf_token %}.',
      fix: 'GET the form page first and keep its cookies; post the form\'s csrfmiddlewaretoken back (or send X-CSRFToken). Check CSRF_COOKIE_SECURE / CSRF_COOKIE_DOMAIN against the URL you use.',
      check: CHECK,
    },
    {
      id: 'csrf-token-missing-or-incorrect',
      match: /CSRF token (?:missing or incorrect|missing\.|incorrect\.)|CSRF token from POST (?:has incorrect length|incorrect)/i,
      refines: 'csrf-failed',
      httpStatus: 403,
      title: '403 Forbidden (CSRF token missing or incorrect)',
      cause: 'The cookie was there but the form field csrfmiddlewaretoken (or the X-CSRFToken header) was missing or did not match it: a cached page with an old token, a token copied from another session, or a client that posts without the hidden field.',
      fix: 'Submit the csrfmiddlewaretoken from the same page load that set the cookie; for AJAX, send the csrftoken cookie value in X-CSRFToken.',
      check: CHECK,
    },
    {
      id: 'csrf-origin',
      match: /Origin checking failed - .* does not match any trusted origins\.?|Origin checking failed/i,
      refines: 'csrf-failed',
      httpStatus: 403,
      title: '403 Forbidden (Origin checking failed)',
      cause: 'Since Django 4.0 a POST\'s Origin header must match the host or an entry of CSRF_TRUSTED_ORIGINS (with scheme): a proxy that changes the host or scheme, or a front end on another origin, fails this check.',
      fix: 'Add the public origin with its scheme to CSRF_TRUSTED_ORIGINS (e.g. "https://app.example.com"), and make the proxy pass Host and X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).',
      check: CHECK,
    },
    {
      id: 'csrf-referer',
      match: /Referer checking failed - .*|Referer checking failed/i,
      refines: 'csrf-failed',
      httpStatus: 403,
      title: '403 Forbidden (Referer checking failed)',
      cause: 'On HTTPS Django also requires a Referer from the same site (or one in CSRF_TRUSTED_ORIGINS); a missing Referer (Referrer-Policy: no-referrer) or one from another host fails.',
      fix: 'Send a same-origin Referer (Referrer-Policy: same-origin at least), or list the origin in CSRF_TRUSTED_ORIGINS.',
      check: CHECK,
    },
  ],
};
