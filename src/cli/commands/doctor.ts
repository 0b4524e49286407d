import { Option, type Command } from 'commander';
import type { ExitCode } from '../../errors.js';
import { addConnectionOptions, addJsonOption, targetOptionsFrom, type ConnectionFlags, type OutputFlags } from '../options.js';
import { commandAction } from '../run.js';

interface DoctorFlags extends ConnectionFlags, OutputFlags {
  failOn: 'warn' | 'error';
  url?: string;
  flow?: string;
  profile: 'auto' | 'csrf-json' | 'otp';
  allDatabases?: boolean;
  targets?: string;
  jobs?: string;
}

export function registerDoctor(program: Command): void {
  const command = program
    .command('doctor')
    .description('one health report over everything healfix checks: server, sequences, pending signups, rate limits')
    .addOption(new Option('--fail-on <level>', 'exit 1 when a check reaches this level').choices(['warn', 'error']).default('error'))
    .option('--url <url>', 'also replay a registration against this running server (register-test)')
    .option('--flow <file>', 'the signup flow --url replays (a JSON or YAML flow file, as register-test --flow)')
    .addOption(new Option('--profile <name>', 'the built-in signup flow --url replays').choices(['auto', 'csrf-json', 'otp']).default('auto'))
    .option('--all-databases', 'check every database on the server the role may connect to (templates excluded)')
    .option('--targets <file>', 'check the databases listed in this file: one URL per line, # comments, ${VAR} from the environment')
    .option('--jobs <n>', 'with several databases: how many to check at once (default: the number of cores)');
  addConnectionOptions(command, { repeatable: true });
  addJsonOption(command);
  command.addHelpText('after', '\nExit codes: 0 healthy, 1 a check reached --fail-on, 2 usage/config/connection error.');
  command.action(commandAction<DoctorFlags>('doctor', runDoctorCommand));
}

async function runDoctorCommand(flags: DoctorFlags): Promise<ExitCode> {
  const urls = ([] as string[]).concat((flags.databaseUrl as unknown as string[] | string | undefined) ?? []);
  const fleet = await import('./doctor-fleet.js');
  if (fleet.isFleet(flags, urls)) return fleet.runDoctorFleet(flags, urls);
  flags.databaseUrl = urls[0];
  const [{ openFromFlags }, { runDoctor }, { defaultDoctorChecks }, { findTarget }, { startProgress }, report, { writeStdout }] = await Promise.all([
    import('../options.js'),
    import('../../checks/doctor.js'),
    import('../../checks/doctor-checks.js'),
    import('../../db/target.js'),
    import('../spinner.js'),
    import('../../report/doctor.js'),
    import('../../report/io.js'),
  ]);
  const { UsageError } = await import('../../errors.js');
  if ((flags.flow || flags.profile !== 'auto') && !flags.url) throw new UsageError('--flow and --profile choose the flow doctor --url replays: give --url too');
  if (flags.flow && flags.profile !== 'auto') throw new UsageError('give either --flow or --profile, not both');
  if (flags.flow) (await import('../paths.js')).assertReadableFile(flags.flow, '--flow');
  // With --url, doctor runs even where no database is configured: it then only replays the registration.
  const target = flags.url ? findTarget(targetOptionsFrom(flags)) : undefined;
  const db = flags.url && !target ? undefined : await openFromFlags(flags, { target });
  const { withIgnoredChecks, isIgnored, skipped } = await import('../ignored-checks.js');
  const { doctorCheckOptions } = await import('../project-config.js');
  const checks = withIgnoredChecks(defaultDoctorChecks(await doctorCheckOptions(flags.projectConfig)), flags.projectConfig, ['register-test']);
  const rtIgnored = isIgnored(flags.projectConfig, 'register-test');
  const extraChecks = !flags.url ? [] : rtIgnored
    ? [async () => skipped('register-test', rtIgnored)]
    : [async () => (await import('../../doctor/register-test-check.js')).registerTestCheck({ url: flags.url!, db, flowFile: flags.flow, profile: flags.profile })];
  const progress = await startProgress('checking', { json: flags.json });
  try {
    const result = await runDoctor(db, {
      checks,
      extraChecks,
      onCheckStart: (title) => progress.update(`checking ${title}`),
      connectionArgs: db ? connectionArgsFor(db.target.source, db.target.display, flags) : undefined,
      appUrl: flags.url,
    });
    progress.stop();
    if (flags.json) writeStdout(report.doctorJson(result, db?.target, flags.failOn));
    else report.reportDoctorHuman(writeStdout, result, db?.target, flags.failOn, { verbose: flags.verbose });
    const { doctorOutcome } = await import('../../contract/doctor.js');
    return doctorOutcome(result, flags.failOn).exitCode;
  } finally {
    progress.stop();
    await db?.close();
  }
}

/** The flags that name the same database again, for the next commands doctor prints. */
function connectionArgsFor(source: string, display: string, flags: DoctorFlags): string | undefined {
  if (source === '--database-url') return `-d ${/^[\w@%+=:,./*-]+$/.test(display) ? display : `'${display}'`}`;
  // A config found by search is found again by the next command; one named by --config must be named again.
  if (flags.config) return `--config ${flags.config}`;
  if (flags.envFile && flags.projectConfig?.config.envFile === undefined) return `--env-file ${flags.envFile}`;
  return undefined;
}
