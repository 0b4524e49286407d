import type { DemoEvents, DemoResult } from '../demo/run-demo.js';
import { chalk } from './color.js';
import type { Write } from './io.js';

export function demoEvents(write: Write): DemoEvents {
  return {
    phase: (text) => write(`${chalk.dim(`· ${text}`)}\n`),
    step: (index, step, commandLine) => {
      write(`\n${chalk.bold(`${index}. ${step.title}`)}\n${chalk.cyan(`$ ${commandLine}`)}\n`);
    },
    stepDone: (step, exitCode, ms) => {
      const as = exitCode === step.expectExit ? chalk.green('as expected') : chalk.red(`expected exit ${step.expectExit}`);
      write(chalk.dim(`→ exit ${exitCode ?? 'killed'} (${as}${chalk.dim(`, ${(ms / 1000).toFixed(1)} s)`)}\n`));
    },
  };
}

export function reportDemoEnd(write: Write, result: DemoResult): void {
  const bad = result.steps.filter((s) => s.exitCode !== s.expected);
  write(`\n${bad.length === 0 ? chalk.green('✔ demo complete') : chalk.red(`✖ ${bad.length} step(s) did not end as expected`)} in ${(result.totalMs / 1000).toFixed(1)} s\n`);
  write(`\n${chalk.bold('Now on your own database:')}\n`);
  write(`  healfix doctor -d postgres://user:password@host:5432/dbname      ${chalk.dim('# or DATABASE_URL, PG* variables, or the app’s .env')}\n`);
  write(`  healfix sequences --fix -d ...                                   ${chalk.dim('# shows the plan and asks first')}\n`);
  write(`  healfix register-test --url http://127.0.0.1:5000 -d ...          ${chalk.dim('# replay a real signup against your app')}\n`);
  write(`  healfix temp-registrations -d sqlite:data/app.db                 ${chalk.dim('# pending signups and OTPs')}\n`);
}
