/**
 * Where `--otp-from` reads the mail the app sent: a mail catcher's HTTP API (Mailpit, MailHog, maildev) or the
 * files a framework's file backend writes (Django's filebased EmailBackend, Rails' :file delivery, a maildir).
 */
import { UsageError } from '../../errors.js';

export type MailSource =
  | { kind: 'catcher'; api: 'mailpit' | 'maildev'; url: string }
  | { kind: 'files'; path: string };

/** Default web/API ports: Mailpit and MailHog 8025, maildev 1080. */
const DEFAULT_URL = { mailpit: 'http://127.0.0.1:8025', maildev: 'http://127.0.0.1:1080' };

/** Parses `mailpit[=URL]`, `maildev[=URL]`, `maildir:PATH`, `file:PATH`; undefined for `db` (read by the core). */
export function parseMailSource(value: string): MailSource | undefined {
  if (value === 'db') return undefined;
  const catcher = /^(mailpit|mailhog|maildev)(?:=(.+))?$/i.exec(value);
  if (catcher) {
    const api = catcher[1]!.toLowerCase() === 'maildev' ? 'maildev' : 'mailpit';
    const url = catcher[2] ?? DEFAULT_URL[api];
    if (!/^https?:\/\/[^/]/i.test(url)) throw new UsageError(`--otp-from ${catcher[1]}=URL needs an http:// URL, got "${url}"`);
    return { kind: 'catcher', api, url: url.replace(/\/+$/, '') };
  }
  const files = /^(maildir|file):(.+)$/i.exec(value);
  if (files) return { kind: 'files', path: files[2]! };
  throw new UsageError(`--otp-from must be db, mailpit[=URL], maildev[=URL], maildir:PATH or file:PATH, got "${value}"`);
}

export function describeMailSource(source: MailSource): string {
  return source.kind === 'catcher' ? `${source.api === 'maildev' ? 'maildev' : 'Mailpit/MailHog'} at ${source.url}` : `mail files in ${source.path}`;
}
