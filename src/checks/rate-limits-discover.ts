/**
 * rate-limits, step 1: which tables hold limiter windows and account lockouts. A stack of
 * src/knowledge recognised in the catalog wins (its semantics are known); otherwise tables are found by
 * name and shape (or named with --table/--columns) and given the plain lockout semantics of a
 * counter + "locked until" column. Tables this role may not read are kept apart: "not allowed to read"
 * is a different answer from "no such table".
 */
import { mappedColumn, pickColumn, requireTable, type TableInfo } from '../db/catalog.js';
import type { OpenedDatabase } from '../db/open.js';
import { UsageError } from '../errors.js';
import { recogniseStacks, type RecognisedStack } from '../knowledge/recognise.js';
import type { LimiterOutsideDatabase, LimiterTable } from '../knowledge/types.js';
import type { RateLimitsOptions } from './rate-limits.js';

export const RL_NAME = /rate_?limit|ratelimit|throttl|limiter|^rl_|request_?counts?|api_?usage|login_?attempts?|failed_?logins?|attempts$/i;
const KEY = ['key', 'rate_key', 'bucket', 'identifier', 'ip', 'ip_address', 'client_ip', 'client', 'remote_addr', 'email', 'username', 'id'];
const HITS = ['points', 'hits', 'total_hits', 'count', 'attempts', 'requests', 'request_count', 'counter', 'consumed'];
const EXPIRES = ['expire', 'expires_at', 'expires', 'expire_at', 'reset_at', 'reset_time', 'resets_at', 'expiry', 'window_end', 'valid_until'];
const BLOCKED = ['blocked_until', 'block_until', 'banned_until', 'blocked_till'];
const ATTEMPTS = ['login_attempts', 'failed_attempts', 'failed_login_attempts', 'failed_logins', 'failed_login_count'];
const LOCKED = ['locked_until', 'lockout_until', 'lock_until', 'locked_till'];
const IDENTITY = ['email', 'email_address', 'username', 'login', 'user_id', 'id'];

/** The setting name under which --lockout-threshold reaches a lockout found by shape. */
export const THRESHOLD_SETTING = '--lockout-threshold';

export interface WindowTable {
  table: TableInfo;
  key: string;
  hits: string;
  expires?: string;
  blocked?: string;
  reason: string;
}

export interface LockoutTable {
  table: TableInfo;
  spec: LimiterTable;
  /** The stack whose semantics apply; undefined for a lockout found by its column names. */
  stack?: { id: string; title: string };
  reason: string;
}

export interface RateLimitTables {
  window?: WindowTable;
  lockouts: LockoutTable[];
  /** Limiter state the recognised stacks keep outside the database. */
  outside: (LimiterOutsideDatabase & { stack: string })[];
  /** Tables that look like a limiter or lockout but this role may not SELECT. */
  unreadable: { table: TableInfo; role: 'rate-limit' | 'lockout'; why: string }[];
  stacks: RecognisedStack[];
}

export function discoverRateLimitTables(
  all: TableInfo[],
  db: OpenedDatabase,
  options: RateLimitsOptions,
  mapping: Record<string, string>,
): RateLimitTables {
  const tables = all.filter((t) => t.readable);
  const stacks = recogniseStacks(all);
  const out: RateLimitTables = { lockouts: [], outside: [], unreadable: [], stacks };
  for (const s of stacks) {
    for (const o of s.stack.limiters?.outside ?? []) out.outside.push({ ...o, stack: s.stack.title });
    for (const { spec, table } of s.limiters) {
      const info = all.find((t) => t.name === table.name && t.schema === table.schema)!;
      if (!info.readable) out.unreadable.push({ table: info, role: 'lockout', why: `${s.stack.title} keeps its lockouts there` });
      else out.lockouts.push({ table: info, spec, stack: { id: s.stack.id, title: s.stack.title }, reason: `${s.stack.title}: ${spec.meaning}` });
    }
  }
  const taken = new Set(out.lockouts.map((l) => l.table));
  if (!out.lockouts.length) {
    const byShape = tables.find((t) => pickColumn(t, ATTEMPTS) || pickColumn(t, LOCKED) || (mapping['users.locked'] && t.name === 'users'));
    const lockout = byShape && lockoutByShape(byShape, mapping);
    if (lockout) {
      out.lockouts.push(lockout);
      taken.add(lockout.table);
    }
    const hidden = all.find((t) => !t.readable && (pickColumn(t, ATTEMPTS) || pickColumn(t, LOCKED)));
    if (!lockout && hidden) out.unreadable.push({ table: hidden, role: 'lockout', why: `it has account lockout columns (${[pickColumn(hidden, ATTEMPTS), pickColumn(hidden, LOCKED)].filter(Boolean).join(', ')})` });
  }
  const rl = options.table
    ? requireTable(all, options.table, '--table', db)
    : tables.find((t) => !taken.has(t) && RL_NAME.test(t.name) && pickColumn(t, KEY) && pickColumn(t, HITS)) ??
      tables.find((t) => !taken.has(t) && looksRateLimit(t));
  if (rl && !rl.readable) out.unreadable.push({ table: rl, role: 'rate-limit', why: 'named with --table' });
  else if (rl) out.window = windowColumns(rl, mapping, Boolean(options.table));
  else {
    const hidden = all.find((t) => !t.readable && ((RL_NAME.test(t.name) && pickColumn(t, KEY) && pickColumn(t, HITS)) || looksRateLimit(t)));
    if (hidden) out.unreadable.push({ table: hidden, role: 'rate-limit', why: 'its name and columns look like a rate-limit store' });
  }
  return out;
}

function windowColumns(t: TableInfo, mapping: Record<string, string>, named: boolean): WindowTable {
  const key = mappedColumn(t, 'key', mapping) ?? pickColumn(t, KEY) ?? t.columns.find((c) => c.primaryKey)?.name;
  const hits = mappedColumn(t, 'hits', mapping) ?? pickColumn(t, HITS);
  const blocked = mappedColumn(t, 'blocked', mapping) ?? pickColumn(t, BLOCKED);
  const expires = mappedColumn(t, 'expires', mapping) ?? pickColumn(t, EXPIRES, [blocked]);
  if (!key || !hits) {
    throw new UsageError(`table ${t.display} has no ${!key ? 'key' : 'hit-count'} column healfix recognises`, {
      hint: `Map it with --columns key=COLUMN,hits=COLUMN,expires=COLUMN; its columns: ${t.columns.map((c) => c.name).join(', ')}`,
    });
  }
  const reason = named
    ? 'named with --table'
    : `a key (${key}), a hit count (${hits})${expires ? ` and a window end (${expires})` : ''}${RL_NAME.test(t.name) ? ' in a table named like a limiter' : ''}`;
  return { table: t, key, hits, ...(expires ? { expires } : {}), ...(blocked ? { blocked } : {}), reason };
}

/** A counter + "locked until" pair found by column names: plain semantics, threshold from --lockout-threshold. */
function lockoutByShape(t: TableInfo, mapping: Record<string, string>): LockoutTable | undefined {
  const identity = mappedColumn(t, 'identity', mapping, 'users.identity') ?? pickColumn(t, IDENTITY) ?? t.columns.find((c) => c.primaryKey)?.name;
  const attempts = mappedColumn(t, 'attempts', mapping, 'users.attempts') ?? pickColumn(t, ATTEMPTS);
  const locked = mappedColumn(t, 'locked', mapping, 'users.locked') ?? pickColumn(t, LOCKED);
  if (!identity) return undefined;
  const set: Record<string, null | 0> = {};
  if (attempts) set[attempts] = 0;
  if (locked) set[locked] = null;
  const spec: LimiterTable = {
    role: 'lockout',
    table: t.display,
    keyColumns: [identity],
    ...(attempts ? { counter: attempts } : {}),
    limit: { setting: THRESHOLD_SETTING, default: 5, where: 'the app code' },
    lockedAt: 'at-or-above',
    // Without a "locked until" column nothing says the account IS locked: only "at the threshold".
    locked: locked ? { column: locked, notNull: true } : { any: [] },
    ends: locked ? { kind: 'column', column: locked } : { kind: 'never' },
    unlock: { kind: 'update', set },
    meaning: 'failed logins counted per account; locked while the "locked until" time is in the future',
  };
  return { table: t, spec, reason: `account lockout columns ${[attempts, locked].filter(Boolean).join(' and ')}` };
}

function looksRateLimit(t: TableInfo): boolean {
  return Boolean(pickColumn(t, KEY.filter((k) => k !== 'id')) && pickColumn(t, HITS) && (pickColumn(t, EXPIRES) || pickColumn(t, BLOCKED)));
}
