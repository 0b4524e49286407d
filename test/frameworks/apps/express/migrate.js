// Express has no migration tool of its own; this applies migrations/*.sql in name order, each once, the way
// hand-rolled Express apps do. Run as `node migrate.js` with DATABASE_URL set.
import { readdir, readFile } from 'node:fs/promises';
import pg from 'pg';

const dir = new URL('./migrations/', import.meta.url);
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
try {
  await client.query('create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())');
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort()) {
    const done = await client.query('select 1 from schema_migrations where name = $1', [name]);
    if (done.rowCount) continue;
    await client.query('begin');
    await client.query(await readFile(new URL(name, dir), 'utf8'));
    await client.query('insert into schema_migrations (name) values ($1)', [name]);
    await client.query('commit');
  }
} finally {
  await client.end();
}
