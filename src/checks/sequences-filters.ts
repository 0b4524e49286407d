import type { PostgresDatabase } from '../db/postgres.js';
import { DISCOVERY_SQL, tableMatches } from './sequences-discovery.js';

/**
 * `--table` and `--schema` name things that must exist and be fed by a sequence: a typo that matched
 * nothing used to scan zero sequences and exit 0, so CI passed on a check that never ran.
 */

export interface FilterProblem {
  /** One line: which name and what is wrong with it. */
  message: string;
  hint?: string;
}

/** The last part of a table filter, unquoted: "public.users" -> users, '"My T"' -> My T. */
function tableName(filter: string): string {
  const m = filter.match(/(?:^|\.)("(?:[^"]|"")+"|[^."]+)$/);
  const last = m ? m[1]! : filter;
  return last.replace(/^"(.*)"$/, '$1').replace(/""/g, '"');
}

/** The first filter that names nothing to check, or undefined when every one matches a sequence-fed column. */
export async function findFilterProblem(db: PostgresDatabase, filters: { schemas?: string[]; tables?: string[] }): Promise<FilterProblem | undefined> {
  const schemas = filters.schemas ?? [];
  const tables = filters.tables ?? [];
  if (!schemas.length && !tables.length) return undefined;
  const names = [...new Set(tables.map(tableName))];
  const { rows } = await db.pool.query<{ kind: 'schema' | 'table' | 'fed'; schema: string; name: string | null }>(
    `select 'schema' as kind, nspname as schema, null as name from pg_namespace where nspname = any($1::text[])
     union all
     select 'table', n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relname = any($2::text[]) and c.relkind in ('r', 'p', 'v', 'm', 'f')
     union all
     select distinct 'fed', d.table_schema, d.table_name from (${DISCOVERY_SQL}) d
      where d.table_schema = any($1::text[]) or d.seq_schema = any($1::text[]) or d.table_name = any($2::text[])`,
    [schemas, names],
  );
  const fed = rows.filter((r) => r.kind === 'fed');
  for (const schema of schemas) {
    if (!rows.some((r) => r.kind === 'schema' && r.schema === schema)) {
      return { message: `--schema ${schema}: no such schema`, hint: 'Check the name; `healfix sequences --all` lists every sequence-fed column.' };
    }
    if (!fed.some((r) => r.schema === schema)) {
      return { message: `--schema ${schema}: no table in it is fed by a sequence (no serial, identity or nextval() default)` };
    }
  }
  for (const table of tables) {
    if (!rows.some((r) => r.kind === 'table' && tableMatches(table, r.schema, r.name!))) {
      return { message: `--table ${table}: no such table`, hint: 'Check the name (name or schema.name); `healfix sequences --all` lists every sequence-fed column.' };
    }
    if (!fed.some((r) => tableMatches(table, r.schema, r.name!))) {
      return { message: `--table ${table}: it has no sequence-fed column (no serial, identity or nextval() default), so there is nothing to check` };
    }
  }
  const both = fed.some((r) => (!schemas.length || schemas.includes(r.schema)) && (!tables.length || tables.some((t) => tableMatches(t, r.schema, r.name!))));
  if (!both) return { message: `no sequence-fed column matches ${describe(filters)} together`, hint: 'Each name exists, but not in that combination: check which schema the table is in.' };
  return undefined;
}

function describe(filters: { schemas?: string[]; tables?: string[] }): string {
  return [...(filters.schemas ?? []).map((s) => `--schema ${s}`), ...(filters.tables ?? []).map((t) => `--table ${t}`)].join(' ');
}
