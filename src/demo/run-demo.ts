import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../embedded/postgres.js';
import { createHealingSpaceSchema } from './sandbox/healing-space.js';
import { startSandbox, type Sandbox } from './sandbox/server.js';
import { maskUrl } from '../secrets.js';

/** One step of the story: the command a user would type, and what it should show. */
export interface DemoStep {
  title: string;
  /** Arguments after `healfix`. */
  args: string[];
  /** The exit code this step is expected to end with (doctor finds problems: 1). */
  expectExit: number;
}

export interface DemoEvents {
  /** A phase of setup or teardown ("starting embedded PostgreSQL"). */
  phase(text: string): void;
  /** About to run a step: the command line, secrets masked. */
  step(index: number, step: DemoStep, commandLine: string): void;
  /** The step ended. */
  stepDone(step: DemoStep, exitCode: number | null, ms: number): void;
}

export interface DemoResult {
  steps: { title: string; exitCode: number | null; expected: number; ms: number }[];
  totalMs: number;
  ok: boolean;
}

const BIN = fileURLToPath(new URL('../../bin/healfix.js', import.meta.url));

/**
 * The newcomer's tour: an embedded PostgreSQL broken like Healing Space's, a sandbox of the app on a local
 * port, and the real healfix commands run against them as child processes; then SANA's OTP race on an
 * SQLite file. Everything it starts is stopped and removed, also on Ctrl-C (signal) or a failure.
 */
export async function runDemo(events: DemoEvents, options: { signal?: AbortSignal } = {}): Promise<DemoResult> {
  const started = Date.now();
  const cleanups: (() => Promise<void> | void)[] = [];
  const steps: DemoResult['steps'] = [];
  let child: ChildProcess | undefined;
  const onAbort = () => child?.kill('SIGINT');
  options.signal?.addEventListener('abort', onAbort);
  try {
    events.phase('starting an embedded PostgreSQL (no install, no Docker)');
    const server: EmbeddedServer = await startEmbeddedPostgres();
    cleanups.push(() => server.stop());
    throwIfAborted(options.signal);

    events.phase('loading a schema shaped like Healing Space, with sequences lagging behind max(id)');
    const dbUrl = await createDatabase(server.url, 'healing_space');
    const loader = new pg.Client({ connectionString: dbUrl });
    await loader.connect();
    try {
      await createHealingSpaceSchema(loader, { lagging: true });
    } finally {
      await loader.end();
    }
    const pool = new pg.Pool({ connectionString: dbUrl, max: 4 });
    // The server stops at the end while idle clients may remain: that is expected, not a crash.
    pool.on('error', () => {});
    cleanups.push(() => pool.end());

    const work = mkdtempSync(join(tmpdir(), 'healfix-demo-'));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    const healingLog = join(work, 'healing-space.log');
    events.phase('starting a sandbox of the Healing Space app (CSRF + JSON registration) on a local port');
    const healing: Sandbox = await startSandbox({ app: 'healing-space', pg: pool, logFile: healingLog, debug: true });
    cleanups.push(() => healing.close());

    const story: DemoStep[] = [
      { title: 'doctor finds the problems', args: ['doctor', '-d', dbUrl], expectExit: 1 },
      { title: 'register-test fails with the 500 and names the lagging sequence', args: ['register-test', '--url', healing.url, '-d', dbUrl, '--server-log', healingLog], expectExit: 1 },
      { title: 'sequences --fix repairs them (locked, never backwards)', args: ['sequences', '--fix', '--yes', '-d', dbUrl], expectExit: 0 },
      { title: 'register-test passes', args: ['register-test', '--url', healing.url, '-d', dbUrl, '--cleanup', '--yes'], expectExit: 0 },
      { title: 'doctor is clean', args: ['doctor', '-d', dbUrl], expectExit: 0 },
    ];

    const sqlitePath = join(work, 'sana_toolkit.db');
    events.phase('starting a sandbox of the SANA app (signup + OTP, before its session fix) on an SQLite file');
    const sana: Sandbox = await startSandbox({ app: 'sana', sqlitePath, sanaFixed: false });
    cleanups.push(() => sana.close());
    const sqliteUrl = `sqlite:${sqlitePath}`;
    story.push(
      { title: 'five concurrent signups for one email reproduce the SANA race', args: ['register-test', '--url', sana.url, '--profile', 'otp', '--otp-from', 'db', '-d', sqliteUrl, '--race', '5'], expectExit: 1 },
      { title: 'temp-registrations lists the orphaned OTPs', args: ['temp-registrations', '-d', sqliteUrl], expectExit: 1 },
    );

    for (const [index, step] of story.entries()) {
      throwIfAborted(options.signal);
      events.step(index + 1, step, `healfix ${step.args.map((a) => quoteArg(maskUrl(a))).join(' ')}`);
      const t0 = Date.now();
      const run = runHealfix(step.args);
      child = run.child;
      const exitCode = await run.done;
      child = undefined;
      const ms = Date.now() - t0;
      events.stepDone(step, exitCode, ms);
      steps.push({ title: step.title, exitCode, expected: step.expectExit, ms });
    }
    return { steps, totalMs: Date.now() - started, ok: steps.every((s) => s.exitCode === s.expected) };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    child?.kill('SIGKILL');
    events.phase('cleaning up: stopping the sandboxes and PostgreSQL, removing temporary files');
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  }
}

function runHealfix(args: string[]): { child: ChildProcess; done: Promise<number | null> } {
  // Inherits the terminal, so the user sees each command's own output exactly as they would running it.
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, HEALFIX_DEMO: '1' } });
  const done = new Promise<number | null>((resolve) => {
    child.on('close', (code) => resolve(code));
    child.on('error', () => resolve(null));
  });
  return { child, done };
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./*-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new DemoInterrupted();
}

export class DemoInterrupted extends Error {
  constructor() {
    super('demo interrupted');
  }
}
