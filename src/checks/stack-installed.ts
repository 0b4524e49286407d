/**
 * Stacks installed in the app whose lockout tables healfix could not use: the migration ledger says
 * the stack is there (django_migrations lists 'axes'), but its table is missing. That is neither
 * "no lockout configured" nor healthy: the feature exists and nothing about it was verified.
 */
import type { TableInfo } from '../db/catalog.js';
import type { OpenedDatabase } from '../db/open.js';
import { quoteIdent } from '../db/postgres.js';
import { queryRows } from '../db/query.js';
import { findCatalogTable } from '../knowledge/recognise.js';
import { STACKS } from '../knowledge/index.js';
import type { StackKnowledge } from '../knowledge/types.js';
import type { Finding } from './types.js';

/** Stacks with limiter tables, not recognised in the catalog, whose install evidence row exists. */
export async function installedWithoutLimiterTables(db: OpenedDatabase, all: TableInfo[], recognised: string[]): Promise<StackKnowledge[]> {
  const out: StackKnowledge[] = [];
  for (const stack of STACKS) {
    const evidence = stack.installed;
    if (!evidence || recognised.includes(stack.id) || !stack.limiters?.tables.length) continue;
    const ledger = findCatalogTable(all, evidence.table) as TableInfo | undefined;
    if (!ledger?.readable) continue;
    const rows = await queryRows(db, `select 1 as one from ${ledger.sql} where ${quoteIdent(evidence.column)} = ? limit 1`, [evidence.equals]);
    if (rows.length) out.push(stack);
  }
  return out;
}

export function installedWithoutTableFinding(stack: StackKnowledge): Finding {
  const evidence = stack.installed!;
  const tables = stack.limiters!.tables.map((t) => t.table).join(', ');
  return {
    check: 'rate-limits',
    severity: 'error',
    title: `${stack.title} is installed (${evidence.table} lists ${evidence.column} '${evidence.equals}') but ${tables} was not found: lockouts not verified`,
    detail: `The app has ${stack.title}'s lockout feature, but its table is missing from this database (another schema, another database, or its migrations were rolled back), so healfix cannot say who is locked.`,
    hint: `Point healfix at the database the app uses (and its search_path), or run the app's migrations (python manage.py migrate ${evidence.equals}).`,
    subject: tables,
    data: { stack: stack.id, reason: 'installed-no-table' },
  };
}
