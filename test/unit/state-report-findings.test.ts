import { stripVTControlCharacters } from 'node:util';
import { expect, it } from 'vitest';
import type { Finding } from '../../src/checks/types.js';
import { renderFindings } from '../../src/report/state-report.js';

const finding = (title: string, hint: string, nextCommand: string): Finding => ({ check: 'rate-limits', severity: 'error', title, detail: `${title} detail`, hint, nextCommand });

it('neighbouring findings with one hint and next command print them once, naming the numbers', () => {
  const out = stripVTControlCharacters(
    renderFindings([
      finding('alice locked', 'Unlock after checking', 'healfix rate-limits --unlock'),
      finding('bob locked', 'Unlock after checking', 'healfix rate-limits --unlock'),
      finding('limiter full', 'Raise the limit', 'healfix rate-limits --json'),
    ]),
  );
  expect(out.match(/hint/g)).toHaveLength(2);
  expect(out).toContain('1. alice locked detail\n2. bob locked detail\n   hint (1, 2): Unlock after checking\n   next: healfix rate-limits --unlock\n');
  expect(out).toContain('3. limiter full detail\n   hint: Raise the limit\n   next: healfix rate-limits --json\n');
});
