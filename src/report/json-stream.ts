import { redact, redactingReplacer } from '../secrets.js';
import type { Write } from './io.js';
import { errorField, JSON_SCHEMA_VERSION, jsonReplacer } from './json.js';

/**
 * One --json document written while its longest array is still being produced, so a scan of 10,000
 * tables never holds the whole document (or its findings) in memory. The document is the same shape as
 * jsonDocument()'s; `ok` and the summary come after the array because they are known only at its end.
 * Items are written one per line, redacted like every other document, in chunks of about 64 KB.
 */
export interface JsonDocumentStream {
  item(value: object): void;
  /** Closes the array, adds the trailing fields and `ok`; nothing may be written after. */
  end(ok: boolean, tail: Record<string, unknown>): void;
  /**
   * Closes a document whose producer failed after it started: the array so far, then `error` and
   * ok: false. Returns false when nothing had been written yet (the caller prints its usual error
   * document instead).
   */
  fail(message: string, hint?: string): boolean;
}

const CHUNK = 64 * 1024;

export function streamJsonDocument(write: Write, command: string, head: Record<string, unknown>, arrayKey: string): JsonDocumentStream {
  let started = false;
  let closed = false;
  let count = 0;
  let buffer = '';
  const flush = () => {
    if (buffer) write(buffer);
    buffer = '';
  };
  const open = () => {
    if (started) return;
    started = true;
    const fields = { schemaVersion: JSON_SCHEMA_VERSION, command, ...redact(head) };
    const lines = Object.entries(fields).map(([key, value]) => `  ${JSON.stringify(key)}: ${indent(JSON.stringify(value, jsonReplacer, 2))}`);
    buffer += `{\n${lines.join(',\n')},\n  ${JSON.stringify(arrayKey)}: [`;
  };
  const close = (tail: Record<string, unknown>) => {
    closed = true;
    buffer += count ? '\n  ]' : ']';
    for (const [key, value] of Object.entries(redact(tail))) buffer += `,\n  ${JSON.stringify(key)}: ${indent(JSON.stringify(value, jsonReplacer, 2))}`;
    buffer += '\n}\n';
    flush();
  };
  return {
    item(value) {
      if (closed) throw new Error('JSON document already closed');
      open();
      buffer += `${count++ ? ',' : ''}\n    ${JSON.stringify(value, redactingReplacer)}`;
      if (buffer.length >= CHUNK) flush();
    },
    end(ok, tail) {
      open();
      close({ ...tail, ok });
    },
    fail(message, hint) {
      if (!started || closed) return false;
      close({ error: errorField(message, hint), ok: false });
      return true;
    },
  };
}

function indent(text: string): string {
  return text.replace(/\n/g, '\n  ');
}
