/** SANA Toolkit (Flask + SQLite): /work/shared/reference/sana.md; seed report 003. */
import type { StackKnowledge } from './types.js';

export const sana: StackKnowledge = {
  id: 'sana',
  title: 'SANA Toolkit',
  kind: 'app',
  recognise: {
    tables: [
      { table: 'temp_registrations', columns: ['temp_id', 'email', 'expires_at'] },
      { table: 'user_otp', columns: ['otp_code', 'otp_type', 'is_used', 'expires_at'] },
    ],
    probes: [{ method: 'GET', path: '/auth/verify-otp', means: 'has an OTP verification page' }],
  },
  signup: [{ profile: 'otp', file: 'flows/otp.json', description: 'POST /auth/api/send-signup-otp, read the code, POST /auth/api/verify-otp' }],
  pending: {
    tables: [
      {
        role: 'signup',
        table: 'temp_registrations',
        key: 'temp_id',
        email: 'email',
        created: 'created_at',
        expires: { kind: 'column', column: 'expires_at' },
        rowsAreAccounts: false,
        meaning: 'a signup waiting for its code: 20 minutes from created_at, deleted by an AFTER INSERT trigger once expired',
      },
      {
        role: 'code',
        table: 'user_otp',
        key: 'otp_id',
        identifier: 'identifier',
        created: 'created_at',
        type: 'otp_type',
        used: { column: 'is_used', equals: true },
        expires: { kind: 'column', column: 'expires_at' },
        secret: { column: 'otp_code', hashed: false },
        rowsAreAccounts: false,
        meaning: 'six-digit codes, 10 minutes; identifier is the temp_id for signups, the user id for logins',
      },
    ],
    accounts: { table: 'users', email: 'email' },
  },
  limiters: {
    tables: [
      {
        role: 'lockout',
        table: 'users',
        keyColumns: ['email'],
        counter: 'login_attempts',
        limit: { setting: 'login lockout threshold', default: 5, where: 'the app code' },
        lockedAt: 'at-or-above',
        ends: { kind: 'column', column: 'locked_until' },
        locked: { column: 'locked_until', notNull: true },
        unlock: { kind: 'update', set: { login_attempts: 0, locked_until: null } },
        meaning: '5 failed logins lock the account for 30 minutes (until locked_until)',
      },
    ],
    outside: [{ where: 'process memory: 2 s per-email signup dedup, 60 s resend window', clear: 'restart the app', lockedStatus: 429 }],
  },
  errors: [
    {
      id: 'pending-row-missing',
      match: /No temp_registration found for temp_id/i,
      refines: 'pending-signup-missing',
      title: 'No pending signup for {tempId}: the temp_registration row is gone',
      cause:
        'Verification looked up the temp_id kept in the session, but temp_registrations has no such row. Either a second signup request for the same email (double click, retry, another tab, a second app process) ' +
        'created a new temp_id and replaced the first row (email is UNIQUE), so the session and the database disagree, or the row was deleted as expired — the expiry trigger compares local-time timestamps with UTC datetime(\'now\'), which deletes fresh rows west of UTC. ' +
        'The OTP sent for the old temp_id is now an orphan.',
      fix: 'Trace the signup to see every temp_id and OTP for that email, with times and state. Then make one pending signup per email (keep the existing temp_id on a repeat request) and deduplicate in the database rather than in one process\'s memory; store timestamps in UTC.',
      check: ['healfix temp-registrations --email {email}', 'healfix temp-registrations'],
    },
    {
      id: 'session-mismatch',
      match: /Invalid verification session|Session temp_id mismatch!|Session data inconsistency/i,
      refines: 'verification-session-invalid',
      title: 'Invalid verification session: the session\'s temp_id does not match a pending signup',
      cause:
        'The OTP check found a session whose temp_id has no temp_registrations row any more (the server log says "No temp_registration found for temp_id"). Concurrent signups for one email each got 200 and a temp_id; only one row survives, ' +
        'so every client but one fails verification while orphan OTP rows point at deleted temp_ids.',
      fix: 'Trace the email\'s signups and OTPs, and ask the user to start the signup again once. In the app, keep one pending signup per email and make the dedup hold across processes (gunicorn -w 2 breaks a per-process lock).',
      check: ['healfix temp-registrations --email {email}', 'healfix register-test --url {origin}'],
    },
    {
      id: 'registration-expired',
      match: /Registration session expired/i,
      refines: 'registration-session-expired',
      title: 'Registration session expired: the pending signup is older than its expiry',
      cause:
        'The pending signup (temp_registrations, 20 minutes) or its OTP (10 minutes) expired before the code was entered. If it happens straight after signing up, the timestamps are the problem: ' +
        'the app writes local time and compares it with SQLite\'s UTC datetime(\'now\'), so west of UTC every row looks expired at once.',
      fix: 'Check the pending rows\' created_at/expires_at against the database clock; store and compare timestamps in UTC. Otherwise the user simply starts over.',
      check: ['healfix temp-registrations --email {email}'],
    },
    {
      id: 'row-deleted-on-insert',
      match: /Database verification failed/i,
      refines: 'pending-signup-deleted',
      title: 'Database verification failed: the pending signup was deleted as soon as it was written',
      cause:
        'Right after inserting the temp_registrations row the app reads it back and it is not there. The AFTER INSERT trigger deletes rows with expires_at < datetime(\'now\'); the app writes local time, SQLite compares in UTC, ' +
        'so on a server west of UTC every new row is already "expired" and every signup fails with this 400.',
      fix: 'Write timestamps in UTC (or compare in local time consistently). `healfix temp-registrations` reports timestamps in the future or in the wrong time zone.',
      check: ['healfix temp-registrations --email {email}'],
    },
    {
      id: 'resend-window',
      match: /Please wait \d+ seconds before requesting a new code/i,
      refines: 'rate-limited',
      httpStatus: 429,
      title: '429: a new code was requested within the resend window ({waitText})',
      cause: 'The app allows one new verification code per 60 seconds per session. This is expected behaviour, not a failure.',
      fix: 'Use the code already sent, or {waitText} before requesting a new one.',
      check: ['healfix temp-registrations', 'healfix register-test --url {origin} --wait'],
    },
    {
      id: 'signup-dedup',
      match: /Please wait before trying again|Duplicate signup request blocked/i,
      refines: 'rate-limited',
      httpStatus: 429,
      title: '429 Please wait before trying again: a duplicate signup request was blocked',
      cause: 'A second signup request for the same email arrived within 2 seconds and the app\'s per-email dedup refused it. That dedup lives in one process\'s memory: with two app processes it does not hold and the signup race returns.',
      fix: 'Nothing to fix for one request; if users still get "Invalid verification session", trace their pending signups.',
      check: ['healfix temp-registrations', 'healfix rate-limits'],
    },
  ],
};
