/**
 * Turns a signup form into a flow (src/http/flow.ts): GET the page (capturing the CSRF token and every hidden
 * input afresh on each run), then POST the form with the generated user. Pure: the page comes in as text.
 */
import type { Capture, Flow, FlowStep } from '../../http/flow.js';
import type { SignupFieldRole, StackKnowledge } from '../../knowledge/types.js';
import { CSRF_COOKIE_HEADERS, CSRF_FIELD_NAMES, DISCOVERY_VARIABLES, ROLE_VALUE, classifyInput, fillerFor, variableName } from './fields.js';
import { metaContent, type HtmlForm } from './html-form.js';

export interface SignupForm {
  form: HtmlForm;
  /** Which roles the form has: a signup form has a password and an email or username. */
  roles: Map<SignupFieldRole, string[]>;
  score: number;
}

const LOGIN_ACTION = /log_?in|sign_?in|session|auth\/login/i;

/** The form on a page most likely to be its signup form, or undefined (a login or search form is not one). */
export function pickSignupForm(forms: HtmlForm[], stack?: StackKnowledge): SignupForm | undefined {
  const candidates = forms.flatMap((form) => {
    if (form.method !== 'POST') return [];
    const roles = new Map<SignupFieldRole, string[]>();
    for (const input of form.inputs) {
      if (input.type === 'hidden' || input.type === 'submit') continue;
      const role = classifyInput(input, stack?.signupProfile);
      if (role) roles.set(role, [...(roles.get(role) ?? []), input.name]);
    }
    if (!roles.has('password') || !(roles.has('email') || roles.has('username'))) return [];
    const confirmation = roles.has('passwordConfirmation');
    if (LOGIN_ACTION.test(form.action) && !confirmation) return [];
    const score = (confirmation ? 2 : 0) + (/sign_?up|register|regist|join|users$/i.test(form.action + form.id) ? 2 : 0) + (roles.has('email') ? 1 : 0);
    return [{ form, roles, score }];
  });
  return candidates.sort((a, b) => b.score - a.score)[0];
}

export interface CsrfFinding {
  how: 'hidden' | 'meta' | 'cookie' | 'none';
  /** The hidden input, meta name or cookie. */
  name?: string;
  header?: string;
}

/** How the page protects its form: a hidden input, a meta tag sent as a header, or a cookie mirrored into one. */
export function findCsrf(page: string, form: HtmlForm, cookies: string[], stack?: StackKnowledge): CsrfFinding {
  const names = [stack?.signupProfile?.csrfField, ...CSRF_FIELD_NAMES].filter((n): n is string => Boolean(n));
  const hidden = form.inputs.find((i) => i.type === 'hidden' && names.some((n) => n.toLowerCase() === i.name.toLowerCase()));
  if (hidden) return { how: 'hidden', name: hidden.name };
  if (metaContent(page, 'csrf-token') !== undefined) return { how: 'meta', name: 'csrf-token', header: 'X-CSRF-Token' };
  const mirrors = [...(stack?.signupProfile?.csrfCookie ? [stack.signupProfile.csrfCookie] : []), ...CSRF_COOKIE_HEADERS];
  const mirror = mirrors.find((m) => cookies.includes(m.cookie));
  if (mirror) return { how: 'cookie', name: mirror.cookie, header: mirror.header };
  return { how: 'none' };
}

export interface FormFlowInput {
  /** The page path the form was on (after redirects). */
  pagePath: string;
  /** The page's full URL, to resolve the form's action. */
  pageUrl: string;
  page: string;
  signup: SignupForm;
  csrf: CsrfFinding;
  stack?: StackKnowledge;
}

export interface FormFlow {
  flow: Flow;
  /** One line per field: what it is and what healfix sends. */
  fields: string[];
}

export function buildFormFlow(input: FormFlowInput): FormFlow {
  const { signup, csrf, stack } = input;
  const profile = stack?.signupProfile;
  const capture: Record<string, Capture> = {};
  const form: Record<string, string> = {};
  const fields: string[] = [];
  let submitSeen = false;
  for (const field of signup.form.inputs) {
    if (field.type === 'hidden') {
      const isCsrf = csrf.how === 'hidden' && field.name === csrf.name;
      const variable = isCsrf ? 'csrf' : variableName(field.name);
      capture[variable] = isCsrf ? { hidden: field.name, secret: true } : { hidden: field.name, optional: true };
      if (!isCsrf) form[field.name] = `{{${variable}}}`;
      else form[field.name] = '{{csrf}}';
      fields.push(`${field.name}: ${isCsrf ? 'CSRF token, read from the page on every run' : 'hidden, sent back as the page has it'}`);
      continue;
    }
    if (field.type === 'submit' || field.type === 'button' || field.type === 'image') {
      // A browser sends the clicked button's name=value (Rails' commit=Sign up); only the first.
      if (field.name && !submitSeen && field.type === 'submit') form[field.name] = field.value;
      submitSeen = true;
      continue;
    }
    const role = classifyInput(field, profile);
    if (role === 'terms') {
      form[field.name] = field.value || 'on';
      fields.push(`${field.name}: terms checkbox, ticked`);
    } else if (role) {
      form[field.name] = ROLE_VALUE[role];
      fields.push(`${field.name}: ${roleWords(role)} (${why(field)})`);
    } else if (field.type === 'checkbox' || field.type === 'radio') {
      if (field.required) form[field.name] = field.value || 'on';
      fields.push(`${field.name}: ${field.type}, ${field.required ? 'required: ticked' : 'left unticked'}`);
    } else if (field.required) {
      form[field.name] = fillerFor(field);
      fields.push(`${field.name}: required ${field.type} no rule names: sends "${form[field.name]}" (edit it in the saved flow)`);
    } else {
      fields.push(`${field.name}: optional ${field.type}, left empty`);
    }
  }
  const headers: Record<string, string> = {};
  if (csrf.how === 'meta') {
    capture.csrf = { meta: csrf.name!, secret: true };
    headers[csrf.header!] = '{{csrf}}';
  } else if (csrf.how === 'cookie') {
    capture.csrf = { cookie: csrf.name!, urlDecode: true, secret: true };
    headers[csrf.header!] = '{{csrf}}';
  }
  const action = new URL(signup.form.action || input.pageUrl, input.pageUrl);
  const steps: FlowStep[] = [
    { name: 'signup page', role: csrf.how === 'none' ? 'page' : 'csrf', method: 'GET', path: input.pagePath, response: 'html', expect: [200], ...(Object.keys(capture).length ? { capture } : {}) },
    {
      name: 'signup',
      role: 'signup',
      method: signup.form.method,
      path: `${action.pathname}${action.search}`,
      ...(Object.keys(headers).length ? { headers } : {}),
      form,
      response: 'any',
      expect: profile?.successStatus ?? [302, 303],
    },
  ];
  const usesName = Object.values(form).includes('{{full_name}}');
  return {
    flow: {
      name: stack ? `${stack.id} (discovered)` : 'discovered signup form',
      description: `Discovered by healfix register-test --profile auto from ${input.pagePath}${stack ? ` (${stack.title})` : ''}. Edit freely and pass back with --flow.`,
      ...(usesName ? { variables: { ...DISCOVERY_VARIABLES } } : {}),
      steps,
      ...databaseOf(stack),
    },
    fields,
  };
}

export function databaseOf(stack?: StackKnowledge): Pick<Flow, 'database'> {
  const p = stack?.signupProfile;
  if (!p?.account) return {};
  return { database: { writes: [p.account.table], account: { ...p.account }, ...(p.cleanup ? { cleanup: p.cleanup.map((c) => ({ ...c })) } : {}) } };
}

function roleWords(role: SignupFieldRole): string {
  return { email: 'email', username: 'username', password: 'password', passwordConfirmation: 'password confirmation', name: 'name', terms: 'terms', phone: 'phone' }[role];
}

function why(field: { type: string; autocomplete: string }): string {
  return [field.type !== 'text' ? `type=${field.type}` : '', field.autocomplete && field.autocomplete !== 'off' ? `autocomplete=${field.autocomplete}` : ''].filter(Boolean).join(', ') || 'by its name';
}
