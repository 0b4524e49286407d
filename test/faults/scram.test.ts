import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing, startCluster, type Cluster } from '../helpers/clusters.js';
import { runCli } from '../helpers/exec.js';

// A real SCRAM server (initdb --auth-host=scram-sha-256): with no password anywhere, pg used to throw
// "SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string" where nothing caught it and hang.
const reason = missing('postgres');
const PASSWORD = 'Scr4m-p@ss:w0rd/#?';

describe.skipIf(Boolean(reason))(`SCRAM server${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let cluster: Cluster;
  let home: string;
  beforeAll(async () => {
    cluster = await startCluster({ scramPassword: PASSWORD });
    await cluster.query("create table users (id serial primary key, email text)");
    home = mkdtempSync(join(tmpdir(), 'healfix-scram-home-'));
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const noPasswordUrl = () => `postgres://postgres@127.0.0.1:${cluster.port}/postgres`;
  const cleanEnv = () => ({ HOME: home, PGPASSFILE: join(home, 'no-such-pgpass') });

  it('without any password: one line naming the ways to give one, exit 2, promptly', async () => {
    const started = Date.now();
    const r = await runCli(['sequences', '--database-url', noPasswordUrl(), '--connect-timeout', '5s'], { env: cleanEnv(), timeoutMs: 30_000 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the server asks for a password and none was given');
    expect(r.stderr).toMatch(/PGPASSWORD/);
    expect(r.stderr).not.toContain('SASL');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('without any password under --json: one document, exit 2', async () => {
    const r = await runCli(['doctor', '--database-url', noPasswordUrl(), '--json'], { env: cleanEnv(), timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(false);
    expect(JSON.stringify(doc)).toContain('the server asks for a password and none was given');
  });

  it('with the password in PGPASSWORD or ~/.pgpass: connects, and no DeprecationWarning', async () => {
    const viaEnv = await runCli(['sequences', '--database-url', noPasswordUrl()], { env: { ...cleanEnv(), PGPASSWORD: PASSWORD }, timeoutMs: 30_000 });
    expect(viaEnv.stderr).toBe('');
    expect(viaEnv.code).toBe(0);
    const pgpassHome = mkdtempSync(join(tmpdir(), 'healfix-scram-pgpass-'));
    const escaped = PASSWORD.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
    writeFileSync(join(pgpassHome, '.pgpass'), `127.0.0.1:${cluster.port}:*:postgres:${escaped}\n`, { mode: 0o600 });
    const viaFile = await runCli(['sequences', '--database-url', noPasswordUrl()], { env: { HOME: pgpassHome }, timeoutMs: 30_000 });
    expect(viaFile.stderr).not.toMatch(/DeprecationWarning|pgpass support is deprecated/);
    expect(viaFile.code).toBe(0);
    expect(viaFile.stdout + viaFile.stderr).not.toContain(PASSWORD);
  });

  it('a wrong password is refused in one line with exit 2', async () => {
    const r = await runCli(['sequences', '--database-url', `postgres://postgres:wrong-one@127.0.0.1:${cluster.port}/postgres`], { env: cleanEnv(), timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/password authentication failed for user "postgres"/);
  });
});
