import pgpass from 'pgpass';
import type { PostgresTarget } from './target.js';

/**
 * Looks the password up in ~/.pgpass (or PGPASSFILE) with the pgpass package, the same parser
 * node-postgres used internally before deprecating its built-in lookup.
 */
export function passwordFromPgpass(target: PostgresTarget): Promise<string | undefined> {
  if (!target.user) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    try {
      pgpass(
        { host: target.host, port: String(target.port), database: target.database, user: target.user },
        (password?: string) => resolve(password || undefined),
      );
    } catch {
      resolve(undefined);
    }
  });
}
