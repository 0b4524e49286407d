import type { DoctorResult, FailOn } from '../../checks/doctor.js';
import { UsageError, type ExitCode } from '../../errors.js';
import type { ConnectionFlags } from '../options.js';
import { fleetJobs, fleetTargets, isFleet, runFleetWithProgress } from './sequences-fleet.js';

export { isFleet };

interface DoctorFleetFlags extends ConnectionFlags {
  allDatabases?: boolean;
  targets?: string;
  jobs?: string;
  json?: boolean;
  failOn: FailOn;
  url?: string;
}

/** doctor over many databases: the same checks on each, bounded by --jobs, one report. */
export async function runDoctorFleet(flags: DoctorFleetFlags, urls: string[]): Promise<ExitCode> {
  if (flags.url) throw new UsageError('--url replays a registration against one app: not with several databases');
  const jobs = fleetJobs(flags);
  const targets = await fleetTargets(flags, urls);
  const [{ openFromFlags }, { runDoctor }, { doctorOutcome }, { defaultDoctorChecks }, { worstExit }, { writeStdout }, report] = await Promise.all([
    import('../options.js'),
    import('../../checks/doctor.js'),
    import('../../contract/doctor.js'),
    import('../../checks/doctor-checks.js'),
    import('../../fleet/run-fleet.js'),
    import('../../report/io.js'),
    import('../../report/doctor-fleet.js'),
  ]);
  const entries = await runFleetWithProgress<DoctorResult>(targets, { jobs, json: flags.json }, async (target) => {
    // Two connections: doctor's sequences check reads over two (its pool must allow them).
    const db = await openFromFlags(flags, { target, maxConnections: 2 });
    try {
      const result = await runDoctor(db, { checks: defaultDoctorChecks() });
      return { exitCode: doctorOutcome(result, flags.failOn).exitCode, result };
    } finally {
      await db.close();
    }
  });
  if (flags.json) writeStdout(report.doctorFleetJson(entries, flags.failOn));
  else report.renderDoctorFleet(writeStdout, entries);
  return worstExit(entries);
}
