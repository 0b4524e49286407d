/**
 * What a step's answer must show beyond its status: the flow's own assertions (text present / absent,
 * final URL, first redirect's Location) and the framework's error markup on a page a POST re-rendered.
 * Pure: the answer comes in as data.
 */
import type { HttpResponse } from '../http/client.js';
import { isHtml } from '../http/diagnose.js';
import type { FlowStep } from '../http/flow.js';
import { readPageErrors, visibleText } from './html-errors.js';

export interface AssertionFailure {
  title: string;
  hint: string;
  /** The framework refused the data (field errors on a re-rendered form). */
  refused?: string[];
}

const pathOf = (url: string, base: string) => {
  const u = new URL(url, base);
  return `${u.pathname}${u.search}`;
};

type Judged = Pick<HttpResponse, 'url' | 'status' | 'headers' | 'body' | 'hops'>;

/**
 * A POST answered with a page carrying the framework's field errors was refused, whatever its status: the
 * form re-rendered directly (Django, Rails), or redirected back to itself to show the errors from the
 * session (Laravel's back()). A redirect elsewhere means the form was accepted: the page it leads to may show
 * an unrelated alert ("confirm your email before continuing") that is no refusal of the signup.
 */
export function refusedByPage(step: FlowStep, answer: Judged, where: string): AssertionFailure | undefined {
  if (step.method.toUpperCase() === 'GET' || !isHtml(answer)) return undefined;
  const first = answer.hops[0];
  if (first && new URL(answer.url).pathname !== new URL(first.url).pathname) return undefined;
  const errors = readPageErrors(answer.body);
  if (!errors.messages.length) return undefined;
  return {
    title: `${where} refused the data: ${errors.messages.map((m) => `"${m}"`).join('; ')}`,
    hint: `The app ${first ? `redirected back (${first.status}) to` : `answered ${answer.status} with`} the form again, its field errors shown (${errors.matchedBy.join(', ')}), and created nothing; adjust the data with --field key=value.`,
    refused: errors.messages,
  };
}

/** The first assertion the answer breaks (error markup, then the flow's own), or undefined. */
export function judgeAnswer(step: FlowStep, answer: Judged, where: string): AssertionFailure | undefined {
  const refused = refusedByPage(step, answer, where);
  if (refused) return refused;
  const html = isHtml(answer);
  const first = answer.hops[0];
  if (step.location !== undefined) {
    if (!first) return { title: `${where} answered ${answer.status}, not a redirect to ${step.location}`, hint: 'The flow expects a redirect (location); check the step or the app.' };
    const got = pathOf(first.location, first.url);
    if (got !== step.location) return { title: `${where} redirected to ${got}, not ${step.location}`, hint: 'The flow\'s "location" names where a successful step redirects.' };
  }
  if (step.finalUrl !== undefined) {
    const got = pathOf(answer.url, answer.url);
    if (got !== step.finalUrl) return { title: `${where} ended on ${got}, not ${step.finalUrl}`, hint: 'The flow\'s "finalUrl" names the page a successful step ends on.' };
  }
  const text = html ? visibleText(answer.body) : answer.body;
  const missing = (step.text ?? []).filter((t) => !text.includes(t));
  if (missing.length) return { title: `${where}: the answer does not show ${missing.map((t) => `"${t}"`).join(', ')}`, hint: 'The flow\'s "text" lists what a successful answer shows.' };
  const present = (step.notText ?? []).filter((t) => text.includes(t));
  if (present.length) return { title: `${where}: the answer shows ${present.map((t) => `"${t}"`).join(', ')}`, hint: 'The flow\'s "notText" lists what only a failed answer shows.' };
  return undefined;
}
