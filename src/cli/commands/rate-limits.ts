import type { Command } from 'commander';
import { addConnectionOptions, addJsonOption, parsePositiveInt, type ConnectionFlags } from '../options.js';
import { commandAction } from '../run.js';
import { EXIT, UsageError } from '../../errors.js';

interface RateLimitsFlags extends ConnectionFlags {
  json?: boolean;
  table?: string;
  columns?: string;
  limit?: string;
  lockoutThreshold?: string;
  clear?: string;
  unlock?: string;
  purgeExpired?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  maskEmails?: boolean;
  setting?: string[];
}

export function registerRateLimits(program: Command): void {
  const command = program
    .command('rate-limits')
    .description('rate-limit tables and locked accounts: blocked keys, top keys, stale windows; --clear/--unlock/--purge-expired')
    .option('--table <name>', 'the rate-limit table (default: found by name and shape: a key, a hit count, a window end)')
    .option('--columns <mapping>', 'map unusual column names: key=,hits=,expires=,blocked=, users.identity=,users.attempts=,users.locked=')
    .option('--limit <n>', "the app's allowance per window: keys with more hits are reported as blocked")
    .option('--lockout-threshold <n>', "failed logins that lock an account (default: the recognised framework's setting, else 5)")
    .option('--clear <key>', 'delete one key\'s window so its next request starts afresh')
    .option('--unlock <account>', 'reset the failed-login counter and lift the lock of one account (email or username)')
    .option('--purge-expired', 'delete finished windows')
    .option('--dry-run', 'with --clear, --unlock or --purge-expired: print the plan only')
    .option('-y, --yes', 'apply without asking (needed when there is no terminal)')
    .option('--setting <name=value>', "the app's setting where it differs from the framework's default, e.g. AXES_FAILURE_LIMIT=5, ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS=7, unlock_in=30min (repeatable)", (value: string, all: string[] = []) => [...all, value])
    .option('--mask-emails', 'show email addresses as a****@example.com (next commands then need the real address)');
  addJsonOption(addConnectionOptions(command));
  command.action(
    commandAction<RateLimitsFlags>('rate-limits', async (flags) => {
      const actions = [flags.clear !== undefined, flags.unlock !== undefined, Boolean(flags.purgeExpired)].filter(Boolean).length;
      if (actions > 1) throw new UsageError('--clear, --unlock and --purge-expired are separate steps: give one at a time');
      if (flags.dryRun && actions === 0) throw new UsageError('--dry-run only goes with --clear, --unlock or --purge-expired');
      if (flags.clear !== undefined && flags.clear.trim() === '') throw new UsageError('--clear needs a key');
      if (flags.unlock !== undefined && flags.unlock.trim() === '') throw new UsageError('--unlock needs an account');
      const limit = flags.limit !== undefined ? parsePositiveInt(flags.limit, '--limit', 1_000_000_000) : undefined;
      const lockoutThreshold = flags.lockoutThreshold !== undefined ? parsePositiveInt(flags.lockoutThreshold, '--lockout-threshold', 1_000_000) : undefined;
      const { openFromFlags } = await import('../../db/open.js');
      const { inspectRateLimits } = await import('../../checks/rate-limits.js');
      const { reportRateLimits } = await import('../../report/rate-limits.js');
      const { writeStdout } = await import('../../report/io.js');
      const { parseSettings } = await import('../../knowledge/settings.js');
      const options = { table: flags.table, columns: flags.columns, limit, lockoutThreshold, settings: parseSettings(flags.setting) };
      let db = await openFromFlags(flags, { intendsWrite: actions > 0 && !flags.dryRun });
      const target = { kind: db.target.kind, source: db.target.source, display: db.target.display };
      const report = { write: writeStdout, json: flags.json, maskEmails: flags.maskEmails, target };
      try {
        const result = await inspectRateLimits(db, options);
        if (actions === 0) {
          reportRateLimits(result, report);
          return result.findings.some((f) => f.severity !== 'ok') ? EXIT.PROBLEMS : EXIT.OK;
        }
        const fix = await import('../../fix/rate-limits.js');
        const plan = flags.clear !== undefined
          ? await fix.planClearKey(db, result, flags.clear)
          : flags.unlock !== undefined
            ? await fix.planUnlock(db, result, flags.unlock)
            : fix.planPurgeExpiredWindows(result);
        // An account read just now as neither locked nor at its threshold: nothing to write.
        const note = flags.unlock !== undefined && plan.steps.length === 0 ? `${flags.unlock} is not locked` : undefined;
        const view = { steps: plan.steps, action: plan.action, ...(note ? { note } : {}) };
        // A dry run reports the state as it is: something to do → exit 1, nothing → exit 0.
        if (flags.dryRun || plan.steps.length === 0) {
          const code = plan.steps.length ? EXIT.PROBLEMS : EXIT.OK;
          reportRateLimits(result, { ...report, plan: { ...view, dryRun: flags.dryRun }, ok: code === EXIT.OK });
          return code;
        }
        const { confirmAndApply } = await import('../apply-plan.js');
        const rows = plan.steps.reduce((n, s) => n + s.rows, 0);
        const done = await confirmAndApply(db, plan, {
          yes: flags.yes, json: flags.json, maskEmails: flags.maskEmails,
          question: `${plan.action === 'unlock' ? (plan.steps[0]!.sql.startsWith('delete') ? 'Delete' : 'Update') : 'Delete'} ${rows} row${rows === 1 ? '' : 's'}?`,
          reopenForWrite: () => openFromFlags(flags, { write: true }),
        });
        db = done.db;
        const after = await inspectRateLimits(db, options);
        const verified = await verifyRateLimitWrite(db, after, flags, fix);
        const code = verified.ok ? EXIT.OK : EXIT.PROBLEMS;
        if (flags.json) reportRateLimits(after, { ...report, plan: view, applied: done.applied, verified, ok: code === EXIT.OK });
        else {
          const { renderApplied, renderVerified, emailMasker } = await import('../../report/state-report.js');
          const verb = plan.steps[0]!.sql.startsWith('update') ? 'updated' : 'deleted';
          emailMasker(writeStdout, flags.maskEmails)(renderApplied(done.applied, verb) + renderVerified(verified));
        }
        return code;
      } finally {
        await db.close();
      }
    }),
  );
}

/** After a write, re-read what it was meant to change: "unlocked" only when the lock is gone. */
async function verifyRateLimitWrite(
  db: import('../../db/open.js').OpenedDatabase,
  after: import('../../checks/rate-limits.js').RateLimitsResult,
  flags: RateLimitsFlags,
  fix: typeof import('../../fix/rate-limits.js'),
): Promise<{ ok: boolean; message: string }> {
  if (flags.unlock !== undefined) {
    const state = await fix.readAccountLock(db, after, flags.unlock);
    if (state.locked) return { ok: false, message: `${flags.unlock} is still locked (re-read after the write)` };
    if (state.atThreshold) return { ok: false, message: `${flags.unlock} is not locked but its failure counter is still at the threshold` };
    return { ok: true, message: `${flags.unlock} is no longer locked (re-read after the write)` };
  }
  if (flags.clear !== undefined) {
    const left = await fix.countKeyRows(db, after, flags.clear);
    return left ? { ok: false, message: `key ${flags.clear} is still there` } : { ok: true, message: `key ${flags.clear} is gone (re-read after the write)` };
  }
  const expired = after.purgeTargets.reduce((n, t) => n + t.expiredRows, 0);
  return expired
    ? { ok: false, message: `${expired} expired window${expired === 1 ? '' : 's'} still there after the purge` }
    : { ok: true, message: 'no expired windows left (re-read after the write)' };
}
