import { describe, expect, it } from 'vitest';
import { evaluateFinding, unreadFinding } from '../../src/checks/sequences.js';
import { compareCounters, shortOfSource } from '../../src/fix/sequences-cutover.js';
import { desiredNext, planSequenceFix } from '../../src/fix/sequences.js';

const finding = (o: { last: string; called?: boolean; max: string | null; inc?: string }) =>
  evaluateFinding(
    unreadFinding({
      sequence: 'public.t_id_seq', schema: 'public', name: 't_id_seq', lastValue: o.last, isCalled: o.called ?? true, increment: o.inc ?? '1', minValue: o.inc?.startsWith('-') ? '-1000000' : '1', maxValue: o.inc?.startsWith('-') ? '-1' : '2147483647',
      consumers: [{ schema: 'public', table: 't', column: 'id', columnType: 'integer', kind: 'serial', maxValue: o.max }],
    }),
  );

describe('cutover arithmetic', () => {
  it('takes the further of max + increment and the source counter, plus the headroom; never backwards', () => {
    expect(desiredNext(finding({ last: '1', called: false, max: '90' }), { floor: '101' })).toBe(101n);
    expect(desiredNext(finding({ last: '1', called: false, max: '90' }), { floor: '50' })).toBe(91n);
    expect(desiredNext(finding({ last: '1', called: false, max: '90' }), { floor: '101', headroom: 1000n })).toBe(1101n);
    // Already past the source: nothing, and no headroom on a sequence that needs no move.
    expect(desiredNext(finding({ last: '200', max: '90' }), { floor: '101', headroom: 1000n })).toBeNull();
    // Descending: "further" is lower.
    expect(desiredNext(finding({ last: '-5', max: '-20', inc: '-1' }), { floor: '-30' })).toBe(-30n);
    expect(planSequenceFix(finding({ last: '1', called: false, max: '90' }), { floor: '101' })).toEqual({ sql: `select setval('"public"."t_id_seq"', 101, false);`, after: '101' });
  });

  it('pairs sequences by qualified name and lists the ones on one side only', () => {
    const c = (sequence: string, nextValue: string | null) => ({ sequence, schema: 'public', name: sequence.split('.')[1]!, nextValue, increment: '1' });
    const fed = finding({ last: '1', max: '3' });
    const cmp = compareCounters([c('public.t_id_seq', '101'), c('public.gone_seq', '5'), c('public.free_seq', '40')], [c('public.t_id_seq', '1'), c('public.new_seq', '1'), c('public.free_seq', '10')], [fed]);
    expect([...cmp.floors]).toEqual([['public.t_id_seq', '101']]);
    expect(cmp.sourceOnly).toEqual(['public.gone_seq']);
    expect(cmp.targetOnly).toEqual(['public.new_seq']);
    expect(cmp.unattached).toEqual([{ sequence: 'public.free_seq', sourceNext: '40', targetNext: '10' }]);
    expect(shortOfSource([{ ...fed, nextValue: '100' }], cmp.floors)).toEqual([{ sequence: 'public.t_id_seq', nextValue: '100', sourceNext: '101' }]);
  });
});

describe('exhaustion forecast', () => {
  it('divides the values left by the insert rate over the period the statistics cover', async () => {
    const { forecastFor } = await import('../../src/checks/sequences-forecast.js');
    const f = finding({ last: '30000', max: '30000' });
    f.limit = '32767';
    const since = new Date('2026-01-01T00:00:00Z');
    const now = new Date('2026-01-11T00:00:00Z');
    expect(forecastFor(f, 100, { since, now, reset: true })).toEqual({ days: 276, insertsPerDay: 10, basis: expect.stringContaining('100 inserts counted by pg_stat_user_tables.n_tup_ins in 10.0 days since the statistics reset of 2026-01-01') });
    expect(forecastFor(f, 100, { since, now, reset: false })?.basis).toContain('statistics never reset, so the counts may span earlier restarts and the estimate errs short');
    expect(forecastFor(f, 0, { since, now, reset: true })).toMatchObject({ days: null, basis: expect.stringMatching(/^no estimate: 0 inserts/) });
  });
});
