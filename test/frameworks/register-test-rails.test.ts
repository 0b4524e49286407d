import { railsAvailable, startRailsApp } from '../helpers/frameworks.js';
import { registerTestSuite } from './register-test-suite.js';

registerTestSuite({
  title: 'Rails 6.1 + Devise 4.8',
  available: railsAvailable(),
  start: startRailsApp,
  flow: 'devise',
  account: { table: 'users', email: 'email' },
  refusedMessage: 'Password is too short (minimum is 6 characters)',
  lagAccounts: `insert into users (id, email, encrypted_password, created_at, updated_at)
      select s.last_value + n, 'imported' || n || '@example.test', '!', now(), now() from users_id_seq s, generate_series(1, 5) as n`,
  constraint: 'users_pkey',
  logFoundBy: /Server log \(X-Request-Id [0-9a-f-]{36}\)/,
  sequence: 'public.users_id_seq',
});
