import { describe, expect, it } from 'vitest';
import { maskCode, maskEmail, maskUrl, redact, redactingReplacer, scrub } from '../../src/secrets.js';
import { jsonDocument, jsonReplacer } from '../../src/report/json.js';
import { parseDuration } from '../../src/db/session.js';

describe('masking', () => {
  it('masks the password of any URL, including query-string passwords', () => {
    expect(maskUrl('postgres://app:p%40ss@host:5432/db')).toBe('postgres://app:****@host:5432/db');
    expect(maskUrl('postgres://app@host/db')).toBe('postgres://app@host/db');
    expect(maskUrl('postgres://host/db?user=a&password=secret&sslmode=require')).toBe('postgres://host/db?user=a&password=****&sslmode=require');
  });

  it('keeps only the shape of codes and the domain of emails', () => {
    expect(maskCode('482913')).toBe('******');
    expect(maskCode(null)).toBe('');
    expect(maskEmail('alice@example.com')).toBe('a****@example.com');
  });

  it('redacts secret-looking fields at any depth but keeps the rest', () => {
    const out = redact({ user: 'bob', password: 'Hunter2!', pin: '1234', nested: [{ otp_code: '123456', csrfToken: 'abc', count: 3, code: 'CSRF_FAILED', exitCode: 1 }] });
    expect(out).toEqual({ user: 'bob', password: '****', pin: '****', nested: [{ otp_code: '****', csrfToken: '****', count: 3, code: 'CSRF_FAILED', exitCode: 1 }] });
  });

  it('the replacer of streamed items writes what redact() then JSON.stringify would, Dates and bigints included', () => {
    const item = {
      user: 'bob',
      password: 'Hunter2!',
      pinCount: 4,
      tokenExpiresAt: new Date('2026-11-28T10:00:00Z'),
      rows: 12345678901234567890n,
      nested: [{ otp_code: '123456', count: 3, code: 'CSRF_FAILED' }, 'password'],
    };
    const streamed = JSON.stringify(item, redactingReplacer);
    expect(streamed).toBe(JSON.stringify(redact(item), jsonReplacer));
    expect(JSON.parse(streamed)).toMatchObject({ password: '****', pinCount: 4, tokenExpiresAt: '2026-11-28T10:00:00.000Z', rows: '12345678901234567890', nested: [{ otp_code: '****', count: 3 }, 'password'] });
  });

  it('scrubs known secrets out of free text', () => {
    expect(scrub('login failed for SecurePass123!@ via token abcdef', ['SecurePass123!@', 'abcdef', undefined])).toBe('login failed for **** via token ****');
  });

  it('never lets a secret field through the JSON document', () => {
    const doc = JSON.parse(jsonDocument('register-test', false, { steps: [{ body: { password: 'Sup3r$ecret!', username: 'u1' } }] }));
    expect(doc).toMatchObject({ schemaVersion: 1, command: 'register-test', ok: false });
    expect(JSON.stringify(doc)).not.toContain('Sup3r$ecret!');
  });
});

describe('parseDuration', () => {
  it('reads ms, s and m and rejects nonsense', () => {
    expect(parseDuration('500ms', '--lock-timeout')).toBe(500);
    expect(parseDuration('30s', '--statement-timeout')).toBe(30_000);
    expect(parseDuration('2m', '--statement-timeout')).toBe(120_000);
    expect(() => parseDuration('1500', '--lock-timeout')).toThrow('--lock-timeout needs a unit: 1500ms, 1500s or 1500m, got "1500"');
    expect(() => parseDuration('soon', '--lock-timeout')).toThrow('--lock-timeout must be a duration like 500ms, 30s or 2m, got "soon"');
    expect(() => parseDuration('0s', '--lock-timeout')).toThrow(/between 1ms and 24h/);
  });
});
