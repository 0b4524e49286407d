/**
 * Which config keys stand for a database healfix found, without ever putting a password in the file: the
 * environment variable's NAME when the URL came from the environment, nothing when healfix finds the app's
 * own config again from the same folder, and databaseUrlEnv: DATABASE_URL (to be set by the user) when the
 * only source was a URL with a password.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import type { DatabaseTarget } from '../db/target.js';

export interface DatabaseKeys {
  databaseUrlEnv?: string;
  /** Only a URL without a password (or a SQLite path relative to the folder). */
  databaseUrl?: string;
  envFile?: string;
  /** The comment above the keys: where the database was found and how healfix finds it again. */
  note: string;
  /** Set when the user must do something before the config works (export the variable). */
  action?: string;
}

export interface DatabaseKeysContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  envFile?: string;
}

/** Pure over the target and the folder's files: no connection is opened. */
export function databaseKeysFor(target: DatabaseTarget, context: DatabaseKeysContext): DatabaseKeys {
  const source = target.source;
  const hasPassword = target.kind === 'postgres' && Boolean(target.password);
  if (source === '--database-url') {
    if (target.kind === 'sqlite') return { databaseUrl: `sqlite:${relative(context.cwd, target.path) || target.path}`, note: 'from --database-url (a SQLite file)' };
    if (!hasPassword) return { databaseUrl: target.display, note: 'from --database-url (no password in it)' };
    return {
      databaseUrlEnv: 'DATABASE_URL',
      note: 'from --database-url; its password is not written here: healfix reads the URL from DATABASE_URL',
      action: 'export DATABASE_URL (the URL you gave with --database-url) before running healfix, or put it in .env',
    };
  }
  if (source === 'DATABASE_URL') return { databaseUrlEnv: 'DATABASE_URL', note: 'from the environment variable DATABASE_URL' };
  if (source === 'PG* environment' || source === 'PGSERVICE') {
    return { note: `from the ${source === 'PGSERVICE' ? 'PGSERVICE variable' : 'PGHOST/PGPORT/PGDATABASE/PGUSER variables'}; healfix reads them on every run, nothing to store` };
  }
  if (source === '.env') {
    const file = context.envFile ?? '.env';
    const envFile = context.envFile ? { envFile: context.envFile } : {};
    const values = readDotenv(join(context.cwd, file));
    if (values.DATABASE_URL && !values.DB_HOST && !values.DB_NAME) return { databaseUrlEnv: 'DATABASE_URL', ...envFile, note: `from DATABASE_URL in ${file} (the environment wins over the file)` };
    return { ...envFile, note: `from DB_HOST/DB_NAME/DB_USER/DB_PASSWORD in ${file}; healfix reads the file on every run` };
  }
  if (source.startsWith('app config: ')) return appConfigKeys(target, source.slice('app config: '.length), context, hasPassword);
  return { note: `from ${source}` };
}

/**
 * The app's own config: healfix finds Rails' database.yml, Laravel's .env and schema.prisma again from the
 * same folder. When the URL in it comes from an environment variable the file names, that name is written.
 */
function appConfigKeys(target: DatabaseTarget, from: string, context: DatabaseKeysContext, hasPassword: boolean): DatabaseKeys {
  const url = target.kind === 'postgres' ? target.connectionString : undefined;
  const named = url ? referencedEnvNames(from, context.cwd).find((name) => context.env[name]?.trim() === url.trim()) : undefined;
  if (named) return { databaseUrlEnv: named, note: `from the app's config (${from}), which reads the URL from ${named}` };
  if (from.startsWith('Django settings ')) {
    // Django settings are read only when --django-settings names them: the file cannot say that, so the URL goes in an env variable.
    if (target.kind === 'postgres' && !hasPassword) return { databaseUrl: target.display, note: `from the app's config (${from}), no password in it` };
    return {
      databaseUrlEnv: 'DATABASE_URL',
      note: `from the app's config (${from}); its password is not written here: healfix reads the URL from DATABASE_URL`,
      action: 'export DATABASE_URL with the URL Django uses before running healfix',
    };
  }
  const reads = referencedEnvNames(from, context.cwd);
  const envNote = reads.length ? `, which reads ${reads.join(', ')} from the environment` : '';
  return { note: `from the app's config (${from})${envNote}; healfix reads it again on every run from this folder, nothing to store` };
}

/** `ENV["X"]`, `ENV.fetch("X")` (Rails ERB) and `env("X")` (Prisma) in the file the source names. */
function referencedEnvNames(from: string, cwd: string): string[] {
  const prisma = /env\("(\w+)"\)/.exec(from)?.[1];
  if (prisma) return [prisma];
  const file = /^(\S+)/.exec(from)?.[1];
  const path = file && join(cwd, file);
  if (!path || !existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return [...new Set([...text.matchAll(/ENV(?:\[|\.fetch\()\s*["'](\w+)["']/g)].map((m) => m[1]!))];
}

function readDotenv(path: string): Record<string, string> {
  return existsSync(path) ? parseDotenv(readFileSync(path)) : {};
}
