import type { DoctorCheck } from './doctor.js';

/** The database checks `doctor` runs after the server facts, in report order. */
export function defaultDoctorChecks(): DoctorCheck[] {
  return [];
}
