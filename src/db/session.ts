import { UsageError } from '../errors.js';

/** Limits every healfix session runs under: nothing healfix does may hang a production database. */
export interface SessionOptions {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  connectTimeoutMs: number;
}

export const DEFAULT_SESSION: SessionOptions = {
  statementTimeoutMs: 30_000,
  lockTimeoutMs: 3_000,
  connectTimeoutMs: 10_000,
};

/**
 * Parses "30s", "500ms", "2m". A bare number is refused: "--lock-timeout 3" meant 3ms to the code and
 * 3 seconds to whoever typed it, so the unit is required.
 */
export function parseDuration(value: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min)?\s*$/i.exec(value);
  if (!m) throw new UsageError(`${flag} must be a duration like 500ms, 30s or 2m, got "${value}"`);
  if (!m[2]) throw new UsageError(`${flag} needs a unit: ${m[1]}ms, ${m[1]}s or ${m[1]}m, got "${value}"`);
  const n = Number(m[1]);
  const unit = m[2].toLowerCase();
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000;
  if (!Number.isFinite(ms) || ms < 1 || ms > 86_400_000) {
    throw new UsageError(`${flag} must be between 1ms and 24h, got "${value}"`);
  }
  return Math.round(ms);
}
