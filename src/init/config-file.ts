/**
 * The healfix.config.yaml that `healfix init` writes: YAML because it keeps comments (JSON has none), one
 * comment above each key saying what it stands for and where the value came from.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SEARCH_PLACES } from '../config/load.js';
import { ConfigError } from '../errors.js';

export const INIT_FILE = 'healfix.config.yaml';

/** The values a user accepted (from detection, a prompt, or --yes). */
export interface InitValues {
  databaseUrlEnv?: string;
  databaseUrl?: string;
  envFile?: string;
  url?: string;
  /** A flow file saved by --save-flow, relative to the config file. */
  flow?: string;
  profile?: 'auto';
  failOn: 'warn' | 'error';
}

/** Where each value came from, said in the comment above it. */
export interface InitNotes {
  database?: string;
  stacks?: string[];
  app?: string;
}

/** Pure: the file's text. Every key the file sets has a comment; a database found without a key says so too. */
export function renderConfig(values: InitValues, notes: InitNotes): string {
  const lines = [
    '# healfix project config, written by `healfix init`. With it, `healfix doctor` needs no flags here.',
    '# Flags and the environment win over this file. Keys: docs/config.md',
    '',
  ];
  const key = (name: string, value: unknown, comment: string[]) => {
    lines.push(...comment.map((c) => `# ${c}`), `${name}: ${stringify(value, { lineWidth: 0 }).trimEnd()}`, '');
  };
  if (notes.database) lines.push(`# Database: ${notes.database}.`);
  if (notes.stacks?.length) lines.push(`# Stacks recognised in its tables: ${notes.stacks.join(', ')}.`);
  if (values.databaseUrlEnv) {
    key('databaseUrlEnv', values.databaseUrlEnv, ['The environment variable holding the database URL (the URL itself, with its password, stays out of this file).']);
  } else if (values.databaseUrl) {
    key('databaseUrl', values.databaseUrl, ['The database to check (no password in it; put one in ~/.pgpass or PGPASSWORD).']);
  } else if (notes.database) {
    lines.push('# (no database key: healfix finds it again on its own)', '');
  }
  if (values.envFile) key('envFile', values.envFile, ['The .env file healfix reads the database settings from (relative to this file).']);
  if (values.url) {
    key('url', values.url, [
      'The running app: doctor also replays a signup against it (register-test).',
      ...(notes.app ? [`Found there: ${notes.app}.`] : []),
    ]);
  }
  if (values.flow) key('flow', values.flow, ['The signup flow doctor replays: the discovered one, saved as an editable file (register-test --flow).']);
  if (values.profile) key('profile', values.profile, ['How the signup is found: auto discovers it on each run (register-test --profile auto).']);
  key('failOn', values.failOn, ['doctor exits 1 when a check reaches this level: error, or warn to be stricter.']);
  return `${lines.join('\n').trimEnd()}\n`;
}

/**
 * A config healfix would already find in this folder (the first of its search places), so init never
 * writes a file that another one shadows or silently replaces.
 */
export function existingConfig(cwd: string): string | undefined {
  for (const name of SEARCH_PLACES) {
    const path = join(cwd, name);
    if (!existsSync(path)) continue;
    if (name !== 'package.json') return name;
    try {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      if (pkg.healfix !== undefined) return 'package.json ("healfix" key)';
    } catch {
      // An unreadable package.json holds no config for us.
    }
  }
  return undefined;
}

/** Refuses to overwrite without --force, and to write a file another config would shadow. */
export function assertWritable(cwd: string, force: boolean): void {
  const existing = existingConfig(cwd);
  if (!existing) return;
  if (!force) throw new ConfigError(`${existing} already exists here: not overwriting it (--force replaces it${existing === INIT_FILE ? '' : ` with ${INIT_FILE}`})`);
  const rank = (n: string) => SEARCH_PLACES.indexOf(n);
  if (existing !== INIT_FILE && rank(existing) !== -1 && rank(existing) < rank(INIT_FILE)) {
    throw new ConfigError(`${existing} would still win over a new ${INIT_FILE}: remove it first`);
  }
}

export function writeConfig(cwd: string, text: string): string {
  const path = join(cwd, INIT_FILE);
  writeFileSync(path, text);
  return path;
}
