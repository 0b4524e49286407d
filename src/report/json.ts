import { redact } from '../secrets.js';
import { JSON_SCHEMA_VERSION } from '../contract/envelope.js';

export { JSON_SCHEMA_VERSION };

/** Builds the single --json document: a pure function, secrets redacted on the way out. */
export function jsonDocument(command: string, ok: boolean, body: Record<string, unknown>): string {
  const doc = { schemaVersion: JSON_SCHEMA_VERSION, command, ok, ...redact(body) };
  return `${JSON.stringify(doc, jsonReplacer, 2)}\n`;
}

/** bigint and Date are not JSON: send them as strings. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Serialises a document built by a src/contract toXxxJson(): secrets redacted on the way out. */
export function serializeDocument(doc: object): string {
  return `${JSON.stringify(redact(doc), jsonReplacer, 2)}\n`;
}

/** The document printed for an error under --json: one document, still. */
export function jsonError(command: string, message: string, hint?: string, code?: string): string {
  return jsonDocument(command, false, { error: errorField(message, hint, code) });
}

/** The `error` member of a failed document; `code` is machine-readable (usage, config, connection, ...). */
export function errorField(message: string, hint?: string, code?: string): { message: string; hint?: string; code?: string } {
  return { message, ...(hint ? { hint } : {}), ...(code ? { code } : {}) };
}
