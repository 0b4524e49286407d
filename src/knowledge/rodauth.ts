/**
 * rodauth (jeremyevans/rodauth spec/migrate/001_tables.rb): accounts with status_id 1 = Unverified,
 * `account_verification_keys(id = account id, key, requested_at)`; lockout
 * `account_login_failures(id, number)` and `account_lockouts(id, key, deadline, email_last_sent)`:
 * locked while deadline is in the future; unlocking deletes both rows (lib/rodauth/features/lockout.rb).
 */
import type { StackKnowledge } from './types.js';

export const rodauth: StackKnowledge = {
  id: 'rodauth',
  title: 'rodauth',
  kind: 'framework',
  recognise: { tables: [{ table: 'account_statuses', columns: ['id', 'name'] }, { table: 'accounts', columns: ['id', 'status_id', 'email'] }] },
  pending: {
    tables: [
      {
        role: 'signup',
        table: 'accounts',
        key: 'id',
        email: 'email',
        pending: { column: 'status_id', equals: 1 },
        expires: { kind: 'never' },
        rowsAreAccounts: true,
        meaning: 'an account waits for verification while status_id = 1 (Unverified); the row IS the account and is never purged',
      },
      {
        role: 'code',
        table: 'account_verification_keys',
        key: 'id',
        identifier: 'id',
        created: 'requested_at',
        // verify_account keys have no deadline: they live until used (then deleted) or the account is closed.
        expires: { kind: 'never' },
        secret: { column: 'key', hashed: false },
        rowsAreAccounts: false,
        meaning: 'the verification key of account id, requested at requested_at; it does not expire and is deleted when used',
      },
    ],
    accounts: { table: 'accounts', email: 'email' },
  },
  limiters: {
    tables: [
      {
        role: 'lockout',
        table: 'account_lockouts',
        keyColumns: ['id'],
        lockedAt: 'at-or-above',
        locked: { column: 'deadline', notNull: true },
        ends: { kind: 'column', column: 'deadline' },
        unlock: { kind: 'delete' },
        meaning: 'an account is locked while deadline (default 1 day after the lock) is in the future; account id, not email, is the key; unlocking deletes the row (rodauth also deletes account_login_failures)',
      },
      {
        role: 'lockout',
        table: 'account_login_failures',
        keyColumns: ['id'],
        counter: 'number',
        limit: { setting: 'max_invalid_logins', default: 100, where: 'the rodauth configuration block' },
        lockedAt: 'at-or-above',
        ends: { kind: 'never' },
        unlock: { kind: 'delete' },
        meaning: 'failed logins per account id; max_invalid_logins (default 100) locks it (a row in account_lockouts)',
      },
    ],
  },
};
