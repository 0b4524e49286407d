import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/http/client.js';

/** A tiny server that answers each request with the next scripted reply and records what it saw. */
async function scripted(replies: { status: number; headers?: Record<string, string>; body?: string }[]) {
  const seen: { method: string; at: number }[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method ?? '', at: Date.now() });
      const reply = replies[Math.min(seen.length - 1, replies.length - 1)]!;
      res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('HttpClient retries', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('retries a GET once after a 503 with Retry-After: 1, waiting the second', async () => {
    const srv = await scripted([{ status: 503, headers: { 'Retry-After': '1' }, body: '{"error":"busy"}' }, { status: 200, body: '{"ok":true}' }]);
    close = srv.close;
    const res = await new HttpClient({ baseUrl: srv.url }).send({ method: 'GET', path: '/api/csrf-token' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"ok":true}');
    expect(res.retries).toBe(1);
    expect(srv.seen.map((s) => s.method)).toEqual(['GET', 'GET']);
    expect(srv.seen[1]!.at - srv.seen[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('retries a GET at most once, and not when Retry-After is over the cap', async () => {
    const again = await scripted([{ status: 429, headers: { 'Retry-After': '0' } }]);
    close = again.close;
    const twice = await new HttpClient({ baseUrl: again.url }).send({ method: 'GET', path: '/' });
    expect(twice.status).toBe(429);
    expect(twice.retries).toBe(1);
    expect(again.seen).toHaveLength(2);
    await again.close();

    const long = await scripted([{ status: 503, headers: { 'Retry-After': '60' } }, { status: 200 }]);
    close = long.close;
    const started = Date.now();
    const res = await new HttpClient({ baseUrl: long.url }).send({ method: 'GET', path: '/' });
    expect(res.status).toBe(503);
    expect(res.retries).toBe(0);
    expect(long.seen).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('never retries a POST: a 503 with Retry-After reaches the server exactly once', async () => {
    const srv = await scripted([{ status: 503, headers: { 'Retry-After': '1' } }, { status: 201 }]);
    close = srv.close;
    const res = await new HttpClient({ baseUrl: srv.url }).send({ method: 'POST', path: '/api/auth/register', body: '{}', headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(503);
    expect(res.retries).toBe(0);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(srv.seen.map((s) => s.method)).toEqual(['POST']);
  });
});
