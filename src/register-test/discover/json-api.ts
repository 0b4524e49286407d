/**
 * JSON signup APIs, discovered the way a developer pokes at one: POST an empty object and read which fields
 * the validation error asks for (RealWorld's {"errors": {"email": [...]}}, express-validator's
 * [{"path": "email"}], FastAPI/pydantic's {"detail": [{"loc": ["body", "email"]}]}, zod's fieldErrors, or a
 * message naming the fields). Pure: the answer comes in as text.
 */
import type { Flow } from '../../http/flow.js';
import type { SignupFieldRole, StackKnowledge } from '../../knowledge/types.js';
import { DISCOVERY_VARIABLES, ROLE_VALUE, classifyName } from './fields.js';
import { databaseOf } from './form-flow.js';

/** Words a message may name a field by, when the answer has no structured errors. */
const FIELD_WORDS = ['email', 'username', 'password', 'name', 'full_name', 'phone', 'password_confirmation'];

/** Field names a validation answer asks for, in the order it names them; [] when it names none. */
export function fieldsFromValidationError(body: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return [];
  }
  const out: string[] = [];
  const add = (name: unknown) => {
    if (typeof name === 'string' && /^[A-Za-z_][\w.[\]-]{0,60}$/.test(name) && !['body', 'query', 'user', '__root__', 'non_field_errors'].includes(name) && !out.includes(name)) out.push(name);
  };
  const walk = (v: unknown, depth: number): void => {
    if (depth > 5 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach((x) => walk(x, depth + 1));
    const o = v as Record<string, unknown>;
    // Lists of issues naming their field.
    for (const key of ['param', 'path', 'field', 'property', 'loc', 'attribute']) {
      const f = o[key];
      if (typeof f === 'string') add(f.split('.').pop());
      else if (Array.isArray(f) && f.length) add(f.filter((x) => typeof x === 'string').pop());
    }
    // Objects keyed by field: {"errors": {"email": [...]}}, {"fieldErrors": {...}}, Laravel's {"errors": {...}}.
    for (const key of ['errors', 'fieldErrors', 'field_errors', 'details', 'detail', 'issues', 'properties', 'user']) {
      const inner = o[key];
      if (inner && typeof inner === 'object' && !Array.isArray(inner)) for (const k of Object.keys(inner)) add(k);
      walk(inner, depth + 1);
    }
    for (const key of ['required']) if (Array.isArray(o[key])) (o[key] as unknown[]).forEach(add);
  };
  walk(value, 0);
  if (out.length) return out;
  // "email and password are required", "Signup requires a valid password": the words it names.
  const text = JSON.stringify(value).toLowerCase();
  return FIELD_WORDS.filter((w) => new RegExp(`\\b${w}\\b`).test(text));
}

/** A 4xx JSON answer to POST {} that reads as "these fields are missing" (not a 404 page, not a CSRF refusal). */
export function isSchemaError(status: number, body: string): boolean {
  if (![400, 409, 422].includes(status)) return false;
  if (/csrf|xsrf|forgery/i.test(body)) return false;
  return fieldsFromValidationError(body).length > 0;
}

export interface JsonFlowInput {
  path: string;
  fields: string[];
  stack?: StackKnowledge;
  /** A CSRF cookie mirrored into a header, when GET / set one. */
  csrf?: { cookie: string; header: string };
}

export function buildJsonFlow(input: JsonFlowInput): { flow: Flow; fields: string[]; missing: SignupFieldRole[] } {
  const profile = input.stack?.signupProfile;
  const body: Record<string, string> = {};
  const notes: string[] = [];
  for (const name of input.fields) {
    const role = classifyName(name, profile);
    body[name] = role ? ROLE_VALUE[role] : 'healfix';
    notes.push(`${name}: ${role ?? 'unknown field, sends "healfix" (edit it in the saved flow)'}`);
  }
  const roles = new Set(input.fields.map((f) => classifyName(f, profile)));
  const missing: SignupFieldRole[] = [];
  if (!roles.has('password')) missing.push('password');
  if (!roles.has('email') && !roles.has('username')) missing.push('email');
  const json = profile?.jsonWrapper ? { [profile.jsonWrapper]: body } : body;
  const steps: Flow['steps'] = [];
  if (input.csrf) {
    steps.push({ name: 'csrf cookie', role: 'csrf', method: 'GET', path: '/', response: 'any', capture: { csrf: { cookie: input.csrf.cookie, urlDecode: true, secret: true } } });
  }
  steps.push({
    name: 'signup',
    role: 'signup',
    method: 'POST',
    path: input.path,
    ...(input.csrf ? { headers: { [input.csrf.header]: '{{csrf}}' } } : {}),
    json,
    expect: profile?.successStatus ?? [200, 201],
  });
  return {
    flow: {
      name: input.stack ? `${input.stack.id} (discovered)` : 'discovered JSON signup API',
      description: `Discovered by healfix register-test --profile auto: POST {} to ${input.path} asked for ${input.fields.join(', ')}. Edit freely and pass back with --flow.`,
      ...(Object.values(body).includes('{{full_name}}') ? { variables: { ...DISCOVERY_VARIABLES } } : {}),
      steps,
      ...databaseOf(input.stack),
    },
    fields: notes,
    missing,
  };
}
