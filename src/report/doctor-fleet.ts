import type { DoctorResult, FailOn } from '../checks/doctor.js';
import { countByStatus, doctorOutcome } from '../contract/doctor.js';
import type { FleetEntry } from '../fleet/run-fleet.js';
import { worstExit } from '../fleet/run-fleet.js';
import { chalk } from './color.js';
import { fleetJsonBody, fleetLine } from './fleet.js';
import type { Write } from './io.js';
import { jsonDocument } from './json.js';
import { drawTable, mark } from './table.js';

/** doctor over a fleet: one table of databases × checks, one closing line; one --json document. */

export function renderDoctorFleet(write: Write, entries: FleetEntry<DoctorResult>[]): void {
  const checks = [...new Set(entries.flatMap((e) => e.result?.checks.map((c) => c.check) ?? []))];
  const rows = entries.map((e) => {
    if (e.error) return [e.target.display, { colSpan: checks.length, content: chalk.red(e.error.message) }, mark.error('error')];
    const cells = checks.map((name) => {
      const status = e.result!.checks.find((c) => c.check === name)?.status;
      return status === 'ok' ? mark.ok() : status === 'error' ? mark.error('error') : status === 'warn' ? mark.warn('warn') : chalk.dim(status ?? '-');
    });
    return [e.target.display, ...cells, e.exitCode === 0 ? mark.ok() : mark.error('problems')];
  });
  write(drawTable(['database', ...checks, 'result'], rows));
  const line = fleetLine(entries);
  write(`${worstExit(entries) === 0 ? chalk.green(line) : chalk.red(line)}\n`);
  if (worstExit(entries) !== 0) write(chalk.dim('Details of one database: healfix doctor -d <its URL>\n'));
}

export function doctorFleetJson(entries: FleetEntry<DoctorResult>[], failOn: FailOn): string {
  return jsonDocument('doctor', worstExit(entries) === 0, {
    failOn,
    ...fleetJsonBody(entries, (result) => ({ ok: doctorOutcome(result, failOn).ok, counts: countByStatus(result), checks: result.checks })),
  });
}
