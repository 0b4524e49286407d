/**
 * `healfix init`'s detection: the database (and where it was configured), the stacks its catalog shows, and
 * with a URL the running app's signup. Returns data; the command asks, writes and prints.
 */
import type { RecognisedStackSummary } from '../checks/doctor-stacks.js';
import type { ConnectionOptions } from '../db/open.js';
import type { Flow } from '../http/flow.js';
import { findTarget } from '../db/target.js';
import { databaseKeysFor, type DatabaseKeys } from './database-keys.js';

export interface DetectOptions {
  connection: ConnectionOptions;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The running app to probe for its signup (optional). */
  url?: string;
  http?: { connectTimeoutMs?: number; timeoutMs?: number };
}

export interface DetectedDatabase extends DatabaseKeys {
  /** Where the connection came from (the same words doctor's header uses). */
  source: string;
  kind: 'postgres' | 'sqlite';
  /** Password masked. */
  display: string;
  /** Whether healfix connected and read the catalog; `error` says why not. */
  connected: boolean;
  error?: string;
}

export interface DetectedApp {
  url: string;
  /** What discovery recognised: a stack id ('django-allauth'), 'form' or 'json-api'; undefined when it failed. */
  profile?: string;
  stack?: string;
  signupPath?: string;
  explanation: string[];
  error?: string;
  /** The discovered flow, for --save-flow (not part of the JSON document). */
  flow?: Flow;
}

export interface InitDetection {
  database?: DetectedDatabase;
  stacks: RecognisedStackSummary[];
  app?: DetectedApp;
}

export async function detectProject(options: DetectOptions): Promise<InitDetection> {
  const target = findTarget({ ...options.connection, cwd: options.cwd, env: options.env });
  const detection: InitDetection = { stacks: [] };
  if (target) {
    const keys = databaseKeysFor(target, { cwd: options.cwd, env: options.env, envFile: options.connection.envFile });
    const database: DetectedDatabase = { ...keys, source: target.source, kind: target.kind, display: target.display, connected: false };
    detection.database = database;
    try {
      const [{ openDatabase }, { recogniseDatabaseStacks }] = await Promise.all([import('../db/open.js'), import('../checks/doctor-stacks.js')]);
      const db = await openDatabase({ ...options.connection, cwd: options.cwd, env: options.env }, { target });
      try {
        detection.stacks = await recogniseDatabaseStacks(db);
        database.connected = true;
      } finally {
        await db.close();
      }
    } catch (error) {
      database.error = firstLine(error);
    }
  }
  if (options.url) detection.app = await detectApp(options.url, options.http ?? {});
  return detection;
}

async function detectApp(url: string, http: { connectTimeoutMs?: number; timeoutMs?: number }): Promise<DetectedApp> {
  const { discoverAt } = await import('../register-test/discover/index.js');
  try {
    const found = await discoverAt(url, http);
    const signupPath = found.flow.steps.find((s) => s.role === 'signup')?.path;
    return { url, profile: found.profile, stack: found.stack?.title, signupPath, explanation: found.explanation, flow: found.flow };
  } catch (error) {
    return { url, explanation: [], error: firstLine(error) };
  }
}

/** Nothing to write: no database found and no app named. */
export function nothingDetected(d: InitDetection): boolean {
  return !d.database && !d.app;
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!;
}
