/**
 * The pure rules over rows: "is this row pending / used / expired", "is this key locked, until when".
 * No database here: rows come in as plain objects keyed by column name, as read by the checks, so
 * every stack's semantics are unit-tested with hand-made rows.
 */
import { isTruthyFlag, msFromNow, parseDbTime, type DbClock, type DbTime } from '../checks/db-time.js';
import type { DurationSetting, LimiterTable, NumberSetting, PendingTable, RowCondition, TimeBound } from './types.js';

export type Row = Record<string, unknown>;

/** Where attachCompanionRows() puts the value of a row's companion (`<key>:timer`). */
export const COMPANION = '__companion';

/**
 * For limiters whose end lives in a companion row (`<key>:timer`): removes the companion rows and
 * hands each value to its base row under COMPANION. A base row without a companion is not a limiter
 * key (Laravel resets such attempts), so it is dropped. Rows of other tables pass through unchanged.
 */
export function attachCompanionRows(table: LimiterTable, rows: Row[]): Row[] {
  const bound = table.ends;
  if (bound.kind !== 'companion-row') return rows;
  const keyColumn = table.keyColumns[0]!;
  const ends = new Map<string, unknown>();
  const base: Row[] = [];
  for (const row of rows) {
    const key = String(row[keyColumn] ?? '');
    if (!key.endsWith(bound.keySuffix)) base.push(row);
    else {
      const raw = row[bound.column];
      const value = bound.pattern ? bound.pattern.exec(String(raw ?? ''))?.[1] : raw;
      ends.set(key.slice(0, -bound.keySuffix.length), value ?? null);
    }
  }
  return base.filter((row) => ends.has(String(row[keyColumn] ?? ''))).map((row) => ({ ...row, [COMPANION]: ends.get(String(row[keyColumn] ?? '')) }));
}

/** The counter as a number: a bare number, or group 1 of the stack's pattern (PHP's `i:5;`). */
export function counterValue(table: LimiterTable, row: Row): number | undefined {
  if (table.counter === undefined) return undefined;
  const raw = row[table.counter];
  if (raw === null || raw === undefined) return undefined;
  if (!table.counterPattern) return Number(raw);
  const m = table.counterPattern.exec(String(raw));
  return m ? Number(m[1]) : undefined;
}

/** Values the app configured, by setting name (durations in ms); absent = the framework's default. */
export type Settings = Record<string, number | null>;

export function holds(condition: RowCondition, row: Row): boolean {
  if ('all' in condition) return condition.all.every((c) => holds(c, row));
  if ('any' in condition) return condition.any.some((c) => holds(c, row));
  const value = row[condition.column];
  if ('isNull' in condition) return value === null || value === undefined;
  if ('notNull' in condition) return value !== null && value !== undefined;
  if ('startsWith' in condition) return typeof value === 'string' && value.startsWith(condition.startsWith);
  if (typeof condition.equals === 'boolean') return value !== null && value !== undefined && isTruthyFlag(value) === condition.equals;
  return value !== null && value !== undefined && String(value) === String(condition.equals);
}

export function durationMs(setting: DurationSetting, settings: Settings = {}): number | null {
  return setting.setting in settings ? (settings[setting.setting] ?? null) : setting.defaultMs;
}

export function numberSetting(setting: NumberSetting, settings: Settings = {}): number {
  const value = settings[setting.setting];
  return typeof value === 'number' ? value : setting.default;
}

/**
 * When the bound ends for this row, in ms from now (negative: already past). undefined = never ends
 * (no expiry configured); null = the row has no value to judge by (e.g. never sent).
 */
export function msUntil(bound: TimeBound, row: Row, clock: DbClock, settings: Settings = {}): number | null | undefined {
  if (bound.kind === 'never') return undefined;
  if (bound.kind === 'companion-row') {
    const end = parseDbTime(row[COMPANION]);
    return end ? msFromNow(clock, end) : null;
  }
  const time = parseDbTime(row[bound.column]);
  if (bound.kind === 'column') return time ? msFromNow(clock, time) : null;
  const interval = durationMs(bound.interval, settings);
  if (interval === null) return undefined;
  return time ? msFromNow(clock, time) + interval : null;
}

/** The bound's end as a stored time (naive stays naive), for display; undefined when never or unknown. */
export function endTime(bound: TimeBound, row: Row, settings: Settings = {}): DbTime | undefined {
  if (bound.kind === 'never') return undefined;
  if (bound.kind === 'companion-row') return parseDbTime(row[COMPANION]);
  const time = parseDbTime(row[bound.column]);
  if (!time || bound.kind === 'column') return time;
  const interval = durationMs(bound.interval, settings);
  return interval === null ? undefined : { ...time, ms: time.ms + interval };
}

export interface PendingVerdict {
  pending: boolean;
  used: boolean;
  expired: boolean;
  /** ms until expiry (negative: ago); undefined: never expires; null: no time to judge by. */
  expiresInMs: number | null | undefined;
  /** May a purge of expired rows delete it? Never for account rows. */
  purgeable: boolean;
}

export function judgePendingRow(table: PendingTable, row: Row, clock: DbClock, settings: Settings = {}): PendingVerdict {
  const pending = table.pending ? holds(table.pending, row) : true;
  const used = table.used ? holds(table.used, row) : false;
  const expiresInMs = msUntil(table.expires, row, clock, settings);
  const expired = typeof expiresInMs === 'number' && expiresInMs <= 0;
  return { pending, used, expired, expiresInMs, purgeable: !table.rowsAreAccounts && expired };
}

export interface LockVerdict {
  /** The row's key columns joined with " / " (username / ip_address). */
  key: string;
  count?: number;
  limit?: number;
  locked: boolean;
  /** ms until the lock (or window) ends; undefined: never ends by itself; null: unknown. */
  endsInMs: number | null | undefined;
}

export function limitOf(table: LimiterTable, settings: Settings = {}): number | undefined {
  return table.limit ? numberSetting(table.limit, settings) : undefined;
}

export function overLimit(table: LimiterTable, count: number, limit: number): boolean {
  return table.lockedAt === 'at-or-above' ? count >= limit : count > limit;
}

export function judgeLimiterRow(table: LimiterTable, row: Row, clock: DbClock, settings: Settings = {}): LockVerdict {
  const key = table.keyColumns.map((c) => row[c]).filter((v) => v !== null && v !== undefined && v !== '').map(String).join(' / ');
  const count = counterValue(table, row);
  const limit = limitOf(table, settings);
  const endsInMs = msUntil(table.ends, row, clock, settings);
  const lapsed = typeof endsInMs === 'number' && endsInMs <= 0;
  // A lock flag (Devise's locked_at) decides by itself; otherwise the counter against the limit does.
  const triggered = table.locked ? holds(table.locked, row) : count !== undefined && limit !== undefined && overLimit(table, count, limit);
  return {
    key,
    ...(count !== undefined ? { count } : {}),
    ...(limit !== undefined ? { limit } : {}),
    locked: triggered && !lapsed,
    endsInMs,
  };
}
