/**
 * healfix on the real Django 3.2 + django-allauth + django-axes app (test/frameworks/apps/django): every
 * row comes from the app's own signup, confirmation link and failed logins; every error text explain gets
 * is read from the app's pages and log. allauth runs with ACCOUNT_EMAIL_CONFIRMATION_HMAC = False so it
 * stores its confirmations (the default HMAC links are covered by the second suite below).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Browser, hiddenInputs, pageText } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';
import { describeFramework, djangoAvailable, startDjangoApp, type RunningApp } from '../helpers/frameworks.js';
import { maildevAvailable, startMailCatcher, type MailCatcher } from '../helpers/mail-catcher.js';
import { healfixOn, json, showRun, testEmail, testPassword } from './stacks-helpers.js';

const available = djangoAvailable().ok ? maildevAvailable() : djangoAvailable();
const password = testPassword();
const email = testEmail;

describeFramework('healfix on the real Django + allauth + axes app', available, () => {
  let db: TestDatabase;
  let mail: MailCatcher;
  let app: RunningApp;
  const pendingA = email('pending-a');
  const pendingB = email('pending-b');
  const confirmed = email('confirmed');
  const locked = email('locked');
  const healfix = healfixOn(() => db.url);

  async function signUp(address: string) {
    const browser = new Browser(app.url);
    const form = await browser.get('/accounts/signup/');
    const answer = await browser.post('/accounts/signup/', { ...hiddenInputs(form.html, (a) => a.id === 'signup_form'), email: address, password1: password, password2: password });
    expect(answer.status).toBe(302);
  }
  async function confirm(address: string) {
    const link = new URL(/(http:\/\/\S+\/accounts\/confirm-email\/\S+?\/)/.exec((await mail.waitForMessage(address)).text ?? '')![1]!);
    const browser = new Browser(app.url);
    const page = await browser.get(link.pathname);
    expect((await browser.post(link.pathname, hiddenInputs(page.html))).status).toBe(302);
  }
  async function logIn(browser: Browser, address: string, pw: string) {
    const form = await browser.get('/accounts/login/');
    return browser.post('/accounts/login/', { ...hiddenInputs(form.html), login: address, password: pw });
  }

  beforeAll(async () => {
    mail = await startMailCatcher();
    db = await createTestDatabase('stk_django');
    app = await startDjangoApp({ databaseUrl: db.url, mail: { smtpHost: mail.smtpHost, smtpPort: mail.smtpPort }, env: { ACCOUNT_EMAIL_CONFIRMATION_HMAC: 'false' } });
    for (const address of [pendingA, pendingB, confirmed, locked]) await signUp(address);
    await confirm(confirmed);
    await confirm(locked);
  });
  afterAll(async () => {
    await app?.stop();
    await mail?.stop();
    await db?.drop();
  });

  it('temp-registrations lists exactly the unconfirmed signups (never a confirmed account) and exits 0 while their links are live', async () => {
    const r = await healfix(['temp-registrations', '--json']);
    const out = json(r.stdout);
    expect(out.stacks.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining(['django-allauth', 'django-axes']));
    expect(out.pendingSignups.map((s: { email: string }) => s.email).sort()).toEqual([pendingA, pendingB].sort());
    expect(out.pendingSignups.every((s: { state: string }) => s.state === 'pending')).toBe(true);
    // allauth keeps the confirmation row of a confirmed address: healfix counts it as used, not live.
    expect(out.counts.otp).toMatchObject({ table: 'account_emailconfirmation', rows: 4, used: 2, live: 2, expired: 0 });
    expect(r.code).toBe(0);
    expect(out.ok).toBe(true);
    // The confirmation keys are the links themselves: never in the output.
    const keys = (await db.query('select key from account_emailconfirmation')).rows.map((row) => row.key as string);
    for (const key of keys) expect(r.stdout).not.toContain(key);
  });

  it('an expired confirmation (sent 4 days ago, 3-day window) makes it exit 1 and names the signup; with a 7-day setting it is live again', async () => {
    await db.query(`update account_emailconfirmation set sent = sent - interval '4 days', created = created - interval '4 days'
      where email_address_id = (select id from account_emailaddress where email = $1)`, [pendingA]);
    const r = await healfix(['temp-registrations']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${pendingA.replace(/[.]/g, '\\.')}.*link expired`));
    expect(r.stdout).toMatch(/1 expired one-time codes in .*account_emailconfirmation.* never cleaned/);
    expect(r.stdout).not.toContain(confirmed);
    const week = json((await healfix(['temp-registrations', '--json', '--setting', 'ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS=7'])).stdout);
    expect(week.counts.otp.expired).toBe(0);
    expect(week.ok).toBe(true);
  });

  it('--purge-expired --yes deletes only the expired confirmation: every account and address is intact, and the re-read is clean', async () => {
    const before = (await db.query('select (select count(*) from auth_user)::int as users, (select count(*) from account_emailaddress)::int as addresses')).rows[0];
    const r = await healfix(['temp-registrations', '--purge-expired', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/deleted 1 row/i);
    const after = (await db.query('select (select count(*) from auth_user)::int as users, (select count(*) from account_emailaddress)::int as addresses, (select count(*) from account_emailconfirmation)::int as confirmations')).rows[0];
    expect(after).toEqual({ ...before, confirmations: 3 });
    const reread = json((await healfix(['temp-registrations', '--json'])).stdout);
    expect(reread.counts.otp.expired).toBe(0);
    expect(reread.pendingSignups.map((s: { email: string }) => s.email).sort()).toEqual([pendingA, pendingB].sort());
  });

  it('rate-limits names the account axes locked after 3 bad logins (exactly the limit: 403) with when the lock ends; --unlock lifts it and the right password signs in', async () => {
    const browser = new Browser(app.url);
    const statuses: number[] = [];
    let lockedPage = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = await logIn(browser, locked, 'wrong-password');
      statuses.push(answer.status);
      lockedPage = answer.html;
    }
    expect(statuses).toEqual([200, 200, 403]);

    // Exactly at the limit (3 of AXES_FAILURE_LIMIT 3): axes answers 403, and healfix calls it locked.
    const atLimit = json((await healfix(['rate-limits', '--json'])).stdout);
    // Without the app's AXES_COOLOFF_TIME healfix says which setting would give the lock its end.
    expect(atLimit.findings[0].hint).toContain('--setting AXES_COOLOFF_TIME=VALUE');
    expect(atLimit.lockout.locked).toEqual([expect.objectContaining({ account: expect.stringContaining(locked), attempts: 3, locked: true })]);
    expect((await logIn(new Browser(app.url), locked, password)).status).toBe(403);

    const r = await healfix(['rate-limits', '--json', '--setting', 'AXES_COOLOFF_TIME=1']);
    expect(r.code).toBe(1);
    const out = json(r.stdout);
    expect(out.lockout).toMatchObject({ table: 'axes_accessattempt', threshold: 3, stack: 'django-axes', lockedStatus: 403 });
    // axes counted the refused right-password login too: 4 failures.
    expect(out.lockout.locked).toEqual([expect.objectContaining({ account: expect.stringContaining(locked), attempts: 4, locked: true })]);
    const attemptTime = (await db.query('select attempt_time from axes_accessattempt where username = $1', [locked])).rows[0].attempt_time as Date;
    expect(Date.parse(out.lockout.locked[0].lockedUntil)).toBe(attemptTime.getTime() - (attemptTime.getTime() % 1000) + 3_600_000);
    expect(r.stdout).not.toMatch(/process memory/);
    // The command healfix suggests names the username alone (an "email / ip" pair matches no row).
    expect(out.findings.find((f: { subject?: string }) => f.subject?.startsWith(locked)).nextCommand).toMatch(new RegExp(`--unlock ${locked.replace(/[.]/g, '\\.')} `));
    await healfix(['rate-limits', '--setting', 'AXES_COOLOFF_TIME=1']);

    const unlock = await healfix(['rate-limits', '--unlock', locked, '--yes']);
    expect(unlock.code).toBe(0);
    expect(unlock.stdout).toContain(`now: ${locked} is no longer locked (re-read after the write)`);
    expect((await db.query('select 1 from axes_accessattempt where username = $1', [locked])).rowCount).toBe(0);
    const signIn = await logIn(new Browser(app.url), locked, password);
    expect(signIn.status).toBe(302);
    expect(signIn.location).toBe('/');

    // explain answers the lockout page the app served with axes' advice.
    const explained = await runCli(['explain', '--json', pageText(lockedPage)]);
    showRun(['explain', '--json', '<text of the 403 lockout page>'], explained);
    expect(pageText(lockedPage)).toContain('Account locked: too many login attempts');
    const axesTop = json(explained.stdout).diagnoses[0];
    expect(axesTop.stack).toMatchObject({ id: 'django-axes', error: 'locked' });
    expect(axesTop.nextCommands.join(' ')).toContain('healfix rate-limits');
  });

  it('explain answers the CSRF reason from the app log with Django\'s advice, not an API\'s', async () => {
    const form = await new Browser(app.url).get('/accounts/signup/');
    const refused = await new Browser(app.url).post('/accounts/signup/', { ...hiddenInputs(form.html), email: email('nocsrf'), password1: password, password2: password });
    expect(refused.status).toBe(403);
    const line = readFileSync(app.logFile, 'utf8').split('\n').find((l) => l.includes('django.security.csrf'))!;
    expect(line).toContain('CSRF cookie not set.');
    const r = await runCli(['explain', '--json', line]);
    showRun(['explain', '--json', `'${line}'`], r);
    const top = json(r.stdout).diagnoses[0];
    expect(top.stack).toMatchObject({ id: 'django', error: 'csrf-cookie-not-set' });
    expect(top.title).toBe('403 Forbidden (CSRF cookie not set)');
    expect(JSON.stringify(top)).toMatch(/csrfmiddlewaretoken|\{% csrf_token %\}|CSRF cookie/);
    expect(JSON.stringify(top)).not.toMatch(/\/api\/csrf-token|X-CSRF-Token/);
  });

  it('explain answers the IntegrityError traceback of a 500 (lagging auth_user_id_seq) with Django\'s advice and the sequences check', async () => {
    await db.query(`insert into auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
      select s.last_value + n, '!', false, 'imported' || n, '', '', 'imported' || n || '@example.test', false, true, now()
      from auth_user_id_seq s, generate_series(1, 3) as n`);
    const browser = new Browser(app.url);
    const form = await browser.get('/accounts/signup/');
    expect((await browser.post('/accounts/signup/', { ...hiddenInputs(form.html), email: email('lag'), password1: password, password2: password })).status).toBe(500);
    const log = readFileSync(app.logFile, 'utf8');
    const traceback = log.slice(log.indexOf('ERROR django.request'));
    const r = await runCli(['explain', '--json'], { input: traceback });
    showRun(['explain', '--json', '< the 500 traceback from the app log'], r);
    const top = json(r.stdout).diagnoses[0];
    expect(top).toMatchObject({ id: 'duplicate-key', facts: expect.objectContaining({ constraint: 'auth_user_pkey', table: 'auth_user' }) });
    expect(top.sources).toEqual(expect.arrayContaining(['django', 'psycopg2']));
    expect(top.nextCommands[0]).toBe('healfix sequences --fix --table auth_user');
  });
  it('doctor says which stacks it recognised and from which tables; a lockout table this role may not read is an error, not healthy', async () => {
    const human = await healfix(['doctor']);
    expect(human.stdout).toContain('Recognised: django: django_migrations; django-allauth: account_emailaddress, account_emailconfirmation; django-axes: axes_accessattempt');
    const out = json((await healfix(['doctor', '--json'])).stdout);
    expect(out.stacks).toEqual(expect.arrayContaining([
      expect.objectContaining({ id: 'django-allauth', tables: ['account_emailaddress', 'account_emailconfirmation'] }),
      expect.objectContaining({ id: 'django-axes', tables: ['axes_accessattempt'], evidence: ['axes_accessattempt(username, ip_address, attempt_time, failures_since_start)'] }),
    ]));

    const role = `hf_stk_${process.pid}`;
    await db.query(`create role ${role} login password 'stk-reader-pw'`);
    try {
      await db.query(`grant select on all tables in schema public to ${role}; revoke select on axes_accessattempt from ${role}`);
      const r = await runCli(['doctor', '--json', '-d', db.urlFor(role, 'stk-reader-pw')]);
      showRun(['doctor', '--json', '-d', 'DB-as-reader-without-axes-grant'], r);
      expect(r.code).toBe(1);
      const denied = json(r.stdout);
      expect(denied.stacks).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'django-axes', tables: ['axes_accessattempt (not readable)'] })]));
      const rateLimits = denied.checks.find((c: { check: string }) => c.check === 'rate-limits');
      expect(rateLimits.status).toBe('error');
      expect(rateLimits.findings[0].title).toMatch(/^cannot read axes_accessattempt: no SELECT privilege/);
      expect(JSON.stringify(rateLimits)).not.toMatch(/process memory/);
    } finally {
      await db.query(`drop owned by ${role}; drop role ${role}`);
    }

    // axes installed (django_migrations lists it) but its table gone: a third answer, not healthy either.
    await db.query('alter table axes_accessattempt rename to axes_accessattempt_moved');
    try {
      const r = await healfix(['doctor', '--json']);
      expect(r.code).toBe(1);
      const rateLimits = json(r.stdout).checks.find((c: { check: string }) => c.check === 'rate-limits');
      expect(rateLimits).toMatchObject({ status: 'error', summary: expect.stringContaining('lockout table missing') });
      expect(rateLimits.findings.map((f: { title: string }) => f.title)).toEqual([
        "django-axes is installed (django_migrations lists app 'axes') but axes_accessattempt was not found: lockouts not verified",
      ]);
    } finally {
      await db.query('alter table axes_accessattempt_moved rename to axes_accessattempt');
    }
  });
});

describeFramework('healfix on the real Django app with allauth\'s default HMAC confirmations (no rows stored)', available, () => {
  let db: TestDatabase;
  let mail: MailCatcher;
  let app: RunningApp;
  beforeAll(async () => {
    mail = await startMailCatcher();
    db = await createTestDatabase('stk_django_hmac');
    app = await startDjangoApp({ databaseUrl: db.url, mail: { smtpHost: mail.smtpHost, smtpPort: mail.smtpPort } });
  });
  afterAll(async () => {
    await app?.stop();
    await mail?.stop();
    await db?.drop();
  });

  it('lists the unconfirmed signup, says the links are not stored, and does not call it "a signup without a code"', async () => {
    const address = email('hmac');
    const browser = new Browser(app.url);
    const form = await browser.get('/accounts/signup/');
    expect((await browser.post('/accounts/signup/', { ...hiddenInputs(form.html, (a) => a.id === 'signup_form'), email: address, password1: password, password2: password })).status).toBe(302);
    await mail.waitForMessage(address);
    expect((await db.query('select count(*)::int as n from account_emailconfirmation')).rows[0].n).toBe(0);
    const r = await runCli(['temp-registrations', '--json', '-d', db.url]);
    showRun(['temp-registrations', '--json', '-d', 'DB  # HMAC app'], r);
    const out = json(r.stdout);
    expect(r.code).toBe(0);
    expect(out.pendingSignups).toEqual([expect.objectContaining({ email: address, state: 'pending' })]);
    expect(out.findings.map((f: { title: string }) => f.title)).toEqual(['account_emailconfirmation is empty: the confirmation links are not stored']);
  });
});
