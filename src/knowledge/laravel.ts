/**
 * Laravel (laravel/laravel database/migrations, laravel/framework Cache/RateLimiter.php,
 * Cache/DatabaseStore.php, Auth/Passwords/DatabaseTokenRepository.php). Verification links are signed
 * URLs (no table): an unverified user is pending, and is an account. Reset tokens are stored hashed.
 * The database cache limiter keeps `<key>` (hits, PHP-serialized) and `<key>:timer` (the epoch second
 * the window ends) as two rows of the cache table.
 */
import type { StackKnowledge } from './types.js';

const MIN = 60_000;

export const laravel: StackKnowledge = {
  id: 'laravel',
  title: 'Laravel',
  kind: 'framework',
  recognise: {
    tables: [
      { table: 'migrations', columns: ['migration', 'batch'] },
      { table: 'users', columns: ['email', 'email_verified_at', 'password', 'remember_token'] },
    ],
    probes: [{ method: 'GET', path: '/register', status: 200, body: /name="_token"/, means: 'serves a Laravel registration form' }],
  },
  // Breeze / Fortify registration: `_token` in the form, XSRF-TOKEN mirrored into X-XSRF-TOKEN, 419 when refused.
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
  pending: {
    tables: [
      {
        role: 'signup',
        table: 'users',
        key: 'id',
        email: 'email',
        created: 'created_at',
        pending: { column: 'email_verified_at', isNull: true },
        expires: { kind: 'never' },
        rowsAreAccounts: true,
        meaning: 'an account waits for verification while email_verified_at is null (the link is a signed URL, valid auth.verification.expire minutes); the row IS the account and is never purged',
      },
      {
        role: 'code',
        table: 'password_reset_tokens',
        key: 'email',
        identifier: 'email',
        created: 'created_at',
        expires: { kind: 'start-plus', column: 'created_at', interval: { setting: 'auth.passwords.users.expire', defaultMs: 60 * MIN, where: 'config/auth.php', unitMs: MIN } },
        secret: { column: 'token', hashed: true },
        rowsAreAccounts: false,
        meaning: 'password reset tokens (hashed: counts and ages only), valid auth.passwords.users.expire minutes (default 60)',
      },
    ],
    accounts: { table: 'users', email: 'email' },
  },
  limiters: {
    tables: [
      {
        role: 'limiter',
        table: 'cache',
        keyColumns: ['key'],
        counter: 'value',
        counterPattern: /^i:(\d+);$/,
        limit: { setting: 'maxAttempts', default: 5, where: 'the throttle middleware or RateLimiter::for (login: 5 per minute)' },
        lockedAt: 'at-or-above',
        ends: { kind: 'companion-row', keySuffix: ':timer', column: 'value', pattern: /^i:(\d+);$/ },
        unlock: { kind: 'delete' },
        lockedStatus: 429,
        meaning: 'hits under <prefix><key>, the window end (epoch seconds) under <key>:timer; locked while hits >= maxAttempts and the timer is in the future; RateLimiter::clear deletes both',
      },
    ],
  },
  errors: [
    {
      id: 'page-expired',
      match: /\b419\b[^\n]{0,40}Page Expired|Page Expired[^\n]{0,40}\b419\b|CSRF token mismatch\.?/i,
      refines: 'csrf-failed',
      httpStatus: 419,
      title: '419 Page Expired / CSRF token mismatch (Laravel)',
      cause: 'VerifyCsrfToken found no matching token: the form\'s _token field (or X-CSRF-TOKEN, or X-XSRF-TOKEN carrying the XSRF-TOKEN cookie) was missing, or the session it belongs to expired or was lost (another domain, SESSION_DOMAIN, a Secure cookie over http).',
      fix: 'GET the form first, keep the session cookie, and post its _token back (or send the URL-decoded XSRF-TOKEN cookie as X-XSRF-TOKEN); check SESSION_DOMAIN and SESSION_SECURE_COOKIE.',
      check: ['healfix register-test --url {origin}'],
    },
  ],
};
