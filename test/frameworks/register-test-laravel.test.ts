import { laravelAvailable, startLaravelApp } from '../helpers/frameworks.js';
import { registerTestSuite } from './register-test-suite.js';

registerTestSuite({
  title: 'Laravel 8',
  available: laravelAvailable(),
  start: startLaravelApp,
  flow: 'laravel',
  account: { table: 'users', email: 'email' },
  refusedMessage: 'The password must be at least 8 characters.',
  lagAccounts: `insert into users (id, name, email, password, created_at, updated_at)
      select s.last_value + n, 'Imported', 'imported' || n || '@example.test', '!', now(), now() from users_id_seq s, generate_series(1, 5) as n`,
  constraint: 'users_pkey',
  logFoundBy: /Server log \(the \d+ KB the log gained during the request\)/,
  sequence: 'public.users_id_seq',
  raceUntestable: 'the unique:users check runs before the insert, so concurrent signups sometimes end in a 500 (a real race healfix reports) and sometimes not',
});
