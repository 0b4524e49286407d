import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/exec.js';

// Real local HTTP servers (node:http) that answer badly: a huge body, an endless chunked body, a day-long
// Retry-After. And paths checked before any request: the server counts what reaches it.

let dir: string;
let server: Server | undefined;
let requests = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'healfix-limits-'));
  // Records the spawned CLI's peak memory on exit: the process runs unchanged, only measured.
  writeFileSync(join(dir, 'peak.cjs'), `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(join(dir, 'peak.txt'))}, String(process.resourceUsage().maxRSS)));\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server?.closeAllConnections();
  server = undefined;
});

async function serve(handler: (path: string, res: ServerResponse) => void): Promise<string> {
  requests = 0;
  server = createServer((req, res) => {
    requests++;
    req.resume();
    handler(req.url ?? '/', res);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

/** Writes `total` bytes (Infinity: forever) as fast as the client reads, never faster. */
function stream(res: ServerResponse, total: number, headers: Record<string, string>): void {
  res.writeHead(200, headers);
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('error', () => {});
  res.socket?.on('error', () => {});
  pump();
}

function flowFile(name: string, steps: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ name, steps }));
  return path;
}

const PAGE_FLOW = () => flowFile('page.json', [{ name: 'home', role: 'page', method: 'GET', path: '/', response: 'any' }]);
const peakMb = () => Number(readFileSync(join(dir, 'peak.txt'), 'utf8')) / 1024;

describe('register-test: answers too long to keep', () => {
  it('a 500 MB answer: kept up to the cap, reported, memory stays bounded', async () => {
    const url = await serve((_p, res) => stream(res, 500 * 1024 * 1024, { 'Content-Type': 'text/html', 'Content-Length': String(500 * 1024 * 1024) }));
    const r = await runCli(['register-test', '--url', url, '--flow', PAGE_FLOW(), '--json'], { nodeArgs: ['--require', join(dir, 'peak.cjs')] });
    const doc = JSON.parse(r.stdout);
    expect(doc.steps[0].bodyTruncatedAt).toBe(4 * 1024 * 1024);
    expect(doc.steps[0].result).toMatch(/kept the first 4 MB, stopped reading/);
    expect(peakMb()).toBeLessThan(250);
  });

  it('an endless chunked answer: the command ends and says the answer was cut', async () => {
    const url = await serve((_p, res) => stream(res, Infinity, { 'Content-Type': 'text/html' }));
    const r = await runCli(['register-test', '--url', url, '--flow', PAGE_FLOW()], { nodeArgs: ['--require', join(dir, 'peak.cjs')] });
    expect(r.stdout).toMatch(/kept the first 4 MB, stopped reading/);
    expect(peakMb()).toBeLessThan(250);
  });

  it('an endless answer where JSON was expected: one line naming the cut, exit 2', async () => {
    const url = await serve((_p, res) => stream(res, Infinity, { 'Content-Type': 'application/json' }));
    const flow = flowFile('json.json', [{ name: 'signup', role: 'signup', method: 'POST', path: '/signup', json: { email: '{{email}}' } }]);
    const r = await runCli(['register-test', '--url', url, '--flow', flow]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^healfix: POST \/signup answered 200 with application\/json text, not JSON \(answer longer than 4 MB: kept the first 4 MB, stopped reading\)$/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('register-test --wait and Retry-After', () => {
  const signup = () => flowFile('signup.json', [{ name: 'signup', role: 'signup', method: 'POST', path: '/signup', json: { email: '{{email}}' } }]);
  const limited = (seconds: number) => (_p: string, res: ServerResponse) => {
    res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': String(seconds) });
    res.end(JSON.stringify({ error: 'Too many requests' }));
  };

  it('Retry-After: 86400 is reported with the cap, not slept', async () => {
    const url = await serve(limited(86_400));
    const r = await runCli(['register-test', '--url', url, '--flow', signup(), '--wait', '--json'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.findings[0].detail).toMatch(/--wait waits at most 300s; the server asks for 86400s, so healfix did not wait or retry/);
    expect(requests).toBe(1);
  });

  it('a short Retry-After: says on stderr what it waits for, then retries once', async () => {
    const url = await serve(limited(1));
    const r = await runCli(['register-test', '--url', url, '--flow', signup(), '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rate limited .*: waiting 2s before retrying once \(--wait waits at most 300s\)/);
    expect(requests).toBe(2);
  });
});

describe('register-test: every path checked before any request', () => {
  const csrfFlow = () => flowFile('ok.json', [{ name: 'signup', role: 'signup', method: 'POST', path: '/signup', json: { email: '{{email}}' } }]);
  const ok = (_p: string, res: ServerResponse) => {
    res.writeHead(201, { 'Content-Type': 'application/json' });
    res.end('{"ok":true}');
  };
  const cases: [string, (d: string) => string[], RegExp][] = [
    ['--output is a folder', (d) => ['--reporter', 'junit', '--output', d], /^healfix: --output .* is a folder/],
    ['--output in a missing folder', (d) => ['--reporter', 'junit', '--output', join(d, 'no', 'such', 'r.xml')], /^healfix: --output .*: folder .* does not exist/],
    ['--server-log does not exist', () => ['--server-log', '/nonexistent/app.log'], /^healfix: --server-log \/nonexistent\/app.log does not exist/],
  ];
  for (const [title, args, message] of cases) {
    it(`${title}: one line, exit 2, no request sent`, async () => {
      const url = await serve(ok);
      const r = await runCli(['register-test', '--url', url, '--flow', csrfFlow(), ...args(dir)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('healfix:'))).toHaveLength(1);
      expect(requests).toBe(0);
      const json = await runCli(['register-test', '--url', url, '--flow', csrfFlow(), ...args(dir), '--json']);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout).error.code).toBe('usage');
      expect(requests).toBe(0);
    });
  }

  it('a captured value that makes a step path leave --url: refused before that request, exit 2', async () => {
    const url = await serve((_path, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ next: 'http://203.0.113.1/collect' }));
    });
    const flow = flowFile('leave.json', [
      { name: 'start', method: 'GET', path: '/start', capture: { next: { json: '$.next' } } },
      { name: 'signup', role: 'signup', method: 'POST', path: '{{next}}', json: { email: '{{email}}' } },
    ]);
    const r = await runCli(['register-test', '--url', url, '--flow', flow, '--connect-timeout', '2s']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^healfix: http:\/\/203\.0\.113\.1\/collect is not on http:\/\/127\.0\.0\.1:\d+: a flow step only requests paths on --url$/m);
    expect(requests).toBe(1);
  });

  it('a flow file with an unknown key or a full URL path: one line, exit 2, no request', async () => {
    const url = await serve(ok);
    const typo = flowFile('typo.json', [{ name: 'signup', method: 'POST', path: '/signup', expects: [201] }]);
    const r = await runCli(['register-test', '--url', url, '--flow', typo]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^healfix: --flow .*typo.json: step 1 has unknown key "expects"/);
    const abs = flowFile('abs.json', [{ name: 'signup', method: 'POST', path: 'http://203.0.113.1/signup' }]);
    const a = await runCli(['register-test', '--url', url, '--flow', abs]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/step 1 "path" is a full URL/);
    expect(requests).toBe(0);
  });

  it('a good --output is written after the run (the check does not refuse a valid path)', async () => {
    const url = await serve(ok);
    const out = join(dir, 'report.xml');
    const r = await runCli(['register-test', '--url', url, '--flow', csrfFlow(), '--reporter', 'junit', '--output', out]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/<testsuite/);
    expect(requests).toBe(1);
  });
});
