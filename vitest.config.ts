import { defineConfig } from 'vitest/config';

// Two projects (node-pg-migrate's layout): fast unit tests, and integration tests that own a real
// PostgreSQL database each (embedded by default, HEALFIX_TEST_DATABASE_URL to use another server).
// CI asks for a machine-readable report too, to print one plain "N passed, N failed" line at the end.
const report = process.env.HEALFIX_TEST_REPORT;

export default defineConfig({
  test: {
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/cli/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: more workers only queue on the database.
          maxWorkers: 2,
          // Projects with different maxWorkers must run in separate groups (vitest 4); unit tests go first.
          sequence: { groupOrder: 1 },
        },
      },
      {
        // Real components under fault (PgBouncer, a standby, SCRAM, refused/silent ports): a separate .ci/run
        // step, kept out of README's `npm test`.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
      {
        // The real frameworks (Django + allauth + axes, Rails + Devise, Express): a separate .ci/run step.
        test: {
          name: 'frameworks',
          include: ['test/frameworks/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          maxWorkers: 1,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
