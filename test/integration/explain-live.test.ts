import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkConstraint, checkLive, findConstraint, liveCheckFor } from '../../src/explain/live.js';
import { openFromFlags } from '../../src/db/open.js';
import { findTarget } from '../../src/db/target.js';

/** What the explain command hands the live check: the configured database and how to open it. */
const configured = (databaseUrl: string, offline = false) => ({
  offline,
  target: findTarget({ databaseUrl }),
  open: (target: NonNullable<ReturnType<typeof findTarget>>) => openFromFlags({ databaseUrl }, { target }),
});
import { openPostgres, type PostgresDatabase } from '../../src/db/postgres.js';
import { explainText } from '../../src/explain/recognise.js';
import { createTestDatabase, describeDb, type TestDatabase, pgTarget } from '../helpers/db.js';

const PASTE = '[ERROR 849e6587] register: duplicate key value violates unique constraint "notifications_pkey"\nDETAIL:  Key (id)=(1) already exists.';

describeDb('explain: the live state of a pasted duplicate key', () => {
  let db: TestDatabase;
  let pg: PostgresDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('explain');
    // Healing Space's shape: SERIAL ids, rows restored with explicit ids, sequences never moved.
    await db.query(`
      create table users (username text primary key, email text unique);
      create table notifications (id serial primary key, recipient_username text, message text);
      insert into notifications (id, recipient_username, message) select g, 'u' || g, 'welcome' from generate_series(1, 41) g;
      create table alerts (id serial primary key, body text);
      insert into alerts (body) values ('a'), ('b');
      create sequence shared_ticket_seq;
      create table tickets (ticket_no bigint not null default nextval('shared_ticket_seq'), body text);
      create unique index tickets_no_uniq on tickets (ticket_no);
      insert into tickets values (1, 'x'), (2, 'y'), (3, 'z');
      create schema archive;
      create table archive.notifications (id serial, note text, constraint notifications_pkey primary key (id));
      insert into archive.notifications (note) values ('n');
      create table mood_logs (id serial primary key, mood int);
      select setval('mood_logs_id_seq', 2147483647);
    `);
    pg = await openPostgres(pgTarget(db.url));
  });

  afterAll(async () => {
    await pg?.close();
    await db?.drop();
  });

  it('finds every table a constraint name covers, in any schema, with its columns', async () => {
    const found = await findConstraint(pg, 'notifications_pkey');
    expect(found).toEqual([
      { schema: 'archive', table: 'notifications', constraint: 'notifications_pkey', kind: 'primary key', columns: ['id'], hasExpressions: false },
      { schema: 'public', table: 'notifications', constraint: 'notifications_pkey', kind: 'primary key', columns: ['id'], hasExpressions: false },
    ]);
    expect(await findConstraint(pg, 'tickets_no_uniq')).toMatchObject([{ table: 'tickets', kind: 'unique index', columns: ['ticket_no'] }]);
    expect(await findConstraint(pg, 'users_email_key')).toMatchObject([{ table: 'users', kind: 'unique', columns: ['email'] }]);
    expect(await findConstraint(pg, 'no_such_constraint')).toEqual([]);
  });

  it('names the sequence and its lag now, and the exact command', async () => {
    const check = await checkConstraint(pg, 'notifications_pkey');
    expect(check.verdict).toBe('lagging');
    expect(check.nextCommand).toBe('healfix sequences --fix --table notifications');
    const pub = check.locations.find((l) => l.schema === 'public')!;
    expect(pub.sequences).toMatchObject([{ sequence: 'public.notifications_id_seq', column: 'id', status: 'lagging', nextValue: '1', dataMax: '41', lag: '41' }]);
    expect(check.message).toContain(
      'notifications_pkey on public.notifications (id) is fed by public.notifications_id_seq; next value 1, max(id) 41: lagging by 41 — run healfix sequences --fix --table notifications',
    );
    // the archive copy is healthy and says so
    expect(check.message).toMatch(/notifications_pkey on archive\.notifications \(id\) is fed by archive\.notifications_id_seq; next value 2, max\(id\) 1: not lagging now/);
  });

  it('finds a sequence that only feeds the column through its default (not owned), under a unique index', async () => {
    const check = await checkConstraint(pg, 'tickets_no_uniq');
    expect(check.verdict).toBe('lagging');
    expect(check.message).toBe('tickets_no_uniq is fed by public.shared_ticket_seq; next value 1, max(ticket_no) 3: lagging by 3 — run healfix sequences --fix --table tickets');
  });

  it('says when no sequence feeds the key (a real duplicate) and when the constraint is not in this database', async () => {
    const noSeq = await checkConstraint(pg, 'users_email_key');
    expect(noSeq.verdict).toBe('no-sequence');
    expect(noSeq.message).toBe('users_email_key is not fed by any sequence (public.users (email)): the duplicate value really exists; the app must check for it first or answer 409.');
    const missing = await checkConstraint(pg, 'audit_logs_pkey');
    expect(missing.verdict).toBe('not-found');
    expect(missing.message).toBe(`audit_logs_pkey does not exist in ${db.name}: the paste may come from another environment or database.`);
  });

  it('a healthy sequence: recognised, and the problem is no longer present', async () => {
    const result = explainText('ERROR:  duplicate key value violates unique constraint "alerts_pkey"\nDETAIL:  Key (id)=(1) already exists.');
    const live = await checkLive(pg, result.diagnoses);
    expect(live.problemPresent).toBe(false);
    expect(live.constraints[0]).toMatchObject({ verdict: 'healthy' });
    expect(live.constraints[0]!.message).toContain('alerts_pkey is fed by public.alerts_id_seq; next value 3, max(id) 2: not lagging now');
  });

  it('liveCheckFor opens the configured database and reports the seed paste as still broken', async () => {
    const live = await liveCheckFor(explainText(PASTE), configured(db.url));
    expect(live.status).toBe('checked');
    expect(live.problemPresent).toBe(true);
    expect(live.target).not.toContain('healfix-test');
    expect(live.message).toBe('1 of 1 constraint still fed by a lagging sequence');
  });

  it('liveCheckFor: --offline, nothing to check, SQLite, and an unreachable server', async () => {
    const result = explainText(PASTE);
    expect((await liveCheckFor(result, configured(db.url, true))).status).toBe('disabled');
    expect((await liveCheckFor(explainText('{"retry_after": 5}'), configured(db.url))).status).toBe('not-needed');
    const sqlite = await liveCheckFor(result, configured('sqlite:/tmp/does-not-matter.db'));
    expect(sqlite).toMatchObject({ status: 'not-postgres', problemPresent: false });
    expect(sqlite.message).toContain('the live check applies to PostgreSQL');
    const down = await liveCheckFor(result, configured('postgres://u:topsecret@127.0.0.1:1/x'));
    expect(down.status).toBe('failed');
    expect(down.message).toContain('connection refused');
    expect(JSON.stringify(down)).not.toContain('topsecret');
  });

  it('an exhausted sequence from the paste: how much of its range is used now', async () => {
    const result = explainText('ERROR:  nextval: reached maximum value of sequence "mood_logs_id_seq" (2147483647)');
    const live = await checkLive(pg, result.diagnoses);
    expect(live.problemPresent).toBe(true);
    expect(live.sequences[0]).toMatchObject({ verdict: 'exhausted', nextCommand: 'healfix sequences --table mood_logs', found: { sequence: 'public.mood_logs_id_seq', tables: ['mood_logs'] } });
    expect(live.sequences[0]!.message).toMatch(/^public\.mood_logs_id_seq: next value 2147483648 of 2147483647 \(100% used\) — widen it to bigint/);
    const other = await checkLive(pg, explainText('nextval: reached maximum value of sequence "gone_seq" (32767)').diagnoses);
    expect(other).toMatchObject({ problemPresent: false, sequences: [{ verdict: 'not-found' }] });
  });
});
