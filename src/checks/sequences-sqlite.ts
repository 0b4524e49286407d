import type { SqliteDb } from '../db/sqlite.js';
import { quoteIdent } from '../db/quote.js';
import { evaluateFinding, resultOf, unreadFinding, type ScanSequencesResult, type SequenceFinding } from './sequences.js';

// SQLite's counterpart of the sequences check: sqlite_sequence against max(rowid) of each AUTOINCREMENT table.

const SQLITE_MAX = 9223372036854775807n;

/**
 * SQLite keeps the high-water mark of AUTOINCREMENT tables in sqlite_sequence. When it is below the
 * table's largest key (edited by hand, restored from a dump), ids of deleted rows can be handed out again.
 */
export function scanSqliteSequences(db: SqliteDb, options: { tables?: string[] } = {}): ScanSequencesResult {
  const started = performance.now();
  const tables = db
    .prepare("select name, sql from sqlite_master where type = 'table' and sql like '%autoincrement%' order by name")
    .all() as { name: string; sql: string }[];
  const hasSeqTable = Boolean(db.prepare("select 1 from sqlite_master where type = 'table' and name = 'sqlite_sequence'").get());
  const seqRows = hasSeqTable ? (db.prepare('select name, seq from sqlite_sequence').safeIntegers(true).all() as { name: string; seq: bigint | null }[]) : [];
  const seqByTable = new Map(seqRows.map((r) => [r.name, r.seq ?? 0n]));
  const findings: SequenceFinding[] = [];
  for (const { name, sql } of tables) {
    if (!/\bautoincrement\b/i.test(sql)) continue;
    if (options.tables?.length && !options.tables.some((t) => t === name || t === `main.${name}`)) continue;
    const pk = (db.prepare(`select name, type from pragma_table_info(?) where pk = 1`).all(name) as { name: string; type: string }[])[0];
    const column = pk?.name ?? 'rowid';
    const max = db.prepare(`select max(rowid) as m from ${quoteIdent(name)}`).safeIntegers(true).get() as { m: bigint | null };
    const seq = seqByTable.get(name) ?? 0n;
    const f = unreadFinding({
      sequence: `sqlite_sequence[${name}]`,
      schema: 'main',
      name,
      consumers: [{ schema: 'main', table: name, column, columnType: pk?.type || 'integer', kind: 'autoincrement', maxValue: max.m === null ? null : max.m.toString() }],
      lastValue: seq.toString(),
      isCalled: true,
      increment: '1',
      minValue: '1',
      maxValue: SQLITE_MAX.toString(),
    });
    evaluateFinding(f);
    if (f.status === 'lagging') {
      f.reason = `sqlite_sequence holds ${seq} but max(${column}) of ${name} is ${f.dataMax}: ids of deleted rows can be reused`;
    }
    findings.push(f);
  }
  return resultOf(findings, Math.round(performance.now() - started));
}
