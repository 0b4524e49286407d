import { isSecretKey } from '../secrets.js';
import { preparePaste } from './clean.js';
import { detectSources } from './sources.js';
import { foldRefinedHits, recogniseStackErrors, stackWording, type StackMatch } from './stack-errors.js';
import type { Diagnosis, DiagnosisFacts, DiagnosisId, ExplainResult } from './types.js';

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

function shellArg(value: string): string {
  return /^[A-Za-z0-9_.:/@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function tableArg(facts: DiagnosisFacts): string | undefined {
  if (!facts.table) return undefined;
  return shellArg(facts.schema && facts.schema !== 'public' ? `${facts.schema}.${facts.table}` : facts.table);
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

type Wording = Pick<Diagnosis, 'title' | 'cause' | 'fix' | 'nextCommands'>;

function registerTestCommand(facts: DiagnosisFacts, extra = ''): string {
  let origin = '<app-url>';
  if (facts.url) {
    try {
      origin = new URL(facts.url).origin;
    } catch {
      // keep the placeholder
    }
  }
  return `healfix register-test --url ${origin === '<app-url>' ? origin : shellArg(origin)}${extra}`;
}

const WORDING: Record<DiagnosisId, (facts: DiagnosisFacts, key: string) => Wording> = {
  'duplicate-key': (f) => {
    const table = tableArg(f);
    const what = f.constraint ? `"${f.constraint}"` : f.columns?.length ? `(${f.columns.join(', ')})` : 'a unique key';
    const column = f.columns?.[0] ?? 'id';
    const retries =
      (f.values?.length ?? 0) > 1
        ? ` Here the failing ids climb (${f.values?.join(', ')}): each failed insert still consumes a sequence value, so retries fail on the next id until they pass max(${column}).`
        : ' Each failed insert still consumes a sequence value, so retries fail with the next id, and the next, until the sequence passes max(id).';
    return {
      title: `Duplicate key on ${what}${f.values?.length ? ` (${column})=(${f.values[0]})` : ''}: the sequence feeding it lags behind the data`,
      cause:
        `The new row took its ${column} from the sequence behind the column (a SERIAL column's <table>_${column}_seq), but that id is already in ${f.table ? `"${f.table}"` : 'the table'}: ` +
        'rows were inserted with explicit ids (a restore, a data import, fixtures, a copy from another database) and the sequence was never moved past max(' + column + ').' +
        retries +
        ' In a signup that writes this table together with others in one transaction (an account and its first notification, say), the whole registration rolls back and the user only sees a 500.',
      fix:
        `Move the sequence past the highest ${column}: ${table ? `\`healfix sequences --fix --table ${table}\`` : '`healfix sequences --fix`'} shows the plan (setval to max(${column})) and applies it after confirmation. ` +
        'A restore usually leaves every sequence behind, so check them all with `healfix sequences`.' +
        (f.values === undefined && !/_pkey$/.test(f.constraint ?? '') ? ' If no sequence feeds this constraint, the value is genuinely there already: the app must check for it first or answer 409.' : ''),
      nextCommands: table
        ? [`healfix sequences --fix --table ${table}`, 'healfix sequences']
        : ['healfix sequences'],
    };
  },
  'duplicate-value': (f, key) => {
    const cols = f.columns?.join(', ') ?? '?';
    const where = f.constraint ? `"${f.constraint}"` : f.table ? `${f.table}(${cols})` : `(${cols})`;
    const race = key.startsWith('sqlite:') && /temp_reg|pending|signup/i.test(f.table ?? '');
    return {
      title: `Duplicate value on ${where}${f.values?.length ? `: (${cols})=(${f.values.join(', ')}) already exists` : ''}`,
      cause: race
        ? `A second pending signup for the same email hit the UNIQUE constraint on ${f.table}.${cols}. This is the signup race: two requests for one email (a double click, a retry, two app processes) each create a temp_id; the second overwrites or collides with the first, and the session of one of them now points at a temp_id that is gone.`
        : `The row's ${cols} value is really there already; this is not a sequence problem (the key is not a generated id). Usually the app inserts without checking first, or two requests for the same user raced each other.`,
      fix: race
        ? 'Make one pending signup per email (upsert on email, keep the existing temp_id) and deduplicate across processes in the database, not in memory. Trace the signup with `healfix temp-registrations --email ADDRESS`.'
        : 'Look up the existing row and decide: the app should check for it first (and answer 409 "already exists"), or treat the unique violation (SQLSTATE 23505) as that 409.',
      nextCommands: race
        ? [`healfix temp-registrations${f.email ? ` --email ${shellArg(f.email)}` : ''}`]
        : f.table
          ? [`healfix sequences --table ${tableArg(f)}`]
          : ['healfix doctor'],
    };
  },
  'sequence-exhausted': (f) => ({
    title: `Sequence ${f.sequence ?? ''} reached its maximum value${f.maxValue ? ` (${f.maxValue})` : ''}`.replace('  ', ' '),
    cause:
      `nextval() on ${f.sequence ?? 'the sequence'} cannot go any higher: it was created AS integer (a SERIAL column) and has handed out every value up to ${f.maxValue ?? 'its MAXVALUE'}. ` +
      'Every insert that needs a new id now fails, so any signup writing this table fails too. A sequence that was bumped far ahead (setval to a huge number) reaches this much sooner than its rows suggest.',
    fix:
      'Widen it: ALTER SEQUENCE ... AS bigint MAXVALUE 9223372036854775807 and ALTER TABLE ... ALTER COLUMN id TYPE bigint (a table rewrite: plan a maintenance window). ' +
      'If the sequence was only pushed ahead by mistake and max(id) is far lower, setval it back to max(id) instead.',
    nextCommands: ['healfix sequences'],
  }),
  'id-out-of-range': (f) => ({
    title: `Integer out of range${f.values?.length ? ` (${f.values[0]})` : ''}${f.table ? ` in ${f.table}` : ''}: the id no longer fits its column`,
    cause:
      'A value larger than 2147483647 went into an integer (int4) column. On an id this means the sequence behind it (bigint, or moved far ahead with setval) has passed what the SERIAL column can hold, ' +
      'so every insert now fails. It can also be an application value too large for the column.',
    fix: 'Change the id column (and any column referencing it) to bigint, or, if the sequence was pushed ahead by mistake, setval it back to max(id). `healfix sequences` shows each sequence against its column type.',
    nextCommands: f.table ? [`healfix sequences --table ${tableArg(f)}`] : ['healfix sequences'],
  }),
  'pending-signup-missing': (f) => ({
    title: `No pending signup for ${f.tempId ?? 'the session\'s temp_id'}: the pending row is gone`,
    cause:
      'Verification looked up the temp_id kept in the session, but the pending-signup table has no such row. Either a second signup request for the same email (double click, retry, another tab, a second app process) ' +
      'created a new temp_id and replaced the first row, so the session and the database disagree, or the row was deleted as expired — an expiry trigger that compares local-time timestamps with UTC datetime(\'now\') deletes fresh rows west of UTC. ' +
      'The OTP sent for the old temp_id is now an orphan.',
    fix:
      'Trace the signup to see every temp_id and OTP for that email, with times and state. Then make one pending signup per email (keep the existing temp_id on a repeat request) and deduplicate in the database rather than in one process\'s memory; store timestamps in UTC.',
    nextCommands: [`healfix temp-registrations${f.email ? ` --email ${shellArg(f.email)}` : ' --email <address>'}`, 'healfix temp-registrations'],
  }),
  'verification-session-invalid': (f) => ({
    title: 'Invalid verification session: the session\'s temp_id does not match a pending signup',
    cause:
      'The OTP check found a session whose temp_id has no pending-signup row any more. Concurrent signups for one email each got 200 and a temp_id; only one row survives, ' +
      'so every client but one fails verification while orphan OTP rows point at deleted temp_ids.',
    fix:
      'Trace the email\'s signups and OTPs, and ask the user to start the signup again once. In the app, keep one pending signup per email and make the dedup hold across processes (gunicorn -w 2 breaks a per-process lock).',
    nextCommands: [`healfix temp-registrations${f.email ? ` --email ${shellArg(f.email)}` : ' --email <address>'}`, registerTestCommand(f)],
  }),
  'registration-session-expired': (f) => ({
    title: 'Registration session expired: the pending signup is older than its expiry',
    cause:
      'The pending signup or its one-time code expired before the code was entered. If it happens straight after signing up, the timestamps are the problem: ' +
      'an app that writes local time and compares it with SQLite\'s UTC datetime(\'now\') sees every row expired at once west of UTC.',
    fix: 'Check the pending rows\' created_at/expires_at against the database clock; store and compare timestamps in UTC. Otherwise the user simply starts over.',
    nextCommands: [`healfix temp-registrations${f.email ? ` --email ${shellArg(f.email)}` : ''}`],
  }),
  'pending-signup-deleted': (f) => ({
    title: 'Database verification failed: the pending signup was deleted as soon as it was written',
    cause:
      'Right after inserting the pending-signup row the app reads it back and it is not there. An AFTER INSERT trigger that deletes rows with expires_at < datetime(\'now\') does this when the app writes local time and SQLite compares in UTC: ' +
      'so on a server west of UTC every new row is already "expired" and every signup fails with this 400.',
    fix: 'Write timestamps in UTC (or compare in local time consistently). `healfix temp-registrations` reports timestamps in the future or in the wrong time zone.',
    nextCommands: [`healfix temp-registrations${f.email ? ` --email ${shellArg(f.email)}` : ''}`],
  }),
  'rate-limited': (f, key) => {
    const wait = f.seconds !== undefined ? `wait ${f.seconds} seconds` : 'wait for the window to pass';
    if (key === 'endpoint') {
      return {
        title: `429 Too Many Requests from the endpoint limiter${f.limit ? ` (${f.limit})` : ''}`,
        cause:
          `A second, per-endpoint limiter (Flask-Limiter style, ${f.limit ?? 'N per window'} per IP) answered with its HTML page instead of the API's JSON. It counts every request to the endpoint, so scripted signups or a test loop from one IP exhaust it. This is the limiter working, not a bug.`,
        fix: 'Wait for the window to pass or test from another IP; raise the limit for development only. register-test reads the limiter from the server\'s answers and says when to retry.',
        nextCommands: [registerTestCommand(f, ' --wait'), 'healfix rate-limits'],
      };
    }
    if (key === 'resend') {
      return {
        title: `429: a new code was requested within the resend window (${wait})`,
        cause: 'The app allows one new verification code per resend window. This is expected behaviour, not a failure.',
        fix: `Use the code already sent, or ${wait} before requesting a new one.`,
        nextCommands: ['healfix temp-registrations', registerTestCommand(f, ' --wait')],
      };
    }
    if (key === 'dedup') {
      return {
        title: '429 Please wait before trying again: a duplicate signup request was blocked',
        cause:
          'A second signup request for the same email arrived within the app\'s dedup window and was refused. A dedup kept in one process\'s memory does not hold with two app processes, and the signup race returns.',
        fix: 'Nothing to fix for one request; if users still get "Invalid verification session", trace their pending signups.',
        nextCommands: ['healfix temp-registrations', 'healfix rate-limits'],
      };
    }
    return {
      title: `429 Too many requests${f.seconds !== undefined ? `: ${wait}` : ''} — the register limiter, not a bug`,
      cause:
        'The app\'s limiter refused the request. Limiters usually count failed requests (400, 409, 500) too, so a user retrying a signup that failed for another reason — such as a duplicate key — runs into it.',
      fix:
        `${wait.charAt(0).toUpperCase()}${wait.slice(1)}, then retry once the real cause is fixed. healfix rate-limits shows whether the limiter keeps its state in a table (then it can clear the key) or in memory (a restart resets it).`,
      nextCommands: [registerTestCommand(f, ' --wait'), 'healfix rate-limits'],
    };
  },
  'csrf-failed': (f) => ({
    title: `${f.httpStatus ?? 403} CSRF token missing or invalid`,
    cause:
      'The request did not carry a CSRF token the app accepts: the token the app handed out (in a form\'s hidden field, a meta tag, a cookie or a token endpoint) was not sent back, ' +
      'was sent under another name, or belongs to another session (a lost or cross-site cookie, a cached page).',
    fix: 'Load the page or endpoint that issues the token first, keep its cookies, and send the token back the way the app expects (form field or header). register-test does this handshake for you and shows each step.',
    nextCommands: [registerTestCommand(f)],
  }),
  'internal-error-id': (f) => ({
    title: `500 with error_id ${f.errorId ?? ''}: the real cause is only in the server log`,
    cause:
      `The API hides the cause behind "An unexpected error occurred". The server logs it under the same id, as a line starting with [ERROR ${f.errorId ?? '<id>'}] (for a lagging sequence: "duplicate key value violates unique constraint ...").`,
    fix: `Find that line in the server's log (grep "ERROR ${f.errorId ?? ''}") and run healfix explain on it, or let register-test replay the signup and check the usual causes.`,
    nextCommands: [`healfix explain "$(grep -A1 'ERROR ${f.errorId ?? ''}' <server-log>)"`, registerTestCommand(f), 'healfix sequences'],
  }),
  'connection-refused': (f) => {
    const place = f.host || f.port ? `${f.host ?? 'localhost'}${f.port ? `:${f.port}` : ''}` : 'the server';
    const database = f.port === undefined || f.port === 5432 || (f.host?.startsWith('/') ?? false);
    return {
      title: `Connection refused by ${place}`,
      cause: database
        ? `Nothing accepts connections at ${place}: PostgreSQL is not running, listens on another port or address (listen_addresses, port in postgresql.conf), or a container did not publish the port. The app cannot open a database connection, so every signup fails.`
        : `Nothing is listening on ${place}. If that is the app's own port, the server is not running (or crashed at start); if it is the database, it runs on another port or address.`,
      fix: database
        ? 'Start PostgreSQL (systemctl start postgresql, docker compose up db) or point DB_HOST/DB_PORT (or DATABASE_URL) at where it really runs; then check the connection with healfix doctor.'
        : 'Start the service, or correct the host and port the client uses.',
      nextCommands: database ? [`healfix doctor${f.port && f.host && !f.host.startsWith('/') ? ` --database-url postgres://${shellArg(f.host)}:${f.port}/<db>` : ''}`] : [registerTestCommand({ url: `http://${place}` })],
    };
  },
  'password-auth-failed': (f) => ({
    title: `Password authentication failed for user "${f.user ?? '?'}"`,
    cause:
      `PostgreSQL refused the password given for ${f.user ? `"${f.user}"` : 'the user'}: the password in the app's configuration (DB_PASSWORD in .env, DATABASE_URL, PGPASSWORD) is not the role's password, or the role does not exist on this server. pg_hba.conf decides which method applies (scram-sha-256, md5).`,
    fix: `Check the configured password against the role (ALTER ROLE ${f.user ?? 'name'} PASSWORD '...'), and that the app reads the .env you think it reads.`,
    nextCommands: ['healfix doctor'],
  }),
  'database-missing': (f) => ({
    title: `Database "${f.database ?? '?'}" does not exist`,
    cause: `The server is reachable but has no database named "${f.database ?? '?'}": it was never created here, has another name (DB_NAME in .env), or the app points at the wrong server. Nothing can be read or written until the app connects to a database that exists.`,
    fix: `Create it (createdb -O <owner> ${f.database ?? '<name>'}) or correct DB_NAME / DATABASE_URL; \`psql -l\` lists the databases on that server.`,
    nextCommands: ['healfix doctor'],
  }),
  // Worded by the stack entry that matched (stack-errors.ts); this is only the shape's fallback.
  'stack-error': () => ({
    title: 'An error text a known stack produces',
    cause: 'The text matches an error declared in healfix\'s knowledge of a framework.',
    fix: 'See the stack\'s explanation.',
    nextCommands: ['healfix doctor'],
  }),
  'out-of-shared-memory': () => ({
    title: 'Out of shared memory: the lock table is full',
    cause:
      'PostgreSQL keeps one lock-table entry for every table, index and sequence a transaction touches, sized max_locks_per_transaction × (max_connections + max_prepared_transactions). ' +
      'A transaction that touches thousands of relations (a schema with many tables or partitions, a dump, a scan over every sequence in one transaction) runs out of entries.',
    fix:
      'Raise max_locks_per_transaction (e.g. 256; needs a restart), or split the work into smaller transactions; limit a healfix scan to the tables involved with --table or --schema.',
    nextCommands: ['healfix doctor'],
  }),
};
