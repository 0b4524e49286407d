import { toInitJson, type InitReport } from '../contract/init.js';
import { chalk } from './color.js';
import type { Write } from './io.js';
import { serializeDocument } from './json.js';

export type { InitReport } from '../contract/init.js';

export function initJson(report: InitReport): string {
  return serializeDocument(toInitJson(report));
}

/** What was found, where it was found, what went into the file, and what is left to do. */
export function renderInitHuman(report: InitReport, write: Write): void {
  const { database, stacks, app } = report.detection;
  write(`${chalk.bold('healfix init')}: wrote ${report.path}\n`);
  if (database) {
    const state = database.connected ? chalk.green('connected') : chalk.yellow(`not reachable: ${database.error ?? 'unknown reason'}`);
    write(`  database  ${database.display} — ${state}\n            ${database.note}\n`);
  } else {
    write(`  database  ${chalk.yellow('none found')} (no DATABASE_URL, PG* variables, .env or app config here)\n`);
  }
  if (database?.connected) write(`  stacks    ${stacks.length ? stacks.map((s) => `${s.title}${s.tables.length ? ` (${s.tables.join(', ')})` : ''}`).join('; ') : 'none recognised in the catalog'}\n`);
  if (app) {
    const found = app.error ? chalk.yellow(`signup not found: ${app.error}`) : `signup found: ${app.stack ?? app.profile} at ${app.signupPath ?? '?'}`;
    write(`  app       ${app.url} — ${found}\n`);
  }
  const keys = Object.entries(report.written).map(([k, v]) => `${k}: ${String(v)}`);
  write(`  written   ${keys.join(', ') || '(comments only)'}\n`);
  for (const action of report.actions) write(`${chalk.yellow('next:')} ${action}\n`);
  write(`${chalk.dim('next:')} healfix doctor\n`);
}
