/**
 * Waits (bounded) for the mail sent to the generated address and takes the code or the confirmation link out
 * of it. The value is registered as a secret at once, so every writer masks it (src/secrets.ts).
 */
import { HealfixError } from '../../errors.js';
import { registerSecret } from '../../secrets.js';
import { confirmationLink, oneTimeCode } from './extract.js';
import { messagesFor, type MailMessage } from './messages.js';
import { describeMailSource, type MailSource } from './source.js';

export interface MailWait {
  timeoutMs?: number;
  pollMs?: number;
  /** Messages already there before the signup: ignored (a rerun must not pick yesterday's code). */
  skip?: number;
}

export async function waitForMail(source: MailSource, address: string, wait: MailWait = {}): Promise<MailMessage> {
  const timeoutMs = wait.timeoutMs ?? 30_000;
  const started = Date.now();
  for (;;) {
    const messages = await messagesFor(source, address);
    const fresh = messages.slice(wait.skip ?? 0);
    if (fresh.length) return fresh.at(-1)!;
    if (Date.now() - started >= timeoutMs) {
      throw new HealfixError(`no mail to ${address} in ${describeMailSource(source)} within ${Math.round(timeoutMs / 1000)}s`, {
        hint: 'Check the app\'s mail settings point at this catcher or folder, and that the signup was accepted.',
      });
    }
    await new Promise((r) => setTimeout(r, wait.pollMs ?? 500));
  }
}

export async function readCodeFromMail(source: MailSource, address: string, wait?: MailWait): Promise<string> {
  const mail = await waitForMail(source, address, wait);
  const code = oneTimeCode(mail);
  if (!code) throw new HealfixError(`the mail to ${address} ("${mail.subject}") holds no code healfix recognises`, { hint: 'Use --otp CODE, or a flow whose verify step follows the mail\'s link.' });
  registerSecret(code);
  return code;
}

export async function readConfirmationLink(source: MailSource, address: string, baseUrl: string, wait?: MailWait): Promise<string> {
  const mail = await waitForMail(source, address, wait);
  const link = confirmationLink(mail, baseUrl);
  if (!link) throw new HealfixError(`the mail to ${address} ("${mail.subject}") holds no link on ${new URL(baseUrl).origin}`, { hint: 'Is the app\'s own host name the one in --url (Django Sites, Rails default_url_options)?' });
  registerSecret(link);
  return link;
}
