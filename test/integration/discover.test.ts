/**
 * discoverSignup over HTTP: the seed apps recognised by their probes (the sandboxes), a JSON API read from its
 * validation answer, and a server with no signup named in one line. The real framework apps are in
 * test/frameworks/discover-apps.test.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/http/client.js';
import { runRegisterTest } from '../../src/register-test/index.js';
import { discoverSignup } from '../../src/register-test/discover/discover.js';
import { startSandbox } from '../../src/demo/sandbox/server.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A server whose routes are given per test; every other path is a 404, as an app's would be. */
async function serve(routes: Record<string, (req: IncomingMessage, body: string, res: ServerResponse) => void>) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${body}`.trim());
      const route = routes[`${req.method} ${req.url}`];
      if (route) return route(req, body, res);
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('discoverSignup over HTTP', () => {
  it('the SANA sandbox: its verify page recognises the seed app and its built-in otp flow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-disc-sana-'));
    dirs.push(dir);
    const sb = await startSandbox({ app: 'sana', sqlitePath: join(dir, 'sana.db') });
    try {
      const d = await discoverSignup(new HttpClient({ baseUrl: sb.url }));
      expect(d.profile).toBe('otp');
      expect(d.stack?.id).toBe('sana');
      expect(d.explanation.join('\n')).toContain('recognised as SANA Toolkit: built-in flow flows/otp.json');
    } finally {
      await sb.close();
    }
  });

  it('a RealWorld-shaped API: POST {"user": {}} to /api/users asks for its fields; the flow wraps them in "user"', async () => {
    const srv = await serve({
      'GET /': (_q, _b, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'),
      'POST /api/users': (_q, body, res) => {
        const user = (JSON.parse(body || '{}') as { user?: Record<string, string> }).user;
        if (!user) return res.writeHead(422, { 'content-type': 'application/json' }).end('{"errors":{"body":["user is missing"]}}');
        res.writeHead(422, { 'content-type': 'application/json' }).end('{"errors":{"email":["can\'t be blank"],"username":["can\'t be blank"],"password":["can\'t be blank"]}}');
      },
    });
    try {
      const d = await discoverSignup(new HttpClient({ baseUrl: srv.url }));
      expect(d.profile).toBe('realworld');
      expect(d.flow.steps).toEqual([
        { name: 'signup', role: 'signup', method: 'POST', path: '/api/users', json: { user: { email: '{{email}}', username: '{{username}}', password: '{{password}}' } }, expect: [200, 201] },
      ]);
      expect(d.explanation).toContain('POST {"user":{}} to /api/users answered 422 asking for email, username, password');
      // It never posted a filled-in signup while discovering.
      expect(srv.seen.filter((s) => s.startsWith('POST')).every((s) => /\{("user":\{\})?\}$/.test(s))).toBe(true);
    } finally {
      await srv.close();
    }
  });

  it('a generic JSON API that needs its XSRF-TOKEN cookie mirrored into X-XSRF-TOKEN', async () => {
    const srv = await serve({
      'GET /': (_q, _b, res) => res.writeHead(200, { 'content-type': 'text/html', 'set-cookie': 'XSRF-TOKEN=abc%3D123; Path=/' }).end('<p>app</p>'),
      'POST /api/auth/register': (req, body, res) => {
        if (req.headers['x-xsrf-token'] !== 'abc=123') return res.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"CSRF token mismatch."}');
        const sent = JSON.parse(body || '{}') as Record<string, string>;
        if (sent.email && sent.password && sent.full_name) return res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 1, email: sent.email }));
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"detail":[{"loc":["body","email"],"msg":"field required"},{"loc":["body","password"],"msg":"field required"},{"loc":["body","full_name"],"msg":"field required"}]}');
      },
    });
    try {
      const d = await discoverSignup(new HttpClient({ baseUrl: srv.url }));
      expect(d.profile).toBe('json-api');
      expect(d.flow.steps[0]).toMatchObject({ method: 'GET', path: '/', capture: { csrf: { cookie: 'XSRF-TOKEN', urlDecode: true, secret: true } } });
      expect(d.flow.steps[1]).toMatchObject({ path: '/api/auth/register', headers: { 'X-XSRF-TOKEN': '{{csrf}}' }, json: { email: '{{email}}', password: '{{password}}', full_name: '{{full_name}}' } });
      expect(d.flow.variables).toEqual({ full_name: 'Healfix Test' });
      // The flow replays: the cookie, URL-decoded as a browser script sends it, goes back in the header.
      const run = await runRegisterTest({ url: srv.url, discovered: { flow: d.flow, profile: d.profile, reason: 'discovered' } });
      expect(run.steps.map((s) => `${s.method} ${s.path} ${s.status}`)).toEqual(['GET / 200', 'POST /api/auth/register 201']);
      expect(run.ok).toBe(true);
    } finally {
      await srv.close();
    }
  });

  it('no form and no API: one error naming what was tried', async () => {
    const srv = await serve({ 'GET /': (_q, _b, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Hello</h1><a href="/about">About</a>') });
    try {
      await expect(discoverSignup(new HttpClient({ baseUrl: srv.url }))).rejects.toThrow(/^cannot find a signup form or API on http:\/\/127\.0\.0\.1:\d+: no JSON API answered POST \{\} with a list of missing fields \(\/api\/users 404, .*\/auth\/v1\/signup 404\)$/);
    } finally {
      await srv.close();
    }
  });
});
