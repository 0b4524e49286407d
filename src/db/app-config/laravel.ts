/** Laravel's .env (config/database.php reads it): DB_CONNECTION, DB_HOST, DB_PORT, DB_DATABASE, DB_USERNAME, DB_PASSWORD, DB_URL. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ConfigError } from '../../errors.js';
import { kindOfAdapter, partsToUrl } from './url.js';
import type { AppConfigFound } from './types.js';

/** Undefined when the file is not a Laravel .env (no DB_CONNECTION): the generic .env reader handles it. */
export function readLaravelEnv(envFile: string): AppConfigFound | undefined {
  if (!existsSync(envFile)) return undefined;
  const values = parseDotenv(readFileSync(envFile));
  if (!values.DB_CONNECTION) return undefined;
  const source = `app config: ${envFile.endsWith('/.env') ? '.env' : envFile} (Laravel DB_CONNECTION=${values.DB_CONNECTION})` as const;
  const url = values.DB_URL || values.DATABASE_URL;
  if (url) return { source, url };
  const kind = kindOfAdapter(values.DB_CONNECTION);
  if (!kind) throw new ConfigError(`DB_CONNECTION=${values.DB_CONNECTION} in ${envFile}: healfix speaks PostgreSQL (pgsql) and SQLite`);
  // Laravel's defaults (config/database.php): 127.0.0.1, 5432, database "forge", user "forge"; SQLite: database/database.sqlite.
  if (kind === 'sqlite') return { source, url: partsToUrl({ kind, database: values.DB_DATABASE || 'database/database.sqlite' }, dirname(envFile)) };
  return {
    source,
    url: partsToUrl({ kind, host: values.DB_HOST || '127.0.0.1', port: values.DB_PORT || 5432, database: values.DB_DATABASE || 'forge', user: values.DB_USERNAME || 'forge', password: values.DB_PASSWORD }, dirname(envFile)),
  };
}
