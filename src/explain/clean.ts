/**
 * Pasted logs arrive with colour codes, Windows line ends, and secrets (connection URLs, .env lines,
 * request bodies with passwords and OTP codes, CSRF tokens, cookies). These helpers normalise the
 * text and mask every secret before anything is recognised, so no fact, excerpt or command built from
 * the paste can echo one back.
 */

import { isSecretKey } from '../secrets.js';

const MASK = '****';

/** Removes ANSI colour/cursor codes, including the `^[[31m` and bare `[0m` left by copy-paste. */
export function stripAnsi(text: string): string {
  return text
    .replace(/\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g, '')
    .replace(/(?:\u001b|\u009b|\^\[)\[[0-9;?]*[A-Za-z]/g, '')
    .replace(/\[(?:\d{1,3}(?:;\d{1,3})*)?m/g, '');
}

export function normaliseText(text: string): string {
  return stripAnsi(text).replace(/\r\n?/g, '\n');
}

const SECRET_FIELDS = [
  'password', 'passwd', 'pwd', 'new_password', 'confirm_password', 'password_confirmation', 'current_password',
  'pin', 'otp', 'otp_code', 'verification_code', 'csrf_token', '_csrf_token', 'csrftoken', 'csrfmiddlewaretoken',
  'authenticity_token', 'token', 'access_token', 'refresh_token', 'id_token', 'api_key', 'apikey', 'secret',
  'secret_key', 'client_secret', 'session', 'session_id', 'sessionid', 'cookie', 'authorization', 'password_hash',
].join('|');

/** Masks secrets in free text, keeping its shape (keys, headers and URLs stay readable). */
export function scrubSecrets(text: string): string {
  return (
    text
      // scheme://user:password@host (anywhere in the text, any scheme)
      .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@'"`]*:)([^\s@/?#'"`]+)@/gi, `$1${MASK}@`)
      // .env / shell assignments: DB_PASSWORD=..., SECRET_KEY=..., GROQ_API_KEY=..., PGPASSWORD=...
      .replace(
        /\b([A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|SALT|ENCRYPTION_KEY|PRIVATE_KEY|SECRET_KEY|PWD))(\s*=\s*)("[^"\n]*"|'[^'\n]*'|[^\s"']+)/gi,
        `$1$2${MASK}`,
      )
      // libpq / query strings: password=secret, ?password=secret&
      .replace(/\b(password|passwd|sslpassword|pwd)(\s*=\s*)('[^'\n]*'|"[^"\n]*"|[^\s&;,'"`)]+)/gi, `$1$2${MASK}`)
      // SQL: CREATE USER x WITH PASSWORD 'secret'
      .replace(/\b(PASSWORD\s+)'[^'\n]*'/gi, `$1'${MASK}'`)
      // JSON, Python dicts, JS objects: "password": "x", 'otp_code': '123456', password: 'x'
      .replace(
        new RegExp(`((["'\`]?)\\b(?:${SECRET_FIELDS})\\2\\s*[:=]>?\\s*)(["'\`])([^\\n]*?)\\3`, 'gi'),
        (_m, head: string, _q: string, quote: string) => `${head}${quote}${MASK}${quote}`,
      )
      // JSON numbers: "otp_code": 123456, "pin": 1234
      .replace(new RegExp(`((["']?)\\b(?:${SECRET_FIELDS})\\2\\s*:\\s*)(\\d+)`, 'gi'), `$1${MASK}`)
      // HTTP headers
      .replace(/\b(X-CSRF-?Token|X-CSRFToken|X-XSRF-TOKEN|Authorization|Proxy-Authorization|Cookie|Set-Cookie|X-Api-Key)(\s*:\s*)([^\n"']+)/gi, `$1$2${MASK}`)
      .replace(/\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g, `Bearer ${MASK}`)
      // cookie pairs printed anywhere: sana_session=..., session=..., csrf_token=...
      .replace(/\b([a-z0-9_]*(?:session|csrf|token|remember)[a-z0-9_]*)=([^;\s"']{6,})/gi, `$1=${MASK}`)
      // JWTs, long hex tokens (CSRF tokens are 64 hex), provider API keys
      .replace(/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, MASK)
      .replace(/\b[a-f0-9]{32,}\b/gi, MASK)
      .replace(/\b(?:sk|pk|rk|gsk|ghp|gho|xox[abp])[_-][A-Za-z0-9_-]{12,}/g, MASK)
      // DETAIL lines on a secret column: Key (otp_code)=(482913) already exists.
      .replace(/(Key \()([^)\n]*)(\)=\()([^\n]*?)(\) already exists)/g, (m, a: string, cols: string, b: string, _v: string, c: string) =>
        isSecretKey(cols) ? `${a}${cols}${b}${MASK}${c}` : m,
      )
      // OTP codes in prose: "verification code is 482913", "OTP: 482913", "PIN 1234"
      .replace(/\b(otp|one[- ]time (?:code|password)|verification code|pin)\b([^\n\d]{0,60}?[:=]\s*)(\d{4,8})\b/gi, `$1$2${MASK}`)
      .replace(/\b(otp(?:\s+code)?|one[- ]time (?:code|password)|verification code(?: is)?|your code(?: is)?|pin(?: code)?)(\s*(?:is|:|=)?\s*)(\d{4,8})\b/gi, `$1$2${MASK}`)
  );
}

/** Normalises and scrubs a paste: what every recogniser works on. */
export function preparePaste(text: string): string {
  return scrubSecrets(normaliseText(text));
}
