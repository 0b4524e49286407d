import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/exec.js';

describe('register-test --otp-from (binary)', () => {
  it('an unknown source is one line naming the accepted ones, exit 2, before any request; --json too', async () => {
    const r = await runCli(['register-test', '--url', 'http://127.0.0.1:1', '--otp-from', 'imap:x']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe('healfix: --otp-from must be db, mailpit[=URL], maildev[=URL], maildir:PATH or file:PATH, got "imap:x"');
    const json = await runCli(['register-test', '--url', 'http://127.0.0.1:1', '--otp-from', 'mailpit=ftp://x', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false });
  });

  it('a mail source needs no database (only --otp-from db does)', async () => {
    const r = await runCli(['register-test', '--url', 'http://127.0.0.1:1', '--otp-from', 'maildev']);
    // It gets as far as the server, which refuses: the connection error, not "needs a database".
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('healfix: connection refused by 127.0.0.1:1');
    const db = await runCli(['register-test', '--url', 'http://127.0.0.1:1', '--otp-from', 'db']);
    expect(db.stderr.split('\n')[0]).toBe('healfix: --otp-from db needs a database');
  });
});
