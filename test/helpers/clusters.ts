/**
 * Throwaway real components for the fault suite: a PostgreSQL cluster (initdb + pg_ctl, optionally SCRAM),
 * a hot standby made with pg_basebackup -R, and a PgBouncer in transaction mode, each on a free port in a
 * temp folder. As root they run as the `postgres` OS user (neither PostgreSQL nor PgBouncer runs as root).
 * Where a binary is missing, `missing()` says which, for a visible skip.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/embedded/postgres.js';

const PG_BIN = process.env.HEALFIX_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => existsSync(p)) ?? 'pgbouncer';

/** Why the component cannot be started here, or undefined when it can. */
export function missing(component: 'postgres' | 'pgbouncer'): string | undefined {
  const needed = component === 'postgres' ? ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres'].map((b) => join(PG_BIN, b)) : [PGBOUNCER];
  const absent = needed.filter((b) => !existsSync(b));
  if (absent.length) return `${absent.join(', ')} not installed (${component === 'pgbouncer' ? 'Debian package pgbouncer' : 'Debian package postgresql-15'})`;
  if (process.getuid?.() === 0 && !osUser()) return 'running as root and there is no `postgres` OS user to run the server as';
  return undefined;
}

function osUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** Runs a server binary as the postgres OS user when we are root. */
function runAs(file: string, args: string[], options: { cwd?: string } = {}): string {
  const user = osUser();
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd ?? tmpdir(), ...(user ? { uid: user.uid, gid: user.gid } : {}) });
}

/** A folder the server's OS user owns. */
function ownedDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const user = osUser();
  if (user) chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
  return dir;
}

function ownFile(path: string, text: string, mode = 0o600): void {
  writeFileSync(path, text, { mode });
  const user = osUser();
  if (user) chownSync(path, user.uid, user.gid);
}

export interface Cluster {
  port: number;
  dir: string;
  /** Superuser URL (postgres, with the password when the cluster uses SCRAM). */
  url(database?: string): string;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<pg.QueryResult<R>>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Host connections need a SCRAM password (password_encryption = scram-sha-256); the superuser's is this. */
  scramPassword?: string;
}

/** initdb + pg_ctl start on a free port; stop() removes everything. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const dir = ownedDir('healfix-cluster-');
  const data = join(dir, 'data');
  const args = ['-D', data, '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C'];
  if (options.scramPassword !== undefined) {
    const pwfile = join(dir, 'pw');
    ownFile(pwfile, `${options.scramPassword}\n`);
    args.push('--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`);
  } else {
    args.push('--auth=trust');
  }
  runAs(join(PG_BIN, 'initdb'), args);
  const port = await freePort();
  start(data, dir, port, options.scramPassword !== undefined ? ['password_encryption=scram-sha-256'] : []);
  return clusterAt(dir, data, port, options.scramPassword);
}

function start(data: string, dir: string, port: number, settings: string[]): void {
  const opts = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses=127.0.0.1", '-c fsync=off', ...settings.map((s) => `-c ${s}`)].join(' ');
  runAs(join(PG_BIN, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-o', opts, '-w', '-t', '60', 'start']);
}

function clusterAt(dir: string, data: string, port: number, password?: string): Cluster {
  const url = (database = 'postgres') =>
    `postgres://postgres${password !== undefined ? `:${encodeURIComponent(password)}` : ''}@127.0.0.1:${port}/${database}`;
  return {
    port,
    dir,
    url,
    async query(sql, params, database) {
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        return await client.query(sql, params as unknown[]);
      } finally {
        await client.end();
      }
    },
    async stop() {
      try {
        runAs(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A hot standby of a (trust-auth) primary: pg_basebackup -R, started on its own port, waits until it answers. */
export async function startStandby(primary: Cluster): Promise<Cluster> {
  const dir = ownedDir('healfix-standby-');
  const data = join(dir, 'data');
  runAs(join(PG_BIN, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', data, '-R', '-X', 'stream', '-c', 'fast']);
  const port = await freePort();
  start(data, dir, port, ['hot_standby=on']);
  const standby = clusterAt(dir, data, port);
  const { rows } = await standby.query<{ r: boolean }>('select pg_is_in_recovery() as r');
  if (!rows[0]?.r) throw new Error('the standby is not in recovery');
  return standby;
}

/** Waits until the standby has replayed everything the primary has written so far. */
export async function waitForReplay(primary: Cluster, standby: Cluster, timeoutMs = 30_000): Promise<void> {
  const { rows } = await primary.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
  const target = rows[0]!.lsn;
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await standby.query<{ done: boolean }>('select pg_last_wal_replay_lsn() >= $1::pg_lsn as done', [target]);
    if (r.rows[0]?.done) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the standby did not catch up');
}

export interface Bouncer {
  port: number;
  url(database: string, user?: string): string;
  stop(): Promise<void>;
}

/**
 * PgBouncer in transaction mode in front of a cluster, with its default startup-parameter handling
 * (no ignore_startup_parameters): what most production poolers run.
 */
export async function startPgBouncer(cluster: Cluster, options: { poolSize?: number; ignoreStartupParameters?: string[] } = {}): Promise<Bouncer> {
  const dir = ownedDir('healfix-pgbouncer-');
  const port = await freePort();
  ownFile(join(dir, 'users.txt'), '"postgres" ""\n');
  ownFile(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=127.0.0.1 port=${cluster.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir = ${dir}`,
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 4}`,
      ...(options.ignoreStartupParameters ? [`ignore_startup_parameters = ${options.ignoreStartupParameters.join(',')}`] : []),
      'max_client_conn = 100',
      `logfile = ${join(dir, 'log')}`,
      `pidfile = ${join(dir, 'pid')}`,
      '',
    ].join('\n'),
  );
  const user = osUser();
  const child: ChildProcess = spawn(PGBOUNCER, [join(dir, 'pgbouncer.ini')], { stdio: 'ignore', cwd: dir, ...(user ? { uid: user.uid, gid: user.gid } : {}) });
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2_000 });
      await c.connect();
      await c.query('select 1');
      await c.end();
      break;
    } catch (error) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`pgbouncer did not start: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return {
    port,
    url: (database, who = 'postgres') => `postgres://${who}@127.0.0.1:${port}/${database}`,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
