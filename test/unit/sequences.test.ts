import { describe, expect, it } from 'vitest';
import { emptyTally, evaluateFinding, hasProblems, resultOf, summaryLine, unverifiedHint, type SequenceFinding } from '../../src/checks/sequences.js';
import { skip } from '../../src/checks/sequences-evaluate.js';
import { planSequenceFix } from '../../src/fix/sequences.js';
import { bufferWriter } from '../../src/report/io.js';
import { collectListing, renderSequencesReport, sequencesJson } from '../../src/report/sequences.js';

function finding(over: Partial<SequenceFinding> & { data?: (string | null)[]; type?: string }): SequenceFinding {
  const { data = [], type = 'bigint', ...rest } = over;
  return evaluateFinding({
    sequence: 'public.t_id_seq',
    schema: 'public',
    name: 't_id_seq',
    consumers: data.map((v, i) => ({ schema: 'public', table: `t${i}`, column: 'id', columnType: type, kind: 'serial' as const, maxValue: v })),
    lastValue: '1',
    isCalled: false,
    increment: '1',
    minValue: '1',
    maxValue: '9223372036854775807',
    dataMax: null,
    nextValue: '',
    lag: '0',
    status: 'ok',
    exhaustionPercent: 0,
    exhaustion: 'ok',
    ...rest,
  });
}

describe('evaluateFinding', () => {
  it('computes the next value from is_called and the lag to max + increment', () => {
    expect(finding({ data: ['10'] })).toMatchObject({ nextValue: '1', status: 'lagging', lag: '10', neededValue: '11' });
    expect(finding({ data: ['10'], lastValue: '10', isCalled: true })).toMatchObject({ nextValue: '11', status: 'ok', lag: '0' });
    expect(finding({ data: ['10'], lastValue: '10', isCalled: false })).toMatchObject({ nextValue: '10', status: 'lagging', lag: '1' });
    expect(finding({ data: [null] })).toMatchObject({ status: 'ok', dataMax: null });
  });

  it('takes the max over every consumer of a shared sequence', () => {
    expect(finding({ data: ['5', null, '12'] })).toMatchObject({ dataMax: '12', status: 'lagging' });
  });

  it('handles descending sequences with min() and a negative step', () => {
    const f = finding({ data: ['-50'], increment: '-2', lastValue: '-1', minValue: '-100', maxValue: '-1' });
    expect(f).toMatchObject({ nextValue: '-1', status: 'lagging', neededValue: '-52', lag: '51' });
    expect(planSequenceFix(f)).toEqual({ sql: `select setval('"public"."t_id_seq"', -50, true);`, after: '-52' });
  });

  it('works past 2^53 without losing digits', () => {
    const f = finding({ data: ['9007199254740993'], lastValue: '9007199254740990', isCalled: true });
    expect(f).toMatchObject({ nextValue: '9007199254740991', status: 'lagging', lag: '3' });
  });

  it('is unfixable when max + increment leaves the sequence or column range', () => {
    expect(finding({ data: ['100'], maxValue: '100' }).status).toBe('unfixable');
    expect(finding({ data: ['2147483647'], type: 'integer' })).toMatchObject({ status: 'unfixable', limit: '2147483647' });
    expect(finding({ data: ['2147483646'], type: 'integer' }).status).toBe('lagging');
  });

  it('grades exhaustion at 75 % and 90 % of the narrower range', () => {
    expect(finding({ data: [null], lastValue: '25000', isCalled: true, type: 'smallint' }).exhaustion).toBe('warn');
    expect(finding({ data: [null], lastValue: '30000', isCalled: true, type: 'smallint' }).exhaustion).toBe('error');
    expect(finding({ data: [null], lastValue: '30000', isCalled: true, type: 'bigint' }).exhaustion).toBe('ok');
  });

  it('plans nothing for healthy, empty or unfixable sequences', () => {
    expect(planSequenceFix(finding({ data: ['3'], lastValue: '3', isCalled: true }))).toBeNull();
    expect(planSequenceFix(finding({ data: [null] }))).toBeNull();
    expect(planSequenceFix(finding({ data: ['100'], maxValue: '100' }))).toBeNull();
  });
});

describe('sequences reporters', () => {
  const target = { kind: 'postgres', source: '--database-url', display: 'postgres://app:****@db:5432/app' };
  const result = resultOf([finding({ data: ['12'] }), finding({ data: ['1'], lastValue: '1', isCalled: true })], 3);

  it('prints the target, a table of problems with a hint, and the summary line', () => {
    const out = bufferWriter();
    renderSequencesReport(out.write, { target, result });
    const text = out.text();
    expect(text).toContain('Database: postgres://app:****@db:5432/app (from --database-url)');
    expect(text).toContain('public.t_id_seq');
    expect(text).toMatch(/gets 1 and fails with a duplicate key; run: healfix sequences --fix/);
    expect(text.trimEnd().split('\n').at(-1)).toBe('1 lagging sequence in 1 schema (2 checked)');
    expect(summaryLine({ tally: { ...emptyTally(), checked: 46 } })).toBe('no lagging sequences (46 checked)');
  });

  it('stops a long table at 50 rows and says how many more there are, while the summary counts them all', () => {
    const many = Array.from({ length: 120 }, (_, i) => finding({ data: ['12'], sequence: `public.t${i}_id_seq` }));
    const out = bufferWriter();
    renderSequencesReport(out.write, { target, result: resultOf(many, 3) });
    const text = out.text();
    expect(text).toContain('public.t49_id_seq');
    expect(text).not.toContain('public.t50_id_seq');
    expect(text).toContain('… and 70 more (every one: healfix sequences --json)');
    expect(text.trimEnd().split('\n').at(-1)).toBe('120 lagging sequences in 1 schema (120 checked)');
    const doc = JSON.parse(sequencesJson({ target, result: resultOf(many, 3) }));
    expect(doc.findings).toHaveLength(120);
  });

  it('prints the same report from a listing collected on the fly as from every finding kept', () => {
    const many = Array.from({ length: 120 }, (_, i) => finding(i % 3 ? { data: ['12'], sequence: `public.t${i}_id_seq` } : { data: ['1'], lastValue: '1', isCalled: true, sequence: `public.ok${i}_id_seq` }));
    for (const all of [false, true]) {
      const kept = bufferWriter();
      renderSequencesReport(kept.write, { target, result: resultOf(many, 3), all });
      const collector = collectListing(all);
      many.forEach(collector.add);
      const streamed = bufferWriter();
      renderSequencesReport(streamed.write, { target, result: { ...resultOf(many, 3), findings: [] }, all, listing: collector.listing });
      expect(streamed.text()).toBe(kept.text());
      expect(collector.listing.shown).toHaveLength(50);
      expect(collector.listing.more).toBe(all ? 70 : 30);
    }
  });

  it('says plainly when a filter matched nothing', () => {
    const out = bufferWriter();
    renderSequencesReport(out.write, { target, result: resultOf([], 1), filters: { tables: ['nope'] } });
    expect(out.text()).toContain('no sequence-fed columns matched --table nope');
  });

  it('builds one versioned JSON document', () => {
    const doc = JSON.parse(sequencesJson({ target, result }));
    expect(doc).toMatchObject({ schemaVersion: 1, command: 'sequences', ok: false, summary: { checked: 2, lagging: 1 } });
    expect(doc.findings).toHaveLength(1);
    expect(doc.findings[0]).toMatchObject({ sequence: 'public.t_id_seq', status: 'lagging', nextValue: '1', maxValue: '12', sequenceMax: '9223372036854775807', lag: '12', exhaustionPercent: 0 });
    expect(doc.findings[0].consumers[0]).toMatchObject({ schema: 'public', table: 't0', column: 'id' });
    expect(JSON.parse(sequencesJson({ target, result, all: true })).findings).toHaveLength(2);
  });
});

describe('not verified is not healthy', () => {
  const reasons = ['lock_timeout', 'statement_timeout', 'permission_denied', 'schema_usage', 'row_level_security', 'unsupported_type', 'not_verifiable'] as const;
  const unverified = (code: (typeof reasons)[number]): SequenceFinding => {
    const f = finding({ data: [null] });
    skip(f, `could not read (${code})`, code);
    f.consumers[0]!.skippedCode = code;
    return f;
  };

  it('a scan with one unverified sequence has problems, says "not verified", and its JSON is ok:false with the code', () => {
    const result = resultOf([finding({ data: ['1'], lastValue: '1', isCalled: true }), unverified('lock_timeout')]);
    expect(hasProblems(result)).toBe(true);
    expect(summaryLine(result)).toBe('1 not verified (2 checked)');
    const doc = JSON.parse(sequencesJson({ target: { kind: 'postgres', source: 'test', display: 'postgres://x' }, result }));
    expect(doc.ok).toBe(false);
    expect(doc.findings).toEqual([expect.objectContaining({ status: 'skipped', reasonCode: 'lock_timeout', hint: expect.stringContaining('holds a lock') })]);
  });

  it('each reason has its own next step, and only the privilege ones suggest a GRANT', () => {
    const hints = reasons.map((code) => unverifiedHint(unverified(code)));
    expect(new Set(hints).size).toBe(reasons.length);
    const grants = reasons.filter((code) => /GRANT/.test(unverifiedHint(unverified(code))));
    expect(grants).toEqual(['permission_denied', 'schema_usage']);
    expect(unverifiedHint(unverified('row_level_security'))).toMatch(/table owner .* BYPASSRLS/);
  });

  it('the human report shows "not verified" with the reason-specific hint, and --fix never plans from it', () => {
    const f = unverified('statement_timeout');
    const out = bufferWriter();
    renderSequencesReport(out.write, { target: { kind: 'postgres', source: 'test', display: 'postgres://x' }, result: resultOf([f]) });
    expect(out.text()).toContain('not verified');
    expect(out.text()).toContain('longer than --statement-timeout');
    expect(out.text()).not.toContain('GRANT');
    expect(planSequenceFix(f)).toBeNull();
  });
});
