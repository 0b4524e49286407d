import { describe, expect, it } from 'vitest';
import { judgeCodes, judgePending } from '../../src/checks/temp-registrations-rules.js';
import { traceSignup } from '../../src/checks/temp-registrations-trace.js';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const clock = { nowMs: NOW, naiveNowMs: NOW };
const naive = (offsetMs: number) => new Date(NOW + offsetMs).toISOString().replace('T', ' ').replace('Z', '');

describe('temp-registrations rules over rows', () => {
  const pending = judgePending([
    { k: 'temp_1_a', e: 'ann@example.com', c: naive(-60_000), x: naive(19 * 60_000) },
    { k: 'temp_2_b', e: 'bob@example.com', c: naive(-30 * 60_000), x: naive(-10 * 60_000) },
  ], clock);

  it('a pending row is expired once its expiry passed; sent + interval counts when given', () => {
    expect(pending.map((p) => [p.key, p.expired])).toEqual([['temp_1_a', false], ['temp_2_b', true]]);
    const [sent] = judgePending([{ k: 1, e: 'c@example.com', x: naive(-2 * 86_400_000) }], clock, 3 * 86_400_000);
    expect(sent).toMatchObject({ expired: false, expiresInSeconds: 86_400 });
  });

  it('codes link to their pending row, by email, or are orphans of a vanished temp id', () => {
    const codes = judgeCodes([
      { k: 1, i: 'temp_1_a', t: 'signup', u: false, c: naive(-60_000), x: naive(9 * 60_000) },
      { k: 2, i: 'temp_9_gone', t: 'signup', u: false, c: naive(-61_000), x: naive(9 * 60_000) },
      { k: 3, i: '42', t: 'login', u: false, c: naive(-60_000), x: naive(9 * 60_000) },
      { k: 4, i: 'dee@example.com', u: true, x: naive(-60_000) },
    ], pending, clock, { identifierColumn: 'identifier', hasPendingTable: true });
    expect(codes.map((c) => [c.key, c.link, c.live])).toEqual([['1', 'pending', true], ['2', 'orphan', true], ['3', 'other', true], ['4', 'email', false]]);
    // The orphan was created within seconds of ann's pending row: the same burst of signups.
    expect(codes[1]!.email).toBe('ann@example.com');
    expect(codes.every((c) => c.code === '******')).toBe(true);
    const trace = traceSignup('ANN@example.com', pending, codes, true);
    expect(trace.otps.map((o) => o.key)).toEqual(['1']);
    expect(trace.probableRaceOtps.map((o) => o.key)).toEqual(['2']);
  });
});
