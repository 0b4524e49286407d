/**
 * "Registration works" needs the account row, not only a friendly answer: with a database, the row the
 * flow names (database.account) or, failing that, the accounts table a known stack keeps (knowledge
 * pending.accounts) is read for the generated user.
 */
import type { Finding } from '../checks/types.js';
import type { OpenedDatabase } from '../db/open.js';
import { fillTemplate, type Flow, type FlowTableRef } from '../http/flow.js';
import { STACKS } from '../knowledge/index.js';
import { countRows, tableExists } from './database.js';

/** Where the generated user's account row lives, from the flow or the first known stack whose table exists. */
export async function accountRef(db: OpenedDatabase, flow: Flow): Promise<FlowTableRef | undefined> {
  if (flow.database?.account) return flow.database.account;
  for (const stack of STACKS) {
    const accounts = stack.pending?.accounts;
    if (accounts && (await tableExists(db, accounts.table))) return { table: accounts.table, column: accounts.email, value: '{{email}}' };
  }
  return undefined;
}

export interface AccountCheck {
  account?: { table: string; column: string; value: string; rows: number };
  /** Set when the signup cannot count as working. */
  finding?: Finding;
}

export async function checkAccountRow(db: OpenedDatabase, flow: Flow, vars: Record<string, string>): Promise<AccountCheck> {
  const ref = await accountRef(db, flow);
  if (!ref) {
    return {
      finding: {
        check: 'register-test',
        severity: 'error',
        title: 'the signup was answered as a success, but no account table is known to check it',
        detail: 'A database was given, and "registration works" is only said once the account row is read.',
        hint: 'Name the account table in the flow file: "database": { "account": { "table": "users", "column": "email", "value": "{{email}}" } }.',
      },
    };
  }
  const value = fillTemplate(ref.value, vars, 'database.account');
  const rows = await countRows(db, ref, value);
  const account = { table: ref.table, column: ref.column, value, rows };
  if (rows >= 1) return { account };
  return {
    account,
    finding: {
      check: 'register-test',
      severity: 'error',
      title: `the app answered success, but ${ref.table} has no row with ${ref.column} = ${value}`,
      detail: 'The signup was not stored: the answer looked like a success (a redirect or a 2xx) yet no account exists.',
      hint: 'Check that --database-url is the database the app writes to, and read the page the signup answered (a re-rendered form, an error page).',
    },
  };
}
