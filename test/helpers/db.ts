import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { openDatabase, type OpenedDatabase } from '../../src/db/open.js';
import { fromUrl, type PostgresTarget } from '../../src/db/target.js';

/** Integration suites use this instead of describe: it skips, visibly, when no server could be had. */
export const describeDb: typeof describe = (inject('skipReason') ? describe.skip : describe) as typeof describe;

export function adminUrl(): string {
  return inject('adminUrl');
}

export interface TestDatabase {
  name: string;
  /** Superuser URL of the new database. */
  url: string;
  /** Runs SQL on the new database as the superuser. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** A second, independent connection (for concurrency tests); closed by drop(). */
  connect(): Promise<pg.Client>;
  /** URL for another role (created by the test) on this database. */
  urlFor(user: string, password: string): string;
  drop(): Promise<void>;
}

/** Each test file owns a fresh database, so files can run in parallel (graphile-migrate's resetDb). */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const name = `healfix_${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl(), name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const extra: pg.Client[] = [];
  return {
    name,
    url,
    query: (sql, params) => client.query(sql, params as unknown[]),
    async connect() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      extra.push(c);
      return c;
    },
    urlFor(user, password) {
      const u = new URL(url);
      u.username = user;
      u.password = password;
      return u.toString();
    },
    async drop() {
      await Promise.all(extra.map((c) => c.end().catch(() => {})));
      await client.end().catch(() => {});
      const a = new pg.Client({ connectionString: adminUrl() });
      await a.connect();
      try {
        await a.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The target healfix would resolve for a URL, for tests that open connections through src/db. */
export function pgTarget(url: string): PostgresTarget {
  const target = fromUrl(url, '--database-url');
  if (target.kind !== 'postgres') throw new Error('expected a postgres:// URL');
  return target;
}

/** Roles are cluster-wide, so they outlive a test file's database: drop them through the admin URL. */
export async function dropRole(role: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`drop role if exists "${role.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
}

/** Databases a suite opens through healfix's own openDatabase(), all closed by closeAll() in its afterAll. */
export function openedDatabases(): { open(url: string, write?: boolean): Promise<OpenedDatabase>; closeAll(): Promise<void> } {
  const opened: OpenedDatabase[] = [];
  return {
    async open(url, write = false) {
      const db = await openDatabase({ databaseUrl: url }, { write });
      opened.push(db);
      return db;
    },
    async closeAll() {
      await Promise.all(opened.map((d) => d.close()));
    },
  };
}
