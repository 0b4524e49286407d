/**
 * django-axes (jazzband/django-axes axes/models.py, axes/conf.py, axes/handlers/database.py). A key
 * is locked when failures_since_start >= AXES_FAILURE_LIMIT; with AXES_COOLOFF_TIME the attempts older
 * than attempt_time + cool-off no longer count; axes_reset deletes the attempts.
 */
import type { StackKnowledge } from './types.js';

export const djangoAxes: StackKnowledge = {
  id: 'django-axes',
  title: 'django-axes',
  kind: 'framework',
  recognise: { tables: [{ table: 'axes_accessattempt', columns: ['username', 'ip_address', 'attempt_time', 'failures_since_start'] }] },
  limiters: {
    tables: [
      {
        role: 'lockout',
        table: 'axes_accessattempt',
        keyColumns: ['username', 'ip_address'],
        counter: 'failures_since_start',
        limit: { setting: 'AXES_FAILURE_LIMIT', default: 3, where: 'settings.py' },
        lockedAt: 'at-or-above',
        ends: { kind: 'start-plus', column: 'attempt_time', interval: { setting: 'AXES_COOLOFF_TIME', defaultMs: null, where: 'settings.py', unitMs: 3_600_000 } },
        unlock: { kind: 'delete' },
        lockedStatus: 403,
        meaning: 'failed logins per username / IP (by AXES_LOCKOUT_PARAMETERS); locked at AXES_FAILURE_LIMIT failures (default 3) until AXES_COOLOFF_TIME after the last one (default: until reset)',
      },
    ],
  },
  errors: [
    {
      id: 'locked',
      match: /Account locked: too many login attempts\.?(?: Contact an admin to unlock your account\.| Please try again later\.)?/i,
      httpStatus: 403,
      title: '403 Account locked: too many login attempts (django-axes)',
      cause: 'django-axes counted AXES_FAILURE_LIMIT failed logins (default 3) for this username and/or IP and now refuses every login for it — the right password too — until AXES_COOLOFF_TIME passes after the last failure (no cool-off configured: until someone resets it).',
      fix: 'Reset the lock (python manage.py axes_reset_username USER, or healfix rate-limits --unlock USER --yes), then find what produced the failures (a test script, a wrong stored password).',
      check: ['healfix rate-limits', 'healfix rate-limits --unlock <username>'],
    },
  ],
};
