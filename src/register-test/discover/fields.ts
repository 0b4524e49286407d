/**
 * What each signup field is for, from its name, type, autocomplete token and label (the generic rules), or from
 * a stack's own field names (src/knowledge/*.ts signupProfile.fields). Pure.
 */
import type { SignupFieldRole, SignupProfile } from '../../knowledge/types.js';
import type { FormInput } from './html-form.js';

/** The template each role gets: the generated test user's values (src/register-test/test-user.ts generateTestUser). */
export const ROLE_VALUE: Record<SignupFieldRole, string> = {
  email: '{{email}}',
  username: '{{username}}',
  password: '{{password}}',
  passwordConfirmation: '{{password}}',
  name: '{{full_name}}',
  terms: 'on',
  phone: '{{phone}}',
};

/** The default for {{full_name}}: a flow file's `variables` (the user edits it there). */
export const DISCOVERY_VARIABLES = { full_name: 'Healfix Test' };

/** CSRF hidden inputs as the common stacks name them (Django, Rails, Laravel, Flask-WTF, csurf/csrf-csrf). */
export const CSRF_FIELD_NAMES = ['csrfmiddlewaretoken', 'authenticity_token', '_token', 'csrf_token', '_csrf', 'csrf', '_csrf_token', '__RequestVerificationToken'];

/** CSRF cookies a stack reads back from a header (Angular/axios convention; Django's csrftoken). */
export const CSRF_COOKIE_HEADERS = [
  { cookie: 'XSRF-TOKEN', header: 'X-XSRF-TOKEN' },
  { cookie: 'csrftoken', header: 'X-CSRFToken' },
  { cookie: 'csrf_token', header: 'X-CSRF-Token' },
];

const CONFIRM = /confirm|again|repeat|verify|retype|(^|[^a-z])2$|password2|_2\b/i;

/** The role of one field by generic rules; undefined = not a signup field healfix fills (left as the page has it). */
export function classifyInput(input: Pick<FormInput, 'name' | 'type' | 'autocomplete' | 'label'>, profile?: Pick<SignupProfile, 'fields'>): SignupFieldRole | undefined {
  for (const [role, names] of Object.entries(profile?.fields ?? {})) if (names?.includes(input.name)) return role as SignupFieldRole;
  const name = input.name.toLowerCase();
  const tokens = input.autocomplete.split(/\s+/);
  const words = `${name} ${input.label.toLowerCase()}`;
  if (input.type === 'password' || tokens.includes('new-password') || tokens.includes('current-password')) return CONFIRM.test(name) ? 'passwordConfirmation' : 'password';
  if (input.type === 'checkbox') return /terms|tos\b|agree|accept|consent|policy|gdpr/.test(words) ? 'terms' : undefined;
  if (input.type === 'email' || tokens.includes('email') || /e-?mail/.test(name)) return 'email';
  if (tokens.includes('username') || /(^|[^a-z])(user_?name|username|login|handle|nick(name)?)([^a-z]|$)/.test(name)) return 'username';
  if (input.type === 'tel' || tokens.includes('tel') || /phone|mobile/.test(name)) return 'phone';
  if (tokens.some((t) => ['name', 'given-name', 'family-name', 'nickname'].includes(t)) || /(^|[^a-z])(full_?name|name|first_?name|last_?name|display_?name)([^a-z]|$)/.test(name)) return 'name';
  return undefined;
}

/** Same rules for a bare field name (JSON APIs tell healfix names only). */
export function classifyName(name: string, profile?: Pick<SignupProfile, 'fields'>): SignupFieldRole | undefined {
  const type = /pass(word)?|passwd/i.test(name) ? 'password' : 'text';
  return classifyInput({ name, type, autocomplete: '', label: '' }, profile);
}

/** A value for a required field no rule names: a date, a number or a word, said in the explanation. */
export function fillerFor(input: Pick<FormInput, 'type' | 'firstOption'>): string {
  if (input.firstOption !== undefined) return input.firstOption;
  if (input.type === 'date') return '1990-01-01';
  if (input.type === 'number' || input.type === 'range') return '1';
  if (input.type === 'url') return 'https://example.com';
  return 'healfix';
}

/** "user[email]" -> "user_email": a {{variable}}-safe name for a hidden input's capture. */
export function variableName(field: string): string {
  return `hidden_${field.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '')}`;
}
