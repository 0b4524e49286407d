/**
 * Laravel with Breeze/Fortify-style registration (laravel/breeze stubs RegisteredUserController, the skeleton's
 * VerifyCsrfToken): `_token` in the form, the XSRF-TOKEN cookie mirrored into X-XSRF-TOKEN, 419 when refused.
 */
import type { StackKnowledge } from './types.js';

export const laravel: StackKnowledge = {
  id: 'laravel',
  title: 'Laravel (Breeze / Fortify registration)',
  kind: 'framework',
  recognise: {
    tables: [
      { table: 'migrations', columns: ['migration', 'batch'] },
      { table: 'users', columns: ['name', 'email', 'password', 'remember_token'] },
    ],
    probes: [{ method: 'GET', path: '/register', status: 200, body: /name="_token"/, means: 'serves a Laravel registration form' }],
  },
  signupProfile: {
    kind: 'form',
    paths: ['/register'],
    marker: /name="_token"/,
    csrfField: '_token',
    csrfCookie: { cookie: 'XSRF-TOKEN', header: 'X-XSRF-TOKEN' },
    csrfRefusedStatus: 419,
    account: { table: 'users', column: 'email', value: '{{email}}' },
    cleanup: [{ table: 'users', column: 'email', value: '{{email}}' }],
    successStatus: [302, 303],
    means: 'a Laravel registration form (name, email, password, password_confirmation, _token); a 302 away from /register means the user was created, a 302 back to it means validation failed',
  },
  errors: [
    {
      id: 'page-expired',
      match: /\b419\b[\s\S]{0,80}Page Expired|PAGE EXPIRED|TokenMismatchException|CSRF token mismatch\.?/i,
      refines: 'csrf-failed',
      httpStatus: 419,
      title: '419 Page Expired: Laravel refused the CSRF token',
      cause: 'VerifyCsrfToken compares the form\'s _token (or X-CSRF-TOKEN, or the decrypted X-XSRF-TOKEN header) with the session\'s token; a lost session cookie, an expired session (SESSION_LIFETIME) or a cached form page fails with 419.',
      fix: 'GET the form first and keep its cookies (laravel_session, XSRF-TOKEN); post its _token back. Check SESSION_DOMAIN and SESSION_SECURE_COOKIE against the URL you use.',
      check: ['healfix register-test --url {origin}'],
    },
  ],
};
