/**
 * Django's DATABASES['default'], only when the user names a settings module (--django-settings): settings are
 * Python, so the one way to read them is to import them — with Django's own loader, in a short-lived `python3 -c`
 * run from the app's folder, never implicitly.
 */
import { execFileSync } from 'node:child_process';
import { ConfigError } from '../../errors.js';
import { kindOfAdapter, partsToUrl } from './url.js';
import type { AppConfigFound } from './types.js';

const READ_SETTINGS = [
  'import json, os, sys',
  'sys.path.insert(0, os.getcwd())',
  'os.environ["DJANGO_SETTINGS_MODULE"] = sys.argv[1]',
  'from django.conf import settings',
  'd = settings.DATABASES["default"]',
  'print(json.dumps({k: d.get(k) for k in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")}, default=str))',
].join('\n');

export function readDjangoSettings(module: string, appDir: string, env: NodeJS.ProcessEnv, python = 'python3'): AppConfigFound {
  if (!/^[A-Za-z_][\w.]*$/.test(module)) throw new ConfigError(`--django-settings must be a module path like mysite.settings, got "${module}"`);
  let out: string;
  try {
    out = execFileSync(python, ['-c', READ_SETTINGS, module], { cwd: appDir, env, encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim().split('\n').at(-1);
    throw new ConfigError(`cannot read Django settings ${module}: ${stderr}`, { hint: 'Run healfix from the folder holding manage.py, with the Python that runs the app on PATH.' });
  }
  const d = JSON.parse(out) as Record<string, string | null>;
  const kind = kindOfAdapter(d.ENGINE ?? undefined);
  if (!kind) throw new ConfigError(`Django settings ${module} use ENGINE ${d.ENGINE}: healfix speaks PostgreSQL and SQLite`);
  const url = partsToUrl({ kind, host: d.HOST || undefined, port: d.PORT || undefined, database: d.NAME ?? undefined, user: d.USER || undefined, password: d.PASSWORD || undefined }, appDir);
  return { source: `app config: Django settings ${module}`, url };
}
