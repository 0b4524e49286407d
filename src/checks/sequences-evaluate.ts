import { qualified, quoteIdent } from '../db/quote.js';
import type { ScanSequencesResult, SequenceConsumer, SequenceFinding, SequenceTally, TypeTrap, UnverifiedReason } from './sequences-types.js';

/**
 * Pure arithmetic of the sequences check: from a finding's raw values (the sequence's state and bounds,
 * the consumers' maxima) to its next value, lag, status and exhaustion; and the counts a summary needs.
 */

const TYPE_BOUNDS: Record<string, [bigint, bigint]> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-9223372036854775808n, 9223372036854775807n],
};
const TYPE_ALIASES: Record<string, string> = { smallint: 'int2', integer: 'int4', bigint: 'int8', int2: 'int2', int4: 'int4', int8: 'int8' };

/** The range a consumer column can store; undefined when only the sequence bounds it (numeric, SQLite). */
export function typeBounds(consumer: Pick<SequenceConsumer, 'columnType' | 'kind'>): [bigint, bigint] | undefined {
  if (consumer.kind === 'autoincrement') return undefined;
  const alias = TYPE_ALIASES[consumer.columnType.toLowerCase()];
  return alias ? TYPE_BOUNDS[alias] : undefined;
}

type KnownFields = 'sequence' | 'schema' | 'name' | 'consumers' | 'lastValue' | 'isCalled' | 'increment' | 'minValue' | 'maxValue';

/** A finding as discovered, before evaluateFinding() works out its next value, lag, status and exhaustion. */
export function unreadFinding(fields: Pick<SequenceFinding, KnownFields> & Partial<SequenceFinding>): SequenceFinding {
  return { dataMax: null, nextValue: '', lag: '0', status: 'ok', exhaustionPercent: 0, exhaustion: 'ok', ...fields };
}

/** Marks a finding as not verified, with the reason (for people) and its code (for machines and hints). */
export function skip(f: SequenceFinding, reason: string, code: UnverifiedReason = 'not_verifiable'): void {
  f.status = 'skipped';
  f.reason = reason;
  f.reasonCode = code;
}

/**
 * Pure evaluation of one finding from its raw values (lastValue, isCalled, increment, bounds, consumer
 * maxima). Exported for unit tests and for the SQLite scan.
 */
export function evaluateFinding(f: SequenceFinding): SequenceFinding {
  if (f.lastValue === '') {
    skip(f, f.reason ?? 'sequence not read', f.reasonCode);
    return f;
  }
  const inc = BigInt(f.increment);
  if (inc === 0n) {
    skip(f, 'increment is 0');
    return f;
  }
  const asc = inc > 0n;
  const last = BigInt(f.lastValue);
  const next = f.isCalled ? last + inc : last;
  f.nextValue = next.toString();

  // The range the sequence may hand out: its own bounds, narrowed by every consumer column's type.
  let lo = BigInt(f.minValue);
  let hi = BigInt(f.maxValue);
  for (const consumer of f.consumers) {
    const bounds = typeBounds(consumer);
    if (!bounds) continue;
    if (bounds[0] > lo) lo = bounds[0];
    if (bounds[1] < hi) hi = bounds[1];
  }
  const limit = asc ? hi : lo;
  f.limit = limit.toString();

  let data: bigint | null = null;
  for (const c of f.consumers) {
    if (c.maxValue === null || c.maxValue === undefined) continue;
    const v = parseInteger(c.maxValue);
    if (v === null) continue;
    if (data === null || (asc ? v > data : v < data)) data = v;
  }
  f.dataMax = data === null ? null : data.toString();
  const needed = data === null ? null : data + inc;
  f.neededValue = needed === null ? null : needed.toString();

  const lagging = data !== null && (asc ? next <= data : next >= data);
  f.lag = lagging && needed !== null ? (asc ? needed - next : next - needed).toString() : '0';
  if (lagging && needed !== null) {
    const outOfRange = asc ? needed > limit : needed < limit;
    if (outOfRange) {
      f.status = 'unfixable';
      f.reason = `the value needed (${needed}) is outside the usable range (${asc ? 'max' : 'min'} ${limit}${limit.toString() !== (asc ? f.maxValue : f.minValue) ? ', bounded by the column type' : ''})`;
    } else {
      f.status = 'lagging';
      f.reason = `nextval() would return ${next}, but ${asc ? 'max' : 'min'}(${describeConsumers(f)}) is ${data}`;
    }
  } else {
    f.status = 'ok';
  }

  // Exhaustion: how much of the usable range is behind us (the further of the sequence and the data).
  const start = asc ? lo : hi;
  let position = next - inc;
  if (data !== null && (asc ? data > position : data < position)) position = data;
  const span = asc ? limit - start : start - limit;
  const used = asc ? position - start : start - position;
  let percent = span <= 0n ? 100 : Number((used * 10000n) / span) / 100;
  if (percent < 0) percent = 0;
  f.exhaustionPercent = percent;
  f.exhaustion = percent >= 90 ? 'error' : percent >= 75 ? 'warn' : 'ok';
  const trap = typeTrapOf(f);
  if (trap) f.typeTrap = trap;
  else delete f.typeTrap;
  return f;
}

const WIDTH: Record<string, number> = { int2: 2, int4: 4, int8: 8 };
const TYPE_NAME: Record<string, string> = { int2: 'smallint', int4: 'integer', int8: 'bigint' };

/**
 * A sequence typed narrower than a column it feeds (ALTER TABLE … TYPE bigint on a serial column leaves
 * its sequence integer: inserts fail at 2^31 though the column holds 2^63) or wider (CREATE SEQUENCE is
 * bigint by default, the column integer: the column overflows first). Pure.
 */
export function typeTrapOf(f: Pick<SequenceFinding, 'sequence' | 'sequenceType' | 'consumers'>): TypeTrap | undefined {
  const seq = f.sequenceType ? TYPE_ALIASES[f.sequenceType.toLowerCase()] : undefined;
  if (!seq) return undefined;
  // Nearly always every column has the sequence's own type: answered without building anything.
  if (f.consumers.every((c) => c.kind === 'autoincrement' || c.columnType === f.sequenceType || TYPE_ALIASES[c.columnType.toLowerCase()] === seq)) return undefined;
  const typed = f.consumers
    .filter((c) => c.kind !== 'autoincrement')
    .map((c) => ({ c, alias: TYPE_ALIASES[c.columnType.toLowerCase()] }))
    .filter((x): x is { c: SequenceConsumer; alias: string } => x.alias !== undefined);
  const wider = typed.filter((x) => WIDTH[x.alias]! > WIDTH[seq]!);
  if (wider.length) {
    const widest = wider.reduce((a, b) => (WIDTH[b.alias]! > WIDTH[a.alias]! ? b : a)).alias;
    return {
      kind: 'narrower',
      sequenceType: TYPE_NAME[seq]!,
      columnType: TYPE_NAME[widest]!,
      columns: wider.map((x) => `${x.c.schema}.${x.c.table}.${x.c.column}`),
      sql: [`ALTER SEQUENCE ${f.sequence} AS ${TYPE_NAME[widest]};`],
    };
  }
  const narrower = typed.filter((x) => WIDTH[x.alias]! < WIDTH[seq]!);
  if (!narrower.length) return undefined;
  return {
    kind: 'wider',
    sequenceType: TYPE_NAME[seq]!,
    columnType: TYPE_NAME[narrower[0]!.alias]!,
    columns: narrower.map((x) => `${x.c.schema}.${x.c.table}.${x.c.column}`),
    // Rewrites the table under an ACCESS EXCLUSIVE lock: the hint says so.
    sql: narrower.map((x) => `ALTER TABLE ${qualified(x.c.schema, x.c.table)} ALTER COLUMN ${quoteIdent(x.c.column)} TYPE ${TYPE_NAME[seq]};`),
  };
}

function parseInteger(text: string): bigint | null {
  const m = /^(-?\d+)(?:\.\d*)?$/.exec(text.trim());
  return m ? BigInt(m[1]!) : null;
}

export function describeConsumers(f: SequenceFinding): string {
  return f.consumers.map((c) => `${c.table}.${c.column}`).join(', ');
}

/** Using up its range, and not already reported as unfixable or unread. */
export function nearExhaustion(f: SequenceFinding): boolean {
  return f.exhaustion !== 'ok' && (f.status === 'ok' || f.status === 'lagging');
}

/** True when a finding needs the user's attention beyond `ok`. */
export function isProblem(f: SequenceFinding): boolean {
  return f.status !== 'ok' || f.exhaustion !== 'ok' || f.typeTrap !== undefined;
}


export function emptyTally(): SequenceTally {
  return { checked: 0, skipped: 0, lagging: 0, unfixable: 0, nearExhaustion: 0, typeTraps: 0, laggingSchemas: new Set() };
}

export function addToTally(tally: SequenceTally, f: SequenceFinding): void {
  tally.checked++;
  if (f.status === 'skipped') tally.skipped++;
  if (f.status === 'unfixable') tally.unfixable++;
  if (f.status === 'lagging') {
    tally.lagging++;
    tally.laggingSchemas.add(f.schema);
  }
  if (nearExhaustion(f)) tally.nearExhaustion++;
  if (f.typeTrap) tally.typeTraps++;
}

/** A scan result over a list of findings already evaluated (SQLite, tests). */
export function resultOf(findings: SequenceFinding[], durationMs = 0): ScanSequencesResult {
  const tally = tallyFindings(findings);
  return { findings, checked: tally.checked, skipped: tally.skipped, tally, durationMs };
}

export function tallyFindings(findings: readonly SequenceFinding[]): SequenceTally {
  const tally = emptyTally();
  for (const f of findings) addToTally(tally, f);
  return tally;
}

/**
 * True when the scan found something `sequences` exits 1 for: a lagging or unfixable sequence, or one
 * that could not be verified (a lock timeout, no privilege, row-level security…): no proof, no green.
 */
export function hasProblems(result: Pick<ScanSequencesResult, 'tally'>): boolean {
  return result.tally.lagging > 0 || result.tally.unfixable > 0 || result.tally.skipped > 0;
}

/** "3 lagging sequences in 2 schemas (46 checked)" */
export function summaryLine(result: Pick<ScanSequencesResult, 'tally'>): string {
  const { tally } = result;
  const parts: string[] = [];
  if (tally.lagging) parts.push(`${plural(tally.lagging, 'lagging sequence')} in ${plural(tally.laggingSchemas.size, 'schema')}`);
  if (tally.unfixable) parts.push(`${tally.unfixable} unfixable`);
  if (tally.nearExhaustion) parts.push(`${tally.nearExhaustion} near exhaustion`);
  if (tally.typeTraps) parts.push(`${plural(tally.typeTraps, 'type mismatch')}`.replace('mismatchs', 'mismatches'));
  if (tally.skipped) parts.push(`${tally.skipped} not verified`);
  const head = parts.length ? parts.join(', ') : 'no lagging sequences';
  return `${head} (${tally.checked} checked)`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
