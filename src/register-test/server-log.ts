/**
 * Finding a failed request's lines in the app's log. By the server's error id when the answer carries one
 * (Healing Space), by the X-Request-Id the answer carries and the log tags its lines with (Rails'
 * log_tags = [:request_id]), else by what the log gained while the request ran (Django's traceback).
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';

export function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --server-log ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export function findLogLines(file: string, needle: string): string[] {
  const lines = readLog(file).split('\n');
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (!line.includes(needle)) return;
    out.push(maskPasswordHashes(line.trim()));
    for (let j = i + 1; j < lines.length && /^\s*(DETAIL|HINT|CONTEXT):/.test(lines[j]!); j++) out.push(maskPasswordHashes(lines[j]!.trim()));
  });
  return out;
}

/** What the log gained since `offset` (the size before the request): the request's own lines. */
export function readLogSince(file: string, offset: number): string {
  const size = statSync(file).size;
  if (size <= offset) return '';
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(size - offset, 1024 * 1024));
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Password hashes a log may quote (Laravel logs the failed INSERT with its values): bcrypt, argon2,
 * Django's pbkdf2/argon2/bcrypt encodings, scrypt-like hex pairs. Shown as [hash].
 */
const PASSWORD_HASH =
  /\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}|(?:\bargon2)?\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+|\b(?:pbkdf2_sha256|pbkdf2_sha1|bcrypt_sha256|scrypt)\$[^\s,)'"]+|\b[0-9a-f]{32}:[0-9a-f]{64,}\b/g;

export function maskPasswordHashes(line: string): string {
  return line.replace(PASSWORD_HASH, '[hash]');
}

/** The lines that say what failed: errors, exceptions, the database's DETAIL. */
export function keyLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (/\b(ERROR|Error|Exception|FATAL|violates|duplicate key|Internal Server Error|Completed 5\d\d)\b|\bDETAIL:|^\[[^\]]+\]\s+(Started|Completed)/.test(line) && !/^\s*(at |File ")/.test(raw)) out.push(maskPasswordHashes(line));
  }
  return [...new Set(out)].slice(0, 12);
}

export interface LogEvidence {
  lines: string[];
  /** How the lines were found, or why none were ("X-Request-Id 380f…", "the 2 KB written during the request"). */
  how: string;
  found: boolean;
}

export interface LogSearch {
  file: string;
  errorId?: string;
  requestId?: string;
  /** Log size before the request. */
  offset?: number;
}

export function searchServerLog(search: LogSearch): LogEvidence {
  const { file, errorId, requestId, offset } = search;
  if (errorId) {
    const lines = findLogLines(file, errorId);
    return { lines, how: `error_id ${errorId}`, found: lines.length > 0 };
  }
  if (requestId) {
    const lines = findLogLines(file, requestId);
    if (lines.length) return { lines: keyLines(lines.join('\n')).length ? keyLines(lines.join('\n')) : lines.slice(0, 12), how: `X-Request-Id ${requestId}`, found: true };
  }
  if (offset !== undefined) {
    readLog(file);
    const text = readLogSince(file, offset);
    const lines = keyLines(text);
    const kb = Math.max(1, Math.round(Buffer.byteLength(text) / 1024));
    return {
      lines,
      how: text ? `the ${kb} KB the log gained during the request${requestId ? ` (no line tagged with X-Request-Id ${requestId})` : ''}` : 'the log gained nothing during the request',
      found: lines.length > 0,
    };
  }
  return { lines: [], how: requestId ? `no line tagged with X-Request-Id ${requestId}` : 'no error id, no X-Request-Id and no window to search', found: false };
}

export interface DuplicateKey {
  constraint: string;
  columns?: string;
  value?: string;
}

/** `duplicate key value violates unique constraint "auth_user_pkey"` + `Key (id)=(5) already exists.` */
export function parseDuplicateKey(lines: string[]): DuplicateKey | undefined {
  const text = lines.join('\n');
  const m = /violates unique constraint "([^"]+)"/.exec(text);
  if (!m) return undefined;
  const key = /Key \(([^)]*)\)=\((.*?)\) already exists/.exec(text);
  return { constraint: m[1]!, ...(key ? { columns: key[1], value: key[2] } : {}) };
}
