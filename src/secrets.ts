/** Everything healfix prints goes past these helpers: secrets never reach output, logs or JSON. */

const MASK = '****';

/**
 * postgres://app:secret@host/db -> postgres://app:****@host/db (also for any scheme). The userinfo ends at
 * the LAST `@` before the host, as a user who typed an unencoded `@`, `:`, `#`, `?` or `/` in a password
 * means it, so no part of such a password survives either.
 */
export function maskUrl(url: string): string {
  const split = splitUserinfo(url);
  const masked = split && split.password !== undefined ? `${split.scheme}${split.user}:${MASK}@${split.rest}` : url;
  return masked.replace(/([?&](?:password|sslpassword)=)[^&]*/gi, `$1${MASK}`);
}

export interface UrlUserinfo {
  /** "postgres://" */
  scheme: string;
  /** As written (may be percent-encoded). */
  user: string;
  /** As written, or undefined when the URL has none (no `:` in the userinfo). */
  password?: string;
  /** Everything after the userinfo's `@`: host, port, path, query. */
  rest: string;
}

/**
 * Splits scheme://user:password@rest at the last `@` whose remainder starts like a host list
 * (host[:port][,host[:port]]...) followed by a path, a query or nothing; undefined without userinfo.
 */
export function splitUserinfo(url: string): UrlUserinfo | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(url);
  if (!m) return undefined;
  const [, scheme, body] = m as unknown as [string, string, string];
  const hostList = /^(?:\[[0-9a-f:.]*\]|[^\s@/?#[\]:,]*)(?::[^\s@/?#,]*)?(?:,(?:\[[0-9a-f:.]*\]|[^\s@/?#[\]:,]*)(?::[^\s@/?#,]*)?)*(?:[/?#]|$)/i;
  const ats: number[] = [];
  for (let at = body.lastIndexOf('@'); at >= 0; at = body.lastIndexOf('@', at - 1)) ats.push(at);
  // The last `@` followed by something shaped like a host; failing that, simply the last `@`.
  const at = ats.find((i) => hostList.test(body.slice(i + 1))) ?? ats[0];
  if (at !== undefined) {
    const rest = body.slice(at + 1);
    const userinfo = body.slice(0, at);
    const colon = userinfo.indexOf(':');
    return colon < 0
      ? { scheme, user: userinfo, rest }
      : { scheme, user: userinfo.slice(0, colon), password: userinfo.slice(colon + 1), rest };
  }
  return undefined;
}

// ---- The registry: every secret healfix learns (database passwords, --field values, generated
// passwords, OTPs, cookies) is registered once here, and every writer (stdout, stderr, files) masks it in
// every spelling healfix itself could produce from it.

const registry = new Set<string>();
let patterns: string[] | undefined;

/** Registers a secret for every writer. Shorter than 3 characters would mask ordinary text; not registered. */
export function registerSecret(secret: string | undefined | null): void {
  if (!secret || secret.length < 3 || registry.has(secret)) return;
  registry.add(secret);
  patterns = undefined;
}

/** A set of secrets that also registers each one for every writer as it is added. */
export class SecretSet extends Set<string> {
  override add(secret: string): this {
    registerSecret(secret);
    return super.add(secret);
  }
}

/** For tests: forget every registered secret. */
export function clearSecrets(): void {
  registry.clear();
  patterns = undefined;
}

/**
 * The spellings healfix can produce of one secret: raw, JSON string escape (once and nested), percent-
 * encoding (encodeURIComponent and the WHATWG form serializer, which differ on !'()* and space) and base64
 * (standard and url-safe; a Basic header registers "user:password" itself).
 */
export function encodingsOf(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const jsonTwice = JSON.stringify(json).slice(1, -1);
  // A lone surrogate (half of an emoji) has no percent-encoding: mask its well-formed spelling instead of throwing.
  const percent = encodeURIComponent(secret.replace(/\p{Cs}/gu, '\ufffd'));
  const form = new URLSearchParams({ x: secret }).toString().slice(2);
  const base64 = Buffer.from(secret, 'utf8').toString('base64');
  const asciiJson = json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const all = [secret, json, jsonTwice, asciiJson, percent, lowerHex(percent), form, lowerHex(form), base64, base64.replace(/=+$/, ''), Buffer.from(secret, 'utf8').toString('base64url')];
  return [...new Set(all)].filter((s) => s.length >= 3);
}

function lowerHex(encoded: string): string {
  return encoded.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
}

/** Masks every registered secret, in every spelling, in text about to be written anywhere. */
export function maskSecrets(text: string): string {
  if (!registry.size || !text) return text;
  // Longest first, so a spelling that contains another is masked whole.
  patterns ??= [...new Set([...registry].flatMap(encodingsOf))].sort((a, b) => b.length - a.length);
  let out = text;
  for (const p of patterns) if (out.includes(p)) out = out.split(p).join(MASK);
  return out;
}

/** Keeps the shape of a code (length) without revealing it: "482913" -> "******". */
export function maskCode(code: string | number | null | undefined): string {
  if (code === null || code === undefined) return '';
  const text = String(code);
  return text.length === 0 ? '' : '*'.repeat(Math.min(text.length, 12));
}

/** alice@example.com -> a****@example.com */
export function maskEmail(email: string): string {
  const at = email.indexOf('@');
  if (at <= 0) return MASK;
  return `${email[0]}${MASK}${email.slice(at)}`;
}

// Deliberately not bare "code": error codes (CSRF_FAILED, 23505) are not secrets; OTP fields say otp.
const SECRET_KEY = /password|passwd|^pwd$|secret|token|csrf|otp|(^|_)pin($|_)|pin_?hash|cookie|session|api_?key|authorization|(^|_)hash$|verification_?code/i;

const secretKeys = new Map<string, boolean>();

/** True when a field name looks like it holds a secret (answers remembered: a document repeats its keys thousands of times). */
export function isSecretKey(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = SECRET_KEY.test(key);
    if (secretKeys.size < 10_000) secretKeys.set(key, secret);
  }
  return secret;
}

/** A field redact() masks: a secret-looking key holding a string or a number (objects are looked into). */
function isSecretField(key: string, value: unknown): boolean {
  return (typeof value === 'string' || typeof value === 'number') && isSecretKey(key);
}

/** Deep copy of a value with every secret-looking field masked. */
export function redact<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => redact(item)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      out[key] = isSecretField(key, item) ? MASK : redact(item);
    }
    return out as T;
  }
  return value;
}

/**
 * redact() as a JSON.stringify replacer, with bigint as text: one pass instead of a copy and then a
 * pass, for documents written item by item. The field is judged as it is in the object (`this[key]`),
 * before JSON.stringify turns a Date into a string: redact() leaves Dates as they are, and so does this.
 */
export function redactingReplacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  return key && isSecretField(key, (this as Record<string, unknown>)[key]) ? MASK : value;
}

/** Replaces every occurrence of the given secrets in free text (error messages, server bodies). */
export function scrub(text: string, secrets: Iterable<string | undefined | null>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 3) continue;
    for (const spelling of encodingsOf(secret).sort((a, b) => b.length - a.length)) out = out.split(spelling).join(MASK);
  }
  return out;
}
