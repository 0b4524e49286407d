/**
 * A test double of the two real apps of ../shared/reference/: Healing Space (Flask + PostgreSQL) and the
 * SANA Toolkit (Flask + SQLite). node:http only, on 127.0.0.1, backed by a real database, reproducing their
 * HTTP contracts (./healing-space.ts, ./sana.ts). It is not the apps: it is what healfix's tests, the demo
 * and `register-test` are checked against.
 */
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { healingSpaceApp } from './healing-space.js';
import { sanaApp } from './sana.js';
import { json, readBody, send, type SandboxOptions } from './shared.js';

export type { Sandbox, SandboxLimit, SandboxOptions } from './shared.js';

export async function startSandbox(options: SandboxOptions): Promise<import('./shared.js').Sandbox> {
  const log: string[] = [];
  // Like a real app, the log file exists once the app runs (register-test checks --server-log up front).
  if (options.logFile) appendFileSync(options.logFile, '');
  const writeLog = (line: string) => {
    log.push(line);
    if (options.logFile) appendFileSync(options.logFile, `${line}\n`);
  };
  const handler = options.app === 'healing-space' ? healingSpaceApp(options, writeLog) : sanaApp(options, writeLog);
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => handler.handle(req, body))
      .catch((error: unknown) => {
        writeLog(`[SANDBOX] unhandled: ${(error as Error).message}`);
        return json(500, { error: 'sandbox failure' });
      })
      .then((reply) => send(res, reply));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.close();
    },
  };
}

