import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { EXIT } from '../errors.js';
import { writeStderr, writeStdout } from '../report/io.js';
import { registerCommands } from './commands/index.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('healfix')
    .description('Diagnose and repair the signup path of web apps backed by PostgreSQL or SQLite.')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: writeStdout,
      writeErr: writeStderr,
    });
  registerCommands(program);
  for (const command of program.commands) {
    command.exitOverride();
    // Every command that reads a database also reads the project config (flags > environment > config).
    // init writes the config: it never reads one (an existing one is refused, or replaced with --force).
    if (command.name() !== 'init' && command.options.some((o) => o.long === '--database-url')) {
      command.option('--config <file>', 'project config to use (default: healfix.config.{json,yaml,yml,js,mjs,cjs} or package.json "healfix", from here upward)');
    }
  }
  program.hook('preAction', async (_program, actionCommand) => {
    const { applyProjectConfig } = await import('./project-config.js');
    await applyProjectConfig(actionCommand);
  });
  return program;
}

/** Entry point: parses argv, runs one command, leaves the exit code in process.exitCode. */
export async function main(argv: string[]): Promise<void> {
  // `healfix ... | head` closes the pipe early: that is the reader's choice, not a crash.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  const program = buildProgram();
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      process.exitCode = EXIT.ERROR;
      return;
    }
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version are successes; every other commander error is a usage error.
      const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      process.exitCode = ok ? EXIT.OK : EXIT.ERROR;
      // commander already wrote its line on stderr; under --json stdout still gets its one document.
      if (!ok && wantsJson(argv)) {
        const { jsonError } = await import('../report/json.js');
        const { writeStdout } = await import('../report/io.js');
        writeStdout(jsonError(commandName(program, argv), error.message.replace(/^error: /, ''), 'Run with --help for the options.', 'usage'));
      }
      return;
    }
    const { reportError } = await import('./run.js');
    process.exitCode = await reportError(commandName(program, argv), error, wantsJson(argv));
  }
}

/**
 * --json (or --reporter json on stdout) anywhere before a `--` separator: commander has not parsed it when it
 * fails on another flag.
 */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  const args = end === -1 ? argv : argv.slice(0, end);
  return args.some((a, i) => a === '--json' || a === '--reporter=json' || (a === '--reporter' && args[i + 1] === 'json'));
}

/** The subcommand named in argv, for the `command` of an error document. */
function commandName(program: Command, argv: string[]): string {
  const names = new Set(program.commands.map((c) => c.name()));
  return argv.slice(2).find((a) => names.has(a)) ?? 'healfix';
}
