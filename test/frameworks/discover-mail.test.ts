/**
 * --otp-from mail sources against the real apps: the confirmation mail to the generated address is found in
 * maildev (its REST API) and in the frameworks' file backends, the link is on the app's origin, and following
 * it (GET, then the page's confirm form where allauth shows one) confirms the account in the database.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HttpClient } from '../../src/http/client.js';
import { generateTestUser, runRegisterTest } from '../../src/register-test/index.js';
import { withConfirmation } from '../../src/register-test/discover/confirm-steps.js';
import { discoverSignup } from '../../src/register-test/discover/discover.js';
import { followConfirmation } from '../../src/register-test/mail/confirm.js';
import { readConfirmationLink } from '../../src/register-test/mail/read.js';
import { parseMailSource, type MailSource } from '../../src/register-test/mail/source.js';
import { maskSecrets } from '../../src/secrets.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { describeFramework, djangoAvailable, railsAvailable, startDjangoApp, startRailsApp, type RunningApp } from '../helpers/frameworks.js';
import { maildevAvailable, startMailCatcher, type MailCatcher } from '../helpers/mail-catcher.js';
import { replayForm } from './replay-form.js';

const both = (a: { ok: boolean; reason: string }, b: { ok: boolean; reason: string }) => (a.ok ? b : a);

const STACKS = {
  django: { available: djangoAvailable, start: startDjangoApp, link: /^\/accounts\/confirm-email\/[^/]+\/$/, confirmed: 'select verified as confirmed from account_emailaddress where email = $1', steps: 'GET+POST' },
  rails: { available: railsAvailable, start: startRailsApp, link: /^\/users\/confirmation\?confirmation_token=[\w-]+$/, confirmed: 'select confirmed_at is not null as confirmed from users where email = $1', steps: 'GET' },
} as const;

for (const [name, stack] of Object.entries(STACKS)) {
  for (const via of ['maildev', 'file'] as const) {
    const availability = via === 'maildev' ? both(stack.available(), maildevAvailable()) : stack.available();
    describeFramework(`${name}: confirmation link from ${via === 'maildev' ? 'maildev' : 'the file mail backend'}`, availability, () => {
      let db: TestDatabase;
      let app: RunningApp;
      let catcher: MailCatcher | undefined;
      let source: MailSource;

      beforeAll(async () => {
        db = await createTestDatabase(`m${name}${via}`);
        if (via === 'maildev') catcher = await startMailCatcher();
        app = await stack.start({ databaseUrl: db.url, ...(catcher ? { mail: { smtpHost: catcher.smtpHost, smtpPort: catcher.smtpPort } } : {}) });
        source = parseMailSource(via === 'maildev' ? `maildev=${catcher!.apiUrl}` : `file:${app.mailDir}`)!;
      }, 240_000);
      afterAll(async () => {
        await app?.stop();
        await catcher?.stop();
        await db?.drop();
      });

      it('finds the link for the generated address, masks it, and following it confirms the account', async () => {
        const client = new HttpClient({ baseUrl: app.url, timeoutMs: 20_000 });
        const discovery = await discoverSignup(client);
        const user = generateTestUser('hf');
        const other = generateTestUser('hf');
        // Another signup first: its mail must not be taken for ours.
        expect((await replayForm(app.url, discovery.flow, other)).status).toBe(302);
        expect((await replayForm(app.url, discovery.flow, user)).status).toBe(302);
        const before = await db.query(stack.confirmed, [user.email]);
        expect(before.rows).toEqual([{ confirmed: false }]);

        const link = await readConfirmationLink(source, user.email, app.url, { timeoutMs: 20_000, pollMs: 200 });
        expect(link).toMatch(stack.link);
        expect(maskSecrets(`followed ${link}`)).toBe('followed ****');

        const followed = await followConfirmation(new HttpClient({ baseUrl: app.url, timeoutMs: 20_000 }), link);
        expect(followed.steps, JSON.stringify(followed)).toBe(stack.steps);
        expect((await db.query(stack.confirmed, [user.email])).rows).toEqual([{ confirmed: true }]);
        expect((await db.query(stack.confirmed, [other.email])).rows).toEqual([{ confirmed: false }]);
      });

      it('register-test: the discovered flow with the confirmation as its verify step, the link read from mail, never in the result', async () => {
        const discovery = await discoverSignup(new HttpClient({ baseUrl: app.url, timeoutMs: 20_000 }));
        const confirming = withConfirmation(discovery.flow, discovery.stack)!;
        expect(confirming.steps.map((s) => `${s.method} ${s.path}`).slice(-1)).toEqual([`${name === 'django' ? 'POST' : 'GET'} {{confirm_link}}`]);
        // The discovered flow as it is: each step judged by the server's first answer against the stack's own
        // success statuses (the signup and the confirmation answer with a redirect).
        const flow = confirming;
        let link = '';
        const result = await runRegisterTest(
          { url: app.url, discovered: { flow, profile: discovery.profile, reason: 'discovered' }, timeoutMs: 20_000 },
          { readLink: async (vars) => (link = await readConfirmationLink(source, vars.email!, app.url, { timeoutMs: 20_000, pollMs: 200 })) },
        );
        expect(result.steps.map((s) => s.name), JSON.stringify(result.steps)).toEqual(flow.steps.map((s) => s.name));
        expect(result.steps.map((s, i) => (flow.steps[i]!.expect ?? [200]).includes(s.status!)), JSON.stringify(result.steps)).toEqual(flow.steps.map(() => true));
        const signup = result.steps.find((s) => s.method === 'POST')!;
        expect([302, 303]).toContain(signup.status);
        expect(result.ok).toBe(true);
        expect((await db.query(stack.confirmed, [result.user.email])).rows).toEqual([{ confirmed: true }]);
        expect(link).toMatch(stack.link);
        expect(JSON.stringify(result)).not.toContain(link);
      });

      it('waits a bounded time and says so when no mail comes', async () => {
        const started = Date.now();
        await expect(readConfirmationLink(source, 'nobody-hf@example.com', app.url, { timeoutMs: 1_000, pollMs: 200 })).rejects.toThrow(/^no mail to nobody-hf@example\.com in .* within 1s$/);
        expect(Date.now() - started).toBeLessThan(5_000);
      });
    });
  }
}
