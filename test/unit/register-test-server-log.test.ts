/** Finding a failed request's lines in the real apps' logs (test/fixtures/frameworks/<stack>/server-500.log). */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyLines, parseDuplicateKey, searchServerLog } from '../../src/register-test/server-log.js';

const fixture = (stack: string) => readFileSync(new URL(`../fixtures/frameworks/${stack}/server-500.log`, import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'healfix-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('server log correlation', () => {
  it('Rails: by the X-Request-Id tag, the constraint from PG::UniqueViolation', () => {
    const file = join(dir, 'rails.log');
    writeFileSync(file, `[11111111-2222-3333-4444-555555555555] Started GET "/" for 127.0.0.1\n${fixture('rails')}`);
    const found = searchServerLog({ file, requestId: '380fa022-4462-4930-883a-8abd4a95e14f', offset: 0 });
    expect(found.how).toBe('X-Request-Id 380fa022-4462-4930-883a-8abd4a95e14f');
    expect(found.lines[0]).toBe('[380fa022-4462-4930-883a-8abd4a95e14f] Started POST "/users" for 127.0.0.1 at 2026-11-28 19:42:51 +0000');
    expect(found.lines.join('\n')).not.toContain('11111111');
    expect(parseDuplicateKey(found.lines)).toMatchObject({ constraint: 'users_pkey' });
  });

  it('Django: by what the log gained during the request (the traceback), with the key from DETAIL', () => {
    const file = join(dir, 'django.log');
    writeFileSync(file, '2026-11-28 19:40:00,000 WARNING django.security.csrf Forbidden (CSRF cookie not set.): /old/\n');
    const offset = statSync(file).size;
    appendFileSync(file, fixture('django').split('\n').filter((l) => !l.includes('WARNING')).join('\n'));
    const found = searchServerLog({ file, offset });
    expect(found.found).toBe(true);
    expect(found.how).toMatch(/^the \d+ KB the log gained during the request$/);
    expect(found.lines.join('\n')).not.toContain('/old/');
    expect(parseDuplicateKey(found.lines)).toEqual({ constraint: 'auth_user_pkey', columns: 'id', value: '5' });
  });

  it('says when it finds nothing: the log gained no line during the request', () => {
    const file = join(dir, 'quiet.log');
    writeFileSync(file, fixture('express'));
    const found = searchServerLog({ file, offset: statSync(file).size });
    expect(found).toEqual({ lines: [], how: 'the log gained nothing during the request', found: false });
  });

  it('keeps the lines that say what failed, not the stack frames', () => {
    const lines = keyLines(fixture('express'));
    expect(lines).toContain('2026-11-28T19:43:16.438Z POST /register 500 error: duplicate key value violates unique constraint "users_pkey"');
    expect(lines.some((l) => l.startsWith('at '))).toBe(false);
  });
});

describe('password hashes in log lines', () => {
  it('masks the bcrypt hash Laravel logs with the failed INSERT, and Django / argon2 encodings', async () => {
    const { maskPasswordHashes } = await import('../../src/register-test/server-log.js');
    const bcrypt = '$2y$10$' + 'abcdefghijklmnopqrstuv'.repeat(2) + 'abcdefghi';
    const line = `DETAIL:  Key (id)=(4) already exists. (SQL: insert into "users" ("name", "email", "password") values (Test User, a@b.test, ${bcrypt}, 2026-11-28)`;
    expect(maskPasswordHashes(line)).toBe('DETAIL:  Key (id)=(4) already exists. (SQL: insert into "users" ("name", "email", "password") values (Test User, a@b.test, [hash], 2026-11-28)');
    expect(maskPasswordHashes('pw pbkdf2_sha256$260000$salt$hashvalue= end')).toBe('pw [hash] end');
    expect(maskPasswordHashes('$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA')).toBe('[hash]');
    expect(maskPasswordHashes('x argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA, y')).toBe('x [hash], y');
  });
});
