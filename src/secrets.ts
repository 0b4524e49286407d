/** Everything healfix prints goes past these helpers: secrets never reach output, logs or JSON. */

const MASK = '****';

/** postgres://app:secret@host/db -> postgres://app:****@host/db (also for any scheme). */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:)([^@/?#]*)@/i, (_m, head: string) => `${head}${MASK}@`)
    .replace(/([?&](?:password|sslpassword)=)[^&]*/gi, `$1${MASK}`);
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

/** True when a field name looks like it holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Deep copy of a value with every secret-looking field masked. */
export function redact<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => redact(item)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      out[key] = isSecretKey(key) && (typeof item === 'string' || typeof item === 'number') ? MASK : redact(item);
    }
    return out as T;
  }
  return value;
}

/** Replaces every occurrence of the given secrets in free text (error messages, server bodies). */
export function scrub(text: string, secrets: Iterable<string | undefined | null>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 3) out = out.split(secret).join(MASK);
  }
  return out;
}
