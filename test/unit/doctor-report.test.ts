import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../../src/checks/doctor.js';
import { bufferWriter } from '../../src/report/io.js';
import { MAX_FINDINGS_PER_CHECK, reportDoctorHuman } from '../../src/report/doctor.js';

describe('doctor report (terminal)', () => {
  it('prints at most ten findings per check and says how many more there are', () => {
    const result: DoctorResult = {
      checks: [
        {
          check: 'sequences',
          status: 'error',
          summary: '25 lagging sequences in 1 schema (25 checked)',
          findings: Array.from({ length: 25 }, (_, i) => ({ check: 'sequences', severity: 'error' as const, title: `public.t${i}_id_seq lags max(id) by 3`, nextCommand: 'healfix sequences --fix' })),
        },
        {
          check: 'rate-limits',
          status: 'warn',
          summary: '2 locked accounts',
          findings: [
            { check: 'rate-limits', severity: 'warn', title: 'erin@example.com is locked' },
            { check: 'rate-limits', severity: 'warn', title: 'bob@example.com is locked' },
          ],
        },
      ],
    };
    const out = bufferWriter();
    reportDoctorHuman(out.write, result, undefined, 'error');
    const text = out.text();
    expect(MAX_FINDINGS_PER_CHECK).toBe(10);
    expect(text).toContain('public.t9_id_seq lags');
    expect(text).not.toContain('public.t10_id_seq lags');
    expect(text).toContain('… and 15 more sequences findings (every one: healfix doctor --json)');
    expect(text).toContain('erin@example.com is locked');
    expect(text).toContain('bob@example.com is locked');
    expect(text).not.toContain('more rate-limits');
    expect(text).toContain('25 lagging sequences in 1 schema (25 checked)');
  });
});
