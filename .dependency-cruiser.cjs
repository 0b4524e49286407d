/**
 * Layers point down (issue 10 §6, ARCHITECTURE.md):
 *   cli → doctor → register-test / checks / fix / explain / demo / fleet → knowledge / http / db / config / embedded
 *       → shared (errors.ts, secrets.ts, types/)
 * report renders results: it may import types from anywhere but code only from shared modules and
 * contract/. `npm run lint` fails on any import against these rules.
 */

// Known violations in files other branches are rewriting; each entry names the issue that removes it.
// Remove an entry as soon as its import is gone (dependency-cruiser then reports nothing for it anyway).
const KNOWN = {
  // issue 10 §3: the sequences reporter still calls checks/sequences helpers (summaryLine, hasProblems…)
  // and fix/sequences' INTERRUPTED; they move into the contract with the sequences document.
  // The fleet reporters (seq-fleet) call worstExit and the sequences helpers: the fleet documents and their
  // exit decision move into src/contract with the sequences document.
  reportSequences: '^src/report/(sequences|fleet|doctor-fleet)\\.ts$',
};

const CORE = '^src/(checks|fix|explain|register-test|demo|fleet|init)/';
const BASE = '^src/(knowledge|http|db|config|embedded)/';
const FINDING_TYPES = '^src/checks/types\\.ts$';
const SHARED = '^src/(errors|secrets)\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'nothing-imports-cli',
      comment: 'cli turns flags + environment + config into typed options and hands them down; nothing below imports it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'doctor-only-from-cli',
      comment: 'doctor combines the checks and register-test: only cli runs it (report may use its types).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|doctor|report)/' },
      to: { path: '^src/doctor/' },
    },
    {
      name: 'core-not-up',
      comment: 'checks, fix, explain, register-test and demo never reach up to doctor or cli.',
      severity: 'error',
      from: { path: CORE },
      to: { path: '^src/(cli|doctor|report|contract)/' },
    },
    {
      name: 'base-not-up',
      comment: 'knowledge, http, db, config and embedded are the ground floor of the domain: they import no core module, not even a type.',
      severity: 'error',
      from: { path: BASE },
      to: { path: '^src/(cli|doctor|contract|report|checks|fix|explain|register-test|demo|fleet|init)/', pathNot: FINDING_TYPES },
    },
    {
      name: 'base-finding-types-only',
      comment: 'checks/types.ts is the shared vocabulary (Finding, CheckResult): the ground floor may name those types, never call into it.',
      severity: 'error',
      from: { path: BASE },
      to: { path: FINDING_TYPES, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'shared-not-up',
      comment: 'errors.ts and secrets.ts are used by every layer and import none.',
      severity: 'error',
      from: { path: SHARED },
      to: { path: '^src/[^/]+/' },
    },
    {
      name: 'checks-not-register-test',
      comment: 'register-test uses the checks; the checks never use register-test (no cycle between them).',
      severity: 'error',
      from: { path: '^src/checks/' },
      to: { path: '^src/(register-test/|http/register-test\\.ts$)' },
    },
    {
      name: 'report-types-only',
      comment: 'reporters render results; they import types from the layers, code only from shared modules and contract/.',
      severity: 'error',
      from: { path: '^src/report/', pathNot: KNOWN.reportSequences },
      to: { path: '^src/(cli|doctor|register-test|checks|fix|explain|demo|fleet|init|knowledge|http|db|config|embedded)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'contract-types-only',
      comment: 'the --json contract is pure functions over result types: no I/O, no core code.',
      severity: 'error',
      from: { path: '^src/contract/' },
      to: { path: '^src/(cli|doctor|register-test|checks|fix|explain|demo|fleet|init|knowledge|http|db|config|embedded|report)/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
