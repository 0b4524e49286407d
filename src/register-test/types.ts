/** register-test's inputs and outputs: what the command hands the core and what the reporters print. */
import type { Finding } from '../checks/types.js';
import type { SequenceFinding } from '../checks/sequences.js';
import type { OpenedDatabase } from '../db/open.js';
import type { SequenceFixOutcome } from '../fix/sequences.js';
import type { BuiltinProfile, Flow } from '../http/flow.js';

export type ProfileChoice = 'auto' | BuiltinProfile;

export interface RegisterTestOptions {
  url: string;
  profile?: ProfileChoice;
  flowFile?: string;
  /** A flow found by --profile auto's discovery (src/register-test/discover/), used instead of the probes. */
  discovered?: { flow: Flow; profile: string; reason: string };
  prefix?: string;
  fields?: Record<string, string>;
  otp?: string;
  otpFromDb?: boolean;
  /** The app's database when configured (read-only unless cleanup / fix). */
  db?: OpenedDatabase;
  race?: number;
  wait?: boolean;
  fixSequences?: boolean;
  serverLog?: string;
  cleanup?: boolean;
  connectTimeoutMs?: number;
  timeoutMs?: number;
  /** Longest Retry-After --wait sleeps out (default MAX_WAIT_SEC). */
  maxWaitSec?: number;
}

/** --wait sleeps out a short limiter window; anything longer is reported, not waited for. */
export const MAX_WAIT_SEC = 300;

export interface RegisterTestHooks {
  /** Obtains the OTP: a prompt, or the mail catcher / mail folder of --otp-from (which reads vars.email). */
  askOtp?(message: string, vars: Record<string, string>): Promise<string>;
  /** Reads the confirmation link (a path on --url) sent to vars.email: --otp-from's mail source. */
  readLink?(vars: Record<string, string>): Promise<string>;
  /** Sleeps out a 429 (with a countdown in the CLI). */
  waitOut?(seconds: number, reason: string): Promise<void>;
  /** Must throw when the write is not confirmed (confirmWrite). */
  confirm?(message: string, plan: string[]): Promise<void>;
}

export interface StepHop {
  status: number;
  location: string;
}

export interface StepRecord {
  client?: number;
  attempt: number;
  name: string;
  method: string;
  path: string;
  /** The server's first answer (a redirect's 302, not the page it leads to). */
  status: number | null;
  /** The redirects followed, in order, and the final status when there were any. */
  hops?: StepHop[];
  finalStatus?: number;
  ms: number;
  ok: boolean;
  result: string;
  /** The answer was longer than healfix keeps: only this many bytes were read (see MAX_BODY_BYTES). */
  bodyTruncatedAt?: number;
}

export interface RaceClient {
  client: number;
  ok: boolean;
  failedAt?: string;
  status?: number;
  message?: string;
}

export interface RaceSummary {
  clients: number;
  signupsAccepted: number;
  accounts: number | null;
  pendingRows: number | null;
  verificationRows: number | null;
  /** Why a count is null: no database, or the flow names no such table. */
  unread?: string;
  results: RaceClient[];
}

/** What the temp-registrations check saw for the test user's email after an OTP session failure. */
export interface TempRegistrationEvidence {
  email: string;
  /** Pending rows for the email now. */
  pendingRows: number;
  /** Unused, unexpired codes belonging to those rows (or keyed by the email). */
  liveOtps: number;
  /** Codes whose temp id has no pending row any more: for this email (created next to its pending row) and in all. */
  orphanOtps: number;
  orphanOtpsTotal: number;
  summary: string;
}

export type LaggingSequence = Pick<SequenceFinding, 'sequence' | 'nextValue' | 'dataMax' | 'lag'> & {
  /** The sequence behind the constraint the server log names: the insert that failed. */
  failed?: boolean;
  tables?: string[];
};

export interface CleanupRow {
  table: string;
  deleted: number;
  /** Rows still matching after the delete (re-read): 0 when the cleanup worked. */
  remaining?: number;
}

export interface RegisterTestResult {
  url: string;
  profile: string;
  profileReason: string;
  /** The flow's own name ("django-allauth signup"), said in the summary. */
  flowName?: string;
  ok: boolean;
  user: { username: string; email: string; phone: string };
  steps: StepRecord[];
  findings: Finding[];
  sequences?: { lagging: LaggingSequence[]; fixed: SequenceFixOutcome[] };
  serverLog?: string[];
  race?: RaceSummary;
  tempRegistrations?: TempRegistrationEvidence;
  /** The account row read after the signup (with a database): where it was looked for and how many matched. */
  account?: { table: string; column: string; value: string; rows: number };
  created: string[];
  cleanup?: CleanupRow[];
  summary: string;
}
