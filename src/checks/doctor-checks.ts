import type { DoctorCheck } from './doctor.js';
import { inspectRateLimits, rateLimitsCheckResult } from './rate-limits.js';
import { scanSequences, sequencesCheckResult } from './sequences.js';
import { scanSqliteSequences } from './sequences-sqlite.js';
import { inspectTempRegistrations, tempRegistrationsCheckResult } from './temp-registrations.js';

/** The database checks `doctor` runs after the server facts, in report order. */
export function defaultDoctorChecks(): DoctorCheck[] {
  return [
    {
      id: 'sequences',
      title: 'sequences',
      run: async (db) => sequencesCheckResult(db.kind === 'postgres' ? await scanSequences(db.pg) : scanSqliteSequences(db.sqlite)),
    },
    {
      id: 'temp-registrations',
      title: 'pending signups and OTPs',
      run: async (db) => tempRegistrationsCheckResult(await inspectTempRegistrations(db)),
    },
    {
      id: 'rate-limits',
      title: 'rate limits and lockouts',
      run: async (db) => rateLimitsCheckResult(await inspectRateLimits(db)),
    },
  ];
}
