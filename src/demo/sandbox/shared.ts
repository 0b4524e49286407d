/**
 * What the two sandbox apps share: options, replies, body and cookie parsing, the in-process limiter,
 * the password policy. The apps are in ./healing-space.ts and ./sana.ts; ./server.ts serves one of them.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import type { PostgresDatabase } from '../../db/postgres.js';

export interface SandboxLimit {
  max: number;
  windowSec: number;
}

export interface SandboxOptions {
  app: 'healing-space' | 'sana';
  /** Healing Space: the database holding its schema (createHealingSpaceSchema). */
  pg?: PostgresDatabase | pg.Pool;
  /** SANA: the SQLite file (created, with its schema, when missing). */
  sqlitePath?: string;
  /** SANA: run the version with the session-mismatch fix (2 s per-email dedup, 60 s same-session window). */
  sanaFixed?: boolean;
  /** Healing Space register limiter; default 3 per 300 s (50 per 60 s with debug). */
  registerLimit?: SandboxLimit;
  /** Healing Space per-endpoint per-IP limiter answering HTML; default 50 per 3600 s. */
  endpointLimit?: SandboxLimit;
  /** Healing Space DEBUG: no Secure on the CSRF cookie, register limiter 50 per 60 s. */
  debug?: boolean;
  /** Server log lines are also appended to this file. */
  logFile?: string;
  port?: number;
}

export interface Sandbox {
  url: string;
  close(): Promise<void>;
  /** The server log, one entry per line. */
  log: string[];
}

export interface Reply {
  status: number;
  body: string;
  type: string;
  headers?: Record<string, string | string[]>;
}

export const json = (status: number, value: unknown, headers?: Record<string, string | string[]>): Reply => ({
  status,
  body: JSON.stringify(value),
  type: 'application/json',
  headers,
});
export const html = (status: number, body: string, headers?: Record<string, string | string[]>): Reply => ({ status, body, type: 'text/html; charset=utf-8', headers });

/** In-process sliding-window limiter, like the apps' dict-of-timestamps limiters. */
export class Limiter {
  private hits = new Map<string, number[]>();
  constructor(private limit: SandboxLimit) {}
  /** Seconds to wait when the key is over the limit, else 0. Does not record. */
  retryAfter(key: string, now = Date.now()): number {
    const windowMs = this.limit.windowSec * 1000;
    const hits = (this.hits.get(key) ?? []).filter((t) => now - t < windowMs);
    this.hits.set(key, hits);
    if (hits.length < this.limit.max) return 0;
    return Math.max(1, Math.ceil((hits[0]! + windowMs - now) / 1000));
  }
  record(key: string, now = Date.now()): void {
    const hits = this.hits.get(key) ?? [];
    hits.push(now);
    this.hits.set(key, hits);
  }
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { 'Content-Type': reply.type, 'Content-Length': Buffer.byteLength(reply.body), ...reply.headers });
  res.end(reply.body);
}

export function isJson(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

export function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function cookies(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

export const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
export const hash = (text: string) => createHash('sha256').update(text).digest('hex');

export function passwordProblem(password: string): string | undefined {
  if (password.length < 8) return 'Password must be at least 8 characters long';
  if (!/[A-Z]/.test(password)) return 'Password must contain at least one uppercase letter';
  if (!/[a-z]/.test(password)) return 'Password must contain at least one lowercase letter';
  if (!/\d/.test(password)) return 'Password must contain at least one number';
  if (!/[^A-Za-z0-9]/.test(password)) return 'Password must contain at least one special character';
  return undefined;
}

export interface AppHandler {
  handle(req: IncomingMessage, body: string): Promise<Reply>;
  close(): Promise<void>;
}

