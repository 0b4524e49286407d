/**
 * register-test --profile auto against the real framework apps: discovery finds each app's signup form from
 * `/` and the well-known paths, recognises the stack, and the discovered flow, replayed like a browser (no
 * redirect followed, so the 302 itself is asserted), creates the account row.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadFlowFile } from '../../src/http/flow.js';
import { runCli } from '../helpers/exec.js';
import { HttpClient } from '../../src/http/client.js';
import { generateTestUser } from '../../src/register-test/index.js';
import { discoverSignup, type Discovery } from '../../src/register-test/discover/discover.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { FRAMEWORK_APPS, describeFramework, type RunningApp } from '../helpers/frameworks.js';
import { replayForm } from './replay-form.js';

const EXPECTED = {
  django: { profile: 'django-allauth', post: '/accounts/signup/', account: 'select verified from account_emailaddress where email = $1' },
  rails: { profile: 'devise', post: '/users', account: 'select confirmed_at is null as verified from users where email = $1' },
  express: { profile: 'express-passport', post: '/register', account: 'select false as verified from users where email = $1' },
  laravel: { profile: 'laravel', post: '/register', account: 'select email_verified_at is not null as verified from users where email = $1' },
} as const;

for (const [stack, spec] of Object.entries(FRAMEWORK_APPS) as [keyof typeof FRAMEWORK_APPS, (typeof FRAMEWORK_APPS)[keyof typeof FRAMEWORK_APPS]][]) {
  describeFramework(`discovery on ${spec.title}`, spec.available(), () => {
    let db: TestDatabase;
    let app: RunningApp;
    let discovery: Discovery;

    beforeAll(async () => {
      db = await createTestDatabase(`disc${stack}`);
      app = await spec.start({ databaseUrl: db.url });
      discovery = await discoverSignup(new HttpClient({ baseUrl: app.url, timeoutMs: 20_000 }));
    }, 240_000);
    afterAll(async () => {
      await app?.stop();
      await db?.drop();
    });

    it('finds the signup form and recognises the stack, saying why', () => {
      expect(discovery.profile).toBe(EXPECTED[stack].profile);
      const post = discovery.flow.steps.find((s) => s.role === 'signup')!;
      expect(post.method).toBe('POST');
      expect(post.path).toBe(EXPECTED[stack].post);
      expect(Object.values(post.form ?? {})).toEqual(expect.arrayContaining(['{{email}}', '{{password}}', '{{csrf}}']));
      expect(discovery.explanation.join('\n')).toMatch(/answered 200 with a signup form/);
      expect(discovery.explanation.join('\n')).toMatch(/^CSRF: hidden input \S+, read from the page on every run$/m);
    });

    it('the discovered flow creates the account: a redirect, and the row in the database', async () => {
      const user = generateTestUser('hf');
      const answer = await replayForm(app.url, discovery.flow, user);
      expect(discovery.flow.steps[1]!.expect).toContain(answer.status);
      expect(answer.location ?? '').not.toMatch(new RegExp(`${EXPECTED[stack].post}$`));
      const { rows } = await db.query(EXPECTED[stack].account, [user.email]);
      expect(rows).toHaveLength(1);
    });

    it('the binary prints what discovery found and --save-flow writes it as YAML that --flow reads back', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'healfix-saveflow-'));
      try {
        const file = join(dir, 'signup.yaml');
        const r = await runCli(['register-test', '--url', app.url, '--save-flow', file], { timeoutMs: 60_000 });
        expect(r.stderr).not.toMatch(/internal error/);
        expect(r.stdout).toMatch(/^discovery\n {2}not a seed app: \/api\/csrf-token 404, \/auth\/verify-otp 404\n {2}GET \/ answered 200/);
        expect(r.stdout).toContain(`flow saved to ${file}`);
        expect(r.stdout).toContain(`profile ${EXPECTED[stack].profile}`);
        expect(readFileSync(file, 'utf8')).toMatch(/^# Written by healfix register-test --save-flow/);
        expect(await loadFlowFile(file)).toEqual(discovery.flow);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
