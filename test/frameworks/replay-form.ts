/** Replays a discovered form flow like a browser (test/helpers/browser.ts: redirects not followed, so the 302 is seen). */
import { expect } from 'vitest';
import { fillTemplate, readCapture, type Flow } from '../../src/http/flow.js';
import { Browser } from '../helpers/browser.js';

export async function replayForm(url: string, flow: Flow, vars: Record<string, string>): Promise<{ status: number; location: string | null }> {
  const browser = new Browser(url);
  const values: Record<string, string> = { ...vars, ...(flow.variables ?? {}) };
  const [page, signup] = flow.steps;
  const got = await browser.get(page!.path);
  expect(got.status).toBe(200);
  for (const [name, capture] of Object.entries(page!.capture ?? {})) {
    const value = await readCapture(capture, { status: got.status, headers: Object.fromEntries(got.headers), body: got.html, cookie: (n) => browser.cookie(n) });
    if (value !== undefined) values[name] = value;
  }
  const posted = await browser.post(signup!.path, fillTemplate(signup!.form!, values, 'signup'), fillTemplate(signup!.headers ?? {}, values, 'signup'));
  return { status: posted.status, location: posted.location };
}
