/**
 * The HTTP side of register-test: a browser-like client with a real cookie jar (tough-cookie), a connect
 * timeout and a whole-request timeout, redirects, Origin/Referer, and retries for GET only (a retried POST
 * could create a second user).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { CookieJar } from 'tough-cookie';
import { ConnectionError, UsageError } from '../errors.js';

export interface HttpClientOptions {
  baseUrl: string;
  connectTimeoutMs?: number;
  timeoutMs?: number;
  /** Retries for GET on a reset connection and on 429/503 with a short Retry-After (default 1). POSTs never retry. */
  getRetries?: number;
  /** Longest Retry-After a GET retry waits out on its own (seconds, default 10). */
  maxRetryAfterSec?: number;
  userAgent?: string;
  /** Most bytes of one answer's body kept in memory (default MAX_BODY_BYTES); past it healfix stops reading. */
  maxBodyBytes?: number;
}

/**
 * A signup answer is a page or a small JSON document. Past this, healfix keeps what it has and closes the
 * connection: a 500 MB answer once took 2.1 GB of memory, and an endless chunked body grew without bound.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface HttpRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  method: string;
  /** Final URL after redirects. */
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Set when the body was longer than the cap: only this many bytes were kept, the rest never read. */
  truncatedAt?: number;
  ms: number;
  redirects: number;
  /** Every redirect answered on the way, in order: the first is the server's first answer to the request. */
  hops: RedirectHop[];
  retries: number;
}

/** One answer of a redirect chain: its status and where it sent the client. */
export interface RedirectHop {
  url: string;
  status: number;
  location: string;
}

/** The server could not be talked to at all: refused, DNS, TLS, timeout, reset. Exit 2. */
export class NetworkError extends ConnectionError {
  constructor(
    message: string,
    readonly reason: 'refused' | 'dns' | 'tls' | 'connect-timeout' | 'timeout' | 'reset' | 'other',
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class HttpClient {
  readonly jar = new CookieJar();
  readonly base: URL;
  private readonly connectTimeoutMs: number;
  private readonly timeoutMs: number;
  private readonly getRetries: number;
  private readonly maxRetryAfterSec: number;
  private readonly userAgent: string;
  private readonly maxBodyBytes: number;

  constructor(options: HttpClientOptions) {
    this.base = new URL(options.baseUrl);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.getRetries = options.getRetries ?? 1;
    this.maxRetryAfterSec = options.maxRetryAfterSec ?? 10;
    this.userAgent = options.userAgent ?? 'healfix register-test';
    this.maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  }

  /** Every cookie value the jar holds (to mask them in output). */
  async cookieValues(): Promise<string[]> {
    const cookies = await this.jar.getCookies(this.base.toString(), { allPaths: true });
    return cookies.map((c) => c.value);
  }

  async cookie(name: string): Promise<string | undefined> {
    const cookies = await this.jar.getCookies(this.base.toString(), { allPaths: true });
    return cookies.find((c) => c.key === name)?.value;
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    const method = req.method.toUpperCase();
    let retries = 0;
    for (;;) {
      try {
        // The whole-request timeout is per attempt (a Retry-After sleep does not eat it); ms counts from the first.
        const res = await this.follow(method, req, started, performance.now());
        const wait = method === 'GET' ? retryAfterSeconds(res.headers['retry-after']) : undefined;
        if (method === 'GET' && (res.status === 429 || res.status === 503) && wait !== undefined && wait <= this.maxRetryAfterSec && retries < this.getRetries) {
          retries++;
          await sleep(wait * 1000);
          continue;
        }
        return { ...res, retries };
      } catch (error) {
        if (method === 'GET' && error instanceof NetworkError && error.reason === 'reset' && retries < this.getRetries) {
          retries++;
          await sleep(200 * retries);
          continue;
        }
        throw error;
      }
    }
  }

  private async follow(method: string, req: HttpRequest, started: number, attemptStarted: number): Promise<Omit<HttpResponse, 'retries'>> {
    let url = new URL(req.path, this.base);
    // A flow path (or a captured value filled into one) must not send the signup, its cookies and its
    // password to another host than --url. Redirects are the server's own choice and are followed.
    if (url.origin !== this.base.origin) {
      throw new UsageError(`${req.path} is not on ${this.base.origin}: a flow step only requests paths on --url`);
    }
    let currentMethod = method;
    let body = req.body;
    let headers = { ...req.headers };
    let referer: string | undefined = this.base.toString();
    const hops: RedirectHop[] = [];
    for (let redirects = 0; ; redirects++) {
      const cookie = await this.jar.getCookieString(url.toString());
      const outgoing: Record<string, string> = {
        'User-Agent': this.userAgent,
        Accept: 'application/json, text/html;q=0.9, */*;q=0.8',
        ...(currentMethod !== 'GET' && currentMethod !== 'HEAD' ? { Origin: this.base.origin } : {}),
        ...(referer ? { Referer: referer } : {}),
        ...(cookie ? { Cookie: cookie } : {}),
        ...headers,
      };
      if (body !== undefined) outgoing['Content-Length'] = String(Buffer.byteLength(body));
      const remaining = this.timeoutMs - (performance.now() - attemptStarted);
      const res = await this.once(url, currentMethod, outgoing, body, remaining);
      for (const line of res.setCookies) {
        await this.jar.setCookie(line, url.toString(), { ignoreError: true });
      }
      const location = res.headers.location;
      if (REDIRECTS.has(res.status) && location && redirects < 5) {
        hops.push({ url: url.toString(), status: res.status, location });
        referer = url.toString();
        url = new URL(location, url);
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && currentMethod === 'POST')) {
          currentMethod = 'GET';
          body = undefined;
          headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'content-type'));
        }
        continue;
      }
      const truncated = res.truncatedAt === undefined ? {} : { truncatedAt: res.truncatedAt };
      return { method, url: url.toString(), status: res.status, headers: res.headers, body: res.body, ...truncated, ms: Math.round(performance.now() - started), redirects, hops };
    }
  }

  private once(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    remainingMs: number,
  ): Promise<{ status: number; headers: Record<string, string>; setCookies: string[]; body: string; truncatedAt?: number }> {
    const where = `${url.host}`;
    if (remainingMs <= 0) return Promise.reject(timeoutError(where, this.timeoutMs));
    const signal = AbortSignal.timeout(Math.max(1, Math.floor(remainingMs)));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let connectTimer: NodeJS.Timeout | undefined;
      let settled = false;
      const req = send(url, { method, headers, signal }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const finish = (truncatedAt?: number) => {
          if (settled) return;
          settled = true;
          const flat: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: flat, setCookies: res.headers['set-cookie'] ?? [], body, ...(truncatedAt === undefined ? {} : { truncatedAt }) });
        };
        res.on('data', (c: Buffer) => {
          if (settled) return;
          const room = this.maxBodyBytes - kept;
          if (c.length <= room) {
            chunks.push(c);
            kept += c.length;
            return;
          }
          // Keep up to the cap, then stop reading: the rest is never buffered (nor waited for, if it never ends).
          chunks.push(c.subarray(0, room));
          kept += room;
          finish(kept);
          res.destroy();
          req.destroy();
        });
        res.on('end', () => finish());
        res.on('error', (error) => {
          if (!settled) reject(classify(error, where, this.connectTimeoutMs, this.timeoutMs, signal));
        });
      });
      req.on('socket', (socket: Socket) => {
        if (!socket.connecting) return;
        connectTimer = setTimeout(() => {
          req.destroy(new NetworkError(`no connection to ${where} within ${fmtMs(this.connectTimeoutMs)}`, 'connect-timeout', {
            hint: 'The server did not accept a connection: is it running, and is a firewall dropping packets?',
          }));
        }, this.connectTimeoutMs);
        socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      });
      req.on('close', () => clearTimeout(connectTimer));
      req.on('error', (error) => {
        clearTimeout(connectTimer);
        if (!settled) reject(classify(error, where, this.connectTimeoutMs, this.timeoutMs, signal));
      });
      req.end(body);
    });
  }
}

function fmtMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function timeoutError(where: string, timeoutMs: number): NetworkError {
  return new NetworkError(`no complete answer from ${where} within ${fmtMs(timeoutMs)}`, 'timeout', {
    hint: 'The server accepted the connection but did not answer in time; raise --timeout or check the server log.',
  });
}

function classify(error: unknown, where: string, _connectMs: number, timeoutMs: number, signal: AbortSignal): NetworkError {
  if (error instanceof NetworkError) return error;
  if (signal.aborted) return timeoutError(where, timeoutMs);
  const e = error as NodeJS.ErrnoException;
  const code = e.code ?? '';
  if (code === 'ECONNREFUSED') {
    return new NetworkError(`connection refused by ${where}`, 'refused', { hint: 'Is the app running and listening on that port? Check --url.', cause: error });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new NetworkError(`cannot resolve host ${where.replace(/:\d+$/, '')} (DNS)`, 'dns', { hint: 'Check the host name in --url.', cause: error });
  }
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) || /SSL|TLS|certificate/i.test(e.message ?? '')) {
    return new NetworkError(`TLS handshake with ${where} failed: ${e.message}`, 'tls', {
      hint: 'Use http:// for a local server without TLS, or fix the certificate chain.',
      cause: error,
    });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') {
    return new NetworkError(`connection to ${where} was reset before an answer`, 'reset', { cause: error });
  }
  return new NetworkError(`cannot talk to ${where}: ${e.message ?? String(error)}`, 'other', { cause: error });
}

/** Retry-After as seconds: a number of seconds or an HTTP date. */
export function retryAfterSeconds(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
