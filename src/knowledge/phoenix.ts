/**
 * Phoenix phx.gen.auth (phoenixframework/phoenix priv/templates/phx.gen.auth/migration.ex:
 * `users_tokens(user_id, token, context, sent_to, inserted_at)`, unique (context, token); users with
 * `confirmed_at`). schema_token.ex: email tokens are stored as SHA-256 hashes and valid for a number of
 * days after inserted_at that depends on context (1.7: "confirm" 7 days, "reset_password" 1 day; 1.8:
 * magic-link "login" 15 minutes); "session" rows are sessions, not codes, and are never read as codes.
 */
import type { StackKnowledge } from './types.js';

const DAY = 86_400_000;

export const phoenix: StackKnowledge = {
  id: 'phoenix',
  title: 'Phoenix (phx.gen.auth)',
  kind: 'framework',
  recognise: { tables: [{ table: 'users_tokens', columns: ['user_id', 'token', 'context', 'sent_to', 'inserted_at'] }] },
  pending: {
    tables: [
      {
        role: 'signup',
        table: 'users',
        key: 'id',
        email: 'email',
        created: 'inserted_at',
        pending: { column: 'confirmed_at', isNull: true },
        expires: { kind: 'never' },
        rowsAreAccounts: true,
        meaning: 'a user waits for confirmation while confirmed_at is null; the row IS the account and is never purged',
      },
      {
        role: 'code',
        table: 'users_tokens',
        key: 'id',
        identifier: 'user_id',
        type: 'context',
        created: 'inserted_at',
        // Only the confirmation tokens: session and reset tokens share the table with other validities.
        pending: { column: 'context', equals: 'confirm' },
        expires: { kind: 'start-plus', column: 'inserted_at', interval: { setting: 'confirm_validity_in_days', defaultMs: 7 * DAY, where: 'lib/<app>/accounts/user_token.ex (@confirm_validity_in_days)', unitMs: DAY } },
        secret: { column: 'token', hashed: true },
        // The purge cannot carry the context filter, so healfix never deletes from this shared table.
        rowsAreAccounts: true,
        meaning: 'a confirmation token (context "confirm") mailed to sent_to, valid @confirm_validity_in_days (default 7) after inserted_at and deleted when used; stored as a hash, so only counts and ages are shown; session tokens in the same table are not read',
      },
    ],
    accounts: { table: 'users', email: 'email' },
  },
};
