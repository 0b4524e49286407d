import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/embedded/postgres.js';
import { startService, waitForHttp } from './service.js';

/** One message as maildev's REST API returns it (the fields the tests read). */
export interface CaughtMail {
  id: string;
  subject: string;
  text?: string;
  html?: string;
  to: { address: string; name?: string }[];
  date?: string;
}

export interface MailCatcher {
  smtpHost: string;
  smtpPort: number;
  /** maildev's web/REST base URL (GET /api/email lists messages). */
  apiUrl: string;
  messages(): Promise<CaughtMail[]>;
  /** Waits (bounded) for the first message sent to `address`. */
  waitForMessage(address: string, timeoutMs?: number): Promise<CaughtMail>;
  stop(): Promise<void>;
}

export function maildevAvailable(): { ok: boolean; reason: string } {
  try {
    maildevBin();
    return { ok: true, reason: '' };
  } catch {
    return { ok: false, reason: 'the npm package maildev is not installed (npm install)' };
  }
}

/** maildev exports only its ESM entry, not package.json: find the package root above it and read its bin. */
function maildevBin(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('maildev')));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== 'maildev') {
    if (dirname(dir) === dir) throw new Error('maildev package root not found');
    dir = dirname(dir);
  }
  const bin = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin: string | Record<string, string> }).bin;
  return join(dir, typeof bin === 'string' ? bin : bin.maildev);
}

/** Starts maildev (SMTP + REST API) on two free ports of 127.0.0.1. */
export async function startMailCatcher(): Promise<MailCatcher> {
  const [smtpPort, webPort] = [await freePort(), await freePort()];
  const service = startService(
    process.execPath,
    [maildevBin(), '--smtp', String(smtpPort), '--web', String(webPort), '--ip', '127.0.0.1', '--web-ip', '127.0.0.1'],
    { cwd: process.cwd(), env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } },
  );
  const apiUrl = `http://127.0.0.1:${webPort}`;
  await waitForHttp(`${apiUrl}/api/email`, service, 30_000);
  const messages = async (): Promise<CaughtMail[]> => {
    const response = await fetch(`${apiUrl}/api/email`);
    if (!response.ok) throw new Error(`maildev answered ${response.status} to GET /api/email`);
    return (await response.json()) as CaughtMail[];
  };
  return {
    smtpHost: '127.0.0.1',
    smtpPort,
    apiUrl,
    messages,
    async waitForMessage(address, timeoutMs = 15_000) {
      const wanted = address.toLowerCase();
      const started = Date.now();
      while (Date.now() - started < timeoutMs) {
        const found = (await messages()).find((m) => m.to.some((t) => t.address.toLowerCase() === wanted));
        if (found) return found;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`no mail to ${address} reached maildev within ${timeoutMs} ms`);
    },
    stop: () => service.stop(),
  };
}
