/**
 * Devise confirmable + lockable (heartcombo/devise lib/devise/models/confirmable.rb, lockable.rb).
 * On the users table, so every row is an account: never purged.
 */
import type { StackKnowledge } from './types.js';

const HOUR = 3_600_000;

export const devise: StackKnowledge = {
  id: 'devise',
  title: 'Devise (Rails)',
  kind: 'framework',
  recognise: {
    tables: [{ table: 'users', columns: ['email', 'encrypted_password'] }],
    probes: [{ method: 'GET', path: '/users/sign_up', status: 200, body: /name="authenticity_token"/, means: 'serves Devise\'s registration form' }],
  },
  signupErrorMarkup: { selectors: ['#error_explanation li'], texts: [/Email has already been taken/, /Password is too short/] },
  signupWrites: { writes: ['users'], atomic: true },
  signupProfile: {
    kind: 'form',
    paths: ['/users/sign_up'],
    marker: /name="user\[email\]"[\s\S]*name="user\[password_confirmation\]"/,
    csrfField: 'authenticity_token',
    csrfRefusedStatus: 422,
    fields: { email: ['user[email]'], password: ['user[password]'], passwordConfirmation: ['user[password_confirmation]'], username: ['user[username]'], name: ['user[name]'] },
    account: { table: 'users', column: 'email', value: '{{email}}' },
    cleanup: [{ table: 'users', column: 'email', value: '{{email}}' }],
    successStatus: [302, 303],
    confirm: { kind: 'get', successStatus: [302, 303] },
    means: 'Devise\'s registration form (user[email], user[password], user[password_confirmation], authenticity_token) posting to /users; a 302 means the user was saved',
  },
  pending: {
    tables: [
      {
        role: 'signup',
        table: 'users',
        key: 'id',
        email: 'email',
        created: 'created_at',
        pending: { column: 'confirmed_at', isNull: true },
        expires: { kind: 'start-plus', column: 'confirmation_sent_at', interval: { setting: 'confirm_within', defaultMs: null, where: 'config/initializers/devise.rb' } },
        secret: { column: 'confirmation_token', hashed: false },
        rowsAreAccounts: true,
        meaning: 'an account waits for confirmation while confirmed_at is null; the link expires confirm_within after confirmation_sent_at (default: never); the row IS the account and is never purged',
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
        counter: 'failed_attempts',
        limit: { setting: 'maximum_attempts', default: 20, where: 'config/initializers/devise.rb' },
        lockedAt: 'at-or-above',
        locked: { column: 'locked_at', notNull: true },
        ends: { kind: 'start-plus', column: 'locked_at', interval: { setting: 'unlock_in', defaultMs: HOUR, where: 'config/initializers/devise.rb (unlock_strategy :time or :both)' } },
        unlock: { kind: 'update', set: { locked_at: null, failed_attempts: 0, unlock_token: null } },
        lockedStatus: 401,
        meaning: 'locked_at is when the lock STARTED (set once failed_attempts reaches maximum_attempts); it ends at locked_at + unlock_in; unlocking clears locked_at, failed_attempts and unlock_token',
      },
    ],
  },
  errors: [
    {
      id: 'locked',
      match: /Your account is locked\.?/i,
      httpStatus: 401,
      title: 'Devise: "Your account is locked."',
      cause: 'Devise lockable set locked_at after maximum_attempts failed logins; until locked_at + unlock_in (or the unlock mail) every sign-in is refused, the right password too.',
      fix: 'Unlock it (user.unlock_access! in a console, or healfix rate-limits --unlock EMAIL --yes, which clears locked_at, failed_attempts and unlock_token) and check what produced the failures.',
      check: ['healfix rate-limits', 'healfix rate-limits --unlock {email}'],
    },
    {
      id: 'unconfirmed',
      match: /You have to confirm your email address before continuing\.?|Email needs to be confirmed within \d+ \w+/i,
      title: 'Devise: the email address is not confirmed (or the confirmation window passed)',
      cause: 'Devise confirmable refuses sign-in while confirmed_at is null; with confirm_within set, a confirmation link older than that is refused too ("needs to be confirmed within N days").',
      fix: 'Resend the confirmation (users/confirmation/new); check that mail is delivered; lengthen confirm_within if users confirm late.',
      check: ['healfix temp-registrations --email {email}'],
    },
  ],
};
