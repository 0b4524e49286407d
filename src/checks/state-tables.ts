/** What the state checks (temp-registrations, rate-limits) report about the tables they used. */

/** What a check found, and why it believes it: shown to the user ("found … because …"). */
export interface DiscoveredTable {
  role: 'pending' | 'otp' | 'users' | 'rate-limit' | 'lockout';
  table: string;
  reason: string;
  /** Role -> column actually used (email, expires, ...). */
  columns: Record<string, string>;
}

/** A table --purge-expired deletes expired rows from: keyed deletes, re-checked inside the transaction. */
export interface PurgeTarget {
  role: string;
  table: string;
  /** Quoted for SQL. */
  sqlTable: string;
  keyColumn: string;
  expiresColumn: string;
  /** Expiry = the column + this many ms (allauth: sent + 3 days); absent: the column is the end. */
  expiresPlusMs?: number;
  /** Rows expired when the check ran. */
  expiredRows: number;
}
