import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/postgres.js';
import { ConnectionError } from '../../src/errors.js';
import { createTestDatabase, describeDb, type TestDatabase, pgTarget } from '../helpers/db.js';

describeDb('connecting', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('conn');
    await db.query(`create role healfix_pw login password 'right-horse-battery'`).catch(() => {});
  });
  afterAll(async () => {
    await db.query('drop role if exists healfix_pw').catch(() => {});
    await db.drop();
  });

  it('sets application_name, statement_timeout and lock_timeout on every session', async () => {
    const opened = await openPostgres(pgTarget(db.url), { statementTimeoutMs: 12_000, lockTimeoutMs: 1_500 });
    try {
      const { rows } = await opened.pool.query(
        "select current_setting('application_name') as app, current_setting('statement_timeout') as st, current_setting('lock_timeout') as lt",
      );
      expect(rows[0]).toEqual({ app: 'healfix', st: '12s', lt: '1500ms' });
      expect(opened.serverVersionNum).toBeGreaterThan(120000);
    } finally {
      await opened.close();
    }
  });

  it('reports a wrong password in one line without the password', async () => {
    const url = db.urlFor('healfix_pw', 'wrong-secret-value');
    const outcome = await openPostgres(pgTarget(url)).then(
      async (opened) => {
        await opened.close();
        return 'accepted';
      },
      (e: unknown) => e,
    );
    // A trust-auth server (like CI's machine PostgreSQL) lets any password in; the embedded one checks.
    if (outcome === 'accepted') return;
    expect(outcome).toBeInstanceOf(ConnectionError);
    const message = (outcome as Error).message;
    expect(message).toMatch(/^cannot connect to 127\.0\.0\.1:\d+\/healfix_conn_\w+: password authentication failed for user "healfix_pw"$/);
    expect(message).not.toContain('wrong-secret-value');
  });

  it('names a missing database', async () => {
    const u = new URL(db.url);
    u.pathname = '/no_such_db_here';
    const error = (await openPostgres(pgTarget(u.toString())).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/no_such_db_here.*database "no_such_db_here" does not exist/);
  });

  it('reports a refused port', async () => {
    const error = (await openPostgres(pgTarget('postgres://x:secret@127.0.0.1:1/db')).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('cannot connect to 127.0.0.1:1/db: connection refused (is PostgreSQL running and listening on that port?)');
  });

  describeDb('a port that is not PostgreSQL', () => {
    let server: Server;
    let port = 0;
    const sockets = new Set<import('node:net').Socket>();
    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    });

    it('says the server did not speak PostgreSQL', async () => {
      const error = (await openPostgres(pgTarget(`postgres://u:p@127.0.0.1:${port}/db`), { connectTimeoutMs: 3000 }).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.message).toMatch(new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port}/db: `));
      expect(error.message).toMatch(/PostgreSQL protocol|connection reset|timed out/);
    });
  });
});
