import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseDuration, DEFAULT_SESSION, type SessionOptions } from '../db/session.js';
import type { TargetOptions } from '../db/target.js';

/** The connection flags every database command shares. */
export interface ConnectionFlags {
  databaseUrl?: string;
  envFile?: string;
  djangoSettings?: string;
  statementTimeout?: string;
  lockTimeout?: string;
  connectTimeout?: string;
}

export interface OutputFlags {
  json?: boolean;
}

export function addConnectionOptions(command: Command): Command {
  return command
    .option('-d, --database-url <url>', 'database to check: postgres://… or sqlite:path (default: DATABASE_URL, PG* variables, ./.env)')
    .option('--env-file <path>', "read DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD from this file instead of ./.env")
    .option('--django-settings <module>', "read DATABASES['default'] by importing this Django settings module (runs python3 here)")
    .addOption(new Option('--statement-timeout <duration>', 'cancel any statement running longer (a unit is required: 500ms, 30s, 2m)').default('30s'))
    .addOption(new Option('--lock-timeout <duration>', 'give up on a lock not granted within (500ms, 3s, 1m)').default('3s'))
    .addOption(new Option('--connect-timeout <duration>', 'give up connecting after (500ms, 10s, 1m)').default('10s'));
}

export function addJsonOption(command: Command): Command {
  return command.option('--json', 'print one JSON document on stdout (see docs/json.md)');
}

export function targetOptionsFrom(flags: ConnectionFlags): TargetOptions {
  return { databaseUrl: flags.databaseUrl, envFile: flags.envFile, djangoSettings: flags.djangoSettings };
}

export function sessionOptionsFrom(flags: ConnectionFlags): SessionOptions {
  return {
    statementTimeoutMs: flags.statementTimeout ? parseDuration(flags.statementTimeout, '--statement-timeout') : DEFAULT_SESSION.statementTimeoutMs,
    lockTimeoutMs: flags.lockTimeout ? parseDuration(flags.lockTimeout, '--lock-timeout') : DEFAULT_SESSION.lockTimeoutMs,
    connectTimeoutMs: flags.connectTimeout ? parseDuration(flags.connectTimeout, '--connect-timeout') : DEFAULT_SESSION.connectTimeoutMs,
  };
}

/** Parses a positive integer flag or throws a UsageError naming it. */
export function parsePositiveInt(value: string, flag: string, max = 1_000_000): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || Number(value) > max) {
    throw new UsageError(`${flag} must be a whole number from 1 to ${max}, got "${value}"`);
  }
  return Number(value);
}
