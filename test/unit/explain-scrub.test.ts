import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { preparePaste, scrubSecrets, stripAnsi } from '../../src/explain/clean.js';
import { explainText } from '../../src/explain/recognise.js';
import { readPaste } from '../../src/explain/input.js';
import { UsageError } from '../../src/errors.js';
import { explainExitCode, explainJson, renderExplainHuman } from '../../src/report/explain.js';
import { bufferWriter } from '../../src/report/io.js';
import type { LiveCheck } from '../../src/explain/live.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/explain/${name}`, import.meta.url), 'utf8');
const noLive: LiveCheck = { status: 'not-configured', message: 'no database configured', constraints: [], sequences: [], problemPresent: false };

describe('scrubSecrets', () => {
  it.each([
    ['URL password', 'postgres://app:s3cret-pw@db:5432/x', 's3cret-pw', 'postgres://app:****@db:5432/x'],
    ['.env line', 'DB_PASSWORD=healing_space_dev_password', 'healing_space_dev_password', 'DB_PASSWORD=****'],
    ['libpq string', "host=db user=app password='p@ss word' dbname=x", 'p@ss word', undefined],
    ['CREATE USER', "CREATE USER u WITH PASSWORD 'healing_space_dev_password';", 'healing_space_dev_password', undefined],
    ['JSON body', '{"username":"t","password":"SecurePass123!@","pin":"1234"}', 'SecurePass123!@', undefined],
    ['JSON pin', '{"username":"t","password":"SecurePass123!@","pin":"1234"}', '"1234"', undefined],
    ['Ruby params', '"password_confirmation"=>"hunter2hunter2"', 'hunter2hunter2', undefined],
    ['OTP body', '{"otp_code":"482913"}', '482913', '{"otp_code":"****"}'],
    ['OTP in prose', 'Signup OTP for bob@example.com: 482913', '482913', undefined],
    ['CSRF header', '-H "X-CSRF-Token: 44f36608ffe5ab2393ae495b3fc0b9dc99fd6de354cb934fa75e7968af2f78e0"', '44f36608', undefined],
    ['cookie', 'Cookie: sana_session=eyJ0ZW1wX3VzZXJfaWQiOiJ0ZW1wIn0.aIRp8Q.x9Xk2bQ', 'eyJ0ZW1w', undefined],
    ['bearer', 'Authorization: Bearer abcdef0123456789abcdef', 'abcdef0123456789', undefined],
    ['API key', 'GROQ_API_KEY=sk_test_placeholder_for_local_development', 'sk_test_placeholder', undefined],
  ])('masks a %s', (_name, input, secret, expected) => {
    const out = scrubSecrets(input);
    expect(out).not.toContain(secret);
    expect(out).toContain('****');
    if (expected) expect(out).toBe(expected);
  });

  it('keeps what the recognisers need: SQLSTATE codes, error ids, temp ids, constraint names', () => {
    const text = "code: '23505',\n[ERROR 849e6587] ... \"notifications_pkey\" temp_1753562929_84249ea7 Please wait 295 seconds";
    expect(scrubSecrets(text)).toBe(text);
  });

  it('strips ANSI colour codes', () => {
    expect(stripAnsi('\u001b[31merror\u001b[39m: x ^[[1mbold^[[0m [32mgreen[0m')).toBe('error: x bold green');
  });

  it('no secret from a pasted log survives into diagnoses, human output or JSON', () => {
    const secrets = ['healing_space_dev_password', 'SecurePass123!@', '44f36608ffe5ab2393ae495b3fc0b9dc99fd6de354cb934fa75e7968af2f78e0', '482913', 'hunter2hunter2', 'eyJ0ZW1wX3VzZXJfaWQi'];
    const text = [
      fixture('password-auth.txt'),
      fixture('healing-space-server.log'),
      fixture('sana-verify.log'),
      fixture('rails-production.log'),
      'ERROR:  duplicate key value violates unique constraint "users_password_hash_key"\nDETAIL:  Key (password_hash)=(hunter2hunter2) already exists.',
    ].join('\n');
    expect(preparePaste(text)).not.toMatch(/healing_space_dev_password|SecurePass|482913|hunter2/);
    const result = explainText(text);
    expect(result.diagnoses.length).toBeGreaterThanOrEqual(5);
    const human = bufferWriter();
    renderExplainHuman({ result, live: noLive }, human.write);
    const json = explainJson({ result, live: noLive });
    for (const secret of secrets) {
      expect(JSON.stringify(result)).not.toContain(secret);
      expect(human.text()).not.toContain(secret);
      expect(json).not.toContain(secret);
    }
  });
});

describe('report', () => {
  it('JSON: one versioned document with the diagnoses', () => {
    const result = explainText(fixture('psycopg2-traceback.txt'));
    const doc = JSON.parse(explainJson({ result, live: noLive }));
    expect(doc).toMatchObject({ schemaVersion: 1, command: 'explain', ok: true, recognised: true, live: { status: 'not-configured' } });
    expect(doc.diagnoses[0]).toMatchObject({ id: 'duplicate-key', facts: { constraint: 'notifications_pkey', tableFromConstraintName: true } });
    expect(doc.diagnoses[0].nextCommands).toEqual(['healfix sequences --fix --table notifications', 'healfix sequences']);
  });

  it('exit codes: 0 recognised, 1 unrecognised or still lagging, 2 when the live check could not connect', () => {
    const recognised = explainText(fixture('psycopg2-traceback.txt'));
    expect(explainExitCode({ result: recognised, live: noLive })).toBe(0);
    expect(explainExitCode({ result: explainText('nothing to see'), live: noLive })).toBe(1);
    expect(explainExitCode({ result: recognised, live: { ...noLive, status: 'checked', problemPresent: true } })).toBe(1);
    expect(explainExitCode({ result: recognised, live: { ...noLive, status: 'failed' } })).toBe(2);
  });

  it('human output: title, cause, fix, next command and a summary line', () => {
    const result = explainText(fixture('healing-space-server.log'));
    const out = bufferWriter();
    renderExplainHuman({ result, live: noLive }, out.write);
    const text = out.text();
    expect(text).toContain('1. Duplicate key on "notifications_pkey" (id)=(1)');
    expect(text).toContain('times:  3 in this paste');
    expect(text).toMatch(/next: +healfix sequences --fix --table notifications/);
    expect(text).toMatch(/2\. 429 Too many requests: wait 295 seconds/);
    expect(text.trimEnd().split('\n').at(-1)).toBe('2 problems recognised (duplicate-key, rate-limited)');
  });

  it('human output for unrecognised text says so plainly', () => {
    const out = bufferWriter();
    renderExplainHuman({ result: explainText('all good here'), live: noLive }, out.write);
    expect(out.text()).toContain('nothing recognised in this text (13 characters). healfix does not guess.');
  });
});

describe('readPaste', () => {
  const stream = (chunks: string[], isTTY = false) => ({
    isTTY,
    async *[Symbol.asyncIterator]() {
      for (const c of chunks) yield Buffer.from(c);
    },
  });
  it('joins arguments', async () => {
    expect(await readPaste(['duplicate', 'key'], stream([]))).toBe('duplicate key');
  });
  it('reads stdin when there is no argument or the argument is -', async () => {
    expect(await readPaste([], stream(['a\n', 'b']))).toBe('a\nb');
    expect(await readPaste(['-'], stream(['x']))).toBe('x');
  });
  it('refuses a terminal, empty stdin and an empty argument', async () => {
    await expect(readPaste([], stream(['x'], true))).rejects.toBeInstanceOf(UsageError);
    await expect(readPaste([], stream(['  \n']))).rejects.toBeInstanceOf(UsageError);
    await expect(readPaste([' '], stream([]))).rejects.toBeInstanceOf(UsageError);
  });
});
