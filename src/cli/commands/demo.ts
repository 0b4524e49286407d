import type { Command } from 'commander';
import { EXIT, type ExitCode } from '../../errors.js';
import { commandAction } from '../run.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole story on an embedded PostgreSQL and an SQLite file: break, diagnose, fix, verify')
    .addHelpText('after', '\nNeeds nothing installed: starts its own PostgreSQL and sandbox servers on local ports and removes them at the end.')
    .action(commandAction('demo', runDemoCommand));
}

async function runDemoCommand(): Promise<ExitCode> {
  const [{ runDemo, DemoInterrupted }, { demoEvents, reportDemoEnd }, { writeStdout }] = await Promise.all([
    import('../../demo/run-demo.js'),
    import('../../report/demo.js'),
    import('../../report/io.js'),
  ]);
  const controller = new AbortController();
  // Ctrl-C: stop the step in flight and clean up everything the demo started, then exit 130-like (2).
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  try {
    const result = await runDemo(demoEvents(writeStdout), { signal: controller.signal });
    reportDemoEnd(writeStdout, result);
    return result.ok ? EXIT.OK : EXIT.PROBLEMS;
  } catch (error) {
    if (error instanceof DemoInterrupted || controller.signal.aborted) {
      const { HealfixError } = await import('../../errors.js');
      throw new HealfixError('demo interrupted; everything it started was stopped and removed');
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
