/**
 * Error markup many stacks share without a table of their own to be recognised by: Bootstrap's form
 * feedback (Laravel UI, many Flask and Express templates), a plain `ul.errors`/`.error` list. Not
 * `[role=alert]`: Bootstrap puts it on success messages too.
 * register-test reads these next to the markup of every stack in STACKS.
 */
import type { SignupErrorMarkup } from './types.js';

export const COMMON_SIGNUP_ERROR_MARKUP: SignupErrorMarkup = {
  selectors: ['.invalid-feedback li', '.invalid-feedback', '.alert-danger', 'ul.errors li', '.error', '.errors', '.help-block.error', '.flash-error'],
  texts: [/has already been taken/i, /is already (?:registered|in use|taken)/i],
};
