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
  const hints: Record<UnverifiedReason, string> = {
    lock_timeout: `a transaction holds a lock on ${table}: find it (select pid, state, xact_start, query from pg_stat_activity where pid = any(pg_blocking_pids(<pid>))), let it finish, then run again — or allow a longer wait with --lock-timeout`,
    statement_timeout: `reading max() of ${table} took longer than --statement-timeout: index the column, or run again with a longer --statement-timeout`,
    permission_denied: `this role may not read ${blocked?.skippedCode === 'permission_denied' ? table : `sequence ${f.sequence}`}: GRANT SELECT on it to this role, or run as its owner`,
    schema_usage: `this role has no USAGE on schema ${schema}: GRANT USAGE ON SCHEMA ${schema} TO this role, or run as its owner`,
    row_level_security: `row-level security on ${table} hides rows from this role, so its max() proves nothing: run as the table owner (without FORCE ROW LEVEL SECURITY) or a role with BYPASSRLS`,
    unsupported_type: `a column it feeds in ${table} is not an integer type, so healfix cannot compare it with the sequence: check that column by hand`,
    not_verifiable: 'run again; if it persists, check the reason above in the server log',
  };
  return hints[f.reasonCode ?? 'not_verifiable'];
}
