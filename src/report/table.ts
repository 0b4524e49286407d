import Table from 'cli-table3';
import { chalk } from './color.js';

/** One cli-table3 table in the house look: bold header, no colour codes when colour is off. */
export function renderTable(head: string[], rows: (string | number)[][]): string {
  const table = new Table({
    head: head.map((h) => chalk.bold(h)),
    style: { head: [], border: [] },
    wordWrap: true,
  });
  for (const row of rows) table.push(row.map((cell) => String(cell)));
  return `${table.toString()}\n`;
}

export const mark = {
  ok: (text = 'ok') => chalk.green(text),
  warn: (text = 'warn') => chalk.yellow(text),
  error: (text = 'error') => chalk.red(text),
  skip: (text = 'skipped') => chalk.dim(text),
};
