/**
 * rack-attack (rack/rack-attack README): no SQL table. Throttle counters live in Rack::Attack.cache.store
 * (Rails.cache by default: memory, Redis or Memcached). A throttled request answers 429 "Retry later"
 * (older versions), a blocklisted one 403 "Forbidden".
 */
import type { StackKnowledge } from './types.js';

export const rackAttack: StackKnowledge = {
  id: 'rack-attack',
  title: 'rack-attack',
  kind: 'framework',
  // Nothing in the database tells rack-attack apart: recognised from its error text only.
  recognise: { tables: [] },
  limiters: {
    tables: [],
    outside: [{ where: 'Rack::Attack.cache.store (Rails.cache by default: a per-process memory store, or Redis/Memcached)', clear: 'Rack::Attack.reset! in a console, or delete the "rack::attack:*" keys in Redis; a memory store clears on restart', lockedStatus: 429 }],
  },
  errors: [
    {
      id: 'throttled',
      match: /^\s*Retry later\s*$/m,
      refines: 'rate-limited',
      httpStatus: 429,
      title: '429 "Retry later" (rack-attack throttle)',
      cause: 'A Rack::Attack.throttle rule counted more requests for its discriminator (IP, email) than its limit within its period. The counter is not in the database: it lives in Rack::Attack.cache.store (Rails.cache by default).',
      fix: 'Wait for the period to pass, or clear it: Rack::Attack.reset! in a console, or delete the rack::attack:* keys in Redis. Behind a proxy, make sure req.ip is the client (trusted proxies), or everyone shares one counter.',
      check: ['healfix register-test --url {origin}'],
    },
  ],
};
