/** `temp-registrations --purge-expired`: expired pending signups and one-time codes, in one transaction. */
import type { OpenedDatabase } from '../db/open.js';
import type { TempRegistrationsResult } from '../checks/temp-registrations.js';
import { purgeExpiredRows, purgePlan, type PurgeStep, type WritePlan } from './write-plan.js';

export type { PurgeStep };

export function planPurgeExpired(result: TempRegistrationsResult): PurgeStep[] {
  return purgePlan(result.purgeTargets);
}

/** Runs on a database opened with write: true, after confirmWrite. */
export async function purgeExpiredTempRegistrations(db: OpenedDatabase, result: TempRegistrationsResult, now?: Date): Promise<{ table: string; deleted: number }[]> {
  return purgeExpiredRows(db, result.purgeTargets.filter((t) => t.expiredRows > 0), now);
}

/** The purge as a WritePlan, for the shared show → confirm → apply step. */
export function purgeTempRegistrationsPlan(result: TempRegistrationsResult, now?: Date): WritePlan {
  const targets = result.purgeTargets.filter((t) => t.expiredRows > 0);
  return {
    action: 'purge-expired',
    steps: purgePlan(targets),
    apply: async (db) => (await purgeExpiredRows(db, targets, now)).map((r) => ({ table: r.table, changed: r.deleted })),
  };
}
