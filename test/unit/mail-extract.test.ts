import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { confirmationLink, oneTimeCode } from '../../src/register-test/mail/extract.js';
import { messagesFor, parseMessage, splitMessages } from '../../src/register-test/mail/messages.js';
import { parseMailSource } from '../../src/register-test/mail/source.js';
import { readCodeFromMail } from '../../src/register-test/mail/read.js';
import { clearSecrets, maskSecrets, registerSecret } from '../../src/secrets.js';

const mail = (to: string, body: string, type = 'text/plain') =>
  `Content-Type: ${type}; charset="utf-8"\nMIME-Version: 1.0\nContent-Transfer-Encoding: quoted-printable\nSubject: [example.com] Please Confirm Your E-mail Address\nFrom: webmaster@localhost\nTo: ${to}\nDate: Sat, 28 Nov 2026 19:00:00 -0000\nMessage-ID: <1@x>\n\n${body}\n`;
/** As the mail gem writes it (Rails :file delivery): Date first, CRLF lines. */
const railsMail = (to: string, body: string) =>
  `Date: Sat, 28 Nov 2026 19:00:00 +0000\r\nFrom: please-change-me@example.com\r\nTo: ${to}\r\nMessage-ID: <2@x.mail>\r\nSubject: Confirmation instructions\r\nMime-Version: 1.0\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${body}\r\n`;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('--otp-from sources', () => {
  it('parses each form and refuses others with the list', () => {
    expect(parseMailSource('db')).toBeUndefined();
    expect(parseMailSource('mailpit')).toEqual({ kind: 'catcher', api: 'mailpit', url: 'http://127.0.0.1:8025' });
    expect(parseMailSource('mailhog=http://mail:8025/')).toEqual({ kind: 'catcher', api: 'mailpit', url: 'http://mail:8025' });
    expect(parseMailSource('maildev=http://127.0.0.1:1080')).toEqual({ kind: 'catcher', api: 'maildev', url: 'http://127.0.0.1:1080' });
    expect(parseMailSource('file:tmp/mail')).toEqual({ kind: 'files', path: 'tmp/mail' });
    expect(parseMailSource('maildir:/var/mail/x')).toEqual({ kind: 'files', path: '/var/mail/x' });
    expect(() => parseMailSource('imap:x')).toThrow('--otp-from must be db, mailpit[=URL], maildev[=URL], maildir:PATH or file:PATH, got "imap:x"');
    expect(() => parseMailSource('mailpit=ftp://x')).toThrow(/needs an http:\/\/ URL/);
  });
});

describe('reading mail files', () => {
  it("Django's file backend: several messages in one .log, separated by 79 dashes; only the address's own are returned", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-mail-'));
    dirs.push(dir);
    const sep = `${'-'.repeat(79)}\n`;
    writeFileSync(join(dir, '20261128-190000-1.log'), mail('a@example.com', 'Go to http://127.0.0.1:8000/accounts/confirm-email/MQ:1kx:abc/') + sep + mail('b@example.com', 'Go to http://127.0.0.1:8000/accounts/confirm-email/Mg:1kx:def/') + sep);
    const found = await messagesFor({ kind: 'files', path: dir }, 'B@example.com');
    expect(found).toHaveLength(1);
    expect(confirmationLink(found[0]!, 'http://127.0.0.1:8000')).toBe('/accounts/confirm-email/Mg:1kx:def/');
  });

  it('a maildir: new/ and cur/ read, tmp/ (being written) not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-maildir-'));
    dirs.push(dir);
    for (const d of ['new', 'cur', 'tmp']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'new', '1.eml'), mail('c@example.com', 'Your code is 482913'));
    writeFileSync(join(dir, 'tmp', '2.eml'), mail('c@example.com', 'Your code is 111111'));
    const found = await messagesFor({ kind: 'files', path: dir }, 'c@example.com');
    expect(found.map((m) => oneTimeCode(m))).toEqual(['482913']);
  });

  it("Rails' :file delivery appends messages: each one is split out", () => {
    const one = railsMail('d@example.com', '<p>Welcome d@example.com!</p>\r\n\r\n<p>You can confirm your account email through the link below:</p>');
    expect(splitMessages(`${one}\r\n\r\n${one}\r\n\r\n`)).toHaveLength(2);
  });
});

describe('what a mail carries', () => {
  it('a link only on the app\'s origin, the confirmation-looking one; quoted-printable decoded by mailparser', async () => {
    const m = await parseMessage(mail('e@example.com', 'Terms: http://127.0.0.1:3000/terms\nConfirm: http://127.0.0.1:3000/users/confirmation?confirmation_token=3D=\nabc_DEF-123\nPhish: http://evil.test/confirm?x=3D1'));
    expect(confirmationLink(m, 'http://127.0.0.1:3000')).toBe('/users/confirmation?confirmation_token=abc_DEF-123');
    expect(confirmationLink(m, 'http://127.0.0.1:4000')).toBeUndefined();
    const html = await parseMessage(mail('e@example.com', '<p><a href=3D"http://127.0.0.1:3000/verify/abcdefabcdefabcdefabcdef">Verify</a></p>', 'text/html'));
    expect(confirmationLink(html, 'http://127.0.0.1:3000')).toBe('/verify/abcdefabcdefabcdefabcdef');
  });

  it('codes named as codes; a year or a phone number is not one', () => {
    expect(oneTimeCode({ subject: 'Welcome', text: 'Your verification code: 093154. It expires in 10 minutes.' })).toBe('093154');
    expect(oneTimeCode({ subject: 'Your OTP is 5521', text: '' })).toBe('5521');
    expect(oneTimeCode({ subject: 'Hello', text: 'Since 2026, call +44 20 7946 0958.' })).toBeUndefined();
  });
});

describe('a code or link read from mail is registered for every writer', () => {
  it('readCodeFromMail registers the code: maskSecrets (every writer) hides it, also percent-encoded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-mail-code-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'm.eml'), mail('f@example.com', 'Your verification code: 730154'));
    clearSecrets();
    const code = await readCodeFromMail({ kind: 'files', path: dir }, 'f@example.com', { timeoutMs: 1_000 });
    expect(code).toBe('730154');
    expect(maskSecrets('code 730154 sent')).toBe('code **** sent');
    registerSecret('/accounts/confirm-email/Mw:1kx:zzz/');
    expect(maskSecrets('link %2Faccounts%2Fconfirm-email%2FMw%3A1kx%3Azzz%2F')).toBe('link ****');
    clearSecrets();
  });
});
