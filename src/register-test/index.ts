/** register-test's public surface: the command and doctor call these; the files behind them split by concern. */
export { runRegisterTest } from './run.js';
export { generateTestUser, parseFields } from './test-user.js';
export { readPageErrors } from './html-errors.js';
export { MAX_WAIT_SEC } from './types.js';
export type * from './types.js';
