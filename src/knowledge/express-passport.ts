/**
 * Express with csrf-csrf or csurf and passport-local: a hand-written register form posting `_csrf` (both
 * libraries' default field name), sessions often kept by connect-pg-simple.
 */
import type { StackKnowledge } from './types.js';

export const expressPassport: StackKnowledge = {
  id: 'express-passport',
  title: 'Express (csrf-csrf / csurf + passport-local)',
  kind: 'framework',
  recognise: {
    // connect-pg-simple's table: the usual session store next to passport on PostgreSQL.
    tables: [{ table: 'session', columns: ['sid', 'sess', 'expire'] }],
  },
  signupProfile: {
    kind: 'form',
    paths: ['/register', '/signup'],
    marker: /name="_csrf"/,
    csrfField: '_csrf',
    csrfRefusedStatus: 403,
    successStatus: [302, 303],
    means: 'an Express form with csrf-csrf/csurf\'s _csrf hidden input; a 302 means the user was created, a 422 re-render quotes the validation errors',
  },
  errors: [
    {
      id: 'invalid-csrf-token',
      match: /invalid csrf token|ForbiddenError: invalid csrf token|EBADCSRFTOKEN/i,
      refines: 'csrf-failed',
      httpStatus: 403,
      title: '403 invalid csrf token (csurf / csrf-csrf)',
      cause: 'The _csrf field (or x-csrf-token header) did not match the secret in the CSRF cookie or session: the form was not fetched with the same cookie jar, or the cookie was dropped (Secure over http, another host).',
      fix: 'GET the form first, keep its cookies, post its _csrf back.',
      check: ['healfix register-test --url {origin}'],
    },
  ],
};
