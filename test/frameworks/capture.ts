import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Fixtures for unit tests are captured from the real apps, never written by hand: run the frameworks suite with
 * HEALFIX_CAPTURE_FIXTURES=1 (and HEALFIX_TEST_DATABASE_URL pointing at a server whose major version matches
 * pg_dump's) and the pages, log excerpts and schemas land in test/fixtures/frameworks/<stack>/. A normal run
 * writes nothing.
 */
export const capturing = process.env.HEALFIX_CAPTURE_FIXTURES === '1';

const FIXTURES = fileURLToPath(new URL('../fixtures/frameworks/', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** CSRF tokens and session-bound values change every run and are secrets of a sort: replaced by a marker. */
export function redact(text: string): string {
  return text
    .replace(/(name="(?:csrfmiddlewaretoken|authenticity_token|_csrf|_token)" value=")[^"]*"/g, '$1REDACTED"')
    .replace(/(<meta name="csrf-token" content=")[^"]*"/g, '$1REDACTED"')
    .replace(/(confirm-email\/|confirmation_token=)[A-Za-z0-9:_-]+/g, '$1REDACTED')
    .replace(/\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}/g, 'REDACTED-BCRYPT-HASH')
    .replaceAll(REPO, '<repo>/');
}

export function saveFixture(stack: string, name: string, content: string): void {
  if (!capturing) return;
  mkdirSync(`${FIXTURES}${stack}`, { recursive: true });
  writeFileSync(`${FIXTURES}${stack}/${name}`, redact(content));
}

/** pg_dump --schema-only of the app's auth tables, the shape catalog-signature recognition is built from. */
export function saveSchema(stack: string, databaseUrl: string, tables: string[]): void {
  if (!capturing) return;
  const pgDump = process.env.HEALFIX_PG_DUMP ?? 'pg_dump';
  const args = ['--schema-only', '--no-owner', '--no-privileges', ...tables.flatMap((t) => ['-t', t]), databaseUrl];
  const result = spawnSync(pgDump, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`pg_dump failed: ${result.stderr || result.error?.message}`);
  // pg_dump 15+ prints a per-run \restrict key line on some builds; it is noise for a fixture.
  const schema = result.stdout.replace(/^\\(un)?restrict .*$/gm, '').replace(/^-- Dumped (from|by) .*$/gm, '');
  saveFixture(stack, 'schema.sql', schema);
}
