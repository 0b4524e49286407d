import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_FIELDS } from '../../src/contract/index.js';
import { doctorOutcome, toDoctorJson } from '../../src/contract/doctor.js';
import { stateOutcome } from '../../src/contract/state.js';
import { explainOutcome } from '../../src/contract/explain.js';
import { sequencesOutcome } from '../../src/contract/sequences.js';
import type { DoctorResult } from '../../src/checks/doctor.js';

const doc = readFileSync(new URL('../../docs/json.md', import.meta.url), 'utf8');

/** `| \`command\` | \`a\`, \`b\` | details |` rows of the per-command table. */
function documentedFields(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of doc.split('\n')) {
    const m = /^\| `([a-z-]+)` \| ([^|]*) \|/.exec(line);
    if (m) rows.set(m[1]!, [...m[2]!.matchAll(/`([A-Za-z]+)`/g)].map((x) => x[1]!));
  }
  return rows;
}

describe('docs/json.md against src/contract', () => {
  it('lists exactly the declared top-level fields of every command, no more, no fewer', () => {
    const documented = documentedFields();
    expect([...documented.keys()].sort()).toEqual(Object.keys(DOCUMENT_FIELDS).sort());
    for (const [command, fields] of Object.entries(DOCUMENT_FIELDS)) {
      expect({ command, fields: documented.get(command)!.slice().sort() }).toEqual({ command, fields: Object.keys(fields).sort() });
    }
  });
});

describe('toDoctorJson', () => {
  const result: DoctorResult = {
    checks: [
      { check: 'sequences', status: 'warn', summary: '1 near exhaustion', findings: [{ check: 'sequences', severity: 'warn', title: 't', hint: 'h' }] },
      { check: 'rate-limits', status: 'skipped', summary: 'ignored', skippedReason: 'ignored in healfix.config.json: why', findings: [] },
    ],
  };
  it('carries only declared fields, and ok follows --fail-on exactly as the exit code does', () => {
    const warnDoc = toDoctorJson(result, undefined, 'warn');
    const allowed = new Set(['schemaVersion', 'command', 'ok', ...Object.keys(DOCUMENT_FIELDS.doctor)]);
    expect(Object.keys(warnDoc).filter((k) => !allowed.has(k))).toEqual([]);
    expect(warnDoc.ok).toBe(false);
    expect(doctorOutcome(result, 'warn')).toEqual({ exitCode: 1, ok: false });
    expect(toDoctorJson(result, undefined, 'error').ok).toBe(true);
    expect(doctorOutcome(result, 'error')).toEqual({ exitCode: 0, ok: true });
    expect(warnDoc.counts).toEqual({ ok: 0, warn: 1, error: 0, skipped: 1 });
  });
});

describe('one function decides ok and the exit code', () => {
  it('state commands: findings, then a plan not applied, then the re-read after a write', () => {
    const problem = [{ severity: 'warn' }];
    expect(stateOutcome([])).toEqual({ exitCode: 0, ok: true });
    expect(stateOutcome(problem)).toEqual({ exitCode: 1, ok: false });
    expect(stateOutcome([], { plan: { steps: [{ table: 't', sql: 'delete', rows: 1 }], dryRun: true } })).toEqual({ exitCode: 1, ok: false });
    expect(stateOutcome(problem, { plan: { steps: [] } })).toEqual({ exitCode: 0, ok: true });
    expect(stateOutcome(problem, { plan: { steps: [] }, verified: { ok: false, message: 'still locked' } })).toEqual({ exitCode: 1, ok: false });
  });
  it('sequences: an interrupted fix is exit 2 and not ok', () => {
    expect(sequencesOutcome(false, true)).toEqual({ exitCode: 2, ok: false });
    expect(sequencesOutcome(true)).toEqual({ exitCode: 1, ok: false });
  });
  it('explain: a failed live check is exit 2', () => {
    const live = { status: 'failed' } as Parameters<typeof explainOutcome>[0]['live'];
    expect(explainOutcome({ result: { recognised: true } as Parameters<typeof explainOutcome>[0]['result'], live })).toEqual({ exitCode: 2, ok: false });
  });
});
