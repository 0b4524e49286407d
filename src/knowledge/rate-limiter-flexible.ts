/**
 * rate-limiter-flexible's PostgreSQL store (animir/node-rate-limiter-flexible lib/RateLimiterPostgres.js:
 * `CREATE TABLE <tableName> (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire
 * bigint)`, expire = Date.now() + duration: epoch MILLISECONDS; tableName defaults to keyPrefix "rlflx").
 * Recognition only: rate-limits reads the table as a request window by its shape (key, points, expire in
 * epoch ms; blocked = points over --limit), which test/integration/rate-limits.test.ts pins on this schema.
 */
import type { StackKnowledge } from './types.js';

export const rateLimiterFlexible: StackKnowledge = {
  id: 'rate-limiter-flexible',
  title: 'rate-limiter-flexible (PostgreSQL)',
  kind: 'framework',
  recognise: { tables: [{ table: 'rlflx', columns: ['key', 'points', 'expire'] }] },
};
