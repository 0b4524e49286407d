import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseIni } from 'ini';
import { ConfigError } from '../errors.js';

/**
 * PGSERVICE, as libpq reads it: the named section of the user's service file (PGSERVICEFILE, else
 * ~/.pg_service.conf), else of PGSYSCONFDIR/pg_service.conf (Debian's default sysconfdir when unset).
 * The files are INI (parsed with the `ini` package); keys are libpq's (host, port, dbname, user, password,
 * sslmode, ...).
 */
export function readService(name: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const files = serviceFiles(env);
  for (const file of files) {
    if (!existsSync(file)) continue;
    let sections: Record<string, unknown>;
    try {
      sections = parseIni(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError(`cannot read the service file ${file}: ${(error as Error).message}`);
    }
    const section = sections[name];
    if (section && typeof section === 'object') {
      return Object.fromEntries(Object.entries(section as Record<string, unknown>).map(([k, v]) => [k.trim(), String(v).trim()]));
    }
  }
  throw new ConfigError(`PGSERVICE: no service "${name}" in ${files.join(' or ')}`, {
    hint: 'Add a [name] section with host, port, dbname and user to that file, or set PGSERVICEFILE to the file that has it.',
  });
}

function serviceFiles(env: NodeJS.ProcessEnv): string[] {
  const user = env.PGSERVICEFILE || join(env.HOME || homedir(), '.pg_service.conf');
  const system = join(env.PGSYSCONFDIR || '/etc/postgresql-common', 'pg_service.conf');
  return [user, system];
}
