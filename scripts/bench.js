#!/usr/bin/env node
// npm run bench [-- --tables N]: builds N tables with lagging sequences, then times
//   - `healfix sequences --json` (the built binary, whole process) against the naive loop
//     (one round trip per max() and per sequence read, one connection) in the same run,
//   - `healfix sequences --fix --yes` for all N, its repair phase against the server's floor for the same
//     repairs (a server-side loop on one backend) and the one-round-trip-per-step loop,
//   - `healfix --version` against `node -e 0` (median of 15).
// Uses HEALFIX_BENCH_DATABASE_URL (an admin URL; a scratch database is created and dropped there) or
// starts an embedded PostgreSQL with default settings (max_locks_per_transaction = 64).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const BIN = fileURLToPath(new URL('../bin/healfix.js', import.meta.url));
const args = process.argv.slice(2);
const tablesArg = args.indexOf('--tables');
const N = tablesArg >= 0 ? Number(args[tablesArg + 1]) : 10_000;
if (!Number.isInteger(N) || N < 1) {
  process.stderr.write('--tables must be a positive whole number\n');
  process.exit(2);
}
const RUNS = 3;
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
  const { DISCOVERY_SQL } = await import('../dist/checks/sequences.js');
  const clients = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
  await Promise.all(clients.map((c) => c.connect()));
  let started = performance.now();
  await clients[0].query('set jit = off');
  await clients[0].query(DISCOVERY_SQL);
  const discoveryMs = performance.now() - started;
  const { rows } = await clients[0].query("select current_setting('server_version_num')::int >= 180000 as fast");
  const statements = [];
  for (let i = 1; i <= N; i += 10) {
    const reads = [];
    const seqs = [];
    for (let j = i; j < i + 10 && j <= N; j++) {
      reads.push(`(select id from bench.t${j} order by id desc limit 1)`);
      // The cheapest read of a sequence each server offers (healfix uses the same).
      seqs.push(rows[0].fast ? `(select last_value from pg_get_sequence_data('bench.t${j}_id_seq'))` : `(select last_value from bench.t${j}_id_seq)`);
    }
    statements.push(`select ${reads.join(', ')}, ${seqs.join(', ')}`);
  }
  let next = 0;
  started = performance.now();
  await Promise.all(clients.map(async (c) => {
    while (next < statements.length) await c.query(statements[next++]);
  }));
  const readsMs = performance.now() - started;
  await Promise.all(clients.map((c) => c.end()));
  return { discoveryMs, readsMs };
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

/** Runs the binary; wall time of the whole process and its peak RSS (from /usr/bin/time -v when present). */
function runBin(binArgs) {
  return new Promise((resolve, reject) => {
    const useTime = existsSync('/usr/bin/time');
    const cmd = useTime ? '/usr/bin/time' : process.execPath;
    const argv = useTime ? ['-v', process.execPath, BIN, ...binArgs] : [BIN, ...binArgs];
    const started = performance.now();
    const child = spawn(cmd, argv, { env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
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
    const scans = [];
    for (let i = 0; i < RUNS; i++) scans.push(await runBin(['sequences', '--json', '-d', url]));
    const doc = JSON.parse(scans[0].stdout);
    if (doc.summary.lagging !== N) throw new Error(`healfix found ${doc.summary.lagging} lagging sequences, expected ${N}`);
    const naives = [];
    for (let i = 0; i < RUNS; i++) naives.push(await naive(url));
    if (naives[0].lagging !== N) throw new Error(`naive loop found ${naives[0].lagging}, expected ${N}`);
    const scanMs = median(scans.map((s) => s.ms));
    const naiveMs = median(naives.map((s) => s.ms));
    const floors = [];
    for (let i = 0; i < RUNS; i++) floors.push(await serverFloor(url));
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
    log(`  healfix sequences --json   ${fmt(scanMs)} (median of ${RUNS}, whole process; in-process scan ${doc.summary.durationMs} ms)`);
    log(`  naive loop (1 connection)  ${fmt(naiveMs)} (median of ${RUNS}, in-process, ${2 * N} round trips)`);
    log(`  ratio                      ${(naiveMs / scanMs).toFixed(1)}x faster (target >= 5x: ${naiveMs / scanMs >= 5 ? 'met' : 'MISSED'}; <= 1 s: ${scanMs <= 1000 ? 'met' : 'MISSED'})`);
    log(`  server floor               ${fmt(floor.discoveryMs + floor.readsMs)} = discovery query ${fmt(floor.discoveryMs)} + ${N} max() and sequence reads over 2 connections ${fmt(floor.readsMs)} (no client work; node start ${fmt(median(bare))})`);
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
    log(`  scan ratio                 ${(scanMs / scanFloorMs).toFixed(2)}x its floor (target <= 1.2x: ${scanMs / scanFloorMs <= 1.2 ? 'met' : 'MISSED'})`);

    const v = median(version);
    const b = median(bare);
    log(`  healfix --version          ${fmt(v)} vs node -e 0 ${fmt(b)}: ${(v / b).toFixed(2)}x (target <= 1.5x)`);
  } finally {
    const a = new pg.Client({ connectionString: server.adminUrl });
    await a.connect();
    await a.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
    await a.query(`drop database if exists ${dbName}_small with (force)`).catch(() => {});
    await a.end();
    await server.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
  process.exitCode = 1;
});
