/** `temp-registrations --purge-expired`: expired pending signups and one-time codes, in one transaction. */
import type { OpenedDatabase } from '../db/open.js';
import type { TempRegistrationsResult } from '../checks/temp-registrations.js';
import { purgeExpiredRows, purgePlan, type PurgeStep } from './write.js';

export type { PurgeStep };

export function planPurgeExpired(result: TempRegistrationsResult): PurgeStep[] {
  return purgePlan(result.purgeTargets);
}

/** Runs on a database opened with write: true, after confirmWrite. */
export async function purgeExpiredTempRegistrations(db: OpenedDatabase, result: TempRegistrationsResult, now?: Date): Promise<{ table: string; deleted: number }[]> {
  return purgeExpiredRows(db, result.purgeTargets.filter((t) => t.expiredRows > 0), now);
}
