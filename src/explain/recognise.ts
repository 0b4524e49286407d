import { isSecretKey } from '../secrets.js';
import { preparePaste } from './clean.js';
import { detectSources } from './sources.js';
import { foldRefinedHits, recogniseStackErrors, stackWording, type StackMatch } from './stack-errors.js';
import type { Diagnosis, DiagnosisFacts, DiagnosisId, ExplainResult } from './types.js';
import { WORDING } from './wording.js';

/** One match of one recogniser; matches with the same key are merged into one diagnosis. */
interface Hit {
  id: DiagnosisId;
  key: string;
  position: number;
  facts: DiagnosisFacts;
  /** Set when a stack's own error text (src/knowledge) matched: its wording is used. */
  stack?: StackMatch;
}

type Recogniser = (text: string) => Hit[];

const MASK = '****';

/** Recognises every known problem in a pasted log, in order of appearance. Pure: text in, data out. */
export function explainText(raw: string): ExplainResult {
  const text = preparePaste(raw);
  const hits = foldRefinedHits([...RECOGNISERS.flatMap((recognise) => recognise(text)), ...recogniseStackErrors(text)]);
  const merged = mergeHits(hits);
  const diagnoses = foldGenericRateLimits(merged)
    .sort((a, b) => a.position - b.position)
    .map((hit) => buildDiagnosis(hit, text));
  return { recognised: diagnoses.length > 0, diagnoses, sources: detectSources(text), inputLength: raw.length };
}

// ---------------------------------------------------------------------------------------------
// helpers

function* matches(re: RegExp, text: string): Generator<RegExpExecArray> {
  const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  let m: RegExpExecArray | null;
  while ((m = global.exec(text)) !== null) {
    yield m;
    if (m[0].length === 0) global.lastIndex++;
  }
}

function lineAt(text: string, position: number): string {
  const start = text.lastIndexOf('\n', position - 1) + 1;
  const end = text.indexOf('\n', position);
  const line = text.slice(start, end === -1 ? undefined : end).trim();
  return line.length > 240 ? `${line.slice(0, 237)}...` : line;
}

function unquoteIdent(name: string): string {
  return name.replace(/^[\\"'`“”]+|[\\"'`“”]+$/g, '');
}

/** Splits "a, b" at top-level commas (not inside parentheses). */
function splitTopLevel(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of list) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}



/** The app's URL as the paste names it: a parseable http(s) URL, preferring signup/auth/api paths. */
function pickUrl(text: string): string | undefined {
  const urls = [...matches(/\bhttps?:\/\/[^\s"'<>`)\]]+/g, text)].map((m) => m[0]).filter((u) => {
    try {
      return Boolean(new URL(u).host);
    } catch {
      return false;
    }
  });
  return urls.find((u) => /register|signup|sign-up|auth|otp|\/api\//i.test(u)) ?? urls[0];
}

function isInteger(value: string): boolean {
  return /^-?\d+$/.test(value.trim());
}

// ---------------------------------------------------------------------------------------------
// duplicate keys (PostgreSQL message in any wrapper, Prisma P2002, SQLite)

const PG_DUPLICATE = /duplicate key value violates unique constraint\s+\\?["“'`]?([^"”'`\s\\]+)\\?["”'`]?/gi;
const KEY_DETAIL = /Key \((.+?)\)=\((.*?)\) already exists/;

const recogniseDuplicateKeys: Recogniser = (text) => {
  const hits: Hit[] = [];
  const found = [...matches(PG_DUPLICATE, text)];
  found.forEach((m, i) => {
    const end = Math.min(found[i + 1]?.index ?? text.length, m.index + 4000);
    const window = text.slice(m.index, end);
    const facts: DiagnosisFacts = { constraint: unquoteIdent(m[1] ?? '') };
    const detail = KEY_DETAIL.exec(window);
    if (detail) {
      facts.columns = splitTopLevel(detail[1] ?? '');
      facts.values = splitTopLevel(detail[2] ?? '');
    }
    // node-postgres error objects as printed by Node and JSON loggers (pino, winston) carry schema and table.
    const schema = /["']?\bschema["']?\s*:\s*["']([^"']+)["']/.exec(window)?.[1];
    const table = /["']?\btable["']?\s*:\s*["']([^"']+)["']/.exec(window)?.[1];
    const insert = /\bINSERT INTO\s+((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)/i.exec(window)?.[1];
    if (table) {
      facts.table = table;
      if (schema) facts.schema = schema;
    } else if (insert) {
      const parts = insert.split('.').map(unquoteIdent);
      facts.table = parts[parts.length - 1];
      if (parts.length === 2) facts.schema = parts[0];
    }
    const errorId = /\[ERROR ([0-9a-f]{6,})\]/i.exec(lineAt(text, m.index))?.[1];
    if (errorId) facts.errorId = errorId;
    hits.push(duplicateHit(m.index, facts));
  });

  // Prisma P2002: "Unique constraint failed on the fields: (`id`)" / "... on the constraint: `x_pkey`"
  for (const m of matches(/Unique constraint failed on the (fields|constraint):\s*\(?([^)\n]*)\)?/gi, text)) {
    const names = (m[2] ?? '').split(',').map((s) => unquoteIdent(s.trim())).filter(Boolean);
    const facts: DiagnosisFacts = m[1]?.toLowerCase() === 'constraint' ? { constraint: names[0] } : { columns: names };
    const model = /prisma\.(\w+)\.(?:create|createMany|upsert|update|updateMany)\(/.exec(text.slice(Math.max(0, m.index - 2000), m.index + 2000))?.[1];
    if (model) facts.model = model;
    const target = /target:\s*\[?\s*['"]([^'"]+)['"]/.exec(text.slice(m.index, m.index + 2000))?.[1];
    if (target && !facts.constraint && /_(pkey|key)$/.test(target)) facts.constraint = target;
    hits.push(duplicateHit(m.index, facts));
  }

  // SQLite: "UNIQUE constraint failed: <table>.<column>"
  for (const m of matches(/UNIQUE constraint failed:\s*(\w+)\.(\w+)((?:,\s*\w+\.\w+)*)/g, text)) {
    const columns = [m[2] ?? '', ...(m[3] ?? '').split(',').map((s) => s.trim().split('.')[1] ?? '').filter(Boolean)];
    hits.push({ id: 'duplicate-value', key: `sqlite:${m[1]}.${columns.join(',')}`, position: m.index, facts: { table: m[1], columns } });
  }
  return hits;
};

function duplicateHit(position: number, facts: DiagnosisFacts): Hit {
  const values = facts.values ?? [];
  const columns = facts.columns ?? [];
  if (facts.columns && facts.values) {
    facts.values = columns.some((c) => isSecretKey(c)) ? values.map(() => MASK) : values;
  }
  if (!facts.table && facts.constraint) {
    const m = /^(.+)_pkey$/.exec(facts.constraint);
    if (m) {
      facts.table = m[1];
      facts.tableFromConstraintName = true;
    }
  }
  // Sequence-shaped: one integer column (or an unknown column behind a primary key).
  // Without a DETAIL line a named constraint may still be fed by a sequence: say so, and let the live check decide.
  const sequenceShaped =
    (columns.length === 1 && values.length === 1 && isInteger(values[0] ?? '')) ||
    (values.length === 0 && columns.length === 0 && !!facts.constraint) ||
    (values.length === 0 && columns.length === 1 && /^(id|\w+_id)$/i.test(columns[0] ?? ''));
  const id: DiagnosisId = sequenceShaped ? 'duplicate-key' : 'duplicate-value';
  return { id, key: `${facts.constraint ?? ''}|${facts.model ?? ''}|${columns.join(',')}`, position, facts };
}

// ---------------------------------------------------------------------------------------------
// sequence exhaustion and integer overflow

const recogniseSequenceLimits: Recogniser = (text) => {
  const hits: Hit[] = [];
  for (const m of matches(/nextval: reached maximum value of sequence\s+\\?["']?([^"'\s\\]+)\\?["']?\s*(?:\((\d+)\))?/gi, text)) {
    const sequence = unquoteIdent(m[1] ?? '');
    const facts: DiagnosisFacts = { sequence };
    if (m[2]) facts.maxValue = m[2];
    hits.push({ id: 'sequence-exhausted', key: sequence, position: m.index, facts });
  }
  for (const m of matches(/(?:value "?(-?\d+)"? is out of range for type (integer|smallint)|\b(integer|smallint) out of range)/gi, text)) {
    const window = text.slice(m.index, m.index + 2000);
    const facts: DiagnosisFacts = {};
    if (m[1]) facts.values = [m[1]];
    const table = /\btable: '([^']+)'/.exec(window)?.[1] ?? /\bINSERT INTO\s+"?(\w+)"?/i.exec(window)?.[1];
    if (table) facts.table = table;
    hits.push({ id: 'id-out-of-range', key: `${(m[2] ?? m[3] ?? '').toLowerCase()}|${table ?? ''}`, position: m.index, facts });
  }
  return hits;
};

// ---------------------------------------------------------------------------------------------
// pending signups of temp-id sessions: facts (the temp id, the email) read here; a stack that
// produces these texts (src/knowledge) words the diagnosis

const recognisePendingSignups: Recogniser = (text) => {
  const hits: Hit[] = [];
  const email = /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/.exec(text)?.[0];
  const withEmail = (facts: DiagnosisFacts): DiagnosisFacts => (email ? { ...facts, email } : facts);
  for (const m of matches(/No temp_registration found for temp_id:?\s*['"]?(temp_[A-Za-z0-9_]+)?/gi, text)) {
    const tempId = m[1];
    hits.push({ id: 'pending-signup-missing', key: 'missing', position: m.index, facts: withEmail(tempId ? { tempId } : {}) });
  }
  for (const m of matches(/Invalid verification session|Session temp_id mismatch!|Session data inconsistency/gi, text)) {
    const tempId = /\b(temp_\d{6,}_[A-Za-z0-9]+)\b/.exec(lineAt(text, m.index))?.[1];
    hits.push({ id: 'verification-session-invalid', key: 'session', position: m.index, facts: withEmail(tempId ? { tempId } : {}) });
  }
  for (const m of matches(/Registration session expired/gi, text)) {
    hits.push({ id: 'registration-session-expired', key: 'expired', position: m.index, facts: withEmail({}) });
  }
  for (const m of matches(/Database verification failed/gi, text)) {
    hits.push({ id: 'pending-signup-deleted', key: 'deleted', position: m.index, facts: withEmail({}) });
  }
  return hits;
};

// ---------------------------------------------------------------------------------------------
// rate limits (app limiter JSON, Flask-Limiter HTML page, resend windows and dedup, bare 429)

const recogniseRateLimits: Recogniser = (text) => {
  const hits: Hit[] = [];
  const url = pickUrl(text);
  const withUrl = (facts: DiagnosisFacts): DiagnosisFacts => (url ? { ...facts, url } : facts);
  for (const m of matches(/Too many requests\.?\s*Please wait (\d+) seconds?/gi, text)) {
    hits.push({ id: 'rate-limited', key: 'app', position: m.index, facts: withUrl({ seconds: Number(m[1]), httpStatus: 429 }) });
  }
  for (const m of matches(/["']?retry_after["']?\s*[:=]\s*(\d+)|\bRetry-After:\s*(\d+)/gi, text)) {
    hits.push({ id: 'rate-limited', key: 'app', position: m.index, facts: withUrl({ seconds: Number(m[1] ?? m[2]), httpStatus: 429 }) });
  }
  for (const m of matches(/Please wait (\d+) seconds before requesting a new code/gi, text)) {
    hits.push({ id: 'rate-limited', key: 'resend', position: m.index, facts: withUrl({ seconds: Number(m[1]), httpStatus: 429 }) });
  }
  for (const m of matches(/Please wait before trying again|Duplicate signup request blocked/gi, text)) {
    hits.push({ id: 'rate-limited', key: 'dedup', position: m.index, facts: withUrl({ httpStatus: 429 }) });
  }
  for (const m of matches(/<p>\s*(\d+ per \d* ?(?:second|minute|hour|day)s?)\s*<\/p>|\bratelimit exceeded:?\s*(\d+ per \d* ?\w+)/gi, text)) {
    hits.push({ id: 'rate-limited', key: 'endpoint', position: m.index, facts: withUrl({ limit: m[1] ?? m[2], httpStatus: 429 }) });
  }
  for (const m of matches(/\b429\b[^\n]{0,40}?Too Many Requests|Too Many Requests[^\n]{0,20}?\b429\b|\bRATE_LIMITED\b|\bstatus(?:Code)?["']?\s*[:=]\s*429\b|\bHTTP\/\d(?:\.\d)? 429\b/gi, text)) {
    hits.push({ id: 'rate-limited', key: 'generic', position: m.index, facts: withUrl({ httpStatus: 429 }) });
  }
  return hits;
};

/** A bare "429 Too Many Requests" next to a specific limiter message is the same event. */
function foldGenericRateLimits(hits: Hit[]): Hit[] {
  const specific = hits.filter((h) => h.id === 'rate-limited' && h.key !== 'generic');
  if (specific.length === 0) return hits;
  const generic = hits.find((h) => h.id === 'rate-limited' && h.key === 'generic');
  if (!generic) return hits;
  const first = specific.reduce((a, b) => (a.position <= b.position ? a : b));
  first.position = Math.min(first.position, generic.position);
  return hits.filter((h) => h !== generic);
}

// ---------------------------------------------------------------------------------------------
// CSRF and opaque 500s

const recogniseHttpErrors: Recogniser = (text) => {
  const hits: Hit[] = [];
  const url = pickUrl(text);
  for (const m of matches(/CSRF token missing or invalid|\bCSRF_FAILED\b|CSRF (?:token )?(?:verification )?failed|The CSRF token is missing|InvalidAuthenticityToken/gi, text)) {
    hits.push({ id: 'csrf-failed', key: 'csrf', position: m.index, facts: url ? { url, httpStatus: 403 } : { httpStatus: 403 } });
  }
  for (const m of matches(/["']error_id["']\s*:\s*["']([0-9a-f]{6,})["']/gi, text)) {
    const errorId = m[1] ?? '';
    // Only when the paste does not already hold the server log line for that id.
    const logged = new RegExp(`\\[ERROR ${errorId}\\][^\\n]*\\S`, 'i').test(text);
    if (!logged) hits.push({ id: 'internal-error-id', key: errorId, position: m.index, facts: { errorId, httpStatus: 500 } });
  }
  return hits;
};

// ---------------------------------------------------------------------------------------------
// connecting to PostgreSQL

const recogniseConnection: Recogniser = (text) => {
  const hits: Hit[] = [];
  for (const m of matches(/connect ECONNREFUSED\s+\[?([0-9a-f.:]+?)\]?:(\d+)/gi, text)) {
    hits.push(refused(m.index, m[1], m[2]));
  }
  for (const m of matches(/connection to server at "([^"]+)"(?: \(([^)]+)\))?, port (\d+) failed:\s*Connection refused/gi, text)) {
    hits.push(refused(m.index, m[2] ?? m[1], m[3]));
  }
  for (const m of matches(/could not connect to server: Connection refused/gi, text)) {
    const after = text.slice(m.index, m.index + 400);
    const host = /on host "([^"]+)"(?: \(([^)]+)\))?/.exec(after);
    const port = /on port (\d+)/.exec(after)?.[1];
    const socket = /socket "([^"]+)"/.exec(after)?.[1];
    hits.push(refused(m.index, host?.[2] ?? host?.[1] ?? socket, port));
  }
  for (const m of matches(/password authentication failed for user\s+["']?([^"'\s]+)["']?/gi, text)) {
    hits.push({ id: 'password-auth-failed', key: m[1] ?? '', position: m.index, facts: { user: m[1] } });
  }
  for (const m of matches(/database\s+["']([^"']+)["']\s+does not exist/gi, text)) {
    hits.push({ id: 'database-missing', key: m[1] ?? '', position: m.index, facts: { database: m[1] } });
  }
  for (const m of matches(/out of shared memory/gi, text)) {
    hits.push({ id: 'out-of-shared-memory', key: 'locks', position: m.index, facts: {} });
  }
  return hits;
};

function refused(position: number, host: string | undefined, port: string | undefined): Hit {
  const facts: DiagnosisFacts = {};
  if (host) facts.host = host;
  if (port) facts.port = Number(port);
  return { id: 'connection-refused', key: `${host ?? ''}:${port ?? ''}`, position, facts };
}

const RECOGNISERS: Recogniser[] = [
  recogniseDuplicateKeys,
  recogniseSequenceLimits,
  recognisePendingSignups,
  recogniseRateLimits,
  recogniseHttpErrors,
  recogniseConnection,
];

// ---------------------------------------------------------------------------------------------
// merging and wording

function mergeHits(hits: Hit[]): Hit[] {
  const byKey = new Map<string, Hit>();
  for (const hit of [...hits].sort((a, b) => a.position - b.position)) {
    const key = `${hit.id}|${hit.key}`;
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { ...hit, facts: { ...hit.facts, occurrences: 1 } });
      continue;
    }
    const facts = seen.facts;
    facts.occurrences = (facts.occurrences ?? 1) + 1;
    for (const [name, value] of Object.entries(hit.facts) as [keyof DiagnosisFacts, unknown][]) {
      if (name === 'values') {
        const values = [...(facts.values ?? [])];
        for (const v of hit.facts.values ?? []) if (!values.includes(v)) values.push(v);
        facts.values = values;
      } else if (name !== 'tableFromConstraintName' && facts[name] === undefined) {
        (facts as Record<string, unknown>)[name] = value;
      }
    }
    // A table named by the error itself beats one read from the constraint's name.
    if (facts.tableFromConstraintName && hit.facts.table && !hit.facts.tableFromConstraintName) {
      facts.table = hit.facts.table;
      if (hit.facts.schema) facts.schema = hit.facts.schema;
      delete facts.tableFromConstraintName;
    }
  }
  return [...byKey.values()];
}

function buildDiagnosis(hit: Hit, text: string): Diagnosis {
  const wording = hit.stack ? stackWording(hit.stack, hit.facts) : WORDING[hit.id](hit.facts, hit.key);
  const window = text.slice(Math.max(0, hit.position - 1500), hit.position + 1500);
  return {
    id: hit.id,
    ...wording,
    facts: hit.facts,
    evidence: lineAt(text, hit.position),
    position: hit.position,
    sources: detectSources(window),
    ...(hit.stack ? { stack: { id: hit.stack.stack.id, title: hit.stack.stack.title, error: hit.stack.error.id } } : {}),
  };
}

