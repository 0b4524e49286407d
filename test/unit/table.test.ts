import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fitWidths, renderTable } from '../../src/report/table.js';

const head = ['check', 'status', 'summary'];
const rows = [
  ['server', 'ok', 'PostgreSQL 15.20 (Debian 15.20-0+deb12u1) as postgres (superuser)'],
  ['sequences', 'error', '2 lagging sequences in 1 schema (2 checked)'],
  ['temp-registrations', 'skipped', 'no pending-signup or one-time-code table'],
];
const lines = (text: string) => stripVTControlCharacters(text).trimEnd().split('\n');

describe('renderTable', () => {
  it('is compact: one rule under the header, none between rows', () => {
    const out = lines(renderTable(head, rows, { columns: 120 }));
    expect(out.filter((l) => l.startsWith('├'))).toHaveLength(1);
    expect(out).toHaveLength(3 + rows.length + 1); // top, header, rule, the rows, bottom
    expect(out[3]).toContain('server');
  });

  it('fits 70 columns by wrapping the widest column on word boundaries, keeping every word', () => {
    const out = lines(renderTable(head, rows, { columns: 70 }));
    for (const l of out) expect(l.length).toBeLessThanOrEqual(70);
    const text = out.join(' ');
    for (const word of rows.flat().join(' ').split(' ')) expect(text).toContain(word);
    expect(out.join('\n')).toContain('temp-registrations');
  });

  it('at 40 columns, where even word-wide columns do not fit, lists each row as a short block', () => {
    const out = lines(renderTable(head, rows, { columns: 40 }));
    expect(out.join('\n')).not.toMatch(/[┌│└]/);
    expect(out.slice(0, 2)).toEqual(['server  ok', '  PostgreSQL 15.20 (Debian 15.20-0+deb12u1) as postgres (superuser)']);
    expect(out).toContain('temp-registrations  skipped');
  });

  it('fitWidths: untouched when the table fits, undefined when a word cannot', () => {
    expect(fitWidths([['a', 'bb']], 80)).toEqual([3, 4]);
    expect(fitWidths([['x'.repeat(50), 'y']], 30)).toBeUndefined();
  });
});
