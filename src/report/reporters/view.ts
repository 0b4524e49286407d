/**
 * Every reporter renders the command's --json document (the one typed result); this turns the shapes of the
 * different commands into one view: checks with findings, the register-test steps, the summary line.
 */
export type ViewSeverity = 'ok' | 'warn' | 'error';
export type ViewStatus = ViewSeverity | 'skipped';

export interface ViewFinding {
  check: string;
  severity: ViewSeverity;
  title: string;
  detail?: string;
  hint?: string;
  next?: string;
  subject?: string;
}

export interface ViewCheck {
  check: string;
  status: ViewStatus;
  summary: string;
  findings: ViewFinding[];
  skippedReason?: string;
}

export interface ViewStep {
  name: string;
  method: string;
  path: string;
  status: number | null;
  ms: number;
  ok: boolean;
  result: string;
  client?: number;
  attempt: number;
  redirects?: number;
  /** Each redirect hop as "302 → /path". */
  hops?: string[];
}

export interface DocumentView {
  command: string;
  ok: boolean;
  /** One word for `ok`: "healthy" / "problems" (explain: "explained", as its findings are the paste's). */
  verdict: string;
  summary: string;
  target?: string;
  checks: ViewCheck[];
  steps?: ViewStep[];
  error?: { message: string; hint?: string; code?: string };
}

type Doc = Record<string, unknown>;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const list = (v: unknown): Doc[] => (Array.isArray(v) ? (v.filter((x) => x && typeof x === 'object') as Doc[]) : []);

export function worstOf(findings: readonly { severity: ViewSeverity }[]): ViewSeverity {
  if (findings.some((f) => f.severity === 'error')) return 'error';
  if (findings.some((f) => f.severity === 'warn')) return 'warn';
  return 'ok';
}

/** A Finding as the checks write it (doctor, temp-registrations, rate-limits, register-test). */
function finding(f: Doc, check: string): ViewFinding {
  const severity = f.severity === 'error' || f.severity === 'warn' ? f.severity : 'ok';
  return {
    check: text(f.check) ?? check,
    severity,
    title: text(f.title) ?? '(no title)',
    ...(text(f.detail) ? { detail: text(f.detail) } : {}),
    ...(text(f.hint) ? { hint: text(f.hint) } : {}),
    ...(text(f.nextCommand) ? { next: text(f.nextCommand) } : {}),
    ...(text(f.subject) ? { subject: text(f.subject) } : {}),
  };
}

/** A `sequences` document finding: a sequence with a status, not a Finding. */
function sequenceFinding(f: Doc): ViewFinding {
  const seq = text(f.sequence) ?? '(sequence)';
  const status = text(f.status) ?? 'ok';
  const base = { check: 'sequences', subject: seq };
  switch (status) {
    case 'lagging':
      return { ...base, severity: 'error', title: `${seq} lags the data by ${String(f.lag)}: the next insert gets ${String(f.nextValue)}, max is ${String(f.maxValue)}`, hint: 'the next insert fails with a duplicate key', next: 'healfix sequences --fix' };
    case 'unfixable':
      return { ...base, severity: 'error', title: `${seq} cannot be moved past the data: ${text(f.reason) ?? 'out of range'}`, hint: `widen it: ALTER SEQUENCE ${seq} AS bigint (and the column type)` };
    case 'skipped':
      return { ...base, severity: 'error', title: `${seq} could not be verified (${text(f.reasonCode) ?? 'not read'})`, ...(text(f.reason) ? { detail: text(f.reason) } : {}), ...(text(f.hint) ? { hint: text(f.hint) } : {}) };
    default:
      return f.exhaustion && f.exhaustion !== 'ok'
        ? { ...base, severity: 'warn', title: `${seq}: ${String(f.exhaustionPercent)}% of its range is used`, hint: 'plan a move to bigint' }
        : { ...base, severity: 'ok', title: `${seq} is ahead of its data` };
  }
}

/** An `explain` diagnosis: what the pasted error means. */
function diagnosisFinding(d: Doc): ViewFinding {
  const next = Array.isArray(d.nextCommands) ? text(d.nextCommands[0]) : undefined;
  return { check: 'explain', severity: 'error', title: text(d.title) ?? '(diagnosis)', ...(text(d.cause) ? { detail: text(d.cause) } : {}), ...(text(d.fix) ? { hint: text(d.fix) } : {}), ...(next ? { next } : {}), ...(text(d.id) ? { subject: text(d.id) } : {}) };
}

function checkOf(name: string, findings: ViewFinding[], summary: string, ok: boolean): ViewCheck {
  const worst = worstOf(findings);
  return { check: name, status: !ok && worst === 'ok' ? 'error' : worst, summary, findings };
}

function summaryOf(doc: Doc, fallback: string): string {
  if (text(doc.summary)) return text(doc.summary)!;
  const s = doc.summary as Doc | undefined;
  if (s && typeof s === 'object' && text(s.text)) return text(s.text)!;
  return fallback;
}

/** The view of one --json document, whatever the command. */
export function viewDocument(doc: Doc): DocumentView {
  const command = text(doc.command) ?? 'healfix';
  const ok = doc.ok === true;
  const target = text((doc.target as Doc | undefined)?.display);
  const verdict = ok ? (command === 'explain' ? 'explained' : 'healthy') : 'problems';
  const base = { command, ok, verdict, ...(target ? { target } : {}) };
  const error = doc.error as DocumentView['error'] | undefined;
  if (error && typeof error === 'object' && text(error.message)) {
    const f: ViewFinding = { check: command, severity: 'error', title: error.message, ...(error.hint ? { hint: error.hint } : {}) };
    return { ...base, ok: false, verdict: 'error', error, summary: `error: ${error.message}`, checks: [{ check: command, status: 'error', summary: error.message, findings: [f] }] };
  }
  if (Array.isArray(doc.checks)) {
    const checks = list(doc.checks).map((c): ViewCheck => {
      const name = text(c.check) ?? 'check';
      const status = (['ok', 'warn', 'error', 'skipped'] as const).find((s) => s === c.status) ?? 'error';
      return { check: name, status, summary: text(c.summary) ?? '', findings: list(c.findings).map((f) => finding(f, name)), ...(text(c.skippedReason) ? { skippedReason: text(c.skippedReason) } : {}) };
    });
    return { ...base, checks, summary: doctorSummary(doc, checks) };
  }
  if (command === 'sequences') {
    const findings = [...list(doc.findings), ...list(doc.after)].map(sequenceFinding);
    const latest = doc.after ? list(doc.after).map(sequenceFinding) : findings;
    const summary = summaryOf(doc, `${latest.filter((f) => f.severity !== 'ok').length} problems`);
    return { ...base, summary, checks: [checkOf('sequences', latest, summary, ok)] };
  }
  if (command === 'explain') {
    // A recognised error is what the user pasted, not a failure of this run: a warning unless the run failed.
    const findings = list(doc.diagnoses).map((d) => ({ ...diagnosisFinding(d), severity: ok ? ('warn' as const) : ('error' as const) }));
    const summary = summaryOf(doc, `${findings.length} diagnoses`);
    return { ...base, summary, checks: [checkOf('explain', findings, summary, ok)] };
  }
  const findings = list(doc.findings).map((f) => finding(f, command));
  const problems = findings.filter((f) => f.severity !== 'ok').length;
  const summary = summaryOf(doc, problems ? `${problems} problem${problems === 1 ? '' : 's'}` : 'no problems');
  const view: DocumentView = { ...base, summary, checks: [checkOf(command, findings, summary, ok)] };
  if (Array.isArray(doc.steps)) view.steps = list(doc.steps).map(step);
  return view;
}

function step(s: Doc): ViewStep {
  return {
    name: text(s.name) ?? 'step',
    method: text(s.method) ?? '',
    path: text(s.path) ?? '',
    status: typeof s.status === 'number' ? s.status : null,
    ms: typeof s.ms === 'number' ? s.ms : 0,
    ok: s.ok === true,
    result: text(s.result) ?? '',
    attempt: typeof s.attempt === 'number' ? s.attempt : 1,
    ...(typeof s.client === 'number' ? { client: s.client } : {}),
    ...(Array.isArray(s.hops) ? { hops: (s.hops as Doc[]).map((h) => `${String(h.status)} → ${text(h.location) ?? ''}`), redirects: s.hops.length } : {}),
  };
}

function doctorSummary(doc: Doc, checks: ViewCheck[]): string {
  const n = (s: ViewStatus) => checks.filter((c) => c.status === s).length;
  const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  const failOn = text(doc.failOn);
  return `${plural(n('error'), 'error')}, ${plural(n('warn'), 'warning')}, ${n('ok')} ok, ${n('skipped')} skipped (${checks.length} checks${failOn ? `; failing on ${failOn}` : ''})`;
}

/** Findings that need attention: errors and warnings, in check order. */
export function problemFindings(view: DocumentView): ViewFinding[] {
  return view.checks.flatMap((c) => c.findings.filter((f) => f.severity !== 'ok'));
}

/** Same hint and same next step → one group: four lagging sequences are one fix, said once. */
export function groupFindings(findings: readonly ViewFinding[]): { severity: ViewSeverity; check: string; hint?: string; next?: string; findings: ViewFinding[] }[] {
  const groups = new Map<string, { severity: ViewSeverity; check: string; hint?: string; next?: string; findings: ViewFinding[] }>();
  for (const f of findings) {
    const key = JSON.stringify([f.check, f.severity, f.hint ?? '', f.next ?? '']);
    const group = groups.get(key) ?? { severity: f.severity, check: f.check, ...(f.hint ? { hint: f.hint } : {}), ...(f.next ? { next: f.next } : {}), findings: [] };
    group.findings.push(f);
    groups.set(key, group);
  }
  return [...groups.values()];
}
