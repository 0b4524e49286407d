/**
 * Auth.js / NextAuth email sign-in (nextauthjs/next-auth packages/adapter-pg/schema.sql:
 * `verification_token(identifier, expires, token)`, primary key (identifier, token)). The token is
 * stored as SHA-256(token + secret) (packages/core/src/lib/actions/signin/send-token.ts): healfix
 * counts and ages rows, it can never read a link. A used token is deleted by useVerificationToken.
 */
import type { StackKnowledge } from './types.js';

export const authjs: StackKnowledge = {
  id: 'authjs',
  title: 'Auth.js (NextAuth)',
  kind: 'framework',
  recognise: { tables: [{ table: 'verification_token', columns: ['identifier', 'token', 'expires'] }] },
  pending: {
    tables: [
      {
        role: 'code',
        table: 'verification_token',
        // No single-column key: (identifier, token) is; the physical row id is used so a purge never
        // touches a live token of the same address.
        identifier: 'identifier',
        expires: { kind: 'column', column: 'expires' },
        secret: { column: 'token', hashed: true },
        rowsAreAccounts: false,
        meaning: 'a sign-in / verification link mailed to identifier, valid until expires (maxAge, default 24 h); deleted when used; the token is a hash, so only counts and ages are shown',
      },
    ],
    accounts: { table: 'users', email: 'email' },
  },
};
