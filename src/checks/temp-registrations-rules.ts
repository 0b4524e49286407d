/**
 * temp-registrations, step 3: pure rules over rows already read — expired, used, live, which pending
 * signup a code belongs to, orphans. No database here (unit-tested with plain rows).
 */
import { isTruthyFlag, msFromNow, parseDbTime, showTime, type DbClock, type DbTime } from './db-time.js';
import type { OtpRecord, PendingSignup } from './temp-registrations.js';

export type JudgedPending = PendingSignup & { created?: DbTime; expires?: DbTime };
export type JudgedOtp = OtpRecord & { created?: DbTime; expires?: DbTime };

const SIGNUP_TYPES = /^(signup|sign_up|register|registration|verify_email|email_verification|signup_verification|activation)$/i;
export const RACE_WINDOW_MS = 120_000;

/** A stored time plus the stack's interval (allauth: sent + 3 days); naive stays naive. */
function plus(t: DbTime | undefined, ms: number | undefined): DbTime | undefined {
  return t && ms ? { ...t, ms: t.ms + ms } : t;
}

/** Rows as read: k key, e email, c created, x expiry column. */
export function judgePending(rows: Record<string, unknown>[], clock: DbClock, expiresPlusMs?: number): JudgedPending[] {
  return rows.map((r) => {
    const c = parseDbTime(r.c);
    const x = plus(parseDbTime(r.x), expiresPlusMs);
    const inMs = x ? msFromNow(clock, x) : undefined;
    return {
      key: String(r.k),
      email: String(r.e ?? ''),
      createdAt: showTime(c),
      expiresAt: showTime(x),
      expired: inMs !== undefined && inMs < 0,
      expiresInSeconds: inMs === undefined ? undefined : Math.round(inMs / 1000),
      created: c,
      expires: x,
    };
  });
}

/** Rows as read: k key, i identifier, t type, u used (boolean), c created, x expiry column. */
export function judgeCodes(
  rows: Record<string, unknown>[],
  pending: JudgedPending[],
  clock: DbClock,
  options: { identifierColumn: string; hasPendingTable: boolean; expiresPlusMs?: number },
): JudgedOtp[] {
  const pendingById = new Map(pending.map((p) => [p.key, p]));
  const idPrefix = commonIdPrefix(pending.map((p) => p.key), options.identifierColumn);
  const otps = rows.map((r): JudgedOtp => {
    const ident = String(r.i ?? '');
    const c = parseDbTime(r.c);
    const x = plus(parseDbTime(r.x), options.expiresPlusMs);
    const isUsed = isTruthyFlag(r.u);
    const expired = x !== undefined && msFromNow(clock, x) < 0;
    const typeText = r.t === null || r.t === undefined ? undefined : String(r.t);
    const signupTyped = typeText === undefined ? undefined : SIGNUP_TYPES.test(typeText);
    const owner = pendingById.get(ident);
    let link: OtpRecord['link'];
    let email: string | undefined;
    if (owner) {
      link = 'pending';
      email = owner.email;
    } else if (signupTyped === false) link = 'other';
    else if (ident.includes('@')) {
      link = 'email';
      email = ident;
    } else if (options.hasPendingTable && (signupTyped === true || (idPrefix !== undefined && ident.startsWith(idPrefix)))) link = 'orphan';
    else link = 'other';
    return {
      key: String(r.k), identifier: ident, ...(typeText !== undefined ? { type: typeText } : {}), code: '******' as const,
      used: isUsed, expired, live: !isUsed && !expired, link, ...(email !== undefined ? { email } : {}),
      createdAt: showTime(c), expiresAt: showTime(x), created: c, expires: x,
    };
  });
  // Orphans created within seconds of a surviving pending row: the same burst of signups.
  for (const otp of otps) {
    if (otp.link !== 'orphan' || !otp.created) continue;
    const near = nearestPending(pending, otp.created);
    if (near) otp.email = near.email;
  }
  return otps;
}

/** 'temp_' when pending ids look like temp_1753562932_ece82a3b, or any prefix when the column says temp_id. */
export function commonIdPrefix(keys: string[], identifierColumn: string): string | undefined {
  const prefixes = new Set(keys.map((k) => /^([a-z]+_)/i.exec(k)?.[1]).filter((p): p is string => Boolean(p)));
  if (prefixes.size === 1) return [...prefixes][0];
  if (/^(temp_id|pending_id|signup_id)$/i.test(identifierColumn)) return '';
  return keys.length === 0 ? 'temp_' : undefined;
}

export function nearestPending<T extends { created?: DbTime }>(pending: T[], at: DbTime): T | undefined {
  let best: T | undefined;
  let bestGap = RACE_WINDOW_MS + 1;
  for (const p of pending) {
    if (!p.created) continue;
    const gap = Math.abs(p.created.ms - at.ms);
    if (gap < bestGap) {
      best = p;
      bestGap = gap;
    }
  }
  return best;
}

export function oldest(times: (DbTime | undefined)[]): DbTime | undefined {
  let best: DbTime | undefined;
  for (const t of times) if (t && (!best || t.ms < best.ms)) best = t;
  return best;
}

export function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
