/**
 * temp-registrations, step 1: where pending signups and one-time codes live. A stack of src/knowledge
 * recognised in the catalog wins (its semantics are known: django-allauth's unverified addresses,
 * Devise's unconfirmed users, ...); otherwise tables are found by name and shape or named with
 * --table/--otp-table/--columns. Tables this role may not read are kept apart.
 */
import { mappedColumn, pickColumn, requireTable, type TableInfo } from '../db/catalog.js';
import type { OpenedDatabase } from '../db/open.js';
import { UsageError } from '../errors.js';
import { recogniseStacks, type RecognisedStack } from '../knowledge/recognise.js';
import { durationMs, type Settings } from '../knowledge/rules.js';
import type { PendingTable, RowCondition } from '../knowledge/types.js';
import type { TempRegistrationsOptions } from './temp-registrations.js';

const PENDING_NAME = /^(temp_?registrations?|pending_?(registrations?|signups?|users?|accounts?|verifications?)|signup_?(requests?|attempts?|tokens?)|registration_?(requests?|tokens?)|unverified_?(users?|accounts?)|pre_?registrations?)$/i;
const OTP_NAME = /(^|_)otps?($|_)|^otp|verification_?codes?|one_?time_?(codes?|passwords?)|email_?verifications?|signup_?codes?|confirmation_?codes?|mfa_?codes?|2fa_?codes?|two_?factor_?codes?/i;
const USERS_NAME = ['users', 'user', 'accounts', 'account', 'auth_user', 'app_users', 'members', 'customers'];

const CREATED = ['created_at', 'created', 'createdat', 'created_on', 'requested_at', 'inserted_at', 'sent_at', 'date_created', 'timestamp'];
const EXPIRES = ['expires_at', 'expires', 'expire_at', 'expire', 'expiry', 'expiry_at', 'expires_on', 'expiration', 'valid_until', 'expiresat', 'expire_time'];
const PENDING_ID = ['temp_id', 'pending_id', 'token', 'signup_token', 'verification_token', 'registration_token', 'uuid', 'request_id', 'id'];
const EMAIL = ['email', 'email_address', 'user_email', 'identifier', 'username', 'login'];
const OTP_ID = ['otp_id', 'code_id', 'id'];
const OTP_IDENTIFIER = ['identifier', 'temp_id', 'pending_id', 'signup_id', 'user_id', 'email', 'target', 'recipient', 'destination', 'phone'];
const OTP_TYPE = ['otp_type', 'purpose', 'type', 'kind', 'code_type'];
const OTP_USED = ['is_used', 'used', 'verified', 'is_verified', 'consumed', 'is_consumed', 'used_at', 'verified_at', 'consumed_at'];
const OTP_CODE = ['otp_code', 'otp', 'code', 'verification_code', 'pin', 'token'];

/** Where pending signups are, with the columns and semantics to read them by. */
export interface PendingSource {
  table: TableInfo;
  /** The row key (rowid/ctid when the table has none). */
  key: string;
  email: string;
  created?: string;
  expires?: string;
  /** Expiry = the expires column + this (allauth: sent + 3 days); undefined = the column is the end. */
  expiresPlusMs?: number;
  /** Only rows where this holds are pending (Devise: confirmed_at is null). */
  filter?: RowCondition;
  /** The rows ARE accounts: never purged, never "already has an account". */
  rowsAreAccounts: boolean;
  reason: string;
  stack?: string;
}

export interface CodeSource {
  table: TableInfo;
  key: string;
  identifier: string;
  type?: string;
  used?: RowCondition;
  created?: string;
  expires?: string;
  expiresPlusMs?: number;
  /** The code column: never read. */
  code?: string;
  reason: string;
  stack?: string;
}

export interface TempRegistrationTables {
  pending?: PendingSource;
  code?: CodeSource;
  users?: { table: TableInfo; email: string };
  unreadable: { table: TableInfo; why: string }[];
  stacks: RecognisedStack[];
}

export function discoverTempRegistrationTables(
  all: TableInfo[],
  db: OpenedDatabase,
  options: TempRegistrationsOptions,
  mapping: Record<string, string>,
): TempRegistrationTables {
  const tables = all.filter((t) => t.readable);
  const stacks = recogniseStacks(all);
  const out: TempRegistrationTables = { unreadable: [], stacks };
  const named = Boolean(options.table || options.otpTable || Object.keys(mapping).length);
  if (!named) fromKnowledge(stacks, all, db, options.settings ?? {}, out);
  if (!out.pending && !out.code) fromShape(tables, all, db, options, mapping, out);
  return out;
}

/** The row's physical id, for tables without a single-column key. */
function physicalKey(db: OpenedDatabase): string {
  return db.kind === 'sqlite' ? 'rowid' : 'ctid';
}

function fromKnowledge(stacks: RecognisedStack[], all: TableInfo[], db: OpenedDatabase, settings: Settings, out: TempRegistrationTables): void {
  for (const s of stacks) {
    for (const { spec, table } of s.pending) {
      const info = table as TableInfo;
      if (!info.readable) {
        out.unreadable.push({ table: info, why: `${s.stack.title} keeps its ${spec.role === 'code' ? 'one-time codes' : 'pending signups'} there` });
        continue;
      }
      const reason = `${s.stack.title}: ${spec.meaning}${spec.secret ? ` (${spec.secret.hashed ? 'hashed ' : ''}codes in ${spec.secret.column} are never read)` : ''}`;
      const expiry = expiryOf(spec, settings);
      if (spec.role === 'signup' && !out.pending && typeof spec.email === 'string') {
        out.pending = {
          table: info, key: spec.key ?? physicalKey(db), email: spec.email, ...expiry, rowsAreAccounts: spec.rowsAreAccounts, reason, stack: s.stack.id,
          ...(spec.created ? { created: spec.created } : {}), ...(spec.pending ? { filter: spec.pending } : {}),
        };
      } else if (spec.role === 'code' && !out.code && spec.identifier) {
        out.code = {
          table: info, key: spec.key ?? physicalKey(db), identifier: spec.identifier, ...expiry, reason, stack: s.stack.id,
          ...(spec.type ? { type: spec.type } : {}), ...(spec.used ? { used: spec.used } : {}),
          ...(spec.created ? { created: spec.created } : {}), ...(spec.secret ? { code: spec.secret.column } : {}),
        };
      }
    }
    const accounts = s.stack.pending?.accounts;
    const users = accounts && all.find((t) => t.readable && t.name === accounts.table && t.columns.some((c) => c.name === accounts.email));
    if (users && !out.users && (out.pending || out.code)) out.users = { table: users, email: accounts.email };
  }
}

/** The expiry column and interval a spec gives; no expiry when it never expires (or the setting says never). */
function expiryOf(spec: PendingTable, settings: Settings): { expires?: string; expiresPlusMs?: number } {
  if (spec.expires.kind === 'never') return {};
  if (spec.expires.kind === 'column') return { expires: spec.expires.column };
  // Companion rows are a limiter's way of keeping an end; pending tables do not use them.
  if (spec.expires.kind === 'companion-row') return {};
  const interval = durationMs(spec.expires.interval, settings);
  return interval === null ? {} : { expires: spec.expires.column, expiresPlusMs: interval };
}

function fromShape(tables: TableInfo[], all: TableInfo[], db: OpenedDatabase, options: TempRegistrationsOptions, mapping: Record<string, string>, out: TempRegistrationTables): void {
  const pendingTable = options.table
    ? requireTable(all, options.table, '--table', db)
    : tables.find((t) => PENDING_NAME.test(t.name) && pickColumn(t, EMAIL)) ?? tables.find((t) => looksPending(t));
  const otpTable = options.otpTable
    ? requireTable(all, options.otpTable, '--otp-table', db)
    : tables.find((t) => t !== pendingTable && OTP_NAME.test(t.name) && pickColumn(t, OTP_IDENTIFIER) && pickColumn(t, EXPIRES)) ??
      tables.find((t) => t !== pendingTable && looksOtp(t));
  for (const [t, flag] of [[pendingTable, '--table'], [otpTable, '--otp-table']] as const) {
    if (t && !t.readable) out.unreadable.push({ table: t, why: `named with ${flag}` });
  }
  if (!pendingTable && !otpTable) {
    const hidden = all.find((t) => !t.readable && ((PENDING_NAME.test(t.name) && pickColumn(t, EMAIL)) || looksPending(t) || (OTP_NAME.test(t.name) && pickColumn(t, OTP_IDENTIFIER) && pickColumn(t, EXPIRES)) || looksOtp(t)));
    if (hidden) out.unreadable.push({ table: hidden, why: 'its name and columns look like a pending-signup or one-time-code table' });
  }
  if (pendingTable?.readable) {
    const id = mappedColumn(pendingTable, 'id', mapping) ?? pickColumn(pendingTable, PENDING_ID) ?? pendingTable.columns.find((c) => c.primaryKey)?.name;
    const email = mappedColumn(pendingTable, 'email', mapping) ?? pickColumn(pendingTable, EMAIL);
    const created = mappedColumn(pendingTable, 'created', mapping) ?? pickColumn(pendingTable, CREATED);
    const expires = mappedColumn(pendingTable, 'expires', mapping) ?? pickColumn(pendingTable, EXPIRES);
    if (!email) throw usage(`table ${pendingTable.display} has no email column healfix recognises`, pendingTable, 'email=COLUMN');
    out.pending = {
      table: pendingTable, key: id ?? physicalKey(db), email, rowsAreAccounts: false,
      ...(created ? { created } : {}), ...(expires ? { expires } : {}),
      reason: options.table ? 'named with --table' : PENDING_NAME.test(pendingTable.name) ? `its name looks like a pending-signup table and it has an email column (${email})` : `its shape: ${email}, ${id}, ${expires}`,
    };
  }
  if (otpTable?.readable) {
    const id = mappedColumn(otpTable, 'id', mapping, 'otp.id') ?? pickColumn(otpTable, OTP_ID) ?? otpTable.columns.find((c) => c.primaryKey)?.name;
    const identifier = mappedColumn(otpTable, 'identifier', mapping, 'otp.identifier') ?? pickColumn(otpTable, OTP_IDENTIFIER);
    const type = mappedColumn(otpTable, 'type', mapping, 'otp.type') ?? pickColumn(otpTable, OTP_TYPE);
    const used = mappedColumn(otpTable, 'used', mapping, 'otp.used') ?? pickColumn(otpTable, OTP_USED);
    const created = mappedColumn(otpTable, 'created', mapping, 'otp.created') ?? pickColumn(otpTable, CREATED);
    const expires = mappedColumn(otpTable, 'expires', mapping, 'otp.expires') ?? pickColumn(otpTable, EXPIRES);
    const code = pickColumn(otpTable, OTP_CODE, [identifier]);
    if (!identifier) throw usage(`table ${otpTable.display} has no identifier column healfix recognises`, otpTable, 'otp.identifier=COLUMN');
    out.code = {
      table: otpTable, key: id ?? physicalKey(db), identifier,
      ...(type ? { type } : {}), ...(used ? { used: { column: used, equals: true } } : {}),
      ...(created ? { created } : {}), ...(expires ? { expires } : {}), ...(code ? { code } : {}),
      reason: options.otpTable ? 'named with --otp-table' : `its name looks like a one-time-code table and it has ${identifier}${expires ? ` and ${expires}` : ''}${code ? ` (codes in ${code} are never read)` : ''}`,
    };
  }
  const usersTable = tables.find((t) => USERS_NAME.includes(t.name.toLowerCase()) && (mappedColumn(t, 'users.email', mapping) ?? pickColumn(t, ['email', 'email_address'])));
  if (usersTable) out.users = { table: usersTable, email: mappedColumn(usersTable, 'users.email', mapping) ?? pickColumn(usersTable, ['email', 'email_address'])! };
}

function looksPending(t: TableInfo): boolean {
  return Boolean(pickColumn(t, ['email', 'email_address']) && pickColumn(t, EXPIRES) && pickColumn(t, ['temp_id', 'pending_id', 'token', 'signup_token', 'verification_token', 'registration_token']) && !pickColumn(t, ['otp_code', 'otp', 'code']));
}

function looksOtp(t: TableInfo): boolean {
  return Boolean(pickColumn(t, ['otp_code', 'otp', 'code', 'verification_code', 'pin']) && pickColumn(t, EXPIRES) && pickColumn(t, OTP_IDENTIFIER));
}

function usage(message: string, table: TableInfo, example: string): UsageError {
  return new UsageError(message, { hint: `Map it with --columns ${example}; its columns: ${table.columns.map((c) => c.name).join(', ')}` });
}
