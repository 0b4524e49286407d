import type { DoctorCheck } from './doctor.js';
import { inspectRateLimits, rateLimitsCheckResult, type RateLimitsOptions } from './rate-limits.js';
import { scanSequences, sequencesCheckResult } from './sequences.js';
import { scanSqliteSequences } from './sequences-sqlite.js';
import { inspectTempRegistrations, tempRegistrationsCheckResult, type TempRegistrationsOptions } from './temp-registrations.js';

/** Table and column mappings and settings from the project config, as the single commands take them. */
export interface DoctorCheckOptions {
  tempRegistrations?: TempRegistrationsOptions;
  rateLimits?: RateLimitsOptions;
}

/** The database checks `doctor` runs after the server facts, in report order. */
export function defaultDoctorChecks(options: DoctorCheckOptions = {}): DoctorCheck[] {
  return [
    {
      id: 'sequences',
      title: 'sequences',
      run: async (db) => sequencesCheckResult(db.kind === 'postgres' ? await scanSequences(db.pg) : scanSqliteSequences(db.sqlite)),
    },
    {
      id: 'temp-registrations',
      title: 'pending signups and OTPs',
      run: async (db) => tempRegistrationsCheckResult(await inspectTempRegistrations(db, options.tempRegistrations)),
    },
    {
      id: 'rate-limits',
      title: 'rate limits and lockouts',
      run: async (db) => rateLimitsCheckResult(await inspectRateLimits(db, options.rateLimits)),
    },
  ];
}
