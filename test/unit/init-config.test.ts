import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectConfigSchema } from '../../src/config/schema.js';
import { assertWritable, existingConfig, renderConfig } from '../../src/init/config-file.js';
import { databaseKeysFor } from '../../src/init/database-keys.js';
import { detectedValues, withAnswers, writtenKeys } from '../../src/init/values.js';
import { findTarget, fromUrl } from '../../src/db/target.js';
import { testTempDir } from '../helpers/tmp.js';

describe('renderConfig: the healfix.config.yaml init writes', () => {
  const text = renderConfig(
    { databaseUrlEnv: 'DATABASE_URL', url: 'http://127.0.0.1:8000', profile: 'auto', failOn: 'error' },
    { database: 'postgres://app:****@db:5432/app from the environment variable DATABASE_URL', stacks: ['Django', 'django-allauth'], app: 'django-allauth signup at /accounts/signup/' },
  );

  it('is YAML the config loader accepts, holding exactly the chosen keys', () => {
    const doc = parse(text);
    expect(doc).toEqual({ databaseUrlEnv: 'DATABASE_URL', url: 'http://127.0.0.1:8000', profile: 'auto', failOn: 'error' });
    expect(projectConfigSchema.safeParse(doc).success).toBe(true);
  });

  it('puts a comment directly above every key, and says where the database and the signup were found', () => {
    const lines = text.split('\n');
    for (const key of ['databaseUrlEnv', 'url', 'profile', 'failOn']) {
      const at = lines.findIndex((l) => l.startsWith(`${key}:`));
      expect(at, key).toBeGreaterThan(0);
      expect(lines[at - 1], key).toMatch(/^# \S/);
    }
    expect(text).toContain('# Database: postgres://app:****@db:5432/app from the environment variable DATABASE_URL.');
    expect(text).toContain('# Stacks recognised in its tables: Django, django-allauth.');
    expect(text).toContain('# Found there: django-allauth signup at /accounts/signup/.');
  });

  it('a database healfix finds again by itself gets a comment and no key', () => {
    const own = renderConfig({ failOn: 'warn' }, { database: "from the app's config (config/database.yml (RAILS_ENV=production))" });
    expect(parse(own)).toEqual({ failOn: 'warn' });
    expect(own).toContain('# (no database key: healfix finds it again on its own)');
  });
});

describe('databaseKeysFor: the keys that stand for a database, never its password', () => {
  const cwd = '/app';
  it('a URL from the environment is written as the variable name', () => {
    const keys = databaseKeysFor(fromUrl('postgres://u:s3cret@h/d', 'DATABASE_URL'), { cwd, env: {} });
    expect(keys).toMatchObject({ databaseUrlEnv: 'DATABASE_URL' });
    expect(JSON.stringify(keys)).not.toContain('s3cret');
  });
  it('--database-url with a password: DATABASE_URL is named and the user is told to set it', () => {
    const keys = databaseKeysFor(fromUrl('postgres://u:s3cret@h/d', '--database-url'), { cwd, env: {} });
    expect(keys.databaseUrlEnv).toBe('DATABASE_URL');
    expect(keys.databaseUrl).toBeUndefined();
    expect(keys.action).toMatch(/export DATABASE_URL/);
    expect(JSON.stringify(keys)).not.toContain('s3cret');
  });
  it('--database-url without a password is written as it is', () => {
    expect(databaseKeysFor(fromUrl('postgres://u@h:5432/d', '--database-url'), { cwd, env: {} })).toMatchObject({ databaseUrl: 'postgres://u@h:5432/d' });
  });
  it("a Rails database.yml whose url is ENV['APP_DB_URL']: that variable is named", () => {
    const dir = testTempDir('init-rails');
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config/database.yml'), "development:\n  adapter: postgresql\n  url: <%= ENV['APP_DB_URL'] %>\n");
    const env = { APP_DB_URL: 'postgres://u:s3cret@h:5432/d' };
    const target = findTarget({ cwd: dir, env })!;
    expect(target.source).toBe('app config: config/database.yml (RAILS_ENV=development)');
    expect(databaseKeysFor(target, { cwd: dir, env })).toMatchObject({ databaseUrlEnv: 'APP_DB_URL' });
  });
  it('a .env with DATABASE_URL: the name is written, and a config naming it finds the URL in the .env', () => {
    const dir = testTempDir('init-dotenv');
    writeFileSync(join(dir, '.env'), 'DATABASE_URL=postgres://u:s3cret@h:5432/d\n');
    const target = findTarget({ cwd: dir, env: {} })!;
    expect(databaseKeysFor(target, { cwd: dir, env: {} })).toMatchObject({ databaseUrlEnv: 'DATABASE_URL' });
    const again = findTarget({ cwd: dir, env: {}, config: { label: 'healfix.config.yaml', databaseUrlEnv: 'DATABASE_URL' } });
    expect(again).toMatchObject({ host: 'h', database: 'd', source: 'config healfix.config.yaml (DATABASE_URL from .env)' });
  });
});

describe('an existing config is never replaced silently', () => {
  it('refuses without --force; with --force refuses only a file that would still win over the new one', () => {
    const dir = testTempDir('init-existing');
    expect(existingConfig(dir)).toBeUndefined();
    writeFileSync(join(dir, 'package.json'), '{"name":"app"}');
    expect(existingConfig(dir)).toBeUndefined();
    writeFileSync(join(dir, 'healfix.config.yaml'), 'failOn: warn\n');
    expect(() => assertWritable(dir, false)).toThrow('healfix.config.yaml already exists here: not overwriting it (--force replaces it)');
    expect(() => assertWritable(dir, true)).not.toThrow();
    writeFileSync(join(dir, 'healfix.config.json'), '{}');
    expect(() => assertWritable(dir, true)).toThrow('healfix.config.json would still win over a new healfix.config.yaml: remove it first');
  });
});

describe('detected values and the answers given over them', () => {
  const detection = {
    database: { source: 'DATABASE_URL', kind: 'postgres' as const, display: 'postgres://u:****@h:5432/d', connected: true, databaseUrlEnv: 'DATABASE_URL', note: 'from the environment variable DATABASE_URL' },
    stacks: [],
    app: { url: 'http://127.0.0.1:8000', profile: 'django-allauth', explanation: [], flow: { name: 'x', steps: [] } as never },
  };
  it('--yes: every detected value; --save-flow replaces profile: auto with the flow file', () => {
    expect(detectedValues(detection, { failOn: 'error' })).toEqual({ databaseUrlEnv: 'DATABASE_URL', url: 'http://127.0.0.1:8000', profile: 'auto', failOn: 'error' });
    expect(writtenKeys(detectedValues(detection, { failOn: 'warn', flowFile: 'flows/signup.yaml' }))).toEqual({ databaseUrlEnv: 'DATABASE_URL', url: 'http://127.0.0.1:8000', flow: 'flows/signup.yaml', failOn: 'warn' });
  });
  it('answers: an emptied URL drops the flow and profile with it; a named variable replaces a plain databaseUrl', () => {
    const values = detectedValues(detection, { failOn: 'error' });
    expect(writtenKeys(withAnswers(values, { databaseUrlEnv: 'APP_DB', failOn: 'warn' }))).toEqual({ databaseUrlEnv: 'APP_DB', failOn: 'warn' });
    expect(writtenKeys(withAnswers({ databaseUrl: 'postgres://u@h/d', failOn: 'error' }, { databaseUrlEnv: 'APP_DB', failOn: 'error' }))).toEqual({ databaseUrlEnv: 'APP_DB', failOn: 'error' });
  });
});
