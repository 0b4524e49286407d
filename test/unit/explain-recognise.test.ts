import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explainText } from '../../src/explain/recognise.js';
import type { DiagnosisFacts, DiagnosisId, PasteSource } from '../../src/explain/types.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/explain/${name}`, import.meta.url), 'utf8');
// The seed reports themselves, copied from shared/seeds so the suite runs from any clone.
const seed = (name: string) => readFileSync(new URL(`../fixtures/seeds/${name}`, import.meta.url), 'utf8');

interface Case {
  name: string;
  text: string;
  ids: DiagnosisId[];
  facts?: DiagnosisFacts;
  next?: string;
  source?: PasteSource;
}

const cases: Case[] = [
  {
    name: 'psycopg2 traceback',
    text: fixture('psycopg2-traceback.txt'),
    ids: ['duplicate-key'],
    facts: { constraint: 'notifications_pkey', table: 'notifications', columns: ['id'], values: ['3'] },
    next: 'healfix sequences --fix --table notifications',
    source: 'psycopg2',
  },
  {
    name: 'node-postgres error printed by console.error, with ANSI colours',
    text: fixture('node-postgres-error.txt'),
    ids: ['duplicate-key'],
    facts: { constraint: 'notifications_pkey', schema: 'app', table: 'notifications', columns: ['id'], values: ['12'] },
    next: 'healfix sequences --fix --table app.notifications',
    source: 'node-postgres',
  },
  {
    name: 'Rails ActiveRecord::RecordNotUnique / PG::UniqueViolation',
    text: fixture('rails-production.log'),
    ids: ['duplicate-key'],
    facts: { constraint: 'notifications_pkey', columns: ['id'], values: ['7'] },
    source: 'rails',
  },
  {
    name: 'Django IntegrityError (chained from psycopg2): one diagnosis, two occurrences',
    text: fixture('django-integrityerror.txt'),
    ids: ['duplicate-key'],
    facts: { constraint: 'accounts_notification_pkey', table: 'accounts_notification', values: ['5'], occurrences: 2 },
    source: 'django',
  },
  {
    name: 'Prisma P2002',
    text: fixture('prisma-p2002.txt'),
    ids: ['duplicate-key'],
    facts: { columns: ['id'], model: 'notification' },
    next: 'healfix sequences',
    source: 'prisma',
  },
  {
    name: 'PostgreSQL server log with prefixes and STATEMENT',
    text: fixture('postgres-server.log'),
    ids: ['duplicate-key'],
    facts: { constraint: 'audit_logs_pkey', table: 'audit_logs', values: ['41'] },
    source: 'postgres-log',
  },
  {
    name: 'Healing Space server log: retries climb (1), (2), (3), then the limiter',
    text: fixture('healing-space-server.log'),
    ids: ['duplicate-key', 'rate-limited'],
    facts: { constraint: 'notifications_pkey', values: ['1', '2', '3'], errorId: '849e6587', occurrences: 3 },
    source: 'flask',
  },
  {
    name: 'the one log line of the issue',
    text: '[ERROR 849e6587] register: duplicate key value violates unique constraint "notifications_pkey"',
    ids: ['duplicate-key'],
    facts: { constraint: 'notifications_pkey', table: 'notifications', tableFromConstraintName: true, errorId: '849e6587' },
    next: 'healfix sequences --fix --table notifications',
  },
  {
    name: 'pino JSON log of a node-postgres error',
    text: '{"level":50,"time":1739268902114,"err":{"type":"DatabaseError","message":"duplicate key value violates unique constraint \\"notifications_pkey\\"","code":"23505","detail":"Key (id)=(1) already exists.","schema":"public","table":"notifications","constraint":"notifications_pkey"},"msg":"register failed"}',
    ids: ['duplicate-key'],
    facts: { constraint: 'notifications_pkey', schema: 'public', table: 'notifications', values: ['1'] },
    next: 'healfix sequences --fix --table notifications',
  },
  {
    name: 'SQLAlchemy IntegrityError',
    text: "sqlalchemy.exc.IntegrityError: (psycopg2.errors.UniqueViolation) duplicate key value violates unique constraint \"notification_pk\"\nDETAIL:  Key (id)=(8) already exists.\n\n[SQL: INSERT INTO notification (user_id, message) VALUES (%(user_id)s, %(message)s) RETURNING notification.id]\n[parameters: {'user_id': 1, 'message': 'hi'}]\n(Background on this error at: https://sqlalche.me/e/20/gkpj)",
    ids: ['duplicate-key'],
    facts: { constraint: 'notification_pk', table: 'notification', values: ['8'] },
    next: 'healfix sequences --fix --table notification',
    source: 'sqlalchemy',
  },
  {
    name: 'psql',
    text: 'healing_space_test=> insert into notifications (username, message) values (\'x\', \'y\');\nERROR:  duplicate key value violates unique constraint "notifications_pkey"\nDETAIL:  Key (id)=(1) already exists.',
    ids: ['duplicate-key'],
    facts: { constraint: 'notifications_pkey', values: ['1'] },
  },
  {
    name: 'a real duplicate (email) is not blamed on a sequence',
    text: 'psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "users_email_key"\nDETAIL:  Key (email)=(alice@example.com) already exists.',
    ids: ['duplicate-value'],
    facts: { constraint: 'users_email_key', columns: ['email'], values: ['alice@example.com'] },
  },
  {
    name: 'a duplicate on a secret-looking column masks the value',
    text: 'ERROR:  duplicate key value violates unique constraint "user_otp_otp_code_key"\nDETAIL:  Key (otp_code)=(482913) already exists.',
    ids: ['duplicate-value'],
    facts: { values: ['****'] },
  },
  {
    name: 'SQLite UNIQUE on temp_registrations.email (the SANA race)',
    text: 'sqlite3.IntegrityError: UNIQUE constraint failed: temp_registrations.email',
    ids: ['duplicate-value'],
    facts: { table: 'temp_registrations', columns: ['email'] },
    next: 'healfix temp-registrations',
    source: 'sqlite',
  },
  {
    name: 'SANA verification log',
    text: fixture('sana-verify.log'),
    ids: ['pending-signup-missing', 'verification-session-invalid'],
    facts: { tempId: 'temp_1753562929_84249ea7', email: 'bob@example.com' },
    next: 'healfix temp-registrations --email bob@example.com',
  },
  {
    name: 'Registration session expired',
    text: '{"message":"Registration session expired. Please start over.","status":"error"}',
    ids: ['registration-session-expired'],
  },
  {
    name: 'Database verification failed (time zone trigger)',
    text: '400 {"message":"Database verification failed","status":"error"}',
    ids: ['pending-signup-deleted'],
  },
  {
    name: 'Healing Space 429 JSON',
    text: 'HTTP/1.1 429 TOO MANY REQUESTS\n{"code":"RATE_LIMITED","error":"Too many requests. Please wait 295 seconds.","retry_after":295}',
    ids: ['rate-limited'],
    facts: { seconds: 295, httpStatus: 429 },
  },
  {
    name: 'retry_after alone',
    text: '{"retry_after": 42}',
    ids: ['rate-limited'],
    facts: { seconds: 42 },
  },
  {
    name: 'Flask-Limiter HTML page',
    text: fixture('flask-limiter-429.html'),
    ids: ['rate-limited'],
    facts: { limit: '50 per 1 hour' },
  },
  {
    name: 'bare 429 Too Many Requests',
    text: 'POST http://localhost:5000/api/auth/register -> 429 Too Many Requests',
    ids: ['rate-limited'],
    next: 'healfix register-test --url http://localhost:5000 --wait',
  },
  {
    name: 'SANA resend window',
    text: '{"message":"Please wait 60 seconds before requesting a new code","status":"error"}',
    ids: ['rate-limited'],
    facts: { seconds: 60 },
  },
  {
    name: 'CSRF 403',
    text: '403 {"code":"CSRF_FAILED","error":"CSRF token missing or invalid"}',
    ids: ['csrf-failed'],
  },
  {
    name: 'opaque 500 with error_id and no log line',
    text: '{"code":"INTERNAL_ERROR","error":"An unexpected error occurred. Please try again.","error_id":"849e6587"}',
    ids: ['internal-error-id'],
    facts: { errorId: '849e6587' },
  },
  { name: 'psycopg2 could not connect', text: fixture('psycopg2-refused.txt'), ids: ['connection-refused'], facts: { host: '127.0.0.1', port: 5432 } },
  { name: 'libpq 16 connection to server at', text: fixture('libpq16-refused.txt'), ids: ['connection-refused'], facts: { host: '127.0.0.1', port: 5432 } },
  { name: 'node ECONNREFUSED', text: fixture('node-econnrefused.txt'), ids: ['connection-refused'], facts: { port: 5432 }, source: 'node-postgres' },
  { name: 'out of shared memory', text: fixture('out-of-shared-memory.txt'), ids: ['out-of-shared-memory'] },
  { name: 'password authentication failed', text: fixture('password-auth.txt'), ids: ['password-auth-failed'], facts: { user: 'healing_space_user' } },
  { name: 'database does not exist', text: 'FATAL:  database "healing_space_test" does not exist', ids: ['database-missing'], facts: { database: 'healing_space_test' } },
  {
    name: 'sequence exhaustion',
    text: 'ERROR:  nextval: reached maximum value of sequence "notifications_id_seq" (2147483647)',
    ids: ['sequence-exhausted'],
    facts: { sequence: 'notifications_id_seq', maxValue: '2147483647' },
  },
  {
    name: 'integer out of range on an id',
    text: 'ERROR:  value "2147483648" is out of range for type integer\nSTATEMENT:  INSERT INTO notifications (id, message) VALUES (2147483648, \'x\')',
    ids: ['id-out-of-range'],
    facts: { values: ['2147483648'], table: 'notifications' },
  },
];

describe('explainText: what users paste', () => {
  it.each(cases)('$name', ({ text, ids, facts, next, source }) => {
    const result = explainText(text);
    expect(result.recognised).toBe(true);
    expect(result.diagnoses.map((d) => d.id)).toEqual(ids);
    const first = result.diagnoses[0]!;
    if (facts) expect(first.facts).toMatchObject(facts);
    if (next) expect(first.nextCommands[0]).toBe(next);
    if (source) expect(result.sources).toContain(source);
    for (const d of result.diagnoses) {
      expect(d.title.length).toBeGreaterThan(10);
      expect(d.cause.split(/(?<=\.)\s/).length).toBeGreaterThanOrEqual(2);
      expect(d.fix.length).toBeGreaterThan(20);
      expect(d.nextCommands.length).toBeGreaterThan(0);
      for (const command of d.nextCommands) expect(command).toMatch(/^healfix /);
      expect(d.evidence).not.toMatch(/\u001b/);
    }
  });

  it.each([
    ['a JS TypeError', fixture('unrelated-typeerror.txt')],
    ['prose', 'my signup page is broken, please help'],
    ['a different PostgreSQL error', 'ERROR:  relation "notificatons" does not exist at character 15'],
    ['a 404', 'HTTP/1.1 404 NOT FOUND'],
    ['the word duplicate alone', 'duplicate entries in the list'],
  ])('does not recognise %s (never guesses)', (_name, text) => {
    const result = explainText(text);
    expect(result.recognised).toBe(false);
    expect(result.diagnoses).toEqual([]);
  });

  it('the duplicate key title names the key and the value, and the cause talks about the sequence', () => {
    const [d] = explainText(fixture('psycopg2-traceback.txt')).diagnoses;
    expect(d!.title).toBe('Duplicate key on "notifications_pkey" (id)=(3): the sequence feeding it lags behind the data');
    expect(d!.cause).toMatch(/sequence/);
    expect(d!.cause).toMatch(/explicit ids/);
    expect(d!.fix).toContain('healfix sequences --fix --table notifications');
  });

  it('merges the rate-limit JSON, its retry_after and the 429 status into one diagnosis', () => {
    const result = explainText(fixture('healing-space-server.log'));
    const limits = result.diagnoses.filter((d) => d.id === 'rate-limited');
    expect(limits).toHaveLength(1);
    expect(limits[0]!.facts.seconds).toBe(295);
    expect(limits[0]!.title).toContain('wait 295 seconds');
    expect(limits[0]!.nextCommands[0]).toBe('healfix register-test --url http://localhost:5000 --wait');
  });

  it('orders diagnoses by where they appear', () => {
    const text = '{"error":"Too many requests. Please wait 12 seconds."}\nlater:\nERROR:  duplicate key value violates unique constraint "alerts_pkey"\nDETAIL:  Key (id)=(9) already exists.';
    expect(explainText(text).diagnoses.map((d) => d.id)).toEqual(['rate-limited', 'duplicate-key']);
  });

  it('keeps two different constraints apart', () => {
    const text =
      'ERROR:  duplicate key value violates unique constraint "notifications_pkey"\nDETAIL:  Key (id)=(1) already exists.\n' +
      'ERROR:  duplicate key value violates unique constraint "audit_logs_pkey"\nDETAIL:  Key (id)=(4) already exists.';
    const result = explainText(text);
    expect(result.diagnoses.map((d) => [d.facts.constraint, d.facts.values])).toEqual([
      ['notifications_pkey', ['1']],
      ['audit_logs_pkey', ['4']],
    ]);
  });

  it('reads psycopg2 repr with escaped newlines and quotes', () => {
    const text = `IntegrityError('duplicate key value violates unique constraint \\"chat_sessions_pkey\\"\\nDETAIL:  Key (id)=(17) already exists.\\n')`;
    const [d] = explainText(text).diagnoses;
    expect(d!.facts).toMatchObject({ constraint: 'chat_sessions_pkey', values: ['17'], table: 'chat_sessions' });
  });

  it('handles Windows line ends and copy-pasted colour remnants', () => {
    const text = '[31mERROR[0m:  duplicate key value violates unique constraint "alerts_pkey"\r\nDETAIL:  Key (id)=(2) already exists.\r\n';
    const [d] = explainText(text).diagnoses;
    expect(d!.facts).toMatchObject({ constraint: 'alerts_pkey', values: ['2'] });
    expect(d!.evidence).toBe('ERROR:  duplicate key value violates unique constraint "alerts_pkey"');
  });

  it('the Healing Space seed report: duplicate key, then 429, then CSRF', () => {
    const result = explainText(seed('000_e7b0bda72ff80f34.txt'));
    expect(result.diagnoses.map((d) => d.id)).toEqual(['duplicate-key', 'rate-limited', 'csrf-failed']);
    expect(result.diagnoses[0]!.facts).toMatchObject({ constraint: 'notifications_pkey', values: ['1'], errorId: 'd813efd5' });
    expect(result.diagnoses[1]!.facts.seconds).toBe(230);
  });

  it('the SANA seed report: the missing temp_registration first', () => {
    const result = explainText(seed('003_d93db799c8bd7ab6.txt'));
    expect(result.diagnoses[0]!.id).toBe('pending-signup-missing');
    expect(result.diagnoses[0]!.facts.tempId).toBe('temp_1753562929_84249ea7');
  });
});
