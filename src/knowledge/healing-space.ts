/** Healing Space (Flask + PostgreSQL): /work/shared/reference/healing-space.md; seed report 000. */
import type { StackKnowledge } from './types.js';

export const healingSpace: StackKnowledge = {
  id: 'healing-space',
  title: 'Healing Space',
  kind: 'app',
  recognise: {
    tables: [
      { table: 'verification_codes', columns: ['identifier', 'code', 'method', 'expires_at', 'verified'] },
      { table: 'users', columns: ['username', 'pin_hash', 'email'] },
    ],
    probes: [{ method: 'GET', path: '/api/csrf-token', status: 200, body: /"csrf_token"\s*:/, means: 'hands out a CSRF token as JSON' }],
  },
  signup: [{ profile: 'csrf-json', file: 'flows/csrf-json.json', description: 'GET /api/csrf-token, then POST /api/auth/register as JSON with X-CSRF-Token' }],
  pending: {
    tables: [
      {
        role: 'code',
        table: 'verification_codes',
        key: 'id',
        identifier: 'identifier',
        created: 'created_at',
        used: { column: 'verified', equals: true },
        expires: { kind: 'column', column: 'expires_at' },
        secret: { column: 'code', hashed: false },
        rowsAreAccounts: false,
        meaning: 'sign-up 2FA codes: live until expires_at, used once verified is true',
      },
    ],
    accounts: { table: 'users', email: 'email' },
  },
  limiters: {
    tables: [],
    outside: [
      { where: 'process memory: 3 registrations per 300 s per IP and username (50 per 60 s with DEBUG)', clear: 'restart the app', lockedStatus: 429 },
      { where: 'process memory: 50 requests per hour per endpoint per IP (answers an HTML page)', clear: 'restart the app', lockedStatus: 429 },
    ],
  },
  errors: [
    {
      id: 'csrf-json',
      match: /\bCSRF_FAILED\b|CSRF token missing or invalid/,
      refines: 'csrf-failed',
      httpStatus: 403,
      title: '403 CSRF token missing or invalid',
      cause:
        'The register request did not carry a CSRF token the app accepts. Healing Space wants the token from GET /api/csrf-token sent back in the X-CSRF-Token header (X-CSRFToken or a _csrf_token body field also work); it only checks that the token is 64 alphanumerics. ' +
        'A client that forgets the header, sends a form instead of JSON, or pastes a truncated token gets this 403.',
      fix: 'Fetch a token first (GET /api/csrf-token) and send it in X-CSRF-Token with Content-Type: application/json. register-test does this handshake for you and shows each step.',
      check: ['healfix register-test --url {origin}'],
    },
    {
      id: 'register-limiter',
      match: /Too many requests\.?\s*Please wait \d+ seconds?/i,
      refines: 'rate-limited',
      httpStatus: 429,
      title: '429 Too many requests{wait} — the register limiter, not a bug',
      cause:
        'The register limiter (3 registrations per 300 seconds per IP and username, kept in process memory) refused the request. ' +
        'Every request that gets past the CSRF check counts, failed ones (400, 409, 500) included, so a user retrying a signup that failed for another reason — such as a duplicate key — runs into it.',
      fix: '{Wait}, then retry once the real cause is fixed. There is no table to clear: the limit is in memory, so restarting the app resets it; for development raise it in the app\'s limiter settings.',
      check: ['healfix register-test --url {origin} --wait', 'healfix rate-limits'],
    },
  ],
};
