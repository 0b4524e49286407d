#!/usr/bin/env node
// npm run bench [-- --tables N] [-- --databases D --fleet-tables T]: builds N tables with lagging sequences, then times
//   - `healfix sequences --json` (the built binary, whole process) against the server's floor for the same
//     reads, run alternately with it so that whatever else the machine does weighs on both alike, and the
//     naive loop (one round trip per max() and per sequence read, one connection),
//   - `healfix sequences --fix --yes` for all N, its repair phase against the server's floor for the same
//     repairs (a server-side loop on one backend) and the one-round-trip-per-step loop,
//   - a fleet: D databases of T tables (default 100 x 50, every tenth with five lagging sequences),
//     `sequences --targets` and `doctor --targets` against the server's floor for the same scans,
//   - `healfix --version` against `node -e 0` (median of 15).
// Uses HEALFIX_BENCH_DATABASE_URL (an admin URL; a scratch database is created and dropped there) or
// starts an embedded PostgreSQL with default settings (max_locks_per_transaction = 64).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const BIN = fileURLToPath(new URL('../bin/healfix.js', import.meta.url));
const args = process.argv.slice(2);
function wholeNumber(flag, fallback) {
  const at = args.indexOf(flag);
  const value = at >= 0 ? Number(args[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`${flag} must be a positive whole number\n`);
    process.exit(2);
  }
  return value;
}
const N = wholeNumber('--tables', 10_000);
const FLEET_DBS = wholeNumber('--databases', 100);
const FLEET_TABLES = wholeNumber('--fleet-tables', 50);
const RUNS = 5;
// The scan is the figure with the tightest target (1.2x): more pairs, a steadier median.
const SCAN_RUNS = 7;
const log = (text) => process.stdout.write(`${text}\n`);

async function startServer() {
  if (process.env.HEALFIX_BENCH_DATABASE_URL) return { adminUrl: process.env.HEALFIX_BENCH_DATABASE_URL, stop: async () => {}, label: 'HEALFIX_BENCH_DATABASE_URL' };
  // The same starter as the tests and the demo (dist/ is built first by `npm run bench`).
  const { startEmbeddedPostgres } = await import('../dist/embedded/postgres.js');
  // Default lock table on purpose: the scan must batch to live within max_locks_per_transaction = 64.
  const server = await startEmbeddedPostgres({ settings: { max_locks_per_transaction: '64', synchronous_commit: 'off' } });
  return { adminUrl: server.url, label: `embedded PostgreSQL on port ${server.port}`, stop: server.stop };
}

function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function build(url, n = N) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('create schema bench');
  // 250 tables per transaction: every created table holds a lock until commit.
  for (let from = 1; from <= n; from += 250) {
    const to = Math.min(n, from + 249);
    await client.query(`do $$ begin for i in ${from}..${to} loop
      execute format('create table bench.t%s (id serial primary key, note text)', i);
      execute format('insert into bench.t%s (id) select generate_series(1, %s)', i, 1 + i % 5);
    end loop; end $$`);
  }
  await client.query('analyze');
  await client.end();
}

/** The way people do it today: one statement per max() and per sequence read, one connection. */
async function naive(url) {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query(`
    select n.nspname as schema, c.relname as table, a.attname as column, pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) as seq
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped and n.nspname not in ('pg_catalog', 'information_schema')
      and pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) is not null`);
  let lagging = 0;
  for (const row of rows) {
    const max = await client.query(`select max("${row.column}")::text as m from "${row.schema}"."${row.table}"`);
    const seq = await client.query(`select last_value::text as v, is_called from ${row.seq}`);
    const next = seq.rows[0].is_called ? BigInt(seq.rows[0].v) + 1n : BigInt(seq.rows[0].v);
    if (max.rows[0].m !== null && next <= BigInt(max.rows[0].m)) lagging++;
  }
  await client.end();
  return { ms: performance.now() - started, lagging };
}

/**
 * What the server alone needs for the same work, with no client doing anything in between: the discovery
 * query in one round trip, then every table's max() and its sequence's state, ten tables per statement
 * over two connections. healfix cannot go below the sum; the difference is its own cost (start-up,
 * batching, JSON).
 */
async function serverFloor(url) {
  const clients = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
  await Promise.all(clients.map((c) => c.connect()));
  const sql = await discoverySql();
  let started = performance.now();
  await discover(clients[0], sql);
  const discoveryMs = performance.now() - started;
  const statements = readStatements(N, await fastSequences(clients[0]));
  let next = 0;
  started = performance.now();
  await Promise.all(clients.map(async (c) => {
    while (next < statements.length) await c.query(statements[next++]);
  }));
  const readsMs = performance.now() - started;
  await Promise.all(clients.map((c) => c.end()));
  return { discoveryMs, readsMs };
}

/** healfix's discovery query, from the build (imported here, not at the top: main() first says when dist/ is missing). */
async function discoverySql() {
  return (await import('../dist/checks/sequences.js')).DISCOVERY_SQL;
}

/** The discovery healfix runs, as the server runs it for the floors: JIT off, as healfix sets it. */
async function discover(client, sql) {
  await client.query('set jit = off');
  await client.query(sql);
}

async function fastSequences(client) {
  const { rows } = await client.query("select current_setting('server_version_num')::int >= 180000 as fast");
  return rows[0].fast;
}

/** Every table's max() and its sequence's state, ten tables per statement. */
function readStatements(n, fast) {
  const statements = [];
  for (let i = 1; i <= n; i += 10) {
    const reads = [];
    const seqs = [];
    for (let j = i; j < i + 10 && j <= n; j++) {
      reads.push(`(select id from bench.t${j} order by id desc limit 1)`);
      // The cheapest read of a sequence each server offers (healfix uses the same).
      seqs.push(fast ? `(select last_value from pg_get_sequence_data('bench.t${j}_id_seq'))` : `(select last_value from bench.t${j}_id_seq)`);
    }
    statements.push(`select ${reads.join(', ')}, ${seqs.join(', ')}`);
  }
  return statements;
}

/**
 * The server's floor for a fleet: as many databases at a time as healfix's default --jobs (the cores),
 * each one connection, discovery, and every table's max() and sequence read; nothing else.
 */
async function fleetFloor(urls, tables) {
  const sql = await discoverySql();
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: availableParallelism() }, async () => {
    while (next < urls.length) {
      const client = new pg.Client({ connectionString: urls[next++] });
      await client.connect();
      await discover(client, sql);
      for (const statement of readStatements(tables, await fastSequences(client))) await client.query(statement);
      await client.end();
    }
  }));
  return performance.now() - started;
}

/** D databases of T tables, copied from one template; every tenth gets five lagging sequences. */
async function buildFleet(adminUrl, prefix) {
  const template = `${prefix}_tpl`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${template}`);
    const templateUrl = withDatabase(adminUrl, template);
    await build(templateUrl, FLEET_TABLES);
    const tpl = new pg.Client({ connectionString: templateUrl });
    await tpl.connect();
    // Healthy to begin with: every counter at its table's max.
    await tpl.query(`do $$ begin for i in 1..${FLEET_TABLES} loop
      execute format('select setval(%L, (select max(id) from bench.t%s))', format('bench.t%s_id_seq', i), i);
    end loop; end $$`);
    await tpl.end();
    const names = [];
    for (let i = 1; i <= FLEET_DBS; i++) {
      const name = `${prefix}_${String(i).padStart(3, '0')}`;
      await admin.query(`create database ${name} template ${template}`);
      names.push(name);
    }
    let lagging = 0;
    for (let i = 10; i <= FLEET_DBS; i += 10) {
      const client = new pg.Client({ connectionString: withDatabase(adminUrl, names[i - 1]) });
      await client.connect();
      // The data moved past the counters, as after an explicit-id import.
      for (let t = 1; t <= Math.min(5, FLEET_TABLES); t++) await client.query(`insert into bench.t${t} (id) values (1000)`);
      await client.end();
      lagging++;
    }
    return { names, template, lagging };
  } finally {
    await admin.end();
  }
}

/** Puts every bench sequence back to 1 (lagging again), committing every 500 so the lock table never fills. */
async function makeLagging(url, n = N) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`do $$ begin for i in 1..${n} loop
    perform setval(format('bench.t%s_id_seq', i)::regclass, 1, false);
    if i % 500 = 0 then commit; end if;
  end loop; end $$`);
  await client.end();
}

/**
 * The server's floor for --fix: one backend, a server-side loop doing for each sequence exactly what the
 * fix must (lock its table, read the sequence and the max under the lock, setval if it lags, commit), with
 * no client work and no error handling at all.
 */
async function fixFloor(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = performance.now();
  await client.query(`do $$ declare lv int8; called bool; mx int8; begin
    for i in 1..${N} loop
      execute format('lock table bench.t%s in share row exclusive mode', i);
      execute format('select last_value, is_called from bench.t%s_id_seq', i) into lv, called;
      execute format('select id from bench.t%s order by id desc limit 1', i) into mx;
      if mx is not null and (case when called then lv + 1 else lv end) <= mx then
        perform setval(format('bench.t%s_id_seq', i)::regclass, mx, true);
      end if;
      commit;
    end loop; end $$`);
  const ms = performance.now() - started;
  await client.end();
  return ms;
}

/** The one-round-trip-per-step way (what healfix did before its server-side loop): BEGIN+LOCK+reads, SETVAL+COMMIT. */
async function naiveFix(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = performance.now();
  for (let i = 1; i <= N; i++) {
    await client.query(`begin; lock table bench.t${i} in share row exclusive mode; select last_value, is_called, (select id from bench.t${i} order by id desc limit 1) as mx from bench.t${i}_id_seq`);
    await client.query(`select setval('bench.t${i}_id_seq', (select max(id) from bench.t${i}), true); commit`);
  }
  const ms = performance.now() - started;
  await client.end();
  return ms;
}

/**
 * Runs the binary; wall time of the whole process and its peak RSS (from /usr/bin/time -v when present).
 * Its stdout goes to a file, as in `healfix … --json > report.json`: read through a pipe, this process
 * would wake for every 64 KB of a 5 MB document and take CPU from the run it measures.
 */
function runBin(binArgs) {
  return new Promise((resolve, reject) => {
    const useTime = existsSync('/usr/bin/time');
    const cmd = useTime ? '/usr/bin/time' : process.execPath;
    const argv = useTime ? ['-v', process.execPath, BIN, ...binArgs] : [BIN, ...binArgs];
    const dir = mkdtempSync(join(tmpdir(), 'healfix-bench-out-'));
    const out = join(dir, 'stdout');
    const fd = openSync(out, 'w', 0o600);
    const started = performance.now();
    const child = spawn(cmd, argv, { env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' }, stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const stdout = readFileSync(out, 'utf8');
      rmSync(dir, { recursive: true, force: true });
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolve({ code, ms, stdout, stderr, rssMb: m ? Number(m[1]) / 1024 : null });
    });
  });
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeSync(cmd, argv) {
  const started = performance.now();
  spawnSync(cmd, argv, { stdio: 'ignore' });
  return performance.now() - started;
}

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

async function main() {
  if (!existsSync(join(fileURLToPath(new URL('..', import.meta.url)), 'dist', 'cli', 'index.js'))) {
    throw new Error('dist/ missing: run `npm run build` first (npm run bench does)');
  }
  const server = await startServer();
  const dbName = `healfix_bench_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const url = withDatabase(server.adminUrl, dbName);
  try {
    log(`healfix bench: ${N} tables with lagging sequences on ${server.label}`);
    let t = performance.now();
    await build(url);
    log(`  built in ${fmt(performance.now() - t)}`);

    // Warm the server's caches once for both contenders.
    await runBin(['sequences', '--json', '-d', url]);
    await serverFloor(url);
    // Alternately: a busy moment of the machine then slows one run of each, not all runs of one.
    const scans = [];
    const floors = [];
    for (let i = 0; i < SCAN_RUNS; i++) {
      floors.push(await serverFloor(url));
      scans.push(await runBin(['sequences', '--json', '-d', url]));
    }
    const doc = JSON.parse(scans[0].stdout);
    if (doc.summary.lagging !== N) throw new Error(`healfix found ${doc.summary.lagging} lagging sequences, expected ${N}`);
    const naives = [];
    for (let i = 0; i < 3; i++) naives.push(await naive(url));
    if (naives[0].lagging !== N) throw new Error(`naive loop found ${naives[0].lagging}, expected ${N}`);
    const scanMs = median(scans.map((s) => s.ms));
    const naiveMs = median(naives.map((s) => s.ms));
    const floor = { discoveryMs: median(floors.map((f) => f.discoveryMs)), readsMs: median(floors.map((f) => f.readsMs)) };
    const version = [];
    const bare = [];
    // Start-up times are a few tens of ms and jumpy on a shared machine: a median over 15 alternating runs.
    for (let i = 0; i < 15; i++) {
      version.push(timeSync(process.execPath, [BIN, '--version']));
      bare.push(timeSync(process.execPath, ['-e', '0']));
    }

    // Memory must not grow with the number of tables: the same scan on a tenth of them, and on none.
    const smallDb = `${dbName}_small`;
    const admin2 = new pg.Client({ connectionString: server.adminUrl });
    await admin2.connect();
    await admin2.query(`create database ${smallDb}`);
    await admin2.end();
    const smallUrl = withDatabase(server.adminUrl, smallDb);
    await build(smallUrl, Math.max(1, Math.round(N / 10)));
    const small = await runBin(['sequences', '--json', '-d', smallUrl]);
    const baseline = await runBin(['sequences', '--json', '--schema', 'no_such_schema', '-d', smallUrl]);

    log('');
    const inProcess = median(scans.map((s) => JSON.parse(s.stdout).summary.durationMs));
    log(`  healfix sequences --json   ${fmt(scanMs)} (median of ${SCAN_RUNS}, whole process; in-process scan ${fmt(inProcess)})`);
    log(`  server floor               ${fmt(floor.discoveryMs + floor.readsMs)} (median of ${SCAN_RUNS}, run alternately with the scans) = discovery query ${fmt(floor.discoveryMs)} + ${N} max() and sequence reads over 2 connections ${fmt(floor.readsMs)} (no client work, no node start: ${fmt(median(bare))})`);
    log(`  scan ratio                 ${(scanMs / (floor.discoveryMs + floor.readsMs)).toFixed(2)}x its floor (target <= 1.2x: ${scanMs / (floor.discoveryMs + floor.readsMs) <= 1.2 ? 'met' : 'MISSED'})`);
    log(`  naive loop (1 connection)  ${fmt(naiveMs)} (median of 3, in-process, ${2 * N} round trips): healfix is ${(naiveMs / scanMs).toFixed(1)}x faster`);
    // The first yardstick (>= 5x the naive loop, <= 1 s) is bounded by the floor itself: said, not hidden.
    const floorMs = floor.discoveryMs + floor.readsMs;
    log(`  earlier targets            >= 5x the naive loop: ${naiveMs / scanMs >= 5 ? 'met' : 'MISSED'}, <= 1 s: ${scanMs <= 1000 ? 'met' : 'MISSED'} (the server's floor alone is ${fmt(floorMs)}, ${(naiveMs / floorMs).toFixed(1)}x the naive loop)`);
    if (scans[0].rssMb !== null) {
      log(`  peak RSS                   ${Math.max(...scans.map((s) => s.rssMb)).toFixed(0)} MB for ${N} tables, ${small.rssMb.toFixed(0)} MB for ${Math.round(N / 10)}, ${baseline.rssMb.toFixed(0)} MB for none`);
    }

    // --fix against its floor, on the same lagging state each time (median of RUNS for each).
    const fixFloors = [];
    const naiveFixes = [];
    const fixRuns = [];
    for (let i = 0; i < RUNS; i++) {
      await makeLagging(url);
      fixFloors.push(await fixFloor(url));
      await makeLagging(url);
      fixRuns.push(await runBin(['sequences', '--fix', '--yes', '--json', '-d', url]));
    }
    await makeLagging(url);
    naiveFixes.push(await naiveFix(url));
    const fixDocs = fixRuns.map((r) => JSON.parse(r.stdout));
    const fixed = fixDocs[0].fixes.filter((f) => f.status === 'fixed').length;
    if (fixed !== N || fixDocs.some((d) => d.summary.lagging !== 0)) throw new Error(`--fix fixed ${fixed} of ${N}, ${fixDocs[0].summary.lagging} left lagging`);
    const fixPhase = median(fixDocs.map((d) => d.timing.fixMs));
    const fixWhole = median(fixRuns.map((r) => r.ms));
    const fixFloorMs = median(fixFloors);
    const scanFloorMs = floor.discoveryMs + floor.readsMs;
    log(`  --fix floor (1 backend)    ${fmt(fixFloorMs)} for ${N} sequences: lock, re-read, setval, commit each, in a server-side loop`);
    log(`  healfix --fix repairs      ${fmt(fixPhase)} (median of ${RUNS}, the repair phase): ${(fixPhase / fixFloorMs).toFixed(2)}x the floor (target <= 1.5x: ${fixPhase / fixFloorMs <= 1.5 ? 'met' : 'MISSED'})`);
    log(`  one round trip per step    ${fmt(naiveFixes[0])} (the way before the server-side loop, 1 connection): ${(naiveFixes[0] / fixFloorMs).toFixed(2)}x the floor`);
    log(`  sequences --fix --yes      ${fmt(fixWhole)} whole process = scan ${fmt(median(fixDocs.map((d) => d.timing.scanMs)))} + repairs + re-read ${fmt(median(fixDocs.map((d) => d.timing.afterMs)))} + start-up; floor of the same work ${fmt(2 * scanFloorMs + fixFloorMs)}: ${(fixWhole / (2 * scanFloorMs + fixFloorMs)).toFixed(2)}x${fixRuns[0].rssMb ? `, peak RSS ${Math.max(...fixRuns.map((r) => r.rssMb)).toFixed(0)} MB` : ''}`);

    await benchFleet(server.adminUrl, dbName);

    const v = median(version);
    const b = median(bare);
    log(`  healfix --version          ${fmt(v)} vs node -e 0 ${fmt(b)}: ${(v / b).toFixed(2)}x (target <= 1.5x)`);
  } finally {
    const a = new pg.Client({ connectionString: server.adminUrl });
    await a.connect();
    await a.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
    await a.query(`drop database if exists ${dbName}_small with (force)`).catch(() => {});
    const { rows } = await a.query('select datname from pg_database where datname like $1', [`${dbName}\\_fleet\\_%`]);
    for (const { datname } of rows) await a.query(`drop database if exists ${datname} with (force)`).catch(() => {});
    await a.end();
    await server.stop();
  }
}

/** The fleet: `sequences --targets` and `doctor --targets` over D databases, against the fleet floor. */
async function benchFleet(adminUrl, dbName) {
  log('');
  log(`  fleet: ${FLEET_DBS} databases x ${FLEET_TABLES} tables, --jobs ${availableParallelism()} (the cores)`);
  let t = performance.now();
  const fleet = await buildFleet(adminUrl, `${dbName}_fleet`);
  const urls = fleet.names.map((name) => withDatabase(adminUrl, name));
  log(`  built in ${fmt(performance.now() - t)}`);
  // The URLs hold the server's password: a file only this user can read, removed afterwards.
  const dir = mkdtempSync(join(tmpdir(), 'healfix-bench-'));
  const targets = join(dir, 'targets.txt');
  writeFileSync(targets, `# ${FLEET_DBS} bench databases\n${urls.join('\n')}\n`, { mode: 0o600 });
  try {
    await runBin(['sequences', '--json', '--targets', targets]);
    await fleetFloor(urls, FLEET_TABLES);
    const floors = [];
    const scans = [];
    const doctors = [];
    for (let i = 0; i < 3; i++) {
      floors.push(await fleetFloor(urls, FLEET_TABLES));
      scans.push(await runBin(['sequences', '--json', '--targets', targets]));
      doctors.push(await runBin(['doctor', '--json', '--targets', targets]));
    }
    for (const [name, runs] of [['sequences', scans], ['doctor', doctors]]) {
      const doc = JSON.parse(runs[0].stdout);
      const withProblems = doc.databases.filter((d) => d.exitCode === 1).length;
      // Fewer than ten databases have none built lagging: then the fleet is healthy.
      const exit = fleet.lagging ? 1 : 0;
      if (runs[0].code !== exit || doc.databases.length !== FLEET_DBS || withProblems !== fleet.lagging) {
        throw new Error(`${name} --targets: exit ${runs[0].code}, ${doc.databases?.length} databases, ${withProblems} with problems; expected exit ${exit}, ${FLEET_DBS}, ${fleet.lagging}`);
      }
    }
    const floorMs = median(floors);
    const scanMs = median(scans.map((r) => r.ms));
    const doctorMs = median(doctors.map((r) => r.ms));
    const rss = (runs) => (runs[0].rssMb === null ? '' : `, peak RSS ${Math.max(...runs.map((r) => r.rssMb)).toFixed(0)} MB`);
    log(`  fleet floor                ${fmt(floorMs)} (median of 3): per database a connection, discovery, ${FLEET_TABLES} max() and sequence reads`);
    log(`  sequences --targets --json ${fmt(scanMs)} (median of 3, whole process): ${(scanMs / floorMs).toFixed(2)}x the fleet floor${rss(scans)}; ${fleet.lagging} of ${FLEET_DBS} databases with problems, as built`);
    log(`  doctor --targets --json    ${fmt(doctorMs)} (median of 3, whole process; every check, not only sequences): ${(doctorMs / floorMs).toFixed(2)}x the fleet floor${rss(doctors)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
  process.exitCode = 1;
});
