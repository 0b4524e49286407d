import { findAll, getAttributeValue, textContent } from 'domutils';
import { parseDocument } from 'htmlparser2';
import { CookieJar } from 'tough-cookie';

export interface Page {
  status: number;
  url: string;
  /** Location header of a redirect (the browser does not follow it; the test decides). */
  location: string | null;
  headers: Headers;
  html: string;
}

/**
 * What a person's browser does for a server-rendered form, no more: keeps cookies, never follows redirects
 * on its own (tests assert on the 302), and reads forms with a real HTML parser.
 */
export class Browser {
  readonly jar = new CookieJar();

  constructor(readonly baseUrl: string) {}

  async get(path: string): Promise<Page> {
    return this.request(path, { method: 'GET' });
  }

  /** POSTs fields as application/x-www-form-urlencoded, like a form submit. */
  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.baseUrl, referer: new URL(path, this.baseUrl).toString(), ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** The value of a cookie the server set for this origin, as the browser would send it. */
  async cookie(name: string): Promise<string | undefined> {
    return (await this.jar.getCookies(this.baseUrl)).find((c) => c.key === name)?.value;
  }

  private async request(path: string, init: RequestInit): Promise<Page> {
    const url = new URL(path, this.baseUrl).toString();
    const cookie = await this.jar.getCookieString(url);
    const headers = new Headers(init.headers);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    for (const line of response.headers.getSetCookie()) await this.jar.setCookie(line, url);
    return { status: response.status, url, location: response.headers.get('location'), headers: response.headers, html: await response.text() };
  }
}

/** The hidden inputs of the first form on the page whose action or id matches (CSRF tokens, utf8 markers). */
export function hiddenInputs(html: string, formMatch: (attrs: Record<string, string>) => boolean = () => true): Record<string, string> {
  const document = parseDocument(html);
  const form = findAll((el) => el.name === 'form' && formMatch(el.attribs), document.children)[0];
  if (!form) throw new Error('no matching <form> on the page');
  const fields: Record<string, string> = {};
  for (const input of findAll((el) => el.name === 'input' && getAttributeValue(el, 'type') === 'hidden', form.children)) {
    const name = getAttributeValue(input, 'name');
    if (name) fields[name] = getAttributeValue(input, 'value') ?? '';
  }
  return fields;
}

/** Visible text of the elements matching a class name (error lists), whitespace collapsed. */
export function textOfClass(html: string, className: string): string[] {
  const document = parseDocument(html);
  return findAll((el) => (getAttributeValue(el, 'class') ?? '').split(/\s+/).includes(className), document.children).map((el) =>
    textContent(el).replace(/\s+/g, ' ').trim(),
  );
}

/** Visible text of a whole page, whitespace collapsed (for asserting on a framework's flash messages). */
export function pageText(html: string): string {
  return textContent(parseDocument(html)).replace(/\s+/g, ' ').trim();
}

/** The href of every <a> on a page or in an HTML mail, in document order. */
export function links(html: string): string[] {
  return findAll((el) => el.name === 'a', parseDocument(html).children)
    .map((el) => getAttributeValue(el, 'href'))
    .filter((href): href is string => Boolean(href));
}
