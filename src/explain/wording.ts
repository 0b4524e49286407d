/**
 * What explain says for each generic diagnosis (title, cause, fix, next commands), from the facts its
 * recogniser read; a recognised stack's own wording (stack-errors.ts) takes precedence over these.
 */
import { shellQuote } from '../checks/next-command.js';
import type { Diagnosis, DiagnosisFacts, DiagnosisId } from './types.js';

function tableArg(facts: DiagnosisFacts): string | undefined {
  if (!facts.table) return undefined;
  return shellQuote(facts.schema && facts.schema !== 'public' ? `${facts.schema}.${facts.table}` : facts.table);
}

type Wording = Pick<Diagnosis, 'title' | 'cause' | 'fix' | 'nextCommands'>;

function registerTestCommand(facts: DiagnosisFacts, extra = ''): string {
  let origin = '<app-url>';
  if (facts.url) {
    try {
      origin = new URL(facts.url).origin;
    } catch {
      // keep the placeholder
    }
  }
  return `healfix register-test --url ${origin === '<app-url>' ? origin : shellQuote(origin)}${extra}`;
}

export const WORDING: Record<DiagnosisId, (facts: DiagnosisFacts, key: string) => Wording> = {
  'duplicate-key': (f) => {
    const table = tableArg(f);
    const what = f.constraint ? `"${f.constraint}"` : f.columns?.length ? `(${f.columns.join(', ')})` : 'a unique key';
    const column = f.columns?.[0] ?? 'id';
    const retries =
      (f.values?.length ?? 0) > 1
        ? ` Here the failing ids climb (${f.values?.join(', ')}): each failed insert still consumes a sequence value, so retries fail on the next id until they pass max(${column}).`
        : ' Each failed insert still consumes a sequence value, so retries fail with the next id, and the next, until the sequence passes max(id).';
    return {
      title: `Duplicate key on ${what}${f.values?.length ? ` (${column})=(${f.values[0]})` : ''}: the sequence feeding it lags behind the data`,
      cause:
        `The new row took its ${column} from the sequence behind the column (a SERIAL column's <table>_${column}_seq), but that id is already in ${f.table ? `"${f.table}"` : 'the table'}: ` +
        'rows were inserted with explicit ids (a restore, a data import, fixtures, a copy from another database) and the sequence was never moved past max(' + column + ').' +
        retries +
        ' In a signup that writes this table together with others in one transaction (an account and its first notification, say), the whole registration rolls back and the user only sees a 500.',
      fix:
        `Move the sequence past the highest ${column}: ${table ? `\`healfix sequences --fix --table ${table}\`` : '`healfix sequences --fix`'} shows the plan (setval to max(${column})) and applies it after confirmation. ` +
        'A restore usually leaves every sequence behind, so check them all with `healfix sequences`.' +
        (f.values === undefined && !/_pkey$/.test(f.constraint ?? '') ? ' If no sequence feeds this constraint, the value is genuinely there already: the app must check for it first or answer 409.' : ''),
      nextCommands: table
        ? [`healfix sequences --fix --table ${table}`, 'healfix sequences']
        : ['healfix sequences'],
    };
  },
  'duplicate-value': (f, key) => {
    const cols = f.columns?.join(', ') ?? '?';
    const where = f.constraint ? `"${f.constraint}"` : f.table ? `${f.table}(${cols})` : `(${cols})`;
    const race = key.startsWith('sqlite:') && /temp_reg|pending|signup/i.test(f.table ?? '');
    return {
      title: `Duplicate value on ${where}${f.values?.length ? `: (${cols})=(${f.values.join(', ')}) already exists` : ''}`,
      cause: race
        ? `A second pending signup for the same email hit the UNIQUE constraint on ${f.table}.${cols}. This is the signup race: two requests for one email (a double click, a retry, two app processes) each create a temp_id; the second overwrites or collides with the first, and the session of one of them now points at a temp_id that is gone.`
        : `The row's ${cols} value is really there already; this is not a sequence problem (the key is not a generated id). Usually the app inserts without checking first, or two requests for the same user raced each other.`,
      fix: race
        ? 'Make one pending signup per email (upsert on email, keep the existing temp_id) and deduplicate across processes in the database, not in memory. Trace the signup with `healfix temp-registrations --email ADDRESS`.'
        : 'Look up the existing row and decide: the app should check for it first (and answer 409 "already exists"), or treat the unique violation (SQLSTATE 23505) as that 409.',
      nextCommands: race
        ? [`healfix temp-registrations${f.email ? ` --email ${shellQuote(f.email)}` : ''}`]
        : f.table
          ? [`healfix sequences --table ${tableArg(f)}`]
          : ['healfix doctor'],
    };
  },
  'sequence-exhausted': (f) => ({
    title: `Sequence ${f.sequence ?? ''} reached its maximum value${f.maxValue ? ` (${f.maxValue})` : ''}`.replace('  ', ' '),
    cause:
      `nextval() on ${f.sequence ?? 'the sequence'} cannot go any higher: it was created AS integer (a SERIAL column) and has handed out every value up to ${f.maxValue ?? 'its MAXVALUE'}. ` +
      'Every insert that needs a new id now fails, so any signup writing this table fails too. A sequence that was bumped far ahead (setval to a huge number) reaches this much sooner than its rows suggest.',
    fix:
      'Widen it: ALTER SEQUENCE ... AS bigint MAXVALUE 9223372036854775807 and ALTER TABLE ... ALTER COLUMN id TYPE bigint (a table rewrite: plan a maintenance window). ' +
      'If the sequence was only pushed ahead by mistake and max(id) is far lower, setval it back to max(id) instead.',
    nextCommands: ['healfix sequences'],
  }),
  'id-out-of-range': (f) => ({
    title: `Integer out of range${f.values?.length ? ` (${f.values[0]})` : ''}${f.table ? ` in ${f.table}` : ''}: the id no longer fits its column`,
    cause:
      'A value larger than 2147483647 went into an integer (int4) column. On an id this means the sequence behind it (bigint, or moved far ahead with setval) has passed what the SERIAL column can hold, ' +
      'so every insert now fails. It can also be an application value too large for the column.',
    fix: 'Change the id column (and any column referencing it) to bigint, or, if the sequence was pushed ahead by mistake, setval it back to max(id). `healfix sequences` shows each sequence against its column type.',
    nextCommands: f.table ? [`healfix sequences --table ${tableArg(f)}`] : ['healfix sequences'],
  }),
  'pending-signup-missing': (f) => ({
    title: `No pending signup for ${f.tempId ?? 'the session\'s temp_id'}: the pending row is gone`,
    cause:
      'Verification looked up the temp_id kept in the session, but the pending-signup table has no such row. Either a second signup request for the same email (double click, retry, another tab, a second app process) ' +
      'created a new temp_id and replaced the first row, so the session and the database disagree, or the row was deleted as expired — an expiry trigger that compares local-time timestamps with UTC datetime(\'now\') deletes fresh rows west of UTC. ' +
      'The OTP sent for the old temp_id is now an orphan.',
    fix:
      'Trace the signup to see every temp_id and OTP for that email, with times and state. Then make one pending signup per email (keep the existing temp_id on a repeat request) and deduplicate in the database rather than in one process\'s memory; store timestamps in UTC.',
    nextCommands: [`healfix temp-registrations${f.email ? ` --email ${shellQuote(f.email)}` : ' --email <address>'}`, 'healfix temp-registrations'],
  }),
  'verification-session-invalid': (f) => ({
    title: 'Invalid verification session: the session\'s temp_id does not match a pending signup',
    cause:
      'The OTP check found a session whose temp_id has no pending-signup row any more. Concurrent signups for one email each got 200 and a temp_id; only one row survives, ' +
      'so every client but one fails verification while orphan OTP rows point at deleted temp_ids.',
    fix:
      'Trace the email\'s signups and OTPs, and ask the user to start the signup again once. In the app, keep one pending signup per email and make the dedup hold across processes (gunicorn -w 2 breaks a per-process lock).',
    nextCommands: [`healfix temp-registrations${f.email ? ` --email ${shellQuote(f.email)}` : ' --email <address>'}`, registerTestCommand(f)],
  }),
  'registration-session-expired': (f) => ({
    title: 'Registration session expired: the pending signup is older than its expiry',
    cause:
      'The pending signup or its one-time code expired before the code was entered. If it happens straight after signing up, the timestamps are the problem: ' +
      'an app that writes local time and compares it with SQLite\'s UTC datetime(\'now\') sees every row expired at once west of UTC.',
    fix: 'Check the pending rows\' created_at/expires_at against the database clock; store and compare timestamps in UTC. Otherwise the user simply starts over.',
    nextCommands: [`healfix temp-registrations${f.email ? ` --email ${shellQuote(f.email)}` : ''}`],
  }),
  'pending-signup-deleted': (f) => ({
    title: 'Database verification failed: the pending signup was deleted as soon as it was written',
    cause:
      'Right after inserting the pending-signup row the app reads it back and it is not there. An AFTER INSERT trigger that deletes rows with expires_at < datetime(\'now\') does this when the app writes local time and SQLite compares in UTC: ' +
      'so on a server west of UTC every new row is already "expired" and every signup fails with this 400.',
    fix: 'Write timestamps in UTC (or compare in local time consistently). `healfix temp-registrations` reports timestamps in the future or in the wrong time zone.',
    nextCommands: [`healfix temp-registrations${f.email ? ` --email ${shellQuote(f.email)}` : ''}`],
  }),
  'rate-limited': (f, key) => {
    const wait = f.seconds !== undefined ? `wait ${f.seconds} seconds` : 'wait for the window to pass';
    if (key === 'endpoint') {
      return {
        title: `429 Too Many Requests from the endpoint limiter${f.limit ? ` (${f.limit})` : ''}`,
        cause:
          `A second, per-endpoint limiter (Flask-Limiter style, ${f.limit ?? 'N per window'} per IP) answered with its HTML page instead of the API's JSON. It counts every request to the endpoint, so scripted signups or a test loop from one IP exhaust it. This is the limiter working, not a bug.`,
        fix: 'Wait for the window to pass or test from another IP; raise the limit for development only. register-test reads the limiter from the server\'s answers and says when to retry.',
        nextCommands: [registerTestCommand(f, ' --wait'), 'healfix rate-limits'],
      };
    }
    if (key === 'resend') {
      return {
        title: `429: a new code was requested within the resend window (${wait})`,
        cause: 'The app allows one new verification code per resend window. This is expected behaviour, not a failure.',
        fix: `Use the code already sent, or ${wait} before requesting a new one.`,
        nextCommands: ['healfix temp-registrations', registerTestCommand(f, ' --wait')],
      };
    }
    if (key === 'dedup') {
      return {
        title: '429 Please wait before trying again: a duplicate signup request was blocked',
        cause:
          'A second signup request for the same email arrived within the app\'s dedup window and was refused. A dedup kept in one process\'s memory does not hold with two app processes, and the signup race returns.',
        fix: 'Nothing to fix for one request; if users still get "Invalid verification session", trace their pending signups.',
        nextCommands: ['healfix temp-registrations', 'healfix rate-limits'],
      };
    }
    return {
      title: `429 Too many requests${f.seconds !== undefined ? `: ${wait}` : ''} — the register limiter, not a bug`,
      cause:
        'The app\'s limiter refused the request. Limiters usually count failed requests (400, 409, 500) too, so a user retrying a signup that failed for another reason — such as a duplicate key — runs into it.',
      fix:
        `${wait.charAt(0).toUpperCase()}${wait.slice(1)}, then retry once the real cause is fixed. healfix rate-limits shows whether the limiter keeps its state in a table (then it can clear the key) or in memory (a restart resets it).`,
      nextCommands: [registerTestCommand(f, ' --wait'), 'healfix rate-limits'],
    };
  },
  'csrf-failed': (f) => ({
    title: `${f.httpStatus ?? 403} CSRF token missing or invalid`,
    cause:
      'The request did not carry a CSRF token the app accepts: the token the app handed out (in a form\'s hidden field, a meta tag, a cookie or a token endpoint) was not sent back, ' +
      'was sent under another name, or belongs to another session (a lost or cross-site cookie, a cached page).',
    fix: 'Load the page or endpoint that issues the token first, keep its cookies, and send the token back the way the app expects (form field or header). register-test does this handshake for you and shows each step.',
    nextCommands: [registerTestCommand(f)],
  }),
  'internal-error-id': (f) => ({
    title: `500 with error_id ${f.errorId ?? ''}: the real cause is only in the server log`,
    cause:
      `The API hides the cause behind "An unexpected error occurred". The server logs it under the same id, as a line starting with [ERROR ${f.errorId ?? '<id>'}] (for a lagging sequence: "duplicate key value violates unique constraint ...").`,
    fix: `Find that line in the server's log (grep "ERROR ${f.errorId ?? ''}") and run healfix explain on it, or let register-test replay the signup and check the usual causes.`,
    nextCommands: [`healfix explain "$(grep -A1 'ERROR ${f.errorId ?? ''}' <server-log>)"`, registerTestCommand(f), 'healfix sequences'],
  }),
  'connection-refused': (f) => {
    const place = f.host || f.port ? `${f.host ?? 'localhost'}${f.port ? `:${f.port}` : ''}` : 'the server';
    const database = f.port === undefined || f.port === 5432 || (f.host?.startsWith('/') ?? false);
    return {
      title: `Connection refused by ${place}`,
      cause: database
        ? `Nothing accepts connections at ${place}: PostgreSQL is not running, listens on another port or address (listen_addresses, port in postgresql.conf), or a container did not publish the port. The app cannot open a database connection, so every signup fails.`
        : `Nothing is listening on ${place}. If that is the app's own port, the server is not running (or crashed at start); if it is the database, it runs on another port or address.`,
      fix: database
        ? 'Start PostgreSQL (systemctl start postgresql, docker compose up db) or point DB_HOST/DB_PORT (or DATABASE_URL) at where it really runs; then check the connection with healfix doctor.'
        : 'Start the service, or correct the host and port the client uses.',
      nextCommands: database ? [`healfix doctor${f.port && f.host && !f.host.startsWith('/') ? ` --database-url postgres://${shellQuote(f.host)}:${f.port}/<db>` : ''}`] : [registerTestCommand({ url: `http://${place}` })],
    };
  },
  'password-auth-failed': (f) => ({
    title: `Password authentication failed for user "${f.user ?? '?'}"`,
    cause:
      `PostgreSQL refused the password given for ${f.user ? `"${f.user}"` : 'the user'}: the password in the app's configuration (DB_PASSWORD in .env, DATABASE_URL, PGPASSWORD) is not the role's password, or the role does not exist on this server. pg_hba.conf decides which method applies (scram-sha-256, md5).`,
    fix: `Check the configured password against the role (ALTER ROLE ${f.user ?? 'name'} PASSWORD '...'), and that the app reads the .env you think it reads.`,
    nextCommands: ['healfix doctor'],
  }),
  'database-missing': (f) => ({
    title: `Database "${f.database ?? '?'}" does not exist`,
    cause: `The server is reachable but has no database named "${f.database ?? '?'}": it was never created here, has another name (DB_NAME in .env), or the app points at the wrong server. Nothing can be read or written until the app connects to a database that exists.`,
    fix: `Create it (createdb -O <owner> ${f.database ?? '<name>'}) or correct DB_NAME / DATABASE_URL; \`psql -l\` lists the databases on that server.`,
    nextCommands: ['healfix doctor'],
  }),
  // Worded by the stack entry that matched (stack-errors.ts); this is only the shape's fallback.
  'stack-error': () => ({
    title: 'An error text a known stack produces',
    cause: 'The text matches an error declared in healfix\'s knowledge of a framework.',
    fix: 'See the stack\'s explanation.',
    nextCommands: ['healfix doctor'],
  }),
  'out-of-shared-memory': () => ({
    title: 'Out of shared memory: the lock table is full',
    cause:
      'PostgreSQL keeps one lock-table entry for every table, index and sequence a transaction touches, sized max_locks_per_transaction × (max_connections + max_prepared_transactions). ' +
      'A transaction that touches thousands of relations (a schema with many tables or partitions, a dump, a scan over every sequence in one transaction) runs out of entries.',
    fix:
      'Raise max_locks_per_transaction (e.g. 256; needs a restart), or split the work into smaller transactions; limit a healfix scan to the tables involved with --table or --schema.',
    nextCommands: ['healfix doctor'],
  }),
};
