/**
 * Which stacks a database belongs to, from its catalog alone (pure: the catalog comes in as data).
 * A stack is recognised when every signature table is there with its columns; each of its pending and
 * limiter tables is then used only if every column it names exists (Devise without lockable has no
 * locked_at: its lockout part is simply absent).
 */
import { STACKS } from './index.js';
import type { LimiterTable, PendingTable, RowCondition, StackKnowledge, TimeBound } from './types.js';

/** The part of a catalog entry recognition needs. */
export interface CatalogTable {
  schema?: string;
  name: string;
  columns: { name: string }[];
}

export interface RecognisedStack {
  stack: StackKnowledge;
  /** "account_emailaddress(user_id, email, verified, primary)": what was seen. */
  evidence: string[];
  pending: { spec: PendingTable; table: CatalogTable }[];
  limiters: { spec: LimiterTable; table: CatalogTable }[];
}

export function findCatalogTable(catalog: readonly CatalogTable[], name: string): CatalogTable | undefined {
  const [schema, table] = name.includes('.') ? (name.split('.', 2) as [string, string]) : [undefined, name];
  return catalog.find((t) => t.name.toLowerCase() === table.toLowerCase() && (schema === undefined ? (t.schema ?? 'public') === 'public' || t.schema === undefined : t.schema === schema));
}

function hasColumns(table: CatalogTable, columns: readonly string[]): boolean {
  const names = new Set(table.columns.map((c) => c.name.toLowerCase()));
  return columns.every((c) => names.has(c.toLowerCase()));
}

function conditionColumns(c: RowCondition | undefined): string[] {
  if (!c) return [];
  if ('all' in c) return c.all.flatMap(conditionColumns);
  if ('any' in c) return c.any.flatMap(conditionColumns);
  return [c.column];
}

function boundColumns(b: TimeBound): string[] {
  return b.kind === 'never' ? [] : [b.column];
}

export function pendingColumns(spec: PendingTable): string[] {
  return [
    ...(spec.key ? [spec.key] : []),
    ...(typeof spec.email === 'string' ? [spec.email] : spec.email ? [spec.email.localColumn] : []),
    ...(spec.identifier ? [spec.identifier] : []),
    ...(spec.type ? [spec.type] : []),
    ...(spec.created ? [spec.created] : []),
    ...conditionColumns(spec.pending),
    ...conditionColumns(spec.used),
    ...boundColumns(spec.expires),
  ];
}

export function limiterColumns(spec: LimiterTable): string[] {
  return [
    ...spec.keyColumns,
    ...(spec.counter ? [spec.counter] : []),
    ...conditionColumns(spec.locked),
    ...boundColumns(spec.ends),
    ...(spec.unlock.kind === 'update' ? Object.keys(spec.unlock.set) : []),
  ];
}

export function recogniseStacks(catalog: readonly CatalogTable[], stacks: readonly StackKnowledge[] = STACKS): RecognisedStack[] {
  const out: RecognisedStack[] = [];
  for (const stack of stacks) {
    const seen = stack.recognise.tables.map((sig) => ({ sig, table: findCatalogTable(catalog, sig.table) }));
    if (!seen.every(({ sig, table }) => table && hasColumns(table, sig.columns))) continue;
    const pending = (stack.pending?.tables ?? []).flatMap((spec) => {
      const table = findCatalogTable(catalog, spec.table);
      return table && hasColumns(table, pendingColumns(spec)) ? [{ spec, table }] : [];
    });
    const limiters = (stack.limiters?.tables ?? []).flatMap((spec) => {
      const table = findCatalogTable(catalog, spec.table);
      return table && hasColumns(table, limiterColumns(spec)) ? [{ spec, table }] : [];
    });
    out.push({ stack, evidence: seen.map(({ sig }) => `${sig.table}(${sig.columns.join(', ')})`), pending, limiters });
  }
  return out;
}

/** Stacks named by id, for explain and tests. */
export function stackById(id: string): StackKnowledge | undefined {
  return STACKS.find((s) => s.id === id);
}
