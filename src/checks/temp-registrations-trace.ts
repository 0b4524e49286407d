/** temp-registrations --email: one signup's pending rows and codes, and the orphan codes of its race. */
import type { OtpRecord, PendingSignup, SignupTrace } from './temp-registrations.js';
import { RACE_WINDOW_MS, type JudgedOtp, type JudgedPending } from './temp-registrations-rules.js';

export function traceSignup(email: string, pending: JudgedPending[], otps: JudgedOtp[], accountExists: boolean | undefined): SignupTrace {
  const wanted = email.toLowerCase();
  const mine = pending.filter((p) => p.email.toLowerCase() === wanted);
  const keys = new Set(mine.map((p) => p.key));
  const own = otps.filter((o) => keys.has(o.identifier) || o.identifier.toLowerCase() === wanted);
  const race = otps.filter((o) => o.link === 'orphan' && o.created && mine.some((p) => p.created && Math.abs(p.created.ms - o.created!.ms) <= RACE_WINDOW_MS));
  return {
    email,
    pending: mine.map(plainPending),
    otps: own.map(plainOtp),
    probableRaceOtps: race.map(plainOtp),
    accountExists,
  };
}

export function plainPending(p: JudgedPending): PendingSignup {
  const { created: _c, expires: _x, ...rest } = p;
  return rest;
}

export function plainOtp(o: JudgedOtp): OtpRecord {
  const { created: _c, expires: _x, ...rest } = o;
  return rest;
}
