/**
 * The shapes of the sequences check: what a scan is asked, what it finds, what it returns.
 * Values travel as decimal strings (sequence values reach 9.2e18); arithmetic is BigInt.
 */

export interface ScanSequencesOptions {
  /** Only sequences feeding a table in one of these schemas (or living in one). */
  schemas?: string[];
  /** Only sequences feeding one of these tables: "name" or "schema.name". */
  tables?: string[];
  /** Parallel connections for the max() reads (default 2; the pool must allow as many). */
  concurrency?: number;
  /** Relations (sequences + tables) read per statement; keeps lock use far below max_locks_per_transaction. */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Called with each finding as soon as it and every finding sorted before it are read, in the order of
   * the report (sequence schema, name). With keepFindings: false the result holds none of them, so a
   * caller that streams them out keeps memory flat however many tables there are.
   */
  onFinding?: (finding: SequenceFinding) => void;
  keepFindings?: boolean;
  /** Ctrl-C: stop taking batches, cancel the statements in flight; the scan then throws InterruptedError. */
  signal?: AbortSignal;
  /** Discovery rows per fetch (default 1,000); small values let tests cross fetch boundaries cheaply. */
  fetchRows?: number;
}

export type ConsumerKind = 'serial' | 'identity' | 'default' | 'autoincrement';

export interface SequenceConsumer {
  schema: string;
  table: string;
  column: string;
  columnType: string;
  kind: ConsumerKind;
  /** max(column) for ascending sequences, min(column) for descending; null when empty or unread. */
  maxValue: string | null;
  skipped?: string;
  /** Why it was not read, for machines: see UnverifiedReason. */
  skippedCode?: UnverifiedReason;
}

/**
 * Why a sequence could not be verified. Each has its own wording and next step (report/sequences.ts):
 * a lock timeout is not a permission problem.
 */
export type UnverifiedReason =
  | 'lock_timeout'
  | 'statement_timeout'
  | 'permission_denied'
  | 'schema_usage'
  | 'row_level_security'
  | 'unsupported_type'
  | 'not_verifiable';

export type SequenceStatus = 'ok' | 'lagging' | 'unfixable' | 'skipped';
export type ExhaustionLevel = 'ok' | 'warn' | 'error';

export interface SequenceFinding {
  /** Schema-qualified, quoted only where needed: public.notifications_id_seq, "My Schema"."Seq". */
  sequence: string;
  schema: string;
  name: string;
  consumers: SequenceConsumer[];
  lastValue: string;
  isCalled: boolean;
  increment: string;
  minValue: string;
  /** The sequence's own maximum. */
  maxValue: string;
  /** max over consumers (min for descending sequences); null when every consumer is empty. */
  dataMax: string | null;
  /** What nextval() would return now. */
  nextValue: string;
  /** How far nextValue is behind the first safe value; "0" when not lagging. */
  lag: string;
  status: SequenceStatus;
  exhaustionPercent: number;
  exhaustion: ExhaustionLevel;
  reason?: string;
  /** With status 'skipped' (not verified): why, for machines. */
  reasonCode?: UnverifiedReason;
  /** The value nextval() must return to be safe (dataMax + increment); null when no data. */
  neededValue?: string | null;
  /** The last value the sequence may hand out, bounded by its max/min and every consumer column's type. */
  limit?: string;
  cycle?: boolean;
  /** The sequence's own data type (smallint, integer, bigint). */
  sequenceType?: string;
  /** The sequence's type differs from a column it feeds: the statement that removes the trap. */
  typeTrap?: TypeTrap;
  /** Days until the usable range runs out at the recent insert rate, where statistics allow. */
  forecast?: ExhaustionForecast;
}

export interface TypeTrap {
  /** narrower: an integer sequence feeding a bigint column runs out at 2^31 though the column holds more; wider: the column runs out first. */
  kind: 'narrower' | 'wider';
  sequenceType: string;
  columnType: string;
  /** The consumers whose type differs. */
  columns: string[];
  sql: string[];
}

export interface ExhaustionForecast {
  /** null when no insert was counted in the period (no estimate). */
  days: number | null;
  insertsPerDay: number;
  /** How the estimate was made, in words. */
  basis: string;
}

export interface ScanSequencesResult {
  /** Every finding, unless the scan ran with keepFindings: false (then empty; the tally still counts all). */
  findings: SequenceFinding[];
  /** Sequences examined (skipped included). */
  checked: number;
  skipped: number;
  tally: SequenceTally;
  durationMs: number;
  /** Statements the reads took, and how many of them failed and were re-read one sequence at a time. */
  batches?: number;
  fallbacks?: number;
}

/** What a scan found, counted as findings go by: summaries need no list of findings. */
export interface SequenceTally {
  checked: number;
  skipped: number;
  lagging: number;
  unfixable: number;
  nearExhaustion: number;
  /** Sequences whose type differs from a column they feed. */
  typeTraps: number;
  /** Schemas holding a lagging sequence. */
  laggingSchemas: Set<string>;
}
