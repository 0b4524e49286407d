import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodingsOf } from '../../src/secrets.js';
import { startSandbox, type Sandbox } from '../../src/demo/sandbox/server.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
import { runCli, type ExecResult } from '../helpers/exec.js';

// Property test: random passwords over the whole printable ASCII range plus unicode, given to healfix in
// every way it accepts one; no stream, JSON document, JUnit file or other file healfix writes may contain
// them in any spelling healfix could produce (raw, JSON escape, percent/form encoding, base64).
const SEED = Number(process.env.HEALFIX_SECRET_SEED ?? Date.now() % 1_000_000);
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
const UNICODE = ['é', 'ß', 'Ж', '中', '😀', 'ñ', '€', '\u00a0'];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

function passwords(count: number): string[] {
  const next = rng(SEED);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = 12 + Math.floor(next() * 12);
    let p = '';
    for (let j = 0; j < length; j++) p += next() < 0.85 ? PRINTABLE[Math.floor(next() * PRINTABLE.length)] : UNICODE[Math.floor(next() * UNICODE.length)];
    // Always the characters that broke URL parsing and masking before.
    // Cut by code point, not UTF-16 unit: half of an emoji is no password anyone can type.
    out.push([...`${p}@:#?/%"\\`].slice(0, 4 + (i % 6)).join('') + p);
  }
  return out;
}

function leaks(text: string, secret: string): string[] {
  return encodingsOf(secret).filter((spelling) => text.includes(spelling));
}

function expectClean(label: string, secret: string, ...texts: string[]): void {
  const found = leaks(texts.join('\n'), secret);
  expect(found, `${label}: a spelling of the password leaked (seed ${SEED})`).toEqual([]);
}

const pgpassEscape = (s: string) => s.replace(/\\/g, '\\\\').replace(/:/g, '\\:');

describeDb(`passwords in every spelling never leave healfix (seed ${SEED})`, () => {
  let db: TestDatabase;
  let home: string;
  const role = `hf_secret_${process.pid}`;
  beforeAll(async () => {
    db = await createTestDatabase('secrets');
    await db.query('create table users (id serial primary key, email text)');
    await db.query("insert into users (id, email) select g, 'u' || g from generate_series(1, 5) g");
    await db.query(`create role ${role} login`);
    await db.query(`grant select on all tables in schema public to ${role}`);
    await db.query(`grant select on all sequences in schema public to ${role}`);
    home = mkdtempSync(join(tmpdir(), 'healfix-secret-home-'));
  });
  afterAll(async () => {
    await db.query(`drop owned by ${role}`).catch(() => {});
    await db.query(`drop role if exists ${role}`).catch(() => {});
    await db.drop();
    rmSync(home, { recursive: true, force: true });
  });

  for (const [index, password] of passwords(6).entries()) {
    it(`password #${index + 1} through URL, DATABASE_URL, PG*, .pgpass and .env`, async () => {
      await db.query(`alter role ${role} password '${password.replace(/'/g, "''")}'`);
      const u = new URL(db.url);
      const place = { host: u.hostname, port: u.port || '5432', database: u.pathname.slice(1) };
      const encoded = `postgres://${role}:${encodeURIComponent(password)}@${place.host}:${place.port}/${place.database}`;
      const raw = `postgres://${role}:${password}@${place.host}:${place.port}/${place.database}`;
      const badPort = `postgres://${role}:${password}@${place.host}:notaport/${place.database}`;
      const noDb = `postgres://${role}:${encodeURIComponent(password)}@${place.host}:${place.port}/no_such_db_here`;
      const dir = mkdtempSync(join(tmpdir(), 'healfix-secret-app-'));
      writeFileSync(join(dir, '.env'), `DB_HOST=${place.host}\nDB_PORT=${place.port}\nDB_NAME=${place.database}\nDB_USER=${role}\nDB_PASSWORD=${JSON.stringify(password)}\n`);
      writeFileSync(join(home, '.pgpass'), `*:*:*:${role}:${pgpassEscape(password)}\n`, { mode: 0o600 });
      const pgEnv = { PGHOST: place.host, PGPORT: place.port, PGDATABASE: place.database, PGUSER: role };
      const runs: [string, Promise<ExecResult>][] = [];
      for (const args of [['sequences'], ['sequences', '--json'], ['doctor', '--json'], ['sequences', '--fix', '--dry-run']]) {
        runs.push([`--database-url (encoded) ${args.join(' ')}`, runCli([...args, '--database-url', encoded])]);
        runs.push([`--database-url (as typed) ${args.join(' ')}`, runCli([...args, '--database-url', raw])]);
      }
      runs.push(['bad port', runCli(['sequences', '--json', '--database-url', badPort])]);
      runs.push(['bad port (human)', runCli(['sequences', '--database-url', badPort])]);
      runs.push(['no such database', runCli(['sequences', '--database-url', noDb])]);
      runs.push(['DATABASE_URL', runCli(['sequences', '--json'], { env: { DATABASE_URL: encoded } })]);
      runs.push(['DATABASE_URL as typed', runCli(['doctor'], { env: { DATABASE_URL: raw } })]);
      runs.push(['PGPASSWORD', runCli(['sequences', '--json'], { env: { ...pgEnv, PGPASSWORD: password } })]);
      runs.push(['.pgpass', runCli(['doctor', '--json'], { env: { ...pgEnv, HOME: home } })]);
      runs.push(['.env', runCli(['sequences'], { cwd: dir })]);
      runs.push(['.env --json', runCli(['doctor', '--json'], { cwd: dir })]);
      for (const [label, pending] of runs) {
        const r = await pending;
        expectClean(label, password, r.stdout, r.stderr);
        if (r.stdout.trim().startsWith('{')) expect(() => JSON.parse(r.stdout), label).not.toThrow();
      }
      // Every source connects as the role (the URL as typed included): the secret was used, not dropped.
      const typed = await runCli(['sequences', '--json', '--database-url', raw]);
      expect(JSON.parse(typed.stdout).target.display).toBe(`postgres://${role}:****@${place.host}:${place.port}/${place.database}`);
      rmSync(dir, { recursive: true, force: true });
    });
  }
});

describe(`--field passwords never leave register-test (seed ${SEED})`, () => {
  let sandbox: Sandbox;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'healfix-secret-field-'));
    sandbox = await startSandbox({ app: 'sana', sqlitePath: join(dir, 'sana.db') });
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [index, password] of passwords(4).entries()) {
    it(`password #${index + 1} in --field, in human, --json and JUnit output`, async () => {
      const junit = join(dir, `junit-${index}.xml`);
      // --otp-from db: an accepted password goes on to the code step instead of asking for a terminal.
      const field = ['--field', `password=${password}`, '--field', `confirm_password=${password}`, '--otp-from', 'db', '-d', join(dir, 'sana.db')];
      const human = await runCli(['register-test', '--url', sandbox.url, ...field]);
      const json = await runCli(['register-test', '--url', sandbox.url, ...field, '--json']);
      const junitRun = await runCli(['register-test', '--url', sandbox.url, ...field, '--reporter', 'junit', '--output', junit]);
      expectClean('human', password, human.stdout, human.stderr);
      expectClean('--json', password, json.stdout, json.stderr);
      expect(() => JSON.parse(json.stdout)).not.toThrow();
      expectClean('junit run', password, junitRun.stdout, junitRun.stderr);
      expect(junitRun.code, junitRun.stdout + junitRun.stderr).not.toBe(2);
      expectClean('junit file', password, readFileSync(junit, 'utf8'));
      for (const file of readdirSync(dir).filter((f) => !f.startsWith('sana.db'))) expectClean(file, password, readFileSync(join(dir, file), 'utf8'));
    });
  }
});

/** A signup endpoint that refuses and echoes what it received, as many frameworks' error pages do. */
async function echoServer(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ csrf_token: 'tok-not-secret-here' }));
        return;
      }
      bodies.push(body);
      res.writeHead(422, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: `invalid signup: ${body}`, received: body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe(`passwords echoed back by the server, JSON-escaped or form-encoded (seed ${SEED})`, () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let dir: string;
  let formFlow: string;
  beforeAll(async () => {
    echo = await echoServer();
    dir = mkdtempSync(join(tmpdir(), 'healfix-secret-echo-'));
    formFlow = join(dir, 'form.json');
    writeFileSync(formFlow, JSON.stringify({
      name: 'form-echo',
      steps: [{ name: 'register', role: 'signup', method: 'POST', path: '/register', form: { username: '{{username}}', password: '{{password}}', email: '{{email}}' }, expect: [200, 201] }],
    }));
  });
  afterAll(async () => {
    await echo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [index, password] of passwords(3).entries()) {
    it(`password #${index + 1} given with --field, JSON body and form body, human and --json`, async () => {
      const field = ['--field', `password=${password}`];
      for (const flow of [['--profile', 'csrf-json'], ['--flow', formFlow]]) {
        for (const json of [[], ['--json']]) {
          const r = await runCli(['register-test', '--url', echo.url, ...flow, ...field, ...json]);
          expect(echo.bodies.at(-1), 'the server received the password').toMatch(/password/);
          expectClean(`${flow.join(' ')} ${json.join(' ')}`, password, r.stdout, r.stderr);
        }
      }
    });
  }

  it('the password healfix generates itself, sent in a form body', async () => {
    for (const json of [[], ['--json']]) {
      const r = await runCli(['register-test', '--url', echo.url, '--flow', formFlow, ...json]);
      const sent = new URLSearchParams(echo.bodies.at(-1)).get('password');
      expect(sent).toBeTruthy();
      expectClean(`generated ${json.join(' ')}`, sent!, r.stdout, r.stderr);
    }
  });
});
