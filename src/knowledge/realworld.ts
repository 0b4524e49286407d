/** The RealWorld API spec (gothinkster/realworld api/openapi.yml): POST /api/users with {"user": {...}}. */
import type { StackKnowledge } from './types.js';

export const realworld: StackKnowledge = {
  id: 'realworld',
  title: 'RealWorld API (Conduit)',
  kind: 'app',
  recognise: {
    tables: [{ table: 'articles', columns: ['slug', 'title', 'description', 'body'] }],
    probes: [{ method: 'GET', path: '/api/tags', status: 200, body: /"tags"\s*:/, means: 'answers the RealWorld /api/tags list' }],
  },
  signupProfile: {
    kind: 'json',
    paths: ['/api/users'],
    marker: /"errors"\s*:\s*\{/,
    jsonWrapper: 'user',
    account: { table: 'users', column: 'email', value: '{{email}}' },
    cleanup: [{ table: 'users', column: 'email', value: '{{email}}' }],
    successStatus: [200, 201],
    means: 'the RealWorld API: POST /api/users with {"user": {"username", "email", "password"}}, 422 {"errors": {...}} when a field is missing',
  },
};
