import { expressAvailable, startExpressApp } from '../helpers/frameworks.js';
import { registerTestSuite } from './register-test-suite.js';

registerTestSuite({
  title: 'Express 5 + csrf-csrf + passport-local',
  available: expressAvailable(),
  start: startExpressApp,
  flow: 'express',
  account: { table: 'users', email: 'email' },
  refusedMessage: 'Password must be at least 8 characters.',
  lagAccounts: `insert into users (id, email, password_hash)
      select s.last_value + n, 'imported' || n || '@example.test', '!' from users_id_seq s, generate_series(1, 5) as n`,
  constraint: 'users_pkey',
  logFoundBy: /Server log \(the \d+ KB the log gained during the request\)/,
  sequence: 'public.users_id_seq',
});
