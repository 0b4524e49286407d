import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, encodingsOf, maskSecrets, maskUrl, registerSecret, scrub, splitUserinfo } from '../../src/secrets.js';
import { resolveTarget } from '../../src/db/target.js';

afterEach(() => clearSecrets());

describe('URL userinfo as the user means it', () => {
  it('ends at the last @ before the host: unencoded @ : # ? / stay in the password', () => {
    expect(splitUserinfo('postgres://u:p@ss:w0rd!@host/db')).toEqual({ scheme: 'postgres://', user: 'u', password: 'p@ss:w0rd!', rest: 'host/db' });
    expect(splitUserinfo('postgres://u:S3cr3t#pa?s/s@db.example:6543/app?sslmode=require')?.password).toBe('S3cr3t#pa?s/s');
    expect(splitUserinfo('postgres://u@host/db')).toEqual({ scheme: 'postgres://', user: 'u', rest: 'host/db' });
    expect(splitUserinfo('postgres://host/db')).toBeUndefined();
  });

  it('masks the whole password, also when the port is not a number', () => {
    expect(maskUrl('postgres://u:p@ss:w0rd!@host/db')).toBe('postgres://u:****@host/db');
    expect(maskUrl('postgres://u:S3cr3t#pass@127.0.0.1:notaport/db')).toBe('postgres://u:****@127.0.0.1:notaport/db');
    expect(maskUrl('postgres://u:a/b?c#d@[::1]:5432/db')).toBe('postgres://u:****@[::1]:5432/db');
  });

  it('resolves such a URL to the intended host, user and password, displayed masked', () => {
    const t = resolveTarget({ databaseUrl: 'postgres://app:p@ss:w0rd#1?/x@db.example:6543/shop', env: {} });
    expect(t).toMatchObject({ kind: 'postgres', host: 'db.example', port: 6543, database: 'shop', user: 'app', password: 'p@ss:w0rd#1?/x' });
    expect(t.display).toBe('postgres://app:****@db.example:6543/shop');
    const encoded = resolveTarget({ databaseUrl: 'postgres://app:p%40ss%3Aw0rd@db.example/shop', env: {} });
    expect(encoded).toMatchObject({ password: 'p@ss:w0rd', host: 'db.example' });
  });

  it('a URL that cannot be parsed is refused without echoing the password', () => {
    expect(() => resolveTarget({ databaseUrl: 'postgres://u:S3cr3t#pass@host:notaport/db', env: {} })).toThrow(
      'cannot parse database URL "postgres://u:****@host:notaport/db"',
    );
  });
});

describe('sslmode', () => {
  it('an unknown sslmode in the URL or PGSSLMODE is exit 2 with the valid values', () => {
    expect(() => resolveTarget({ databaseUrl: 'postgres://u@h/d?sslmode=bogus', env: {} })).toThrow('sslmode in the database URL is "bogus", which is not an sslmode');
    expect(() => resolveTarget({ env: { PGHOST: 'h', PGSSLMODE: 'sure' } })).toThrow('PGSSLMODE is "sure"');
    expect(resolveTarget({ databaseUrl: 'postgres://u@h/d?sslmode=verify-full', env: {} }).kind).toBe('postgres');
  });
});

describe('PGSERVICE', () => {
  it('reads the service from PGSERVICEFILE; PG* variables win over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'healfix-service-'));
    const file = join(dir, 'pg_service.conf');
    writeFileSync(file, '# comment\n[other]\nhost=nowhere\n\n[app]\nhost=db.internal\nport=6544\ndbname=shop\nuser=svc\npassword=sv#c:pw\nsslmode=require\n');
    const t = resolveTarget({ env: { PGSERVICE: 'app', PGSERVICEFILE: file } });
    expect(t).toMatchObject({ kind: 'postgres', source: 'PGSERVICE', host: 'db.internal', port: 6544, database: 'shop', user: 'svc', password: 'sv#c:pw', ssl: { rejectUnauthorized: false } });
    expect(t.display).toBe('postgres://svc:****@db.internal:6544/shop');
    expect(resolveTarget({ env: { PGSERVICE: 'app', PGSERVICEFILE: file, PGPORT: '7000' } })).toMatchObject({ port: 7000, host: 'db.internal' });
  });

  it('falls back to PGSYSCONFDIR/pg_service.conf and names both files when the service is missing', () => {
    const home = mkdtempSync(join(tmpdir(), 'healfix-service-home-'));
    const sys = mkdtempSync(join(tmpdir(), 'healfix-service-sys-'));
    writeFileSync(join(sys, 'pg_service.conf'), '[sys]\nhost=sys.internal\ndbname=s\n');
    expect(resolveTarget({ env: { PGSERVICE: 'sys', HOME: home, PGSYSCONFDIR: sys } })).toMatchObject({ host: 'sys.internal', database: 's' });
    expect(() => resolveTarget({ env: { PGSERVICE: 'nope', HOME: home, PGSYSCONFDIR: sys } })).toThrow(/PGSERVICE: no service "nope" in .*\.pg_service\.conf or .*pg_service\.conf/);
  });
});

describe('the secret registry', () => {
  const secret = 'p@ss "w0rd"\\/é+&=😀';

  it('knows the spellings healfix produces: raw, JSON, nested JSON, percent, form, base64', () => {
    const spellings = encodingsOf(secret);
    expect(spellings).toContain(secret);
    expect(spellings).toContain(JSON.stringify(secret).slice(1, -1));
    expect(spellings).toContain(JSON.stringify(JSON.stringify(secret).slice(1, -1)).slice(1, -1));
    expect(spellings).toContain(encodeURIComponent(secret));
    expect(spellings).toContain(new URLSearchParams({ p: secret }).toString().slice(2));
    expect(spellings).toContain(Buffer.from(secret).toString('base64'));
  });

  it('every writer-facing mask removes every spelling of a registered secret', () => {
    registerSecret(secret);
    const text = [
      `raw ${secret}`,
      `json ${JSON.stringify({ password: secret })}`,
      `doc ${JSON.stringify({ body: JSON.stringify({ password: secret }) })}`,
      `form password=${new URLSearchParams({ p: secret }).toString().slice(2)}`,
      `url postgres://u:${encodeURIComponent(secret)}@h/d`,
      `basic ${Buffer.from(secret).toString('base64')}`,
    ].join('\n');
    const masked = maskSecrets(text);
    for (const spelling of encodingsOf(secret)) expect(masked).not.toContain(spelling);
    expect(masked.split('****').length - 1).toBeGreaterThanOrEqual(6);
    expect(scrub(text, [secret])).toBe(masked);
  });

  it('a password read from a target is registered as it is resolved', () => {
    resolveTarget({ databaseUrl: 'postgres://u:Hunter2#x@h/d', env: {} });
    expect(maskSecrets('echo Hunter2#x and Hunter2%23x')).toBe('echo **** and ****');
  });

  it('ignores secrets too short to mask without destroying ordinary text', () => {
    registerSecret('ab');
    expect(maskSecrets('about abc')).toBe('about abc');
  });
});

describe('a secret with half of an emoji (a lone surrogate)', () => {
  afterEach(() => clearSecrets());
  it('is registered and masked instead of throwing URIError from the percent spelling', () => {
    const secret = 'pw-\ud83d-tail';
    expect(() => encodingsOf(secret)).not.toThrow();
    registerSecret(secret);
    expect(maskSecrets(`login with ${secret} now`)).toBe('login with **** now');
  });
});
