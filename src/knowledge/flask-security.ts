/**
 * Flask-Security(-Too) registration (/register with Flask-WTF's csrf_token hidden input) and plain Flask-WTF
 * signup forms, which name the token the same way.
 */
import type { StackKnowledge } from './types.js';

export const flaskSecurity: StackKnowledge = {
  id: 'flask-security',
  title: 'Flask-Security-Too / Flask-WTF',
  kind: 'framework',
  recognise: {
    tables: [{ table: 'user', columns: ['email', 'password', 'active', 'fs_uniquifier'] }],
    probes: [{ method: 'GET', path: '/register', status: 200, body: /name="csrf_token"/, means: 'serves a Flask-WTF form with a csrf_token' }],
  },
  signupProfile: {
    kind: 'form',
    paths: ['/register', '/auth/register', '/signup'],
    marker: /id="register_user_form"|name="csrf_token"/,
    csrfField: 'csrf_token',
    csrfRefusedStatus: 400,
    fields: { passwordConfirmation: ['password_confirm'] },
    account: { table: 'user', column: 'email', value: '{{email}}' },
    cleanup: [{ table: 'user', column: 'email', value: '{{email}}' }],
    successStatus: [302, 303],
    means: 'a Flask-Security register form (email, password, password_confirm, csrf_token); Flask-WTF answers 400 "The CSRF token is missing" when the token is refused',
  },
  errors: [
    {
      id: 'csrf-token-refused',
      // "The CSRF token is missing." is Flask-WTF's too, but many stacks say the same words: explain keeps it generic.
      match: /The CSRF tokens do not match\.?|The CSRF token has expired\.?|The CSRF session token is missing\.?/i,
      refines: 'csrf-failed',
      httpStatus: 400,
      title: '400 Bad Request: Flask-WTF refused the CSRF token',
      cause: 'Flask-WTF keeps the token\'s secret in the session cookie and checks the form\'s csrf_token (or X-CSRFToken) against it; a lost session cookie, another SECRET_KEY, or a token older than WTF_CSRF_TIME_LIMIT (default 3600 s) is refused.',
      fix: 'GET the form first and keep the session cookie; post its csrf_token back. Check SESSION_COOKIE_SECURE and WTF_CSRF_TIME_LIMIT.',
      check: ['healfix register-test --url {origin}'],
    },
  ],
};
