import type { OpenedDatabase } from '../db/open.js';
import type { PostgresDatabase } from '../db/postgres.js';
import type { SqliteDb } from '../db/sqlite.js';
import type { CheckResult, Finding } from './types.js';
import { worstSeverity } from './types.js';

/** Facts about the server and the role healfix runs as, read before any other check. */
export interface ServerFacts {
  kind: 'postgres' | 'sqlite';
  version: string;
  /** PostgreSQL: a hot standby cannot be repaired (setval is a write). */
  standby?: boolean;
  role?: string;
  superuser?: boolean;
  /** Tables in user schemas the role cannot SELECT from: their sequences cannot be checked. */
  unreadableTables?: string[];
  /** Sequences the role cannot read (needs SELECT or USAGE). */
  unreadableSequences?: string[];
  /** SQLite: journal mode ('wal' for SANA) and whether the file is writable by us. */
  journalMode?: string;
  settings?: Record<string, string>;
}

export async function readServerFacts(db: OpenedDatabase): Promise<ServerFacts> {
  return db.kind === 'postgres' ? readPostgresFacts(db.pg) : readSqliteFacts(db.sqlite);
}

async function readPostgresFacts(db: PostgresDatabase): Promise<ServerFacts> {
  const { rows } = await db.pool.query<{
    version: string;
    standby: boolean;
    role: string;
    superuser: boolean;
    unreadable_tables: string[] | null;
    unreadable_sequences: string[] | null;
    max_locks: string;
    statement_timeout: string;
    lock_timeout: string;
  }>(`
    select current_setting('server_version') as version,
           pg_is_in_recovery() as standby,
           current_user as role,
           (select rolsuper from pg_roles where rolname = current_user) as superuser,
           (select array_agg(format('%I.%I', n.nspname, c.relname) order by 1)
              from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
               and n.nspname not like 'pg\\_%' and not has_table_privilege(c.oid, 'SELECT')) as unreadable_tables,
           (select array_agg(format('%I.%I', n.nspname, c.relname) order by 1)
              from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname not in ('pg_catalog', 'information_schema')
               -- CASE keeps has_sequence_privilege away from non-sequences, whatever order the planner picks.
               and case when c.relkind = 'S'
                        then not has_sequence_privilege(c.oid, 'SELECT') and not has_sequence_privilege(c.oid, 'USAGE')
                        else false end) as unreadable_sequences,
           current_setting('max_locks_per_transaction') as max_locks,
           current_setting('statement_timeout') as statement_timeout,
           current_setting('lock_timeout') as lock_timeout`);
  const r = rows[0]!;
  return {
    kind: 'postgres',
    version: `PostgreSQL ${r.version}`,
    standby: r.standby,
    role: r.role,
    superuser: r.superuser,
    unreadableTables: r.unreadable_tables ?? [],
    unreadableSequences: r.unreadable_sequences ?? [],
    settings: { max_locks_per_transaction: r.max_locks, statement_timeout: r.statement_timeout, lock_timeout: r.lock_timeout },
  };
}

function readSqliteFacts(db: SqliteDb): ServerFacts {
  const version = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
  const journalMode = String(db.pragma('journal_mode', { simple: true }));
  return { kind: 'sqlite', version: `SQLite ${version}`, journalMode };
}

/** The server facts as a doctor check: a standby or unreadable tables are warnings, not crashes. */
export function serverCheckResult(facts: ServerFacts): CheckResult {
  const findings: Finding[] = [];
  if (facts.standby) {
    findings.push({
      check: 'server',
      severity: 'warn',
      title: 'connected to a standby (read-only replica)',
      detail: 'Checks work, but repairs must run on the primary: setval and deletes are writes.',
      hint: 'Point --database-url at the primary to fix anything found.',
    });
  }
  const tables = facts.unreadableTables ?? [];
  if (tables.length > 0) {
    findings.push({
      check: 'server',
      severity: 'warn',
      title: `role ${facts.role} cannot read ${tables.length} table${tables.length === 1 ? '' : 's'}`,
      detail: `Sequences feeding them cannot be verified (the sequences check reports each one): ${preview(tables)}.`,
      hint: `Run as the table owner, or GRANT SELECT ON ${tables[0]} TO ${facts.role};`,
      data: { tables },
    });
  }
  const sequences = facts.unreadableSequences ?? [];
  if (sequences.length > 0) {
    findings.push({
      check: 'server',
      severity: 'warn',
      title: `role ${facts.role} cannot read ${sequences.length} sequence${sequences.length === 1 ? '' : 's'}`,
      detail: `Their position is unknown: ${preview(sequences)}.`,
      hint: `GRANT SELECT ON SEQUENCE ${sequences[0]} TO ${facts.role};`,
      data: { sequences },
    });
  }
  const who = facts.kind === 'postgres' ? ` as ${facts.role}${facts.superuser ? ' (superuser)' : ''}` : facts.journalMode ? `, journal ${facts.journalMode}` : '';
  return {
    check: 'server',
    status: worstSeverity(findings),
    summary: `${facts.version}${facts.standby ? ' (standby)' : ''}${who}`,
    findings,
  };
}

function preview(items: string[]): string {
  return items.length <= 5 ? items.join(', ') : `${items.slice(0, 5).join(', ')} and ${items.length - 5} more`;
}
