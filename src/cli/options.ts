import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseDuration, DEFAULT_SESSION, type SessionOptions } from '../db/session.js';
import type { TargetOptions } from '../db/target.js';
import type { ConnectionOptions, OpenedDatabase, OpenOptions } from '../db/open.js';
import type { LoadedConfig } from '../config/load.js';

/** The connection flags every database command shares. */
export interface ConnectionFlags {
  databaseUrl?: string;
  envFile?: string;
  djangoSettings?: string;
  statementTimeout?: string;
  lockTimeout?: string;
  connectTimeout?: string;
  /** --config: the project config file to use instead of searching for one. */
  config?: string;
  /** Set by the preAction hook (project-config.ts) when a project config was found. */
  projectConfig?: LoadedConfig;
}

export interface OutputFlags {
  json?: boolean;
  /** --reporter name[:file], repeatable. */
  reporter?: string[];
  /** register-test's older --output FILE: the file of a reporter named without one. */
  output?: string;
  verbose?: boolean;
  quiet?: boolean;
}

export function addConnectionOptions(command: Command, options: { repeatable?: boolean } = {}): Command {
  // Repeatable (sequences): each -d adds a database; more than one makes a fleet. The value is then an array.
  const database = options.repeatable
    ? new Option('-d, --database-url <url>', 'database to check: postgres://… or sqlite:path (default: DATABASE_URL, PG* variables, ./.env); repeat for several').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    : new Option('-d, --database-url <url>', 'database to check: postgres://… or sqlite:path (default: DATABASE_URL, PG* variables, ./.env)');
  return command
    .addOption(database)
    .option('--env-file <path>', "read DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD from this file instead of ./.env")
    .option('--django-settings <module>', "read DATABASES['default'] by importing this Django settings module (runs python3 here)")
    .addOption(new Option('--statement-timeout <duration>', 'cancel any statement running longer (a unit is required: 500ms, 30s, 2m)').default('30s'))
    .addOption(new Option('--lock-timeout <duration>', 'give up on a lock not granted within (500ms, 3s, 1m)').default('3s'))
    .addOption(new Option('--connect-timeout <duration>', 'give up connecting after (500ms, 10s, 1m)').default('10s'));
}

/** The output flags every command with a --json document shares: --json, --reporter, --verbose, --quiet. */
export function addJsonOption(command: Command): Command {
  return command
    .option('--json', 'print one JSON document on stdout (see docs/json.md)')
    .option(
      '--reporter <name[:file]>',
      'human, json, junit, github, markdown, gitlab or html; :FILE writes it to a file (repeatable)',
      (value: string, all: string[] | undefined) => [...(all ?? []), value],
    )
    .option('--verbose', 'every finding with its full detail')
    .option('-q, --quiet', 'print only the summary line');
}

export function targetOptionsFrom(flags: ConnectionFlags): TargetOptions {
  const loaded = flags.projectConfig;
  const config = loaded && { label: loaded.label, databaseUrl: loaded.config.databaseUrl, databaseUrlEnv: loaded.config.databaseUrlEnv };
  return { databaseUrl: flags.databaseUrl, envFile: flags.envFile, djangoSettings: flags.djangoSettings, ...(config ? { config } : {}) };
}

/** The typed connection options the db layer takes (it never sees flags). */
export function connectionOptionsFrom(flags: ConnectionFlags): ConnectionOptions {
  return { ...targetOptionsFrom(flags), session: sessionOptionsFrom(flags) };
}

/** Resolves and opens the database the connection flags (+ environment + project config) name. */
export async function openFromFlags(flags: ConnectionFlags, options: OpenOptions = {}): Promise<OpenedDatabase> {
  const { openDatabase } = await import('../db/open.js');
  return openDatabase(connectionOptionsFrom(flags), options);
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
