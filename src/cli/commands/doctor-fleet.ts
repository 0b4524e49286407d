import { availableParallelism } from 'node:os';
import type { DoctorResult, FailOn } from '../../checks/doctor.js';
import { EXIT, isHealfixError, UsageError, type ExitCode } from '../../errors.js';
import { parsePositiveInt, type ConnectionFlags } from '../options.js';
import { errorForJson } from '../run.js';
import { fleetTargets, isFleet } from './sequences-fleet.js';

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
  const jobs = flags.jobs === undefined ? availableParallelism() : parsePositiveInt(flags.jobs, '--jobs', 64);
  const targets = await fleetTargets(flags, urls);
  const [{ openFromFlags }, { runDoctor }, { doctorOutcome }, { defaultDoctorChecks }, { runFleet, worstExit }, { startProgress }, { abortOnCtrlC }, { writeStdout, writeStderr }, report] = await Promise.all([
    import('../options.js'),
    import('../../checks/doctor.js'),
    import('../../contract/doctor.js'),
    import('../../checks/doctor-checks.js'),
    import('../../fleet/run-fleet.js'),
    import('../spinner.js'),
    import('../interrupt.js'),
    import('../../report/io.js'),
    import('../../report/doctor-fleet.js'),
  ]);
  const progress = await startProgress(`0/${targets.length} databases`, { json: flags.json });
  const interrupt = abortOnCtrlC(() => writeStderr('\nStopping (Ctrl-C again to quit at once)…\n'));
  let entries;
  try {
    entries = await runFleet<DoctorResult>(
      targets,
      async (target) => {
        // Two connections: doctor's sequences check reads over two (its pool must allow them).
        const db = await openFromFlags(flags, { target, maxConnections: 2 });
        try {
          const result = await runDoctor(db, { checks: defaultDoctorChecks() });
          return { exitCode: doctorOutcome(result, flags.failOn).exitCode, result };
        } finally {
          await db.close();
        }
      },
      (error) => ({ ...errorForJson(error), exitCode: isHealfixError(error) ? error.exitCode : EXIT.ERROR }),
      { jobs, signal: interrupt.signal, onProgress: (done, total) => progress.update(`${done}/${total} databases`) },
    );
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  if (flags.json) writeStdout(report.doctorFleetJson(entries, flags.failOn));
  else report.renderDoctorFleet(writeStdout, entries);
  return worstExit(entries);
}
