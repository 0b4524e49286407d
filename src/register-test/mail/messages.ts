/**
 * Raw messages for one address, from a mail catcher's API or from mail files. Parsing is mailparser's
 * (nodemailer's MIME parser): encoded words, quoted-printable and multipart bodies are its job, not ours.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { ConfigError } from '../../errors.js';
import type { MailSource } from './source.js';

export interface MailMessage {
  to: string[];
  subject: string;
  date?: Date;
  text: string;
  html: string;
}

export async function parseMessage(raw: string | Buffer): Promise<MailMessage> {
  const mail: ParsedMail = await simpleParser(raw);
  const list = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => (v.address ?? '').toLowerCase()));
  return { to: list(mail.to), subject: mail.subject ?? '', ...(mail.date ? { date: mail.date } : {}), text: mail.text ?? '', html: typeof mail.html === 'string' ? mail.html : '' };
}

/** Every message to `address` the source holds now, oldest first. */
export async function messagesFor(source: MailSource, address: string, fetchTimeoutMs = 5_000): Promise<MailMessage[]> {
  const raws = source.kind === 'catcher' ? await catcherRaws(source, address, fetchTimeoutMs) : fileRaws(source.path);
  const wanted = address.toLowerCase();
  const parsed = await Promise.all(raws.map((r) => parseMessage(r)));
  return parsed.filter((m) => m.to.includes(wanted)).sort((a, b) => (a.date?.getTime() ?? 0) - (b.date?.getTime() ?? 0));
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const res = await fetchOrFail(url, timeoutMs);
  return res.json();
}

async function fetchOrFail(url: string, timeoutMs: number): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new ConfigError(`cannot reach the mail catcher at ${new URL(url).origin}: ${(error as Error).message}`, { hint: 'Is it running, and is --otp-from pointing at its web/API port (Mailpit 8025, maildev 1080)?' });
  }
  if (!res.ok) throw new ConfigError(`the mail catcher answered ${res.status} to GET ${new URL(url).pathname}`, { hint: 'Check that --otp-from names the right catcher (mailpit / maildev) and port.' });
  return res;
}

async function catcherRaws(source: Extract<MailSource, { kind: 'catcher' }>, address: string, timeoutMs: number): Promise<string[]> {
  const wanted = address.toLowerCase();
  if (source.api === 'maildev') {
    const list = (await getJson(`${source.url}/api/email`, timeoutMs)) as { id: string; to?: { address: string }[] }[];
    const ids = list.filter((m) => (m.to ?? []).some((t) => t.address.toLowerCase() === wanted)).map((m) => m.id);
    return Promise.all(ids.map(async (id) => (await fetchOrFail(`${source.url}/api/email/${encodeURIComponent(id)}/source`, timeoutMs)).text()));
  }
  // Mailpit (/api/v1) first, MailHog (/api/v2) when Mailpit's API is not there.
  const pit = await fetch(`${source.url}/api/v1/messages?limit=200`, { signal: AbortSignal.timeout(timeoutMs) }).catch(() => undefined);
  if (pit?.ok) {
    const list = (await pit.json()) as { messages?: { ID: string; To?: { Address: string }[] }[] };
    const ids = (list.messages ?? []).filter((m) => (m.To ?? []).some((t) => t.Address.toLowerCase() === wanted)).map((m) => m.ID);
    return Promise.all(ids.map(async (id) => (await fetchOrFail(`${source.url}/api/v1/message/${encodeURIComponent(id)}/raw`, timeoutMs)).text()));
  }
  const hog = (await getJson(`${source.url}/api/v2/search?kind=to&query=${encodeURIComponent(address)}`, timeoutMs)) as { items?: { Raw?: { Data?: string } }[] };
  return (hog.items ?? []).map((i) => i.Raw?.Data ?? '').filter(Boolean);
}

/**
 * Files: a maildir (new/ and cur/, one message per file), a folder of Django's .log files (messages separated
 * by a line of 79 dashes) or Rails' per-recipient files (messages appended one after another), or one such file.
 */
export function fileRaws(path: string): string[] {
  let files: string[];
  try {
    const st = statSync(path);
    files = st.isDirectory() ? listFiles(path) : [path];
  } catch (error) {
    throw new ConfigError(`cannot read mail files at ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return files.flatMap((f) => splitMessages(readFileSync(f, 'utf8')));
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return ['new', 'cur'].includes(e.name) || e.name === 'tmp' ? (e.name === 'tmp' ? [] : listFiles(p)) : listFiles(p);
    return e.isFile() ? [p] : [];
  });
}

/** One file may hold several messages: Django's separator line, or a new header block starting with Date:/From:. */
export function splitMessages(text: string): string[] {
  return text
    .split(/^-{79}\r?\n/m)
    .flatMap((chunk) => chunk.split(/\r?\n\r?\n(?=(?:Date|Return-Path|From|Message-ID): [^\n]*\r?\n(?:[A-Za-z-]+: ))/))
    .filter((chunk) => /^[A-Za-z-]+: /m.test(chunk.trimStart()));
}
