/**
 * "registration works" needs the account row: an app that answers the signup with a redirect but stores
 * nothing is a failure once a database is given, and without a known account table it is not verifiable.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type OpenedDatabase } from '../../src/db/open.js';
import { runRegisterTest } from '../../src/register-test/index.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';

describeDb('register-test proves the account row', () => {
  let tdb: TestDatabase;
  let db: OpenedDatabase;
  let server: Server;
  let url: string;
  let dir: string;
  const flowFile = (account: boolean) => {
    const path = join(dir, `flow-${account}.json`);
    const flow = {
      name: 'liar',
      steps: [{ name: 'signup', role: 'signup', method: 'POST', path: '/signup', form: { email: '{{email}}', password: '{{password}}' }, expect: [302] }],
      ...(account ? { database: { account: { table: 'members', column: 'email', value: '{{email}}' } } } : {}),
    };
    writeFileSync(path, JSON.stringify(flow));
    return path;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase('rtproof');
    await tdb.query('create table members (id serial primary key, email text unique not null)');
    db = await openDatabase({ databaseUrl: tdb.url });
    // Answers every signup with "302 → /welcome" and stores nothing.
    server = createServer((req, res) => {
      if (req.method === 'POST') res.writeHead(302, { Location: '/welcome' }).end();
      else res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>Welcome!</h1>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'healfix-proof-'));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await db.close();
    await tdb.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without a database the redirect is taken at its word (nothing to read)', async () => {
    const result = await runRegisterTest({ url, flowFile: flowFile(true) });
    expect(result.ok).toBe(true);
    expect(result.steps[0]).toMatchObject({ status: 302, hops: [{ status: 302, location: '/welcome' }], finalStatus: 200 });
  });

  it('with -d, a 302 that stored no row fails, naming the table and the value it looked for', async () => {
    const result = await runRegisterTest({ url, flowFile: flowFile(true), db });
    expect(result.ok).toBe(false);
    expect(result.account).toEqual({ table: 'members', column: 'email', value: result.user.email, rows: 0 });
    expect(result.summary).toBe(`registration not proven: the app answered success, but members has no row with email = ${result.user.email}`);
  });

  it('with -d and no account table known (flow names none, no known stack\'s table exists): not verifiable, exit 1', async () => {
    const result = await runRegisterTest({ url, flowFile: flowFile(false), db });
    expect(result.ok).toBe(false);
    expect(result.findings.map((f) => f.title)).toContain('the signup was answered as a success, but no account table is known to check it');
  });
});
