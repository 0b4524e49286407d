import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
import { BIN } from '../helpers/exec.js';

const TABLES = 1500;

describeDb('sequences --fix interrupted with Ctrl-C', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('seq_sigint');
    await db.query('create schema many');
    for (let from = 1; from <= TABLES; from += 250) {
      await db.query(`do $$ begin for i in ${from}..${from + 249} loop
        execute format('create table many.t%s (id serial primary key)', i);
        execute format('insert into many.t%s (id) values (1), (2), (3)', i);
      end loop; end $$`);
    }
  });
  afterAll(() => db.drop());

  it('stops after the sequence in flight: every sequence is either repaired or untouched, and it says so', async () => {
    const child = spawn(process.execPath, [BIN, 'sequences', '--fix', '--yes', '-d', db.url], { env: { PATH: process.env.PATH, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!sent && stdout.includes('Each sequence in its own transaction')) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 150);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    expect(sent).toBe(true);
    expect(code).toBe(2);
    expect(stderr).toContain('Stopping after the sequence in flight');
    expect(stderr).not.toMatch(/\n\s+at /);
    // Each sequence's own state, read through query_to_xml so one statement covers all of them.
    const { rows } = await db.query<{ fixed: string; untouched: string; other: string }>(`
      with state as (
        select (xpath('/row/l/text()', x))[1]::text::int8 as last_value, (xpath('/row/c/text()', x))[1]::text::bool as is_called
        from generate_series(1, ${TABLES}) i,
             query_to_xml(format('select last_value as l, is_called as c from many.t%s_id_seq', i), false, true, '') x
      )
      select count(*) filter (where last_value = 3 and is_called) as fixed,
             count(*) filter (where last_value = 1 and not is_called) as untouched,
             count(*) filter (where not ((last_value = 3 and is_called) or (last_value = 1 and not is_called))) as other
      from state`);
    const { fixed, untouched, other } = rows[0]!;
    expect(Number(other)).toBe(0);
    expect(Number(fixed)).toBeGreaterThan(0);
    expect(Number(untouched)).toBeGreaterThan(0);
    expect(Number(fixed) + Number(untouched)).toBe(TABLES);
  }, 120_000);
});
