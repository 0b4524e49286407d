import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';

/**
 * PGSERVICE, as libpq reads it: the named section of the user's service file (PGSERVICEFILE, else
 * ~/.pg_service.conf), else of PGSYSCONFDIR/pg_service.conf (Debian's default sysconfdir when unset).
 * Parsed by libpq's own rules (src/interfaces/libpq/fe-connect.c, parseServiceFile): `#` starts a comment
 * only at the start of a line, a value is everything after the first `=`. INI parsers (the `ini` package)
 * read `#` and `;` inside a value as a comment and would cut a password like `pa#ss` short.
 */
export function readService(name: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const files = serviceFiles(env);
  for (const file of files) {
    if (!existsSync(file)) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read the service file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const section = parseServiceFile(text, file).get(name);
    if (section) return section;
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

/** Sections of a pg_service.conf: [name] then key=value lines; blank lines and lines starting with # skipped. */
export function parseServiceFile(text: string, file = 'pg_service.conf'): Map<string, Record<string, string>> {
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = {};
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || !current) throw new ConfigError(`syntax error in service file ${file}, line ${index + 1}`);
    current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return sections;
}
