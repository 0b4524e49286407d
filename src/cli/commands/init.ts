import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { ExitCode } from '../../errors.js';
import { commandAction } from '../run.js';

interface InitFlags {
  databaseUrl?: string;
  envFile?: string;
  djangoSettings?: string;
  url?: string;
  saveFlow?: string;
  failOn: 'warn' | 'error';
  yes?: boolean;
  force?: boolean;
  json?: boolean;
  connectTimeout?: string;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('detect the database, its stacks and the running app, and write healfix.config.yaml (with comments)')
    .option('-d, --database-url <url>', 'the database, when healfix finds none here (a password in it is never written: the file names DATABASE_URL)')
    .option('--env-file <path>', 'read the database settings from this file instead of ./.env')
    .option('--django-settings <module>', "read DATABASES['default'] by importing this Django settings module (runs python3 here)")
    .option('--url <url>', 'the running app: find its signup and record the URL for doctor and register-test')
    .option('--save-flow <file>', 'with --url: save the discovered signup flow to this YAML/JSON file and record it as flow (instead of profile: auto)')
    .addOption(new Option('--fail-on <level>', 'the level at which doctor exits 1').choices(['warn', 'error']).default('error'))
    .option('-y, --yes', 'take every detected value without asking (needed when there is no terminal)')
    .option('--force', 'replace an existing healfix config in this folder')
    .addOption(new Option('--connect-timeout <duration>', 'give up connecting after (500ms, 10s, 1m)').default('10s'))
    .option('--json', 'print one JSON document on stdout (see docs/json.md)')
    .addHelpText('after', '\nExit codes: 0 written and verified, 1 written but the database or the signup was not reached, 2 nothing written.')
    .action(commandAction<InitFlags>('init', runInit));
}

async function runInit(flags: InitFlags): Promise<ExitCode> {
  const cwd = process.cwd();
  const [{ assertWritable, renderConfig, writeConfig }, { detectProject, nothingDetected }, prompts, { UsageError, ConfigError }] = await Promise.all([
    import('../../init/config-file.js'),
    import('../../init/detect.js'),
    import('../prompts.js'),
    import('../../errors.js'),
  ]);
  // Both refusals come before any work: nothing is probed, nothing half-written.
  assertWritable(cwd, Boolean(flags.force));
  if (flags.saveFlow && !flags.url) throw new UsageError('--save-flow saves the signup found at --url: give --url too');
  if (flags.saveFlow && !flags.force && existsSync(flags.saveFlow)) throw new UsageError(`--save-flow: ${flags.saveFlow} already exists (--force replaces it)`);
  if (!flags.yes && !prompts.canPrompt()) throw new UsageError('healfix init asks on a terminal and there is none: re-run with --yes to take every detected value');
  const { sessionOptionsFrom } = await import('../options.js');
  const session = sessionOptionsFrom(flags);
  const detection = await detectProject({
    connection: { databaseUrl: flags.databaseUrl, envFile: flags.envFile, djangoSettings: flags.djangoSettings, session },
    cwd,
    env: process.env,
    url: flags.url,
    http: { connectTimeoutMs: session.connectTimeoutMs },
  });
  if (nothingDetected(detection)) {
    const { NO_TARGET_HINT } = await import('../../db/target.js');
    throw new ConfigError('nothing to write: no database found here and no --url given', { hint: `${NO_TARGET_HINT}\nand/or --url http://127.0.0.1:8000 for the running app. Then run healfix init again.` });
  }
  const { detectedValues, withAnswers, notesOf, writtenKeys } = await import('../../init/values.js');
  const { relative, resolve } = await import('node:path');
  let values = detectedValues(detection, { failOn: flags.failOn, flowFile: flags.saveFlow && relative(cwd, resolve(cwd, flags.saveFlow)) });
  if (!flags.yes) values = withAnswers(values, await prompts.askInitValues({ databaseUrlEnv: values.databaseUrlEnv, url: values.url, failOn: values.failOn }));
  const text = renderConfig(values, notesOf(detection));
  // The last guard: any password healfix read on the way (registered as a secret) must not be in the file.
  const { maskSecrets } = await import('../../secrets.js');
  if (maskSecrets(text) !== text) throw new ConfigError('refusing to write healfix.config.yaml: it would hold a password', { hint: 'Name the environment variable that holds the URL instead (databaseUrlEnv).' });
  if (values.flow && detection.app?.flow) {
    const { saveFlow } = await import('../../register-test/discover/index.js');
    await saveFlow(resolve(cwd, values.flow), detection.app.flow, detection.app.explanation);
  }
  const path = writeConfig(cwd, text);
  const db = detection.database;
  const actions = db?.action && values.databaseUrlEnv === db.databaseUrlEnv ? [db.action] : [];
  const report = { detection, path, written: writtenKeys(values), actions };
  const [{ initJson, renderInitHuman }, { writeStdout }, { initOutcome }] = await Promise.all([
    import('../../report/init.js'),
    import('../../report/io.js'),
    import('../../contract/init.js'),
  ]);
  if (flags.json) writeStdout(initJson(report));
  else renderInitHuman(report, writeStdout);
  return initOutcome(report).exitCode;
}
