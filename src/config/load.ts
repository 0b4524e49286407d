import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { defaultLoaders, lilconfig, type Loader } from 'lilconfig';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { ProjectConfig } from './schema.js';

/** A validated project config and the file it came from. */
export interface LoadedConfig {
  /** Absolute path of the file (package.json for the "healfix" key). */
  file: string;
  /** How to name the file in messages: relative to the current folder when that is shorter. */
  label: string;
  config: ProjectConfig;
}

/** Config files first: a dedicated file wins over the "healfix" key of package.json in the same folder. */
export const SEARCH_PLACES = [
  'healfix.config.json',
  'healfix.config.yaml',
  'healfix.config.yml',
  'healfix.config.js',
  'healfix.config.mjs',
  'healfix.config.cjs',
  'package.json',
];

// Loaded only when a YAML file is found: most runs have none, and the parser is the largest module at start-up.
const loadYaml: Loader = async (_path, content) => (await import('yaml')).parse(content);

/** A file that does not parse names itself: lilconfig's search error does not say which file it was. */
function naming(loader: Loader): Loader {
  return async (filepath, content) => {
    try {
      return await loader(filepath, content);
    } catch (error) {
      throw Object.assign(new Error(firstLine(error)), { filepath });
    }
  };
}

const LOADERS = {
  '.json': naming(defaultLoaders['.json']!),
  '.js': naming(defaultLoaders['.js']!),
  '.mjs': naming(defaultLoaders['.mjs']!),
  '.cjs': naming(defaultLoaders['.cjs']!),
  '.yaml': naming(loadYaml),
  '.yml': naming(loadYaml),
};

/**
 * Finds the project config from `cwd` upward (or loads `file` when given) and validates it. Returns
 * undefined when there is none; a file that cannot be read or does not validate is a ConfigError (exit 2)
 * whose one line names the file and the key.
 */
export async function loadProjectConfig(options: { file?: string; cwd?: string } = {}): Promise<LoadedConfig | undefined> {
  const cwd = options.cwd ?? process.cwd();
  const explorer = lilconfig('healfix', {
    searchPlaces: SEARCH_PLACES,
    packageProp: 'healfix',
    loaders: LOADERS,
    cache: false,
  });
  let found: { filepath: string; config: unknown } | null;
  const wanted = options.file ? resolve(cwd, options.file) : undefined;
  if (wanted && !existsSync(wanted)) throw new ConfigError(`--config: file not found: ${options.file}`);
  try {
    found = wanted ? await explorer.load(wanted) : await explorer.search(cwd);
  } catch (error) {
    const path = wanted ?? (error as { filepath?: string }).filepath;
    const where = path ? labelFor(path, cwd) : 'healfix config';
    throw new ConfigError(`${where}: cannot be read: ${firstLine(error)}`);
  }
  if (!found) return undefined;
  const label = labelFor(found.filepath, cwd);
  // zod loads only when there is a file to check: most runs have none, and every command pays the import.
  const { projectConfigSchema, PROJECT_CONFIG_KEYS } = await import('./schema.js');
  const parsed = projectConfigSchema.safeParse(found.config ?? {}, { reportInput: true });
  if (!parsed.success) throw new ConfigError(`${label}: ${describeIssue(parsed.error.issues[0]!, PROJECT_CONFIG_KEYS)}`);
  return { file: found.filepath, label, config: parsed.data };
}

/** Paths in the file are relative to the file's folder, not to wherever healfix was started. */
export function resolveConfigPath(loaded: LoadedConfig, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(loaded.file), path);
}

function labelFor(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  const name = basename(path) === 'package.json' ? `${rel || 'package.json'} ("healfix" key)` : rel;
  return rel.length < path.length ? name : path;
}

/** One line: the key as written in the file, and what is wrong with it. */
export function describeIssue(issue: z.core.$ZodIssue, topLevelKeys: readonly string[]): string {
  const at = (path: readonly PropertyKey[]) => path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const full = at([...issue.path, key]);
    const hint = issue.path.length === 0 ? closest(key, topLevelKeys) : undefined;
    return `unknown key "${full}"${hint ? ` (did you mean "${hint}"?)` : ''}`;
  }
  const key = at(issue.path);
  if (issue.code === 'invalid_type') {
    const got = issue.input === undefined ? 'nothing' : Array.isArray(issue.input) ? 'an array' : typeof issue.input;
    return `"${key}" must be ${article(issue.expected)}, got ${got}`;
  }
  return `"${key || '(top level)'}": ${issue.message}`;
}

function article(expected: string): string {
  return expected === 'object' || expected === 'array' ? `an ${expected}` : `a ${expected}`;
}

/** The known key within two edits of a typo, if any. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const key of candidates) {
    const d = distance(word.toLowerCase(), key.toLowerCase());
    if (d <= 2 && (!best || d < best.d)) best = { key, d };
  }
  return best?.key;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!;
}
