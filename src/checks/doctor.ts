import { recogniseDatabaseStacks, type RecognisedStackSummary } from './doctor-stacks.js';
import type { OpenedDatabase } from '../db/open.js';
import { ConnectionError } from '../errors.js';
import { describePgError, isLostConnection } from '../db/pg-errors.js';
import { readServerFacts, serverCheckResult, type ServerFacts } from './server.js';
import type { CheckResult } from './types.js';

/** One check doctor runs; each is independent so one that cannot run never stops the others. */
export interface DoctorCheck {
  id: string;
  title: string;
  run(db: OpenedDatabase): Promise<CheckResult>;
}

export interface DoctorOptions {
  checks: DoctorCheck[];
  /** Runs after the database checks (register-test with --url). */
  extraChecks?: (() => Promise<CheckResult>)[];
  onCheckStart?: (title: string) => void;
  /** Appended to every finding's next command, e.g. `-d postgres://app:****@db/app` (password masked). */
  connectionArgs?: string;
  /** doctor --url: fills the <app-url> placeholder of next commands. */
  appUrl?: string;
}

export interface DoctorResult {
  server?: ServerFacts;
  /** The stacks src/knowledge recognised in the catalog, with the tables that told and the tables read. */
  stacks?: RecognisedStackSummary[];
  checks: CheckResult[];
}

export type FailOn = 'warn' | 'error';

export async function runDoctor(db: OpenedDatabase | undefined, options: DoctorOptions): Promise<DoctorResult> {
  const checks: CheckResult[] = [];
  let server: ServerFacts | undefined;
  let stacks: RecognisedStackSummary[] | undefined;
  if (db) {
    options.onCheckStart?.('server');
    try {
      server = await readServerFacts(db);
      checks.push(serverCheckResult(server));
    } catch (error) {
      checks.push(couldNotRun('server', error));
    }
    try {
      stacks = await recogniseDatabaseStacks(db);
    } catch {
      // The checks below read the same catalog and report its error themselves.
    }
    for (const check of options.checks) {
      options.onCheckStart?.(check.title);
      try {
        checks.push(await check.run(db));
      } catch (error) {
        checks.push(couldNotRun(check.id, error));
      }
    }
  }
  for (const extra of options.extraChecks ?? []) checks.push(await extra());
  if (options.connectionArgs) addConnectionArgs(checks, options.connectionArgs);
  if (options.appUrl) {
    for (const finding of checks.flatMap((c) => c.findings)) finding.nextCommand = finding.nextCommand?.replace('<app-url>', options.appUrl);
  }
  return { server, ...(stacks ? { stacks } : {}), checks };
}

/** Next commands must run against the same database the user named: carry their connection flags over. */
function addConnectionArgs(checks: CheckResult[], args: string): void {
  for (const check of checks) {
    for (const finding of check.findings) {
      if (finding.nextCommand?.startsWith('healfix ') && !/ (-d|--database-url) /.test(finding.nextCommand)) {
        finding.nextCommand = `${finding.nextCommand} ${args}`;
      }
    }
  }
}

/**
 * A check that threw verified nothing: an error in the report (exit 1), never a quiet 'skipped' in a
 * healthy one. A lost session is not a finding at all: the report would be partial, so doctor stops with
 * the connection error (exit 2) instead of printing it.
 */
function couldNotRun(check: string, error: unknown): CheckResult {
  if (error instanceof ConnectionError) throw error;
  if (isLostConnection(error)) throw lostSession(error);
  const reason = describePgError(error);
  return {
    check,
    status: 'error',
    summary: `could not run: ${reason}`,
    findings: [{ check, severity: 'error', title: `${check} could not run: nothing was verified`, detail: reason, hint: `Run \`healfix ${check === 'server' ? 'doctor' : check}\` on its own to see the full error.` }],
  };
}

function lostSession(error: unknown): ConnectionError {
  const reason = String((error as Error)?.message ?? error).split('\n')[0];
  return new ConnectionError(`lost the connection to the database during doctor: ${reason}`, {
    hint: 'The report would be incomplete, so none is printed. Run doctor again once the server is back.',
    cause: error,
  });
}

// doctor's verdict (exit code and `ok`) and its counts live in src/contract/doctor.ts.
