import type { DoctorCheck } from './doctor.js';
import { scanSequences, scanSqliteSequences, sequencesCheckResult } from './sequences.js';

/** The database checks `doctor` runs after the server facts, in report order. */
export function defaultDoctorChecks(): DoctorCheck[] {
  return [
    {
      id: 'sequences',
      title: 'sequences',
      run: async (db) => sequencesCheckResult(db.kind === 'postgres' ? await scanSequences(db.pg) : scanSqliteSequences(db.sqlite)),
    },
  ];
}
