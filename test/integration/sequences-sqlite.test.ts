import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanSqliteSequences } from '../../src/checks/sequences-sqlite.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { fixSqliteSequences } from '../../src/fix/sequences.js';

describe('healfix sequences on SQLite (sqlite_sequence vs max key)', () => {
  let dir: string;
  let path: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'healfix-seq-sqlite-'));
    path = join(dir, 'app.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec(`
      create table users (id integer primary key autoincrement, email text);
      insert into users (email) values ('a'), ('b'), ('c');
      create table user_otp (id integer primary key autoincrement, code text);
      insert into user_otp (id, code) values (40, 'x');
      create table empty_t (id integer primary key autoincrement);
      create table plain (id integer primary key, v text);
      insert into plain values (7, 'no autoincrement');
      -- A restore from a dump (or a hand edit) left the high-water mark behind the data.
      update sqlite_sequence set seq = 1 where name = 'users';
    `);
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compares sqlite_sequence with max(rowid) of each AUTOINCREMENT table only', () => {
    const db = openSqlite({ kind: 'sqlite', source: '--database-url', display: path, path });
    try {
      const result = scanSqliteSequences(db);
      expect(result.findings.map((f) => [f.name, f.status, f.lastValue, f.dataMax])).toEqual([
        ['empty_t', 'ok', '0', null],
        ['user_otp', 'ok', '40', '40'],
        ['users', 'lagging', '1', '3'],
      ]);
      expect(result.findings.find((f) => f.name === 'users')).toMatchObject({ nextValue: '2', lag: '2' });
      expect(result.findings[0]?.consumers[0]).toMatchObject({ kind: 'autoincrement', column: 'id' });
    } finally {
      db.close();
    }
  });

  it('fixes upward only in one transaction, leaves the rest, and is idempotent', () => {
    const db = openSqlite({ kind: 'sqlite', source: '--database-url', display: path, path }, { write: true });
    try {
      const before = scanSqliteSequences(db);
      const outcomes = fixSqliteSequences(db, before.findings);
      expect(outcomes.map((o) => [o.sequence, o.status, o.before, o.after])).toEqual([
        ['sqlite_sequence[empty_t]', 'unchanged', '1', '1'],
        ['sqlite_sequence[user_otp]', 'unchanged', '41', '41'],
        ['sqlite_sequence[users]', 'fixed', '2', '4'],
      ]);
      const seq = db.prepare(`select name, seq from sqlite_sequence order by name`).all();
      expect(seq).toEqual([{ name: 'user_otp', seq: 40 }, { name: 'users', seq: 3 }]);
      expect(scanSqliteSequences(db).findings.every((f) => f.status === 'ok')).toBe(true);
      expect(fixSqliteSequences(db, scanSqliteSequences(db).findings).every((o) => o.status === 'unchanged')).toBe(true);
      // A stale finding can never lower the value.
      const stale = before.findings.map((f) => ({ ...f }));
      db.prepare(`update sqlite_sequence set seq = 100 where name = 'users'`).run();
      expect(fixSqliteSequences(db, stale).find((o) => o.sequence === 'sqlite_sequence[users]')?.status).toBe('unchanged');
      expect(db.prepare(`select seq from sqlite_sequence where name = 'users'`).get()).toEqual({ seq: 100 });
    } finally {
      db.close();
    }
  });
});
