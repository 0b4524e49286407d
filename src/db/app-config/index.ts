/**
 * The connection an app configures for itself, looked for after the explicit ways (--database-url,
 * DATABASE_URL, PG*) and before a generic .env: a Laravel .env, Rails' config/database.yml, Prisma's
 * schema.prisma, and Django's settings when --django-settings names them.
 */
import { resolve } from 'node:path';
import { readDjangoSettings } from './django.js';
import { readLaravelEnv } from './laravel.js';
import { readPrismaSchema } from './prisma.js';
import { readRailsConfig } from './rails.js';
import type { AppConfigFound } from './types.js';

export type { AppConfigFound } from './types.js';

export interface AppConfigOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  envFile?: string;
  djangoSettings?: string;
}

export function findAppConfig(options: AppConfigOptions): AppConfigFound | undefined {
    // HEALFIX_PYTHON: the interpreter that has the app's Django when `python3` on PATH is another one.
  if (options.djangoSettings) return readDjangoSettings(options.djangoSettings, options.cwd, options.env, options.env.HEALFIX_PYTHON || 'python3');
  return (
    readLaravelEnv(resolve(options.cwd, options.envFile ?? '.env')) ??
    (options.envFile ? undefined : (readRailsConfig(options.cwd, options.env) ?? readPrismaSchema(options.cwd, options.env)))
  );
}
