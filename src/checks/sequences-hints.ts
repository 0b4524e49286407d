import type { SequenceFinding, UnverifiedReason } from './sequences-types.js';

/**
 * The next step for a sequence that could not be verified, one wording per reason: a lock timeout needs
 * the blocking transaction found, not a GRANT; row-level security needs the owner, not more privileges.
 * Shared by the `sequences` report and doctor's findings so both say the same.
 */
export function unverifiedHint(f: Pick<SequenceFinding, 'sequence' | 'schema' | 'consumers' | 'reasonCode'>): string {
  const blocked = f.consumers.find((c) => c.skippedCode) ?? f.consumers[0];
  const table = blocked ? `${blocked.schema}.${blocked.table}` : 'its table';
  const schema = blocked?.skippedCode === 'schema_usage' ? blocked.schema : f.schema;
  // Short: the terminal table is as wide as its longest hint.
  const hints: Record<UnverifiedReason, string> = {
    lock_timeout: `a transaction holds a lock on ${table}: let it finish (pg_blocking_pids() names it) and run again, or raise --lock-timeout`,
    statement_timeout: `reading ${table} took longer than --statement-timeout: index the column, or raise --statement-timeout`,
    permission_denied: `this role may not read ${blocked?.skippedCode === 'permission_denied' ? table : f.sequence}: GRANT SELECT on it to this role, or run as its owner`,
    schema_usage: `this role has no USAGE on schema ${schema}: GRANT USAGE ON SCHEMA ${schema} to it, or run as the owner`,
    row_level_security: `run as the table owner (if ${table} has no FORCE ROW LEVEL SECURITY) or as a role with BYPASSRLS`,
    unsupported_type: `a column it feeds in ${table} is not an integer type, which healfix cannot compare: check it by hand`,
    not_verifiable: 'run again; if it persists, look for this error in the server log',
  };
  return hints[f.reasonCode ?? 'not_verifiable'];
}
