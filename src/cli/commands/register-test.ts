import { Option, type Command } from 'commander';
import { addConnectionOptions, addJsonOption, parsePositiveInt, type ConnectionFlags, type OutputFlags } from '../options.js';
import { commandAction } from '../run.js';

interface RegisterTestFlags extends ConnectionFlags, OutputFlags {
  url?: string;
  profile: 'auto' | 'csrf-json' | 'otp';
  flow?: string;
  saveFlow?: string;
  prefix: string;
  field: string[];
  otp?: string;
  otpFrom?: string;
  race?: string;
  wait?: boolean;
  fixSequences?: boolean;
  yes?: boolean;
  serverLog?: string;
  cleanup?: boolean;
  timeout: string;
}

export function registerRegisterTest(program: Command): void {
  const command = program
    .command('register-test')
    .description('replay a real registration against a running server, explain every failure')
    .option('--url <url>', 'base URL of the running app, e.g. http://127.0.0.1:5000')
    .addOption(new Option('--profile <name>', 'signup flow: probe the server, or a built-in profile').choices(['auto', 'csrf-json', 'otp']).default('auto'))
    .option('--flow <file>', 'describe another app\'s signup in a JSON or YAML flow file (see flows/*.json)')
    .option('--save-flow <file>', 'write the flow --profile auto discovered to FILE (YAML; JSON for .json) to edit and pass back with --flow')
    .option('--prefix <text>', 'prefix of the generated username and email', 'hf')
    .option('--field <key=value>', 'override a generated field or add one to the signup body (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--otp <code>', 'the OTP to verify with (otp flow)')
    .option('--otp-from <source>', 'read the OTP from: db (the app database), mailpit[=URL] (Mailpit/MailHog), maildev[=URL], maildir:PATH or file:PATH (mail files)')
    .option('--race <n>', 'N concurrent signups for one email from N clients, then verify each')
    .option('--wait', 'on a 429, wait the time the server asks for (at most 5 minutes) and retry once')
    .option('--fix-sequences', 'on a 500 caused by lagging sequences, fix them (asks first) and retry once')
    .option('-y, --yes', 'do not ask before writing (--fix-sequences, --cleanup)')
    .option('--server-log <file>', "the app's log file: find the line for a 500's error id")
    .option('--cleanup', 'delete the created account and its pending rows through the database')
    .option('--timeout <duration>', 'give up on one request after (a unit is required: 500ms, 15s, 1m)', '15s')
    .option('--output <file>', 'the file of a --reporter named without one (--reporter junit --output report.xml)');
  addConnectionOptions(command);
  addJsonOption(command);
  command.action(
    commandAction<RegisterTestFlags>('register-test', async (flags) => {
      const { UsageError } = await import('../../errors.js');
      if (!flags.url) throw new UsageError('--url is required: the base URL of the running app, e.g. --url http://127.0.0.1:5000');
      const race = flags.race !== undefined ? parsePositiveInt(flags.race, '--race', 50) : undefined;
      if (flags.otp && flags.otpFrom) throw new UsageError('give either --otp or --otp-from, not both');
      if (flags.otp !== undefined && !/^\S{4,12}$/.test(flags.otp)) throw new UsageError('--otp must be the 4-12 character code');
      if (flags.flow && flags.profile !== 'auto') throw new UsageError('give either --flow or --profile, not both');
      // Every path first: a bad one found after the signup ran leaves an account behind.
      const { assertReadableFile, assertWritableFile } = await import('../paths.js');
      if (flags.serverLog !== undefined) assertReadableFile(flags.serverLog, '--server-log');
      if (flags.flow !== undefined) assertReadableFile(flags.flow, '--flow');
      if (flags.saveFlow !== undefined && (flags.flow || flags.profile !== 'auto')) throw new UsageError('--save-flow saves what --profile auto discovers: drop --flow / --profile');
      if (flags.saveFlow !== undefined) assertWritableFile(flags.saveFlow, '--save-flow');
      const { parseDuration } = await import('../../db/session.js');
      const timeoutMs = parseDuration(flags.timeout, '--timeout');
      const connectTimeoutMs = flags.connectTimeout ? parseDuration(flags.connectTimeout, '--connect-timeout') : 5_000;
      const { parseFields, runRegisterTest, MAX_WAIT_SEC } = await import('../../register-test/index.js');
      const fields = parseFields(flags.field);
      const { parseMailSource } = await import('../../register-test/mail/source.js');
      const mailSource = flags.otpFrom !== undefined ? parseMailSource(flags.otpFrom) : undefined;

      // A database is optional: configured explicitly or by the environment / .env, it powers --otp-from db,
      // the sequence scan on a 500, --race counts and --cleanup.
      const { findTarget } = await import('../../db/target.js');
      const { targetOptionsFrom } = await import('../options.js');
      const target = findTarget(targetOptionsFrom(flags));
      if ((flags.otpFrom === 'db' || flags.fixSequences || flags.cleanup) && !target) {
        const { ConfigError } = await import('../../errors.js');
        const { NO_TARGET_HINT } = await import('../../db/target.js');
        throw new ConfigError(`${flags.otpFrom === 'db' ? '--otp-from db' : flags.fixSequences ? '--fix-sequences' : '--cleanup'} needs a database`, { hint: NO_TARGET_HINT });
      }
      const { openFromFlags } = target ? await import('../options.js') : { openFromFlags: undefined };
      const db = target && openFromFlags ? await openFromFlags(flags, { target, write: Boolean(flags.cleanup), intendsWrite: Boolean(flags.cleanup || flags.fixSequences) }) : undefined;
      const { startProgress } = await import('../spinner.js');
      const { confirmWrite, askSecret } = await import('../prompts.js');
      const { writeStdout, writeStderr } = await import('../../report/io.js');
      try {
        if (flags.cleanup && db) await confirmWrite({ yes: flags.yes, message: 'Delete the test account and pending rows this run creates?' });
        const discovered = !flags.flow && flags.profile === 'auto' ? await discoverFlow(flags, { connectTimeoutMs, timeoutMs }, Boolean(mailSource)) : undefined;
        const result = await runRegisterTest(
          {
            url: flags.url,
            profile: flags.profile,
            flowFile: flags.flow,
            discovered,
            prefix: flags.prefix,
            fields,
            otp: flags.otp,
            otpFromDb: flags.otpFrom === 'db',
            db,
            race,
            wait: flags.wait,
            fixSequences: flags.fixSequences,
            serverLog: flags.serverLog,
            cleanup: flags.cleanup,
            timeoutMs,
            connectTimeoutMs,
          },
          {
            // From mail: the newest message to the generated address, bounded wait; the code is registered as a secret.
            ...(mailSource ? { readLink: async (vars: Record<string, string>) => (await import('../../register-test/mail/read.js')).readConfirmationLink(mailSource, vars.email ?? '', flags.url!) } : {}),
            askOtp: async (message, vars) => (mailSource && vars.email ? (await import('../../register-test/mail/read.js')).readCodeFromMail(mailSource, vars.email) : askSecret(message)),
            async waitOut(seconds, reason) {
              // Said on stderr even without a TTY: a silent sleep looks like a hang.
              if (!flags.json) writeStderr(`${reason}: waiting ${seconds}s before retrying once (--wait waits at most ${MAX_WAIT_SEC}s)\n`);
              const progress = await startProgress(`${reason}: waiting ${seconds}s`, { json: flags.json });
              for (let left = seconds; left > 0; left--) {
                progress.update(`rate limited: retrying in ${left}s`);
                await new Promise((r) => setTimeout(r, 1000));
              }
              progress.succeed(`waited ${seconds}s, retrying once`);
            },
            async confirm(message, plan) {
              if (!flags.json) writeStderr(`${plan.map((p) => `  ${p}`).join('\n')}\n`);
              await confirmWrite({ yes: flags.yes, message });
            },
          },
        );
        const report = await import('../../report/register-test.js');
        if (flags.json) writeStdout(report.registerTestJson(result));
        else {
          // Said with the report, not before it: a run that ends in a usage or connection error stays one line.
          if (discovered) (await import('../../report/discovery.js')).renderDiscovery(discovered.explanation, writeStdout, flags.saveFlow);
          report.renderRegisterTest(result, writeStdout);
        }
        return (await import('../../contract/register-test.js')).registerTestOutcome(result).exitCode;
      } finally {
        await db?.close();
      }
    }),
  );
}

/** --profile auto: find the signup, say what was found and why (human output), save it when asked. */
async function discoverFlow(flags: RegisterTestFlags, timeouts: { connectTimeoutMs: number; timeoutMs: number }, fromMail: boolean) {
  const { discoverAt, asResolvedFlow, saveFlow, withConfirmation } = await import('../../register-test/discover/index.js');
  const discovery = await discoverAt(flags.url!, timeouts);
  // With a mail source, the stack's confirmation (the link from the mail) is the verify step.
  const confirmed = fromMail ? withConfirmation(discovery.flow, discovery.stack) : undefined;
  if (confirmed) {
    discovery.flow = confirmed;
    discovery.explanation.push(`verify: follow the confirmation link from ${flags.otpFrom} (${discovery.stack!.signupProfile!.confirm!.kind === 'form' ? 'open it, then press its confirm form' : 'opening it confirms'})`);
  } else if (fromMail) discovery.explanation.push(`verify: no known way to confirm for this stack; --otp-from ${flags.otpFrom} serves {{otp}} / {{confirm_link}} in a --flow`);
  if (flags.saveFlow) await saveFlow(flags.saveFlow, discovery.flow, discovery.explanation);
  return { ...asResolvedFlow(discovery), explanation: discovery.explanation };
}
