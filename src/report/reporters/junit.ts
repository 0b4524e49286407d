/** JUnit XML from a --json document: a testsuite per check, a testcase per finding (or per register-test step). */
import type { DocumentView, ViewCheck, ViewStep } from './view.js';

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const seconds = (ms: number) => (ms / 1000).toFixed(3);

interface Suite {
  name: string;
  cases: string[];
  failures: number;
  skipped: number;
  ms: number;
  properties?: Record<string, string>;
}

function checkSuite(command: string, check: ViewCheck): Suite {
  const classname = xml(`healfix.${command}.${check.check}`);
  if (check.status === 'skipped') {
    return { name: check.check, failures: 0, skipped: 1, ms: 0, cases: [`    <testcase classname="${classname}" name="${xml(check.check)}">\n      <skipped message="${xml(check.skippedReason ?? check.summary)}"/>\n    </testcase>`] };
  }
  // A check with nothing to say is one passing case: the report still shows it ran.
  if (!check.findings.length) return { name: check.check, failures: 0, skipped: 0, ms: 0, cases: [`    <testcase classname="${classname}" name="${xml(`${check.check}: ${check.summary}`)}"/>`] };
  let failures = 0;
  const cases = check.findings.map((f) => {
    const open = `    <testcase classname="${classname}" name="${xml(f.title)}"`;
    const body = [f.detail, f.hint && `hint: ${f.hint}`, f.next && `next: ${f.next}`].filter(Boolean).join('\n');
    if (f.severity === 'error') {
      failures++;
      return `${open}>\n      <failure message="${xml(f.title)}" type="error">${xml(body)}</failure>\n    </testcase>`;
    }
    // JUnit has no warning: a warning passes, and says so in its output.
    if (f.severity === 'warn') return `${open}>\n      <system-out>${xml(`warning: ${f.title}${body ? `\n${body}` : ''}`)}</system-out>\n    </testcase>`;
    return `${open}/>`;
  });
  return { name: check.check, cases, failures, skipped: 0, ms: 0 };
}

function stepSuite(view: DocumentView, steps: ViewStep[]): Suite {
  const problems = view.checks.flatMap((c) => c.findings.filter((f) => f.severity !== 'ok'));
  const diagnosis = problems.map((f) => [f.title, f.detail, f.hint].filter(Boolean).join('\n')).join('\n\n');
  let failures = 0;
  const cases = steps.map((s) => {
    const name = `${s.client !== undefined ? `client ${s.client}: ` : ''}${s.attempt > 1 ? 'retry: ' : ''}${s.name} (${s.method} ${s.path})`;
    const open = `    <testcase classname="healfix.register-test" name="${xml(name)}" time="${seconds(s.ms)}"`;
    if (s.ok) return `${open}/>`;
    failures++;
    return `${open}>\n      <failure message="${xml(`${s.status ?? 'no answer'}: ${s.result}`)}">${xml(diagnosis)}</failure>\n    </testcase>`;
  });
  return { name: `${view.command}${view.target ? ` ${view.target}` : ''}`, cases, failures, skipped: 0, ms: steps.reduce((a, s) => a + s.ms, 0), properties: { summary: view.summary } };
}

export function renderJunit(view: DocumentView): string {
  const suites: Suite[] = [];
  if (view.steps?.length) {
    suites.push(stepSuite(view, view.steps));
    // Findings the steps do not carry (a race, a server log line) still fail the report.
    const orphan = view.checks.map((c) => ({ ...c, findings: c.findings.filter((f) => f.severity !== 'ok') })).filter((c) => c.findings.length);
    if (view.steps.every((s) => s.ok)) suites.push(...orphan.map((c) => checkSuite(view.command, { ...c, check: `${c.check} findings` })));
  } else {
    suites.push(...view.checks.map((c) => checkSuite(view.command, c)));
  }
  const tests = suites.reduce((n, s) => n + s.cases.length, 0);
  const failures = suites.reduce((n, s) => n + s.failures, 0);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="healfix ${xml(view.command)}" tests="${tests}" failures="${failures}">`];
  for (const s of suites) {
    out.push(`  <testsuite name="${xml(s.name)}" tests="${s.cases.length}" failures="${s.failures}" skipped="${s.skipped}" time="${seconds(s.ms)}">`);
    const props = { ...(s.properties ?? {}) };
    if (Object.keys(props).length) out.push(`    <properties>${Object.entries(props).map(([k, v]) => `<property name="${xml(k)}" value="${xml(v)}"/>`).join('')}</properties>`);
    out.push(...s.cases, '  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
