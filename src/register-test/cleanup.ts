/**
 * --cleanup: deletes the test account and everything that points at it. On PostgreSQL the dependent rows
 * are found through the catalog's foreign keys (pg_constraint) and deleted children first, all in one
 * transaction, then the account rows are re-read to prove nothing is left. A failure rolls back and is
 * reported with what is left behind; it never ends as an internal error.
 */
import type pg from 'pg';
import type { Finding } from '../checks/types.js';
import type { OpenedDatabase } from '../db/open.js';
import { withTransaction } from '../db/postgres.js';
import { quoteIdent } from '../db/quote.js';
import { fillTemplate, type Flow, type FlowTableRef } from '../http/flow.js';
import { accountRef } from './account.js';
import { countRows, deleteRows } from './database.js';
import type { CleanupRow, RegisterTestOptions, RegisterTestResult } from './types.js';

interface Root {
  ref: FlowTableRef;
  value: string;
}

interface DeleteStep {
  /** The relation as PostgreSQL prints it (regclass::text, quoted where needed). */
  table: string;
  where: string;
  value: string;
}

interface ForeignKey {
  child: string;
  childOid: number;
  childCols: string[];
  parentCols: string[];
}

const MAX_DEPTH = 6;

async function referencingKeys(client: pg.PoolClient, oid: number): Promise<ForeignKey[]> {
  const { rows } = await client.query<{ child: string; child_oid: number; child_cols: string[]; parent_cols: string[] }>(
    `select k.conrelid::regclass::text as child, k.conrelid::int as child_oid,
            array(select quote_ident(a.attname) from unnest(k.conkey) with ordinality u(n, i) join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.i) as child_cols,
            array(select quote_ident(a.attname) from unnest(k.confkey) with ordinality u(n, i) join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.i) as parent_cols
       from pg_constraint k where k.contype = 'f' and k.confrelid = $1 order by 1`,
    [oid],
  );
  return rows.map((r) => ({ child: r.child, childOid: r.child_oid, childCols: r.child_cols, parentCols: r.parent_cols }));
}

/** Children before parents: every row that references a row to delete is deleted first. */
async function planDeletes(client: pg.PoolClient, oid: number, table: string, where: string, value: string, path: number[], out: DeleteStep[]): Promise<void> {
  if (path.length < MAX_DEPTH) {
    for (const fk of await referencingKeys(client, oid)) {
      // A self-reference or a cycle: its rows are among the ones already being deleted.
      if (fk.childOid === oid || path.includes(fk.childOid)) continue;
      const childWhere = `(${fk.childCols.join(', ')}) in (select ${fk.parentCols.join(', ')} from ${table} where ${where})`;
      await planDeletes(client, fk.childOid, fk.child, childWhere, value, [...path, oid], out);
    }
  }
  out.push({ table, where, value });
}

/** The rows this run created, by the flow's cleanup list (or its account), with this run's values only. */
async function cleanupRoots(db: OpenedDatabase, flow: Flow, vars: Record<string, string>): Promise<Root[]> {
  const account = flow.database?.cleanup?.length ? undefined : await accountRef(db, flow);
  const refs = flow.database?.cleanup ?? (account ? [account] : []);
  // Every temp id this run's clients captured, and nothing else.
  const tempIds = (vars.temp_ids ?? vars.temp_id ?? '').split(',').filter(Boolean);
  return refs.flatMap((ref) =>
    ref.value.includes('temp_id') ? tempIds.map((id) => ({ ref, value: fillTemplate(ref.value, { ...vars, temp_id: id }, 'cleanup') })) : [{ ref, value: fillTemplate(ref.value, vars, 'cleanup') }],
  );
}

function addCount(rows: CleanupRow[], table: string, n: number): void {
  const row = rows.find((r) => r.table === table);
  if (row) row.deleted += n;
  else rows.push({ table, deleted: n });
}

async function deleteOnPostgres(db: Extract<OpenedDatabase, { kind: 'postgres' }>, roots: Root[]): Promise<CleanupRow[]> {
  return withTransaction(db.pg, async (client) => {
    const rows: CleanupRow[] = [];
    for (const { ref, value } of roots) {
      const { rows: found } = await client.query<{ oid: number | null; name: string | null }>('select to_regclass($1)::int as oid, to_regclass($1)::text as name', [quoteIdent(ref.table)]);
      const oid = found[0]?.oid;
      if (!oid) continue;
      const steps: DeleteStep[] = [];
      await planDeletes(client, oid, found[0]!.name!, `${quoteIdent(ref.column)} = $1`, value, [], steps);
      for (const step of steps) {
        const res = await client.query(`delete from ${step.table} where ${step.where}`, [step.value]);
        addCount(rows, step.table, res.rowCount ?? 0);
      }
    }
    return rows;
  });
}

export async function cleanupRun(options: RegisterTestOptions, flow: Flow, result: RegisterTestResult, vars: Record<string, string>): Promise<void> {
  const db = options.db;
  const roots = db ? await cleanupRoots(db, flow, vars) : [];
  if (!db || !roots.length) {
    result.findings.push({
      check: 'register-test',
      severity: 'warn',
      title: `--cleanup needs a database${db ? ' and a table to delete from (the flow names none)' : ''}; created: ${result.created.join('; ') || 'nothing'}`,
      hint: db ? 'Name the account in the flow file: "database": { "account": { "table": …, "column": …, "value": "{{email}}" } }.' : 'Give --database-url so the test account and its pending rows can be deleted.',
    });
    return;
  }
  let deleted: CleanupRow[];
  try {
    if (db.kind === 'postgres') deleted = await deleteOnPostgres(db, roots);
    else {
      deleted = [];
      for (const { ref, value } of roots) addCount(deleted, ref.table, await deleteRows(db, ref, value));
    }
  } catch (error) {
    result.ok = false;
    result.findings.push(cleanupFailed(error, result));
    deleted = [];
  }
  // Proof, not assumption: the rows the run created are read again.
  for (const { ref, value } of roots) {
    const remaining = await countRows(db, ref, value);
    const row = deleted.find((r) => r.table.replace(/^public\./, '').replace(/"/g, '') === ref.table) ?? { table: ref.table, deleted: 0 };
    if (!deleted.includes(row)) deleted.push(row);
    row.remaining = (row.remaining ?? 0) + remaining;
  }
  result.cleanup = deleted;
  const left = deleted.filter((r) => (r.remaining ?? 0) > 0);
  if (left.length && !result.findings.some((f) => f.title.startsWith('--cleanup could not'))) {
    result.ok = false;
    result.findings.push({
      check: 'register-test',
      severity: 'error',
      title: `--cleanup left rows behind: ${left.map((r) => `${r.remaining} in ${r.table}`).join(', ')}`,
      hint: 'Delete them by hand, or re-run with --cleanup once whatever holds them is gone.',
    });
  }
}

function cleanupFailed(error: unknown, result: RegisterTestResult): Finding {
  const e = error as { message?: string; code?: string; detail?: string };
  return {
    check: 'register-test',
    severity: 'error',
    title: `--cleanup could not delete the test rows: ${e.message ?? String(error)}${e.code ? ` (${e.code})` : ''}; rolled back, nothing was deleted`,
    detail: [e.detail, `Left behind: ${result.created.join('; ') || 'the test account'}.`].filter(Boolean).join(' '),
    hint: 'Check that the role may delete from these tables (and from the tables that reference them), then re-run with --cleanup.',
  };
}
