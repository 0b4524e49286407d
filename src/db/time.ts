/**
 * Timestamps as apps store them. PostgreSQL hands them over as text (we cast), SQLite keeps whatever
 * the app wrote: 'YYYY-MM-DD HH:MM:SS[.ffffff]' (no zone: SQLite reads it as UTC), ISO with T/Z or an
 * offset, or a unix epoch number. A naive value is compared with the database's naive clock
 * (SQLite: UTC datetime('now'); PostgreSQL: localtimestamp), a zoned or epoch value with the real clock.
 */
export type TimeFormat = 'naive' | 'naive-micro' | 'zoned' | 'epoch-s' | 'epoch-ms';

export interface DbTime {
  /** Milliseconds since the epoch, reading a naive value as UTC. */
  ms: number;
  naive: boolean;
  format: TimeFormat;
}

const TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Parses one stored timestamp; undefined for null, empty or unreadable values. */
export function parseDbTime(value: unknown): DbTime | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : { ms: value.getTime(), naive: false, format: 'zoned' };
  if (typeof value === 'bigint') return epoch(Number(value));
  if (typeof value === 'number') return Number.isFinite(value) ? epoch(value) : undefined;
  const text = String(value).trim();
  if (text === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(text)) return epoch(Number(text));
  const m = TEXT.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac, zone] = m;
  const fracMs = frac ? Number(`0.${frac}`) * 1000 : 0;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) + fracMs;
  if (Number.isNaN(ms)) return undefined;
  if (zone) {
    if (zone.toUpperCase() !== 'Z') {
      const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
      const minutes = Number(z[2]) * 60 + Number(z[3] ?? 0);
      ms -= (z[1] === '-' ? -1 : 1) * minutes * 60_000;
    }
    return { ms, naive: false, format: 'zoned' };
  }
  return { ms, naive: true, format: frac && frac.length >= 4 ? 'naive-micro' : 'naive' };
}

function epoch(n: number): DbTime {
  // Seconds until the year 5138; anything larger is milliseconds.
  return n > 1e11 ? { ms: n, naive: false, format: 'epoch-ms' } : { ms: n * 1000, naive: false, format: 'epoch-s' };
}

/** The database's idea of "now", read once; naive values compare with naiveNowMs. */
export interface DbClock {
  nowMs: number;
  naiveNowMs: number;
}

/** Milliseconds from now to t (positive: in the future), each value against its own clock. */
export function msFromNow(clock: DbClock, t: DbTime): number {
  return t.ms - (t.naive ? clock.naiveNowMs : clock.nowMs);
}

/** ISO text for output: zoned values in UTC with Z, naive ones as stored (no zone claimed). */
export function showTime(t: DbTime | undefined): string | undefined {
  if (!t) return undefined;
  const iso = new Date(t.ms).toISOString();
  return t.naive ? iso.replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '') : iso.replace(/\.\d+Z$/, 'Z');
}

/** "4 min", "2 h 10 min", "3 d" — for humans. */
export function humanDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 90) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 90) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h${min % 60 ? ` ${min % 60} min` : ''}`;
  return `${Math.round(h / 24)} d`;
}

/**
 * When an offset is close to a whole (or half/quarter) hour, the likely UTC-vs-local skew in minutes;
 * undefined otherwise. Tolerance covers the seconds between a write and the read.
 */
export function wholeHourSkew(offsetMs: number, toleranceMs = 120_000): number | undefined {
  const minutes = offsetMs / 60_000;
  const quarters = Math.round(minutes / 15);
  if (quarters === 0 || Math.abs(quarters) > 14 * 4) return undefined;
  return Math.abs(offsetMs - quarters * 15 * 60_000) <= toleranceMs ? quarters * 15 : undefined;
}

/** "UTC+2", "UTC-5", "UTC+5:30". */
export function zoneName(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const a = Math.abs(offsetMinutes);
  return `UTC${sign}${Math.floor(a / 60)}${a % 60 ? `:${String(a % 60).padStart(2, '0')}` : ''}`;
}

/** Truthy flags as apps store them: 1, '1', true, 't', 'true', 'yes', or a non-null used_at timestamp. */
export function isTruthyFlag(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  const text = String(value).trim().toLowerCase();
  if (['', '0', 'f', 'false', 'no', 'n'].includes(text)) return false;
  return true;
}
