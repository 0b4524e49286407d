import { scanSequences, type ScanSequencesOptions, type SequenceFinding } from '../checks/sequences.js';
import type { OpenedDatabase } from '../db/open.js';
import type { PostgresDatabase } from '../db/postgres.js';
import type { DatabaseTarget } from '../db/target.js';
import { isHealfixError } from '../errors.js';
import type { Diagnosis, ExplainResult } from './types.js';

/**
 * The live half of `healfix explain`: for a duplicate key on constraint C, which table and columns C
 * covers in this database, which sequence feeds them, and how far that sequence lags right now.
 * Returns data only; the sequence arithmetic is the sequences check's (scanSequences).
 */

export type ConstraintKind = 'primary key' | 'unique' | 'unique index';

/** A unique index (or the constraint behind it) with the name from the error message. */
export interface ConstraintLocation {
  schema: string;
  table: string;
  constraint: string;
  kind: ConstraintKind;
  /** Plain columns of the key, in key order; expressions are not listed. */
  columns: string[];
  hasExpressions: boolean;
}

export interface LiveSequenceState {
  sequence: string;
  column: string;
  status: SequenceFinding['status'];
  nextValue: string;
  dataMax: string | null;
  lag: string;
  reason?: string;
}

export type LiveVerdict = 'lagging' | 'unfixable' | 'healthy' | 'no-sequence' | 'not-found' | 'unreadable';

export interface LiveConstraintCheck {
  constraint: string;
  verdict: LiveVerdict;
  locations: (ConstraintLocation & { sequences: LiveSequenceState[] })[];
  /** One sentence for the user, e.g. "notifications_pkey is fed by public.notifications_id_seq; ...". */
  message: string;
  nextCommand?: string;
}

/** For `nextval: reached maximum value of sequence "x"`: that sequence now. */
export interface LiveSequenceCheck {
  sequence: string;
  verdict: 'exhausted' | 'healthy' | 'not-found';
  found?: { sequence: string; nextValue: string; limit?: string; exhaustionPercent: number; tables: string[] };
  message: string;
  nextCommand?: string;
}

export type LiveStatus = 'checked' | 'not-configured' | 'not-postgres' | 'not-needed' | 'disabled' | 'failed';

export interface LiveCheck {
  status: LiveStatus;
  /** The database looked at, password masked. */
  target?: string;
  message: string;
  constraints: LiveConstraintCheck[];
  sequences: LiveSequenceCheck[];
  /** True when the database shows the pasted problem is still there. */
  problemPresent: boolean;
}

/** The sequence scan this module relies on; injectable so the live check is testable on its own. */
export type SequenceScanner = (db: PostgresDatabase, options: ScanSequencesOptions) => Promise<{ findings: SequenceFinding[] }>;

const CONSTRAINT_SQL = `
select n.nspname::text as schema,
       t.relname::text as "table",
       i.relname::text as constraint,
       case c.contype when 'p' then 'primary key' when 'u' then 'unique' else 'unique index' end as kind,
       array(select a.attname::text
               from unnest(x.indkey::int2[]) with ordinality as k(attnum, ord)
               join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
              order by k.ord)::text[] as columns,
       (x.indexprs is not null) as has_expressions
  from pg_index x
  join pg_class i on i.oid = x.indexrelid
  join pg_class t on t.oid = x.indrelid
  join pg_namespace n on n.oid = t.relnamespace
  left join pg_constraint c on c.conindid = x.indexrelid and c.conrelid = x.indrelid and c.contype in ('p', 'u')
 where x.indisunique and i.relname = $1
 order by n.nspname, t.relname`;

/** Every unique index or constraint named `name`, in any schema (an error message does not say which). */
export async function findConstraint(db: PostgresDatabase, name: string): Promise<ConstraintLocation[]> {
  const { rows } = await db.pool.query<{
    schema: string;
    table: string;
    constraint: string;
    kind: ConstraintKind;
    columns: string[];
    has_expressions: boolean;
  }>(CONSTRAINT_SQL, [name]);
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    constraint: r.constraint,
    kind: r.kind,
    columns: r.columns,
    hasExpressions: r.has_expressions,
  }));
}

function tableArg(schema: string, table: string): string {
  const name = schema === 'public' ? table : `${schema}.${table}`;
  return /^[A-Za-z0-9_.]+$/.test(name) ? name : `'${name.replace(/'/g, `'\\''`)}'`;
}

/** Checks one constraint: where it is, what feeds its columns, and the lag of that sequence now. */
export async function checkConstraint(db: PostgresDatabase, name: string, scan: SequenceScanner = scanSequences): Promise<LiveConstraintCheck> {
  const found = await findConstraint(db, name);
  if (found.length === 0) {
    return {
      constraint: name,
      verdict: 'not-found',
      locations: [],
      message: `${name} does not exist in ${db.target.database}: the paste may come from another environment or database.`,
    };
  }
  const locations: LiveConstraintCheck['locations'] = [];
  for (const location of found) {
    const { findings } = await scan(db, { tables: [`${location.schema}.${location.table}`] });
    const sequences: LiveSequenceState[] = [];
    for (const finding of findings) {
      for (const consumer of finding.consumers) {
        if (consumer.schema !== location.schema || consumer.table !== location.table || !location.columns.includes(consumer.column)) continue;
        sequences.push({
          sequence: finding.sequence,
          column: consumer.column,
          status: finding.status,
          nextValue: finding.nextValue,
          dataMax: finding.dataMax,
          lag: finding.lag,
          ...(finding.reason ? { reason: finding.reason } : {}),
        });
      }
    }
    locations.push({ ...location, sequences });
  }
  return summarise(name, locations);
}

const RANK: Record<LiveVerdict, number> = { unfixable: 5, lagging: 4, unreadable: 3, healthy: 2, 'no-sequence': 1, 'not-found': 0 };

function summarise(name: string, locations: LiveConstraintCheck['locations']): LiveConstraintCheck {
  const parts: { verdict: LiveVerdict; text: string; command?: string }[] = [];
  const many = locations.length > 1;
  for (const loc of locations) {
    const where = `${loc.schema}.${loc.table} (${loc.columns.join(', ')}${loc.hasExpressions ? (loc.columns.length ? ', ' : '') + 'expressions' : ''})`;
    const label = many ? `${name} on ${where}` : name;
    if (loc.sequences.length === 0) {
      parts.push({
        verdict: 'no-sequence',
        text: `${label} is not fed by any sequence${many ? '' : ` (${where})`}: the duplicate value really exists; the app must check for it first or answer 409.`,
      });
      continue;
    }
    for (const s of loc.sequences) {
      const state = `${label} is fed by ${s.sequence}; next value ${s.nextValue}, max(${s.column}) ${s.dataMax ?? 'none (empty table)'}`;
      const table = tableArg(loc.schema, loc.table);
      if (s.status === 'lagging') {
        const command = `healfix sequences --fix --table ${table}`;
        parts.push({ verdict: 'lagging', text: `${state}: lagging by ${s.lag} — run ${command}`, command });
      } else if (s.status === 'unfixable') {
        const command = `healfix sequences --table ${table}`;
        parts.push({ verdict: 'unfixable', text: `${state}: lagging by ${s.lag}, and ${s.reason ?? 'setval cannot fix it'} — see ${command}`, command });
      } else if (s.status === 'skipped') {
        parts.push({ verdict: 'unreadable', text: `${label}: ${s.sequence} could not be read (${s.reason ?? 'skipped'})` });
      } else {
        parts.push({
          verdict: 'healthy',
          text: `${state}: not lagging now — the sequence has been fixed since, or the paste comes from another database.`,
        });
      }
    }
  }
  const worst = parts.reduce((a, b) => (RANK[b.verdict] > RANK[a.verdict] ? b : a));
  return {
    constraint: name,
    verdict: worst.verdict,
    locations,
    message: parts.map((p) => p.text).join('\n'),
    ...(worst.command ? { nextCommand: worst.command } : {}),
  };
}

/** Constraint names in the diagnoses that the database can say something about, in order, once each. */
export function constraintsToCheck(diagnoses: readonly Diagnosis[]): string[] {
  const names: string[] = [];
  for (const d of diagnoses) {
    if ((d.id === 'duplicate-key' || d.id === 'duplicate-value') && d.facts.constraint && !names.includes(d.facts.constraint)) {
      names.push(d.facts.constraint);
    }
  }
  return names;
}

/** Sequence names from `nextval: reached maximum value` diagnoses, once each. */
export function sequencesToCheck(diagnoses: readonly Diagnosis[]): string[] {
  const names: string[] = [];
  for (const d of diagnoses) if (d.id === 'sequence-exhausted' && d.facts.sequence && !names.includes(d.facts.sequence)) names.push(d.facts.sequence);
  return names;
}

/** Checks a sequence the paste says is exhausted: how much of its range is used now. */
export async function checkExhaustedSequence(db: PostgresDatabase, name: string, scan: SequenceScanner = scanSequences): Promise<LiveSequenceCheck> {
  const { findings } = await scan(db, {});
  const bare = name.includes('.') ? name.split('.').pop()! : name;
  const finding = findings.find((f) => f.sequence === name || f.name === bare);
  if (!finding) {
    return { sequence: name, verdict: 'not-found', message: `${name} does not exist in ${db.target.database} (or feeds no column): the paste may come from another environment or database.` };
  }
  const tables = [...new Set(finding.consumers.map((c) => (c.schema === 'public' ? c.table : `${c.schema}.${c.table}`)))];
  const command = tables.length === 1 ? `healfix sequences --table ${tables[0]}` : 'healfix sequences';
  const used = `next value ${finding.nextValue} of ${finding.limit ?? finding.maxValue} (${finding.exhaustionPercent}% used)`;
  const exhausted = finding.exhaustion === 'error';
  return {
    sequence: name,
    verdict: exhausted ? 'exhausted' : 'healthy',
    found: { sequence: finding.sequence, nextValue: finding.nextValue, ...(finding.limit ? { limit: finding.limit } : {}), exhaustionPercent: finding.exhaustionPercent, tables },
    message: exhausted
      ? `${finding.sequence}: ${used} — widen it to bigint; see ${command}`
      : `${finding.sequence}: ${used}: not exhausted now — it has been widened or reset since, or the paste comes from another database.`,
    ...(exhausted ? { nextCommand: command } : {}),
  };
}

/** Pasted failures to connect: the live check tries the configured database the same way. */
const CONNECTION_DIAGNOSES = new Set(['connection-refused', 'password-auth-failed', 'database-missing']);

/** Runs the live check for every constraint and exhausted sequence named in the diagnoses. */
export async function checkLive(db: PostgresDatabase, diagnoses: readonly Diagnosis[], scan: SequenceScanner = scanSequences): Promise<LiveCheck> {
  const names = constraintsToCheck(diagnoses);
  const constraints: LiveConstraintCheck[] = [];
  for (const name of names) constraints.push(await checkConstraint(db, name, scan));
  const sequences: LiveSequenceCheck[] = [];
  for (const name of sequencesToCheck(diagnoses)) sequences.push(await checkExhaustedSequence(db, name, scan));
  const broken =
    constraints.filter((c) => c.verdict === 'lagging' || c.verdict === 'unfixable').length + sequences.filter((s) => s.verdict === 'exhausted').length;
  const total = constraints.length + sequences.length;
  const noun = (n: number) => (sequences.length === 0 ? `constraint${n === 1 ? '' : 's'}` : `problem${n === 1 ? '' : 's'}`);
  return {
    status: 'checked',
    target: db.target.display,
    message:
      total === 0
        ? 'nothing in this paste to check against the database'
        : broken > 0
          ? sequences.length === 0
            ? `${broken} of ${total} ${noun(total)} still fed by a lagging sequence`
            : `${broken} of ${total} ${noun(total)} still present in the database`
          : `checked ${total} ${noun(total)}: not present in the database now`,
    constraints,
    sequences,
    problemPresent: broken > 0,
  };
}

/** Where to look, as the command resolved it: the configured database (or none) and how to open it. */
export interface LiveCheckOptions {
  offline?: boolean;
  /** The database the flags, DATABASE_URL, PG* or .env name; undefined when none is configured. */
  target?: DatabaseTarget;
  open: (target: DatabaseTarget) => Promise<OpenedDatabase>;
}

/**
 * Decides whether and where to look: only when the paste names something the database can confirm, a
 * database is configured and it is PostgreSQL. A connection failure is reported as a failed live check
 * (exit 2) after the text diagnosis, not instead of it.
 */
export async function liveCheckFor(result: ExplainResult, options: LiveCheckOptions, scan: SequenceScanner = scanSequences): Promise<LiveCheck> {
  const none = (status: LiveStatus, message: string, target?: string): LiveCheck => ({
    status,
    ...(target ? { target } : {}),
    message,
    constraints: [],
    sequences: [],
    problemPresent: false,
  });
  if (options.offline) return none('disabled', 'not checked (--offline)');
  const names = [...constraintsToCheck(result.diagnoses), ...sequencesToCheck(result.diagnoses)];
  // A pasted connection failure is checked by connecting the same way now.
  const connection = result.diagnoses.find((d) => CONNECTION_DIAGNOSES.has(d.id));
  if (names.length === 0 && !connection) return none('not-needed', 'nothing in this paste to check against a database');
  const target = options.target;
  if (!target) {
    const what = names.length ? `check ${names.join(', ')} in the database` : 'try the connection now';
    return none('not-configured', `no database configured: text diagnosis only (give --database-url to ${what})`);
  }
  if (target.kind !== 'postgres') {
    return none('not-postgres', `${target.display} is SQLite: the live check applies to PostgreSQL; text diagnosis only`, target.display);
  }
  let opened;
  try {
    opened = await options.open(target);
  } catch (error) {
    if (!isHealfixError(error)) throw error;
    // For a pasted connection failure, failing the same way is the answer, not an error of the check.
    if (connection) return { ...none('checked', `still failing from here: ${error.message}`, target.display), problemPresent: true };
    return none('failed', error.message, target.display);
  }
  if (connection && names.length === 0) {
    await opened.close();
    return none(
      'checked',
      `${target.display} answers now: the pasted failure does not happen with this configuration (compare its host, port, user and database with the app's)`,
      target.display,
    );
  }
  try {
    if (opened.kind !== 'postgres') return none('not-postgres', 'the live check applies to PostgreSQL', target.display);
    return await checkLive(opened.pg, result.diagnoses, scan);
  } catch (error) {
    if (isHealfixError(error)) return none('failed', error.message, target.display);
    const message = error instanceof Error ? error.message : String(error);
    return none('failed', `reading the catalog failed: ${message}`, target.display);
  } finally {
    await opened.close();
  }
}
