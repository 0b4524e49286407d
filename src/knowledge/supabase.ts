/**
 * Supabase Auth (supabase/auth migrations/20240427152123_add_one_time_tokens_table.up.sql:
 * `auth.one_time_tokens(id, user_id, token_type, token_hash, relates_to, created_at, updated_at)`,
 * unique (user_id, token_type); auth.users confirmed by `email_confirmed_at`). Tokens are SHA-224
 * hashes; the table has no expiry column: it is GOTRUE_MAILER_OTP_EXP after created_at
 * (internal/conf/configuration.go, default 86400 s).
 */
import type { StackKnowledge } from './types.js';

export const supabase: StackKnowledge = {
  id: 'supabase',
  title: 'Supabase Auth',
  kind: 'framework',
  recognise: { tables: [{ table: 'auth.one_time_tokens', columns: ['user_id', 'token_type', 'token_hash', 'relates_to', 'created_at'] }] },
  pending: {
    tables: [
      {
        role: 'signup',
        table: 'auth.users',
        key: 'id',
        email: 'email',
        created: 'created_at',
        pending: { column: 'email_confirmed_at', isNull: true },
        expires: { kind: 'never' },
        rowsAreAccounts: true,
        meaning: 'a user waits for email confirmation while email_confirmed_at is null; the row IS the account and is never purged',
      },
      {
        role: 'code',
        table: 'auth.one_time_tokens',
        key: 'id',
        identifier: 'user_id',
        type: 'token_type',
        created: 'created_at',
        expires: { kind: 'start-plus', column: 'created_at', interval: { setting: 'GOTRUE_MAILER_OTP_EXP', defaultMs: 86_400_000, where: 'the auth server environment (config.toml [auth.email] otp_expiry)', unitMs: 1000 } },
        secret: { column: 'token_hash', hashed: true },
        rowsAreAccounts: false,
        meaning: 'one live token per user and token_type (confirmation_token, recovery_token, …), valid GOTRUE_MAILER_OTP_EXP after created_at (default 24 h); stored as a hash, so only counts and ages are shown',
      },
    ],
    accounts: { table: 'auth.users', email: 'email' },
  },
};
