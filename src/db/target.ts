import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse as parsePgUrl } from 'pg-connection-string';
import { ConfigError } from '../errors.js';
import { maskUrl, registerSecret, splitUserinfo } from '../secrets.js';
import { readService } from './pg-service.js';
import { findAppConfig, type AppConfigFound } from './app-config/index.js';

/** Where the connection settings came from, said in human output so nobody guesses. */
export type TargetSource = '--database-url' | 'DATABASE_URL' | 'PG* environment' | 'PGSERVICE' | '.env' | 'embedded' | `config ${string}` | AppConfigFound['source'];

export interface PostgresTarget {
  kind: 'postgres';
  source: TargetSource;
  /** Safe to print: password masked. */
  display: string;
  host: string;
  port: number;
  database: string;
  user?: string;
  password?: string;
  /** Connection string handed to pg (may hold the password; never print it). */
  connectionString?: string;
  ssl?: boolean | { rejectUnauthorized: boolean };
}

export interface SqliteTarget {
  kind: 'sqlite';
  source: TargetSource;
  display: string;
  path: string;
}

export type DatabaseTarget = PostgresTarget | SqliteTarget;

export interface TargetOptions {
  databaseUrl?: string;
  envFile?: string;
  /** Defaults to process.env; injectable for tests. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** From the project config file: below the flag and the environment, above ./.env. */
  config?: { label: string; databaseUrl?: string; databaseUrlEnv?: string };
  /** A Django settings module to import for DATABASES (only when the user names one). */
  djangoSettings?: string;
}

const SQLITE_FILE = /\.(db|sqlite3?)$/i;

export const NO_TARGET_HINT = [
  'Give a database in one of these ways:',
  '  --database-url postgres://user@host:5432/dbname   (or -d; sqlite:path/to/app.db for SQLite)',
  '  DATABASE_URL=postgres://...                        (environment)',
  '  PGHOST / PGPORT / PGDATABASE / PGUSER              (libpq variables; passwords from ~/.pgpass)',
  '  PGSERVICE=name                                     (a section of ~/.pg_service.conf or PGSERVICEFILE)',
  '  a .env file here with DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD (or --env-file PATH)',
].join('\n');

/** Resolves the database to talk to, in the documented order; throws ConfigError when there is none. */
export function resolveTarget(options: TargetOptions = {}): DatabaseTarget {
  const target = findTarget(options);
  if (!target) throw new ConfigError('no database configured', { hint: NO_TARGET_HINT });
  return target;
}

export function findTarget(options: TargetOptions = {}): DatabaseTarget | undefined {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();

  if (options.databaseUrl !== undefined) {
    if (options.databaseUrl.trim() === '') throw new ConfigError('--database-url is empty');
    return fromUrl(options.databaseUrl, '--database-url', cwd);
  }
  if (env.DATABASE_URL) return fromUrl(env.DATABASE_URL, 'DATABASE_URL', cwd);
  if (env.PGHOST || env.PGDATABASE || env.PGPORT || env.PGUSER || env.PGSERVICE) return fromPgEnv(env);
  const config = options.config;
  if (config?.databaseUrl) return fromUrl(config.databaseUrl, `config ${config.label}`, cwd);
  if (config?.databaseUrlEnv) {
    // As dotenv does: the environment wins, else the app's .env (or --env-file) may hold the variable.
    const file = resolve(cwd, options.envFile ?? '.env');
    const fromFile = !env[config.databaseUrlEnv] && existsSync(file) ? parseDotenv(readFileSync(file))[config.databaseUrlEnv] : undefined;
    const value = env[config.databaseUrlEnv] || fromFile;
    if (!value) throw new ConfigError(`${config.label}: databaseUrlEnv names ${config.databaseUrlEnv}, which is not set${existsSync(file) ? ` here nor in ${options.envFile ?? '.env'}` : ''}`);
    return fromUrl(value, `config ${config.label}${fromFile ? ` (${config.databaseUrlEnv} from ${options.envFile ?? '.env'})` : ''}`, cwd);
  }

  const app = findAppConfig({ cwd, env, envFile: options.envFile, djangoSettings: options.djangoSettings });
  if (app) return fromUrl(app.url, app.source, cwd);

  const envFile = options.envFile ? resolve(cwd, options.envFile) : resolve(cwd, '.env');
  if (options.envFile && !existsSync(envFile)) throw new ConfigError(`env file not found: ${options.envFile}`);
  if (existsSync(envFile)) return fromEnvFile(envFile, cwd);
  return undefined;
}

export function fromUrl(raw: string, source: TargetSource, cwd = process.cwd()): DatabaseTarget {
  const url = raw.trim();
  if (/^sqlite3?:/i.test(url)) {
    const path = url.replace(/^sqlite3?:(\/\/)?/i, '');
    if (!path) throw new ConfigError(`no file in SQLite URL "${url}"`, { hint: 'Use sqlite:path/to/app.db' });
    return sqliteTarget(resolve(cwd, path), source);
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    if (SQLITE_FILE.test(url)) return sqliteTarget(resolve(cwd, url), source);
    throw new ConfigError(`not a database URL: "${maskUrl(url)}"`, {
      hint: 'Expected postgres://user:password@host:5432/dbname, sqlite:path/to/app.db, or a path ending in .db/.sqlite',
    });
  }
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new ConfigError(`unsupported database URL scheme in "${maskUrl(url)}"`, {
      hint: 'healfix speaks PostgreSQL (postgres://) and SQLite (sqlite:path).',
    });
  }
  const normal = normalizeUserinfo(url);
  let parsed: ReturnType<typeof parsePgUrl>;
  try {
    parsed = parsePgUrl(withLibpqSslModes(normal.url));
  } catch {
    throw new ConfigError(`cannot parse database URL "${maskUrl(normal.url)}"`, {
      hint: 'Percent-encode special characters in the user name and password (e.g. # as %23), or give the password in PGPASSWORD or ~/.pgpass.',
    });
  }
  checkSslMode(/[?&]sslmode=([^&#]*)/i.exec(normal.url)?.[1], 'sslmode in the database URL');
  const host = parsed.host ?? 'localhost';
  const port = parsed.port ? Number(parsed.port) : 5432;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ConfigError(`invalid port in database URL "${maskUrl(normal.url)}"`);
  }
  const database = parsed.database ?? parsed.user ?? 'postgres';
  const password = normal.password ?? (parsed.password || undefined);
  registerSecret(password);
  return {
    kind: 'postgres',
    source,
    host,
    port,
    database,
    user: parsed.user ?? undefined,
    password,
    connectionString: withLibpqSslModes(normal.url),
    display: maskUrl(normal.url),
  };
}

/**
 * Rewrites the userinfo the way the user means it: it ends at the LAST `@` before the host, and the
 * password is everything after the first `:`. Unencoded `@ : # ? /` in a password are percent-encoded
 * so every parser downstream reads the same password; already-encoded ones are kept as they are.
 */
function normalizeUserinfo(url: string): { url: string; password?: string } {
  const split = splitUserinfo(url);
  if (!split) return { url };
  // Register the spelling as written too: an error from a parser may echo it before decoding.
  registerSecret(split.password);
  const user = encodeURIComponent(decodeLenient(split.user));
  if (split.password === undefined) return { url: `${split.scheme}${user}@${split.rest}` };
  const password = decodeLenient(split.password);
  registerSecret(password);
  return { url: `${split.scheme}${user}:${encodeURIComponent(password)}@${split.rest}`, password };
}

/** libpq percent-decodes the userinfo; a lone `%` that is not an escape is taken literally. */
function decodeLenient(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%([0-9a-f]{2})/gi, (m) => {
      try {
        return decodeURIComponent(m);
      } catch {
        return m;
      }
    });
  }
}

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/** An sslmode libpq would reject is a configuration error, not a silent default. */
function checkSslMode(mode: string | undefined, where: string): void {
  if (mode === undefined || SSL_MODES.includes(mode)) return;
  throw new ConfigError(`${where} is "${mode}", which is not an sslmode`, { hint: `Use one of: ${SSL_MODES.join(', ')}.` });
}

function fromPgEnv(env: NodeJS.ProcessEnv): PostgresTarget {
  // libpq's order: a PG* variable wins over the service file's value.
  const service = env.PGSERVICE ? readService(env.PGSERVICE, env) : {};
  const pick = (variable: string, key: string) => env[variable] || service[key] || undefined;
  const host = pick('PGHOST', 'host') ?? 'localhost';
  const rawPort = pick('PGPORT', 'port');
  const port = Number(rawPort ?? 5432);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ConfigError(`PGPORT is not a port: "${rawPort}"`);
  const user = pick('PGUSER', 'user') ?? env.USER;
  const database = pick('PGDATABASE', 'dbname') ?? user ?? 'postgres';
  const sslmode = pick('PGSSLMODE', 'sslmode');
  checkSslMode(sslmode, env.PGSSLMODE ? 'PGSSLMODE' : `sslmode in service "${env.PGSERVICE}"`);
  const password = pick('PGPASSWORD', 'password');
  registerSecret(password);
  return {
    kind: 'postgres',
    source: env.PGSERVICE ? 'PGSERVICE' : 'PG* environment',
    host,
    port,
    database,
    user,
    password,
    ssl: sslFromMode(sslmode),
    display: describePg({ host, port, database, user, password }),
  };
}

function fromEnvFile(file: string, cwd: string): DatabaseTarget {
  let values: Record<string, string>;
  try {
    values = parseDotenv(readFileSync(file));
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (values.DB_HOST || values.DB_NAME) {
    const host = values.DB_HOST || 'localhost';
    const port = Number(values.DB_PORT || 5432);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new ConfigError(`DB_PORT in ${file} is not a port: "${values.DB_PORT}"`);
    }
    const database = values.DB_NAME || 'postgres';
    registerSecret(values.DB_PASSWORD);
    return {
      kind: 'postgres',
      source: '.env',
      host,
      port,
      database,
      user: values.DB_USER || undefined,
      password: values.DB_PASSWORD || undefined,
      display: describePg({ host, port, database, user: values.DB_USER, password: values.DB_PASSWORD }),
    };
  }
  if (values.DATABASE_URL) return fromUrl(values.DATABASE_URL, '.env', cwd);
  throw new ConfigError(`${file} has no DB_HOST/DB_NAME or DATABASE_URL`, { hint: NO_TARGET_HINT });
}

/**
 * sslmode means what libpq says it means (require: encrypt, do not verify), as for psql and the app's
 * own driver; without uselibpqcompat, pg treats require as verify-full and prints a long warning.
 */
function withLibpqSslModes(url: string): string {
  if (!/[?&]sslmode=/i.test(url) || /[?&]uselibpqcompat=/i.test(url)) return url;
  return `${url}&uselibpqcompat=true`;
}

function sqliteTarget(path: string, source: TargetSource): SqliteTarget {
  return { kind: 'sqlite', source, path, display: `sqlite:${path}` };
}

function sslFromMode(mode: string | undefined): PostgresTarget['ssl'] {
  if (!mode || mode === 'disable' || mode === 'allow' || mode === 'prefer') return undefined;
  if (mode === 'require' || mode === 'no-verify') return { rejectUnauthorized: false };
  return true;
}

export function describePg(parts: { host: string; port: number; database: string; user?: string; password?: string }): string {
  const auth = parts.user ? `${encodeURIComponent(parts.user)}${parts.password ? ':****' : ''}@` : '';
  const host = parts.host.includes(':') && !parts.host.startsWith('/') ? `[${parts.host}]` : parts.host;
  return `postgres://${auth}${host.startsWith('/') ? encodeURIComponent(host) : host}:${parts.port}/${encodeURIComponent(parts.database)}`;
}

/** "host:port/database", the place named in connection errors. */
export function placeOf(target: DatabaseTarget): string {
  return target.kind === 'sqlite' ? target.path : `${target.host}:${target.port}/${target.database}`;
}
