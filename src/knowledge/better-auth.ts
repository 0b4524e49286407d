/**
 * Better Auth (better-auth/better-auth packages/core/src/db/get-tables.ts: `verification(id,
 * identifier, value, expiresAt, createdAt, updatedAt)` and `rateLimit(id, key, count, lastRequest)`,
 * lastRequest in epoch ms; the database rate-limit store is opt-in: rateLimit.storage = "database").
 * Email OTPs live in verification with identifier `<type>-otp-<email>` and value `otp:attempts`.
 */
import type { StackKnowledge } from './types.js';

export const betterAuth: StackKnowledge = {
  id: 'better-auth',
  title: 'Better Auth',
  kind: 'framework',
  recognise: { tables: [{ table: 'verification', columns: ['identifier', 'value', 'expiresAt'] }] },
  pending: {
    tables: [
      {
        role: 'code',
        table: 'verification',
        key: 'id',
        identifier: 'identifier',
        created: 'createdAt',
        expires: { kind: 'column', column: 'expiresAt' },
        // The OTP sits in value unless storeOTP is "hashed"/"encrypted": never read either way.
        secret: { column: 'value', hashed: false },
        rowsAreAccounts: false,
        meaning: 'a verification value (email OTP, link token) for identifier (e.g. email-verification-otp-<email>), valid until expiresAt; deleted when used',
      },
    ],
    accounts: { table: 'user', email: 'email' },
  },
  limiters: {
    tables: [
      {
        role: 'limiter',
        table: 'rateLimit',
        keyColumns: ['key'],
        counter: 'count',
        limit: { setting: 'rateLimit.max', default: 100, where: 'betterAuth({ rateLimit: { max } })' },
        lockedAt: 'at-or-above',
        ends: { kind: 'start-plus', column: 'lastRequest', interval: { setting: 'rateLimit.window', defaultMs: 10_000, where: 'betterAuth({ rateLimit: { window } }) (seconds)', unitMs: 1000 } },
        unlock: { kind: 'delete' },
        lockedStatus: 429,
        meaning: 'requests per key (IP + path) in a window of rateLimit.window seconds (default 10) from lastRequest (epoch ms); refused with 429 once count reaches rateLimit.max (default 100)',
      },
    ],
  },
};
