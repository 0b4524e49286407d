import type { ScanSequencesResult } from '../checks/sequences.js';
import { isProblem, summaryLine } from '../checks/sequences.js';
import type { FleetEntry } from '../fleet/run-fleet.js';
import { worstExit } from '../fleet/run-fleet.js';
import { chalk } from './color.js';
import type { Write } from './io.js';
import { jsonDocument } from './json.js';
import { jsonFinding, summaryJson } from './sequences.js';
import { drawTable, mark } from './table.js';

/** One report for a fleet: a row per database, its result and its summary, and one closing count. */

const STATUS = ['ok', 'problems', 'error'] as const;

export function renderSequencesFleet(write: Write, entries: FleetEntry<ScanSequencesResult>[]): void {
  const rows = entries.map((e) => {
    const cell = e.exitCode === 0 ? mark.ok() : e.exitCode === 1 ? mark.error('problems') : mark.error('error');
    const text = e.error ? `${e.error.message}${e.error.hint ? `\n${chalk.dim(e.error.hint)}` : ''}` : summaryLine(e.result!);
    return [e.target.display, cell, text];
  });
  write(drawTable(['database', 'result', 'summary'], rows));
  const line = fleetLine(entries);
  const worst = worstExit(entries);
  write(`${worst === 0 ? chalk.green(line) : chalk.red(line)}\n`);
  if (worst !== 0) write(chalk.dim('Details of one database: healfix sequences -d <its URL>\n'));
}

/** "40 databases: 35 ok, 4 with problems, 1 error" */
export function fleetLine(entries: readonly FleetEntry<unknown>[]): string {
  const counts = STATUS.map((_, code) => entries.filter((e) => e.exitCode === code).length);
  const parts = [`${counts[0]} ok`, counts[1] ? `${counts[1]} with problems` : '', counts[2] ? `${counts[2]} error${counts[2] === 1 ? '' : 's'}` : ''].filter(Boolean);
  return `${entries.length} database${entries.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

/** The fleet part every fleet document shares: the counts, and a section per database with what `body` adds. */
export function fleetJsonBody<R>(entries: readonly FleetEntry<R>[], body: (result: R) => Record<string, unknown>): { fleet: Record<string, unknown>; databases: Record<string, unknown>[] } {
  return {
    fleet: {
      text: fleetLine(entries),
      databases: entries.length,
      ok: entries.filter((e) => e.exitCode === 0).length,
      problems: entries.filter((e) => e.exitCode === 1).length,
      errors: entries.filter((e) => e.exitCode === 2).length,
      exitCode: worstExit(entries),
    },
    databases: entries.map((e) => ({
      target: { kind: 'postgres', source: e.target.source, display: e.target.display },
      database: e.target.database,
      status: STATUS[e.exitCode],
      exitCode: e.exitCode,
      ...(e.result ? body(e.result) : {}),
      ...(e.error ? { error: e.error } : {}),
    })),
  };
}

/** The one --json document of a fleet scan: a section per database; ok only when every database is. */
export function sequencesFleetJson(entries: FleetEntry<ScanSequencesResult>[], options: { all?: boolean } = {}): string {
  return jsonDocument('sequences', worstExit(entries) === 0, fleetJsonBody(entries, (result) => ({
    summary: summaryJson(result, result.durationMs),
    findings: (options.all ? result.findings : result.findings.filter(isProblem)).map(jsonFinding),
  })));
}
