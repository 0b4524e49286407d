import { describe, expect, it } from 'vitest';
import { bufferWriter } from '../../src/report/io.js';
import { streamJsonDocument } from '../../src/report/json-stream.js';

describe('streamed --json document', () => {
  it('is one versioned document with the items, the tail and ok after them, secrets masked', () => {
    const out = bufferWriter();
    const doc = streamJsonDocument(out.write, 'sequences', { target: { display: 'postgres://app:****@db/app' } }, 'findings');
    doc.item({ sequence: 'public.a_id_seq', token: 'abc123' });
    doc.item({ sequence: 'public.b_id_seq', big: 9223372036854775807n });
    doc.end(false, { summary: { checked: 2 } });
    const parsed = JSON.parse(out.text());
    expect(parsed).toEqual({
      schemaVersion: 1,
      command: 'sequences',
      target: { display: 'postgres://app:****@db/app' },
      findings: [{ sequence: 'public.a_id_seq', token: '****' }, { sequence: 'public.b_id_seq', big: '9223372036854775807' }],
      summary: { checked: 2 },
      ok: false,
    });
    expect(out.text()).not.toContain('abc123');
  });

  it('writes an empty list as []', () => {
    const out = bufferWriter();
    streamJsonDocument(out.write, 'sequences', {}, 'findings').end(true, {});
    expect(JSON.parse(out.text())).toEqual({ schemaVersion: 1, command: 'sequences', findings: [], ok: true });
  });

  it('closes a document cut short by an error: still one document, with the error and ok: false', () => {
    const out = bufferWriter();
    const doc = streamJsonDocument(out.write, 'sequences', {}, 'findings');
    for (let i = 0; i < 5000; i++) doc.item({ n: i, note: 'x'.repeat(20) });
    expect(doc.fail('connection lost', 'check the server')).toBe(true);
    const parsed = JSON.parse(out.text());
    expect(parsed.findings).toHaveLength(5000);
    expect(parsed).toMatchObject({ ok: false, error: { message: 'connection lost', hint: 'check the server' } });
    expect(doc.fail('again')).toBe(false);
  });

  it('leaves the error document to the caller when nothing was written yet', () => {
    const out = bufferWriter();
    expect(streamJsonDocument(out.write, 'sequences', {}, 'findings').fail('refused')).toBe(false);
    expect(out.text()).toBe('');
  });
});
