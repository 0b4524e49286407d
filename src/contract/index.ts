/** Every command's --json fields besides the envelope: the list docs/json.md is checked against. */
import { DOCTOR_FIELDS } from './doctor.js';
import { EXPLAIN_FIELDS } from './explain.js';
import { INIT_FIELDS } from './init.js';
import { REGISTER_TEST_FIELDS } from './register-test.js';
import { SEQUENCES_FIELDS } from './sequences.js';
import { RATE_LIMITS_FIELDS, TEMP_REGISTRATIONS_FIELDS } from './state.js';

/** In every document: `error` only on a usage, config or connection failure (exit 2). */
export const ENVELOPE_FIELDS = ['schemaVersion', 'command', 'ok', 'error'] as const;

export const DOCUMENT_FIELDS = {
  sequences: SEQUENCES_FIELDS,
  doctor: DOCTOR_FIELDS,
  'temp-registrations': TEMP_REGISTRATIONS_FIELDS,
  'rate-limits': RATE_LIMITS_FIELDS,
  'register-test': REGISTER_TEST_FIELDS,
  explain: EXPLAIN_FIELDS,
  init: INIT_FIELDS,
} as const;
