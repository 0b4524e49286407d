/**
 * Rails' config/database.yml: the entry for RAILS_ENV (default development), after the ERB Rails would run —
 * only the `<%= ENV[...] %>` forms config files use (ENV["X"], ENV.fetch("X") { "d" }, ENV.fetch("X", "d"),
 * ENV["X"] || "d"); any other Ruby is refused with a clear message instead of guessed at.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import { kindOfAdapter, partsToUrl } from './url.js';
import type { AppConfigFound } from './types.js';

const FILE = 'config/database.yml';
// The YAML parser is required only when the file exists: every command that opens a database passes here.
const require = createRequire(import.meta.url);

export function readRailsConfig(appDir: string, env: NodeJS.ProcessEnv): AppConfigFound | undefined {
  const path = join(appDir, FILE);
  if (!existsSync(path)) return undefined;
  const railsEnv = env.RAILS_ENV || env.RACK_ENV || 'development';
  const text = renderErb(readFileSync(path, 'utf8'), env, path);
  let doc: unknown;
  try {
    const { parse } = require('yaml') as typeof import('yaml');
    doc = parse(text, { merge: true });
  } catch (error) {
    throw new ConfigError(`${FILE} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const entry = (doc as Record<string, unknown> | null)?.[railsEnv] as Record<string, unknown> | undefined;
  if (!entry || typeof entry !== 'object') throw new ConfigError(`${FILE} has no "${railsEnv}" entry (RAILS_ENV=${railsEnv})`, { hint: 'Set RAILS_ENV to the environment the app runs in, or give --database-url.' });
  // Rails 6 multi-database: { primary: {...}, cache: {...} } — the primary one holds the accounts.
  const config = (entry.primary && typeof entry.primary === 'object' ? entry.primary : entry) as Record<string, unknown>;
  const source = `app config: ${FILE} (RAILS_ENV=${railsEnv})` as const;
  const str = (k: string) => (config[k] === undefined || config[k] === null ? undefined : String(config[k]));
  if (str('url')) return { source, url: str('url')! };
  const kind = kindOfAdapter(str('adapter'));
  if (!kind) throw new ConfigError(`${FILE} (${railsEnv}) uses adapter "${str('adapter') ?? 'none'}": healfix speaks PostgreSQL and SQLite`);
  return { source, url: partsToUrl({ kind, host: str('host'), port: str('port'), database: str('database'), user: str('username') ?? str('user'), password: str('password') }, appDir) };
}

const ERB = /<%=?\s*([\s\S]*?)\s*-?%>/g;
const ENV_FORMS: [RegExp, (m: RegExpExecArray, env: NodeJS.ProcessEnv) => string | undefined][] = [
  [/^ENV\[\s*["'](\w+)["']\s*\]\s*(?:\|\|\s*["']([^"']*)["'])?$/, (m, env) => env[m[1]!] ?? m[2]],
  [/^ENV\.fetch\(\s*["'](\w+)["']\s*(?:,\s*["']([^"']*)["']\s*)?\)\s*(?:\{\s*["']([^"']*)["']\s*\})?$/, (m, env) => env[m[1]!] ?? m[2] ?? m[3]],
  [/^ENV\.fetch\(\s*["'](\w+)["']\s*(?:,\s*(\d+)\s*)?\)\s*(?:\{\s*(\d+)\s*\})?$/, (m, env) => env[m[1]!] ?? m[2] ?? m[3]],
];

export function renderErb(text: string, env: NodeJS.ProcessEnv, where: string): string {
  return text.replace(ERB, (whole, code: string) => {
    for (const [re, read] of ENV_FORMS) {
      const m = re.exec(code.trim());
      if (m) return read(m, env) ?? '';
    }
    // Pool sizes and the like (ENV.fetch("RAILS_MAX_THREADS") { 5 }) already match; anything else is Ruby we do not run.
    throw new ConfigError(`${where}: cannot evaluate ${whole.trim()} without Ruby`, { hint: 'Give the connection with --database-url (or DATABASE_URL).' });
  });
}
