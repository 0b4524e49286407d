import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Browser, hiddenInputs } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { describeFramework, djangoAvailable, railsAvailable, startDjangoApp, startRailsApp, type RunningApp } from '../helpers/frameworks.js';

// The file mail backends (Django's filebased EmailBackend, Rails' :file delivery): where a `--otp-from file:PATH`
// reads confirmation links from when an app has no SMTP catcher.
const password = `Pw-${randomBytes(9).toString('base64url')}`;
const email = (label: string) => `hf-${label}-${randomBytes(4).toString('hex')}@example.test`;

function readAll(dir: string): string {
  return readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
}

describeFramework('Django file mail backend', djangoAvailable(), () => {
  let db: TestDatabase;
  let app: RunningApp;
  const dir = mkdtempSync(join(tmpdir(), 'healfix-django-mail-'));

  beforeAll(async () => {
    db = await createTestDatabase('djmail');
    app = await startDjangoApp({ databaseUrl: db.url, mail: { fileDir: dir } });
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the confirmation mail, with its link, into MAIL_FILE_PATH', async () => {
    const address = email('file');
    const browser = new Browser(app.url);
    const form = await browser.get('/accounts/signup/');
    const result = await browser.post('/accounts/signup/', { ...hiddenInputs(form.html), email: address, password1: password, password2: password });
    expect(result.status).toBe(302);
    const mail = readAll(dir);
    expect(mail).toContain(`To: ${address}`);
    expect(mail).toMatch(/\/accounts\/confirm-email\/[^\s/]+\//);
  });
});

describeFramework('Rails :file mail delivery (the default when no mail setting is given)', railsAvailable(), () => {
  let db: TestDatabase;
  let app: RunningApp;

  beforeAll(async () => {
    db = await createTestDatabase('rbmail');
    app = await startRailsApp({ databaseUrl: db.url });
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  it('writes the confirmation mail, with its link, into app.mailDir (one file per recipient)', async () => {
    const dir = app.mailDir!;
    const address = email('file');
    const browser = new Browser(app.url);
    const form = await browser.get('/users/sign_up');
    const fields = { ...hiddenInputs(form.html, (a) => a.id === 'new_user'), 'user[email]': address, 'user[password]': password, 'user[password_confirmation]': password };
    expect((await browser.post('/users', fields)).status).toBe(302);
    expect(readdirSync(dir)).toEqual([address]);
    expect(readFileSync(join(dir, address), 'utf8')).toMatch(/\/users\/confirmation\?confirmation_token=[A-Za-z0-9_-]+/);
  });
});
