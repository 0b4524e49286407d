import { readFileSync } from 'node:fs';
import type { PostgresDatabase } from '../db/postgres.js';
import { fromUrl, type DatabaseTarget, type PostgresTarget } from '../db/target.js';
import { maskUrl } from '../secrets.js';
import { ConfigError, UsageError } from '../errors.js';

/** Where a fleet's databases come from: repeated -d, a targets file, or every database of a server. */

/**
 * A targets file: one URL per line, `#` starts a comment, blank lines are ignored, and ${NAME} takes
 * NAME from the environment (so passwords stay out of the file). An unset variable is an error naming
 * its line: an empty password would only fail later and less clearly.
 */
export function parseTargetsFile(text: string, env: NodeJS.ProcessEnv = process.env, file = 'targets file'): string[] {
  const urls: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) return;
    urls.push(
      line.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
        const value = env[name];
        if (value === undefined) throw new UsageError(`${file} line ${i + 1}: \${${name}} is not set in the environment`);
        return value;
      }),
    );
  });
  return urls;
}

export function readTargetsFile(path: string, env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read --targets ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const urls = parseTargetsFile(text, env, path);
  if (!urls.length) throw new UsageError(`--targets ${path} lists no database`);
  return urls;
}

export function targetsFromUrls(urls: string[]): PostgresTarget[] {
  return urls.map((url) => {
    const target: DatabaseTarget = fromUrl(url, '--database-url');
    if (target.kind !== 'postgres') throw new UsageError(`a fleet is PostgreSQL databases only: ${maskUrl(url)}`);
    return target;
  });
}

/** Every database of the server the role may connect to, templates and databases refusing connections excluded. */
export async function listServerDatabases(db: PostgresDatabase): Promise<string[]> {
  const { rows } = await db.pool.query<{ datname: string }>(
    `select datname from pg_database where not datistemplate and datallowconn and has_database_privilege(datname, 'CONNECT') order by datname collate "C"`,
  );
  return rows.map((r) => r.datname);
}

/** The same server and role, another database. */
export function withDatabaseName(target: PostgresTarget, database: string): PostgresTarget {
  if (target.connectionString) {
    const u = new URL(target.connectionString);
    u.pathname = `/${encodeURIComponent(database)}`;
    const url = u.toString();
    return { ...target, database, connectionString: url, display: maskUrl(url) };
  }
  const display = target.display.replace(/\/[^/?]*(\?|$)/, `/${encodeURIComponent(database)}$1`);
  return { ...target, database, display };
}
