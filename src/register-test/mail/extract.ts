/**
 * What a signup mail carries: a confirmation link on the app's own origin, or a one-time code. Pure.
 */
import { parseLinks } from '../discover/html-form.js';
import type { MailMessage } from './messages.js';

const LINK_WORDS = /confirm|verif|activat|token|key=|\/[A-Za-z0-9_-]{20,}/i;

/** The confirmation link's path on `baseUrl` (never another host), the most link-like first. */
export function confirmationLink(mail: Pick<MailMessage, 'text' | 'html'>, baseUrl: string): string | undefined {
  const base = new URL(baseUrl);
  const found = [...(mail.text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? []), ...parseLinks(mail.html).map((l) => l.href)];
  const paths = found.flatMap((href) => {
    try {
      const url = new URL(href.replace(/[.,;]+$/, ''), base);
      return url.origin === base.origin ? [`${url.pathname}${url.search}`] : [];
    } catch {
      return [];
    }
  });
  return paths.find((p) => LINK_WORDS.test(p));
}

/** A 4-8 digit (or 6-8 character) code named as a code, OTP, PIN or verification code. */
export function oneTimeCode(mail: Pick<MailMessage, 'text' | 'subject'>): string | undefined {
  const text = `${mail.subject}\n${mail.text}`;
  const named = /(?:code|otp|pin|passcode|one[- ]time)[^\n\d]{0,40}?\b([A-Z0-9]{4,8})\b/i.exec(text);
  if (named && /\d/.test(named[1]!)) return named[1];
  return /\b(\d{6})\b/.exec(text)?.[1];
}
