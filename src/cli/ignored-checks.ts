import type { DoctorCheck } from '../checks/doctor.js';
import { worstSeverity, type CheckResult } from '../checks/types.js';
import type { LoadedConfig } from '../config/load.js';
import type { IgnoreEntry } from '../config/schema.js';
import { ConfigError } from '../errors.js';

/**
 * The project config's `ignore` entries for doctor, never dropped silently: an ignored check does not run
 * and is reported as skipped with the file and the reason; an ignored subject (one sequence, table, key)
 * stays in the check's findings as `ok`, its title saying it is ignored and why, and the check's summary
 * counts it. An id doctor does not know is a typo: exit 2.
 */
export function withIgnoredChecks(checks: DoctorCheck[], loaded: LoadedConfig | undefined, extraIds: readonly string[] = []): DoctorCheck[] {
  const ignore = loaded?.config.ignore ?? [];
  const known = [...checks.map((c) => c.id), ...extraIds];
  for (const entry of ignore) {
    if (!known.includes(entry.check)) throw new ConfigError(`${loaded!.label}: ignore: unknown check "${entry.check}" (doctor's checks: ${known.join(', ')})`);
  }
  return checks.map((check) => {
    const whole = isIgnored(loaded, check.id);
    if (whole) return { ...check, run: async () => skipped(check.id, whole) };
    const subjects = ignore.filter((e) => e.check === check.id && e.subject);
    if (!subjects.length) return check;
    return { ...check, run: async (db) => ignoreSubjects(await check.run(db), subjects, loaded!.label) };
  });
}

/** The reason a whole check is ignored, or undefined. */
export function isIgnored(loaded: LoadedConfig | undefined, id: string): string | undefined {
  const entry = loaded?.config.ignore?.find((e) => e.check === id && !e.subject);
  return entry && `ignored in ${loaded!.label}: ${entry.reason}`;
}

export function skipped(check: string, reason: string): CheckResult {
  return { check, status: 'skipped', summary: reason, skippedReason: reason, findings: [] };
}

function ignoreSubjects(result: CheckResult, entries: IgnoreEntry[], label: string): CheckResult {
  let ignored = 0;
  const findings = result.findings.map((f) => {
    const entry = f.severity !== 'ok' ? entries.find((e) => e.subject === f.subject) : undefined;
    if (!entry) return f;
    ignored += 1;
    return { ...f, severity: 'ok' as const, title: `ignored (${f.severity}): ${f.title} — ${entry.reason} (${label})` };
  });
  if (!ignored) return result;
  const status = result.status === 'skipped' ? 'skipped' : worstSeverity(findings);
  return { ...result, status, findings, summary: `${result.summary}; ${ignored} ignored in ${label}` };
}
