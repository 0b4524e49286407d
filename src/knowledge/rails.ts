/** Rails itself: protect_from_forgery's error (actionpack request_forgery_protection.rb). */
import type { StackKnowledge } from './types.js';

export const rails: StackKnowledge = {
  id: 'rails',
  title: 'Ruby on Rails',
  kind: 'framework',
  recognise: { tables: [{ table: 'ar_internal_metadata', columns: ['key', 'value'] }, { table: 'schema_migrations', columns: ['version'] }] },
  // The scaffold's (and Devise's shared) error block; the flash alert for messages outside a model.
  signupErrorMarkup: { selectors: ['#error_explanation li', 'p.alert', 'div.alert'], texts: [/has already been taken/, /can't be blank/, /is too short \(minimum is \d+ characters?\)/, /doesn't match Password/] },
  errors: [
    {
      id: 'invalid-authenticity-token',
      match: /ActionController::InvalidAuthenticityToken|Can't verify CSRF token authenticity\.?/,
      refines: 'csrf-failed',
      httpStatus: 422,
      title: '422 InvalidAuthenticityToken: the form\'s authenticity_token was missing or stale',
      cause: 'Rails\' protect_from_forgery compares the authenticity_token form field (or X-CSRF-Token) with the token in the session cookie; a POST without the field, a page cached across sessions, or a lost session cookie (another host, Secure over http) fails with 422.',
      fix: 'GET the form page first, keep its session cookie and post its authenticity_token back unchanged; for JSON clients send the <meta name="csrf-token"> value in X-CSRF-Token.',
      check: ['healfix register-test --url {origin}'],
    },
  ],
};
