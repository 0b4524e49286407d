/**
 * Prisma's schema.prisma: the `db` datasource's url, a literal or env("NAME"), NAME read from the environment
 * or the .env Prisma itself loads (next to the schema, then the project root). SQLite `file:` paths are
 * relative to the schema file, as Prisma resolves them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ConfigError } from '../../errors.js';
import type { AppConfigFound } from './types.js';

const SCHEMAS = ['prisma/schema.prisma', 'schema.prisma'];

export function readPrismaSchema(appDir: string, env: NodeJS.ProcessEnv): AppConfigFound | undefined {
  const file = SCHEMAS.map((s) => join(appDir, s)).find((p) => existsSync(p));
  if (!file) return undefined;
  const rel = file.slice(appDir.length + 1);
  const block = /datasource\s+\w+\s*\{([\s\S]*?)\}/.exec(readFileSync(file, 'utf8'))?.[1];
  if (!block) return undefined;
  const provider = /provider\s*=\s*"([^"]+)"/.exec(block)?.[1] ?? '';
  if (!/^(postgres(ql)?|sqlite)$/.test(provider)) throw new ConfigError(`${rel} uses provider "${provider}": healfix speaks PostgreSQL and SQLite`);
  const literal = /\burl\s*=\s*"([^"]+)"/.exec(block)?.[1];
  const envName = /\burl\s*=\s*env\(\s*"(\w+)"\s*\)/.exec(block)?.[1];
  let url = literal;
  let from = rel;
  if (envName) {
    const dotenvs = [join(dirname(file), '.env'), join(appDir, '.env')].filter((p) => existsSync(p));
    url = env[envName];
    from = `${rel} env("${envName}")`;
    for (const p of dotenvs) {
      if (url) break;
      url = parseDotenv(readFileSync(p))[envName];
      if (url) from = `${rel} env("${envName}") from ${p.slice(appDir.length + 1)}`;
    }
    if (!url) throw new ConfigError(`${rel} reads its url from env("${envName}"), which is not set here nor in a .env`, { hint: `Export ${envName} or give --database-url.` });
  }
  if (!url) return undefined;
  if (provider === 'sqlite') url = `sqlite:${resolve(dirname(file), url.replace(/^file:/, ''))}`;
  return { source: `app config: ${from}`, url };
}
