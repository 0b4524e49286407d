import { describe, expect, it } from 'vitest';
import { msFromNow, parseDbTime, wholeHourSkew, zoneName } from '../../src/db/time.js';
import { parseColumnMapping } from '../../src/db/catalog.js';

describe('parseDbTime', () => {
  it("reads SQLite/Python naive text as UTC and remembers it was naive", () => {
    expect(parseDbTime('2025-07-26 21:28:52.123456')).toMatchObject({ naive: true, format: 'naive-micro' });
    expect(parseDbTime('2025-07-26 21:28:52.123456')!.ms).toBeCloseTo(Date.UTC(2025, 6, 26, 21, 28, 52, 123) + 0.456, 3);
    expect(parseDbTime('2025-07-26 21:28:52')).toMatchObject({ ms: Date.UTC(2025, 6, 26, 21, 28, 52), naive: true, format: 'naive' });
  });
  it('reads ISO with Z or an offset, and PostgreSQL timestamptz text', () => {
    const at = Date.UTC(2025, 6, 26, 19, 28, 52);
    expect(parseDbTime('2025-07-26T19:28:52Z')!.ms).toBe(at);
    expect(parseDbTime('2025-07-26 21:28:52+02')!.ms).toBe(at);
    expect(parseDbTime('2025-07-27 00:58:52+05:30')!.ms).toBe(at);
    expect(parseDbTime('2025-07-26T14:28:52-0500')).toMatchObject({ ms: at, naive: false });
  });
  it('reads unix epochs in seconds and milliseconds', () => {
    expect(parseDbTime(1753562932)).toMatchObject({ ms: 1753562932000, format: 'epoch-s' });
    expect(parseDbTime('1753562932123')).toMatchObject({ ms: 1753562932123, format: 'epoch-ms' });
  });
  it('gives up on garbage and null', () => {
    expect(parseDbTime('yesterday')).toBeUndefined();
    expect(parseDbTime(null)).toBeUndefined();
    expect(parseDbTime('')).toBeUndefined();
  });
  it('compares naive values with the naive clock', () => {
    const clock = { nowMs: 10_000_000, naiveNowMs: 10_000_000 + 7_200_000 };
    expect(msFromNow(clock, { ms: 10_000_000 + 7_200_000 + 1000, naive: true, format: 'naive' })).toBe(1000);
    expect(msFromNow(clock, { ms: 10_000_000 + 1000, naive: false, format: 'zoned' })).toBe(1000);
  });
});

describe('wholeHourSkew', () => {
  it('recognises an offset of whole or quarter hours, give or take a couple of minutes', () => {
    expect(wholeHourSkew(2 * 3_600_000 + 40_000)).toBe(120);
    expect(wholeHourSkew(-5 * 3_600_000)).toBe(-300);
    expect(wholeHourSkew(5.5 * 3_600_000)).toBe(330);
    expect(wholeHourSkew(37 * 60_000)).toBeUndefined();
    expect(wholeHourSkew(30_000)).toBeUndefined();
    expect(zoneName(-300)).toBe('UTC-5');
    expect(zoneName(330)).toBe('UTC+5:30');
  });
});

describe('parseColumnMapping', () => {
  it('parses role=column pairs and rejects unknown roles and bad pairs', () => {
    expect(parseColumnMapping('email=addr, expires=valid_until', ['email', 'expires'])).toEqual({ email: 'addr', expires: 'valid_until' });
    expect(() => parseColumnMapping('mail=addr', ['email'])).toThrow(/unknown role "mail"/);
    expect(() => parseColumnMapping('email', ['email'])).toThrow(/role=column pairs/);
  });
});
