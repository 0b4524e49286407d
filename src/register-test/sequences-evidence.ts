/**
 * A 500 on signup is most often a duplicate key from a lagging sequence. The log's constraint name
 * (auth_user_pkey) names the table through the catalog, so the ONE sequence that failed is named first;
 * then the other lagging sequences the signup writes, which must be fixed with it: on a non-atomic signup
 * (allauth) fixing only the first makes the next insert fail and leaves a half-created account.
 */
import { scanSequences, type SequenceFinding } from '../checks/sequences.js';
import type { Finding } from '../checks/types.js';
import type { OpenedDatabase } from '../db/open.js';
import type { Flow } from '../http/flow.js';
import { STACKS } from '../knowledge/index.js';
import type { StackKnowledge } from '../knowledge/types.js';
import { quoteIdent } from '../db/postgres.js';
import { queryRows, tableExists } from './database.js';
import type { DuplicateKey } from './server-log.js';
import type { RegisterTestResult } from './types.js';

type Postgres = Extract<OpenedDatabase, { kind: 'postgres' }>;

/** The table (schema.name) a constraint belongs to, from pg_constraint. */
export async function constraintTable(db: Postgres, constraint: string): Promise<{ schema: string; table: string; columns: string[] } | undefined> {
  const rows = await queryRows(
    db,
    `select n.nspname as schema, c.relname as "table", array(select a.attname::text from pg_attribute a where a.attrelid = k.conrelid and a.attnum = any(k.conkey) order by a.attnum) as columns
       from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
      where k.conname = ? and n.nspname not in ('pg_catalog', 'information_schema')
      order by (n.nspname = any(current_schemas(false))) desc limit 1`,
    [constraint],
  );
  const row = rows[0] as { schema: string; table: string; columns: string[] } | undefined;
  return row;
}

/** The known stacks whose signup tables all exist here (allauth on a Django database). */
export async function signupStacks(db: OpenedDatabase): Promise<StackKnowledge[]> {
  const out: StackKnowledge[] = [];
  for (const stack of STACKS) {
    const writes = stack.signupWrites?.writes;
    if (!writes?.length) continue;
    let all = true;
    for (const t of writes) if (!(await tableExists(db, t))) all = false;
    if (all) out.push(stack);
  }
  return out;
}

export interface SequenceEvidence {
  lagging: SequenceFinding[];
  /** The sequence behind the constraint the log names. */
  failed?: SequenceFinding;
  /** Where the list of written tables came from. */
  writesFrom: string;
  /** Whether the scan was limited to what the signup writes, or covered every table (nothing said which). */
  scope: 'signup' | 'database';
  stacks: StackKnowledge[];
}

const consumerTables = (f: SequenceFinding) => f.consumers.map((c) => (c.schema === 'public' ? c.table : `${c.schema}.${c.table}`));

export async function laggingSequencesBehind(db: Postgres, flow: Flow, duplicate: DuplicateKey | undefined): Promise<SequenceEvidence> {
  const stacks = await signupStacks(db);
  const known = stacks.flatMap((s) => s.signupWrites!.writes);
  const tables = flow.database?.writes ?? (known.length ? known : undefined);
  const writesFrom = flow.database?.writes ? 'the flow\'s database.writes' : known.length ? `what ${stacks.map((s) => s.title).join(', ')} writes on signup` : 'every table (the flow names none)';
  const scan = await scanSequences(db.pg, tables ? { tables } : {});
  let lagging = scan.findings.filter((f) => f.status === 'lagging');
  const target = duplicate ? await constraintTable(db, duplicate.constraint) : undefined;
  let failed: SequenceFinding | undefined;
  if (target) {
    const onTable = (f: SequenceFinding) => f.consumers.some((c) => c.schema === target.schema && c.table === target.table && (target.columns.length === 0 || target.columns.includes(c.column)));
    failed = lagging.find(onTable);
    if (!failed && tables) {
      // The flow's list missed the table the log names: read that one too.
      const extra = await scanSequences(db.pg, { tables: [`${target.schema}.${target.table}`] });
      failed = extra.findings.find((f) => f.status === 'lagging' && onTable(f));
      if (failed) lagging = [failed, ...lagging];
    }
    if (failed) lagging = [failed, ...lagging.filter((f) => f !== failed)];
  }
  return { lagging, failed, writesFrom, stacks, scope: tables ? 'signup' : 'database' };
}

/** Records what lags in result.sequences and adds one finding per sequence, the failed one first. */
export function reportLagging(evidence: SequenceEvidence, result: RegisterTestResult): void {
  const { lagging, failed } = evidence;
  result.sequences = {
    lagging: lagging.map(({ sequence, nextValue, dataMax, lag }, i) => ({ sequence, nextValue, dataMax, lag, tables: consumerTables(lagging[i]!), ...(lagging[i] === failed ? { failed: true } : {}) })),
    fixed: [],
  };
  for (const f of lagging) {
    result.findings.push({
      check: 'sequences',
      severity: 'error',
      subject: f.sequence,
      title: `${f.sequence} lags max(id) by ${f.lag}: next value ${f.nextValue}, max(id) ${f.dataMax}${f === failed ? ' — the insert that failed' : failed ? (evidence.scope === 'signup' ? ' — also written by the signup' : ' — also lagging in this database') : ''}`,
      detail: `Inserts into ${consumerTables(f).join(', ')} collide with existing rows (duplicate key).`,
    });
  }
}

/** The words for the 500 finding: which sequence failed, which others must be fixed with it, and why together. */
export function laggingWords(evidence: SequenceEvidence, duplicate: DuplicateKey | undefined): { title: string; detail?: string } {
  const { lagging, failed, stacks } = evidence;
  const others = lagging.filter((f) => f !== failed);
  const nonAtomic = stacks.find((s) => s.signupWrites && !s.signupWrites.atomic);
  if (failed) {
    const signup = evidence.scope === 'signup';
    const names = others.map((f) => f.sequence).join(', ');
    const together = !others.length
      ? ''
      : signup
        ? ` The signup also writes through ${names}, lagging too: fix all ${lagging.length} together${nonAtomic ? ` — ${nonAtomic.title}'s signup is not atomic, so fixing only ${failed.sequence} makes the next insert fail and leaves a half-created account` : ''}.`
        : ` Also lagging in this database: ${names} (the flow names no database.writes, so healfix cannot tell which of them the signup writes); fix them with it.`;
    return {
      title: `duplicate key on ${duplicate!.constraint}: sequence ${failed.sequence} lags max(id) by ${failed.lag}${others.length ? ` (and ${others.length} more ${signup ? 'the signup writes' : 'lagging in the database'}: ${names})` : ''}`,
      detail: `The server log names the constraint ${duplicate!.constraint}${duplicate!.columns ? ` (Key (${duplicate!.columns})=(${duplicate!.value}) already exists)` : ''}, on the table ${consumerTables(failed).join(', ')} fed by ${failed.sequence}.${together}`,
    };
  }
  return { title: `lagging sequence ${lagging.map((f) => f.sequence).join(', ')}` };
}

/** Accounts a non-atomic signup left half-created: rows of the account table without their companion row. */
export async function orphanAccounts(db: OpenedDatabase, stacks: StackKnowledge[]): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const stack of stacks) {
    const o = stack.signupWrites?.orphan;
    if (!o) continue;
    const q = quoteIdent;
    const rows = await queryRows(db, `select count(*) as n from ${q(o.table)} a where not exists (select 1 from ${q(o.missing)} m where m.${q(o.foreignKey)} = a.${q(o.key)})`, []);
    const n = Number((rows[0] as { n: number | string } | undefined)?.n ?? 0);
    if (!n) continue;
    out.push({
      check: 'register-test',
      severity: 'warn',
      subject: o.table,
      title: `${n} half-created account${n === 1 ? '' : 's'} in ${o.table}: no ${o.missing} row`,
      detail: `${stack.title}: ${o.meaning}.`,
      hint: `List them: select ${o.key} from ${o.table} a where not exists (select 1 from ${o.missing} m where m.${o.foreignKey} = a.${o.key}); add the missing row or delete the account after checking with its owner.`,
    });
  }
  return out;
}
