import type CliTable3 from 'cli-table3';
import { createRequire } from 'node:module';
import { stripVTControlCharacters } from 'node:util';
import { chalk } from './color.js';

// cli-table3 is required the first time a table is drawn: a --json run never draws one and starts faster.
const require = createRequire(import.meta.url);

/**
 * Compact: a rule under the header and none between rows (a doctor table of four checks used to be
 * seventeen lines). cli-table3 draws the same `mid` rule under the header and between rows, so the rules
 * after the first are dropped from its output (empty `mid` characters would drop the header's too, and
 * without colour the header would then look like a row).
 */
function dropRowRules(table: string): string {
  let seen = false;
  return table
    .split('\n')
    .filter((line) => {
      if (!line.startsWith('├')) return true;
      if (seen) return false;
      seen = true;
      return true;
    })
    .join('\n');
}

/** Piped output has no width; a CI log or a file reads well at this one. */
const PIPED_COLUMNS = 120;
const MIN_COLUMN = 6;

/** The width tables must fit: the terminal's, or $COLUMNS, or a fixed one when piped. */
export function outputColumns(): number {
  const fromTty = process.stdout.isTTY ? process.stdout.columns : undefined;
  const fromEnv = Number(process.env.COLUMNS);
  const columns = fromTty && fromTty > 0 ? fromTty : Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : PIPED_COLUMNS;
  return Math.max(columns, 20);
}

/**
 * Column widths that fit `columns`: each column gets what its longest cell needs, and while the table is too
 * wide the widest column gives way (word-wrapped) down to its longest word; undefined when even that does not
 * fit (the caller then lists the rows instead of drawing a table).
 */
export function fitWidths(cells: string[][], columns: number): number[] | undefined {
  const count = Math.max(0, ...cells.map((r) => r.length));
  const widths = Array.from({ length: count }, (_, i) => Math.max(1, ...cells.map((r) => longest(r[i] ?? '', /\n/))) + 2);
  const floors = Array.from({ length: count }, (_, i) => Math.max(MIN_COLUMN, ...cells.map((r) => longest(r[i] ?? '', /\s+/) + 2)));
  const budget = columns - (count + 1);
  let total = widths.reduce((a, b) => a + b, 0);
  while (total > budget) {
    const shrinkable = widths.map((w, i) => (w > floors[i]! ? w : -1));
    const widest = shrinkable.indexOf(Math.max(...shrinkable));
    if (shrinkable[widest]! < 0) return undefined;
    widths[widest]!--;
    total--;
  }
  return widths;
}

function longest(text: string, separator: RegExp): number {
  return Math.max(0, ...stripVTControlCharacters(text).split(separator).map((l) => l.length));
}

/** A terminal too narrow for the table: one row per block, the first cell as its heading. */
function renderStacked(rows: string[][]): string {
  return rows.map((row) => `${chalk.bold(row[0] ?? '')}  ${row.slice(1, -1).join('  ')}${row.length > 1 ? `\n  ${row[row.length - 1]}` : ''}\n`).join('');
}

/**
 * A table in the house look: bold header, a rule under it and none between rows, no colour codes when
 * colour is off. Cells wrap at their newlines and, with colWidths, at those widths.
 */
export function drawTable(head: string[], rows: CliTable3.Cell[][], options: { colWidths?: number[] } = {}): string {
  const Table = require('cli-table3') as typeof import('cli-table3');
  const table = new Table({
    head: head.map((h) => chalk.bold(h)),
    style: { head: [], border: [] },
    wordWrap: true,
    ...(options.colWidths ? { colWidths: options.colWidths, wrapOnWordBoundary: true } : {}),
  });
  table.push(...rows);
  return `${dropRowRules(table.toString())}\n`;
}

/** A table fitted to the output's width (see fitWidths), or one block per row when even that is too wide. */
export function renderTable(head: string[], rows: (string | number)[][], options: { columns?: number } = {}): string {
  const body = rows.map((row) => row.map((cell) => String(cell)));
  const colWidths = fitWidths([head, ...body], options.columns ?? outputColumns());
  if (!colWidths) return renderStacked(body);
  return drawTable(head, body, { colWidths });
}

export const mark = {
  ok: (text = 'ok') => chalk.green(text),
  warn: (text = 'warn') => chalk.yellow(text),
  error: (text = 'error') => chalk.red(text),
  skip: (text = 'skipped') => chalk.dim(text),
};
