import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProjectConfig } from '../../src/config/load.js';
import { findTarget } from '../../src/db/target.js';
import { testTempDir } from '../helpers/tmp.js';

function project(files: Record<string, string>): string {
  const dir = testTempDir('config-unit');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('loadProjectConfig', () => {
  it('a dedicated file wins over the "healfix" key of package.json in the same folder', async () => {
    const dir = project({ 'package.json': JSON.stringify({ healfix: { failOn: 'warn' } }), 'healfix.config.json': '{"failOn":"error"}' });
    expect((await loadProjectConfig({ cwd: dir }))?.config.failOn).toBe('error');
  });

  it('a package.json without the key is no config; the search goes on upward', async () => {
    const dir = project({ 'healfix.config.yml': 'url: http://127.0.0.1:5000\n' });
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'app', 'package.json'), '{"name":"app"}');
    const loaded = await loadProjectConfig({ cwd: join(dir, 'app') });
    expect(loaded).toMatchObject({ label: '../healfix.config.yml', config: { url: 'http://127.0.0.1:5000' } });
  });

  it('an ES module config is loaded too', async () => {
    const dir = project({ 'healfix.config.mjs': 'export default { rateLimits: { limit: 5 } };\n' });
    expect((await loadProjectConfig({ cwd: dir }))?.config.rateLimits?.limit).toBe(5);
  });

  it('nested unknown keys, wrong types, bad values and broken syntax are one line naming file and key', async () => {
    const cases: [string, string, string][] = [
      ['healfix.config.json', '{"rateLimits":{"tabel":"x"}}', 'healfix.config.json: unknown key "rateLimits.tabel"'],
      ['healfix.config.json', '{"ignore":[{"check":"sequences"}]}', 'healfix.config.json: "ignore[0].reason" must be a string, got nothing'],
      ['healfix.config.json', '{"failOn":"warning"}', 'healfix.config.json: "failOn": Invalid option: expected one of "warn"|"error"'],
      ['healfix.config.json', '{"lockTimeout":"3"}', 'healfix.config.json: "lockTimeout": a duration with a unit, e.g. "30s"'],
      ['healfix.config.json', '{"url": ', 'healfix.config.json: cannot be read: '],
      ['healfix.config.yaml', 'url: [', 'healfix.config.yaml: cannot be read: '],
    ];
    for (const [name, text, message] of cases) {
      const dir = project({ [name]: text });
      const error = await loadProjectConfig({ cwd: dir }).then(() => undefined, (e: Error) => e);
      expect(error?.name, text).toBe('ConfigError');
      expect(error!.message.startsWith(message), `${error!.message} ← ${text}`).toBe(true);
      expect(error!.message).not.toContain('\n');
    }
  });
});

describe('findTarget with a project config', () => {
  const config = { label: 'healfix.config.json', databaseUrl: 'postgres://app@db.internal:5432/app' };
  it('sits below the flag and the environment, above ./.env', () => {
    expect(findTarget({ config, env: {} })?.source).toBe('config healfix.config.json');
    expect(findTarget({ config, env: { DATABASE_URL: 'postgres://x@h/d' } })?.source).toBe('DATABASE_URL');
    expect(findTarget({ config, env: { PGHOST: 'h' } })?.source).toBe('PG* environment');
    expect(findTarget({ config, databaseUrl: 'postgres://y@h/d', env: {} })?.source).toBe('--database-url');
  });
  it('databaseUrlEnv reads the named variable, and says so when it is not set', () => {
    const viaEnv = { label: 'package.json ("healfix" key)', databaseUrlEnv: 'APP_DB' };
    expect(findTarget({ config: viaEnv, env: { APP_DB: 'postgres://z@h:5433/d' } })).toMatchObject({ port: 5433, source: 'config package.json ("healfix" key)' });
    expect(() => findTarget({ config: viaEnv, env: {} })).toThrow('package.json ("healfix" key): databaseUrlEnv names APP_DB, which is not set');
  });
});
