import { Option, type Command } from 'commander';
import { addConnectionOptions, addJsonOption, type ConnectionFlags } from '../options.js';
import { commandAction } from '../run.js';

interface ExplainFlags extends ConnectionFlags {
  json?: boolean;
  offline?: boolean;
}

export function registerExplain(program: Command): void {
  const command = program
    .command('explain')
    .description('explain a pasted error message and what to run next (text as argument, or on stdin)')
    .argument('[text...]', 'the error text; omit it (or give "-") to read stdin');
  addConnectionOptions(command);
  addJsonOption(command);
  command
    .addOption(new Option('--offline', 'do not look at the database, even when one is configured'))
    .action(
      commandAction<ExplainFlags>('explain', async (flags, ...rest) => {
        // commander hands the variadic argument as one array.
        const args = (rest as unknown as string[][])[0] ?? [];
        const { readPaste, explainText } = await import('../../explain/index.js');
        const text = await readPaste(args, process.stdin);
        const result = explainText(text);
        const { liveCheckFor } = await import('../../explain/live.js');
        const { findTarget } = await import('../../db/target.js');
        const { openFromFlags } = await import('../../db/open.js');
        const { targetOptionsFrom } = await import('../options.js');
        // Only the configured database is looked at, and only when the paste names something in it.
        const live = await liveCheckFor(result, {
          offline: flags.offline,
          ...(flags.offline ? {} : { target: findTarget(targetOptionsFrom(flags)) }),
          open: (target) => openFromFlags(flags, { target }),
        });
        const { renderExplainHuman, explainJson, explainExitCode } = await import('../../report/explain.js');
        const { writeStdout } = await import('../../report/io.js');
        const report = { result, live };
        if (flags.json) writeStdout(explainJson(report));
        else renderExplainHuman(report, writeStdout);
        return explainExitCode(report);
      }),
    );
}
