/**
 * Flask-Limiter (alisaifee/flask-limiter README, docs "Rate limit storage"): no SQL table. Limits live
 * in RATELIMIT_STORAGE_URI: memory:// (the default, per process) or redis://, memcached://, mongodb://.
 * Exceeded limits answer 429 with the limit in the body ("5 per 1 minute").
 */
import type { StackKnowledge } from './types.js';

export const flaskLimiter: StackKnowledge = {
  id: 'flask-limiter',
  title: 'Flask-Limiter',
  kind: 'framework',
  // Nothing in the database tells Flask-Limiter apart: recognised from its error text only.
  recognise: { tables: [] },
  limiters: {
    tables: [],
    outside: [{ where: 'RATELIMIT_STORAGE_URI: memory:// by default (each worker process counts alone), or Redis/Memcached/MongoDB', clear: 'restart the app (memory://), or delete the keys under the "LIMITS" prefix in Redis (redis-cli --scan --pattern "LIMITS*" | xargs redis-cli del), or call limiter.reset()', lockedStatus: 429 }],
  },
  errors: [
    {
      id: 'too-many-requests',
      match: /429 Too Many Requests:? \d+ per \d* ?(?:second|minute|hour|day)s?|\d+ per \d+ (?:second|minute|hour|day)s?\b.*(?:Too Many Requests|ratelimit)/i,
      refines: 'rate-limited',
      httpStatus: 429,
      title: '429 Too Many Requests (Flask-Limiter)',
      cause: 'Flask-Limiter counted more requests for this key (by default the client address) than the route\'s limit ("5 per 1 minute") allows. Its counters are not in the database: they live in RATELIMIT_STORAGE_URI — process memory by default, else Redis or Memcached.',
      fix: 'Wait for the window to pass. To clear it: restart the app when the storage is memory://, or delete the "LIMITS*" keys in Redis (or call limiter.reset()). Behind a proxy, key on the real client address (ProxyFix), or everyone shares one counter.',
      check: ['healfix register-test --url {origin}'],
    },
  ],
};
