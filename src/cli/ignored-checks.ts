import type { DoctorCheck } from '../checks/doctor.js';
import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';

/**
 * The project config's `ignore` entries for doctor: an ignored check does not run and is reported as
 * skipped with the file and the reason, never dropped silently. An id doctor does not know is a typo.
 */
export function withIgnoredChecks(checks: DoctorCheck[], loaded: LoadedConfig | undefined, extraIds: readonly string[] = []): DoctorCheck[] {
  const ignore = loaded?.config.ignore ?? [];
  const known = [...checks.map((c) => c.id), ...extraIds];
  for (const entry of ignore) {
    if (!known.includes(entry.check)) throw new ConfigError(`${loaded!.label}: ignore: unknown check "${entry.check}" (doctor's checks: ${known.join(', ')})`);
  }
  return checks.map((check) => {
    const entry = ignore.find((e) => e.check === check.id);
    if (!entry) return check;
    const reason = `ignored in ${loaded!.label}: ${entry.reason}`;
    return { ...check, run: async () => ({ check: check.id, status: 'skipped' as const, summary: reason, skippedReason: reason, findings: [] }) };
  });
}

export function isIgnored(loaded: LoadedConfig | undefined, id: string): string | undefined {
  const entry = loaded?.config.ignore?.find((e) => e.check === id);
  return entry && `ignored in ${loaded!.label}: ${entry.reason}`;
}
