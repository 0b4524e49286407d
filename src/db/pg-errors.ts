import { ConnectionError, HealfixError, isHealfixError } from '../errors.js';

/** The fields node-postgres puts on a server error (a DatabaseError). */
export interface PgErrorFields {
  code?: string;
  detail?: string;
  hint?: string;
  schema?: string;
  table?: string;
  constraint?: string;
}

export function pgFields(error: unknown): PgErrorFields {
  if (!error || typeof error !== 'object') return {};
  const e = error as Record<string, unknown>;
  const pick = (key: string) => (typeof e[key] === 'string' ? (e[key] as string) : undefined);
  return {
    code: pick('code'),
    detail: pick('detail'),
    hint: pick('hint'),
    schema: pick('schema'),
    table: pick('table'),
    constraint: pick('constraint'),
  };
}

/** SQLSTATE codes healfix reacts to, by name. */
export const SQLSTATE = {
  lockNotAvailable: '55P03',
  queryCanceled: '57014',
  insufficientPrivilege: '42501',
  outOfMemory: '53200',
  undefinedTable: '42P01',
  invalidPassword: '28P01',
  invalidAuthorization: '28000',
  invalidCatalogName: '3D000',
  cannotConnectNow: '57P03',
  tooManyConnections: '53300',
  uniqueViolation: '23505',
  invalidCursorName: '34000',
} as const;

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is PostgreSQL running and listening on that port?)',
  ENOTFOUND: 'host not found (DNS lookup failed)',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by the server (is that port really PostgreSQL?)',
  EPIPE: 'connection closed by the server',
  ENOENT: 'no such socket (is PostgreSQL running?)',
};

/** Turns whatever pg threw while connecting into one line naming the place and the reason. */
export function connectionErrorFor(place: string, error: unknown): HealfixError {
  if (isHealfixError(error)) return error;
  const e = (error ?? {}) as { code?: string; message?: string };
  const message = String(e.message ?? error);
  let reason: string;
  let hint: string | undefined;
  if (e.code && NETWORK_REASONS[e.code]) {
    reason = NETWORK_REASONS[e.code];
  } else if (e.code === SQLSTATE.invalidPassword || /password authentication failed/i.test(message)) {
    reason = `password authentication failed${userOf(message)}`;
    hint = 'Check the password in the URL, PGPASSWORD, ~/.pgpass or DB_PASSWORD in .env.';
  } else if (e.code === SQLSTATE.invalidCatalogName) {
    reason = message;
    hint = 'Check the database name; `psql -l` lists them.';
  } else if (e.code === SQLSTATE.invalidAuthorization) {
    reason = message;
  } else if (e.code === SQLSTATE.cannotConnectNow || e.code === SQLSTATE.tooManyConnections) {
    reason = message;
  } else if (/timeout|timed out/i.test(message)) {
    reason = 'connection timed out (is that a PostgreSQL server?)';
  } else if (/terminated unexpectedly|unexpected message|invalid response|not a PostgreSQL|ended unexpectedly/i.test(message)) {
    reason = 'the server did not speak the PostgreSQL protocol (is that port really PostgreSQL?)';
  } else if (/self[- ]signed|certificate|SSL|TLS/i.test(message)) {
    reason = `TLS: ${message}`;
    hint = 'Adjust sslmode in the URL (e.g. ?sslmode=require or ?sslmode=disable).';
  } else {
    reason = message.split('\n')[0] ?? 'unknown error';
  }
  return new ConnectionError(`cannot connect to ${place}: ${reason}`, { hint, cause: error });
}

/** The server asked for a password (SCRAM, md5, cleartext) and healfix was given none. */
export function noPasswordError(place: string): HealfixError {
  return new ConnectionError(`cannot connect to ${place}: the server asks for a password and none was given`, {
    hint: 'Give one in the URL (postgres://user:password@host/db), in PGPASSWORD, in ~/.pgpass (or PGPASSFILE), in a PGSERVICE entry, or as DB_PASSWORD in .env.',
  });
}

/**
 * True when the session itself is gone (server shut down, backend terminated, socket closed), as opposed
 * to one statement failing: the work cannot go on over this connection.
 */
export function isLostConnection(error: unknown): boolean {
  const e = (error ?? {}) as { code?: string; message?: string };
  if (e.code && (NETWORK_REASONS[e.code] || e.code.startsWith('08') || /^57P0[1-4]$/.test(e.code))) return true;
  return /Connection terminated|connection error|Client was closed|not queryable|ended unexpectedly/i.test(String(e.message ?? ''));
}

/** A session lost in the middle of the work: one line naming the place and the server's reason. */
export function lostConnectionError(place: string, error: unknown): HealfixError {
  const e = (error ?? {}) as { code?: string; message?: string };
  const reason = e.code && NETWORK_REASONS[e.code] ? NETWORK_REASONS[e.code] : String(e.message ?? error).split('\n')[0];
  return new ConnectionError(`lost the connection to ${place}: ${reason}`, {
    hint: 'Nothing was left half-done: healfix writes only inside transactions. Run the command again once the server is back.',
    cause: error,
  });
}

function userOf(message: string): string {
  const m = /for user "([^"]+)"/.exec(message);
  return m ? ` for user "${m[1]}"` : '';
}

/** One readable line for a server error during a query: message + detail + hint. */
export function describePgError(error: unknown): string {
  const fields = pgFields(error);
  const message = error instanceof Error ? error.message : String(error);
  const parts = [fields.code ? `${message} [${fields.code}]` : message];
  if (fields.detail) parts.push(`detail: ${fields.detail}`);
  if (fields.hint) parts.push(`hint: ${fields.hint}`);
  return parts.join('; ');
}
