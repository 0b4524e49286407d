/**
 * Follows a confirmation link like a person: GET it; when the page asks to press a button (allauth's
 * "Confirm" form, ACCOUNT_CONFIRM_EMAIL_ON_GET = False), POST that form with its hidden inputs.
 */
import type { HttpRequest, HttpResponse } from '../../http/client.js';
import { parseForms } from '../discover/html-form.js';

export interface ConfirmClient {
  send(req: HttpRequest): Promise<HttpResponse>;
}

export interface ConfirmResult {
  /** 'GET' alone, or 'GET+POST' when the page had a confirm form. */
  steps: string;
  status: number;
}

export async function followConfirmation(client: ConfirmClient, linkPath: string): Promise<ConfirmResult> {
  const page = await client.send({ method: 'GET', path: linkPath });
  // allauth re-signs the key when it renders the page, so the form's action is not the link itself: the confirm
  // form is the POST form with nothing to fill in (hidden inputs and a button only).
  const form = page.status === 200 ? parseForms(page.body).find((f) => f.method === 'POST' && f.inputs.every((i) => i.type === 'hidden' || i.type === 'submit')) : undefined;
  if (!form) return { steps: 'GET', status: page.status };
  const fields = Object.fromEntries(form.inputs.filter((i) => i.type === 'hidden' || (i.type === 'submit' && i.name)).map((i) => [i.name, i.value]));
  const action = new URL(form.action || page.url, page.url);
  const posted = await client.send({ method: 'POST', path: `${action.pathname}${action.search}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  return { steps: 'GET+POST', status: posted.status };
}
