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
}

export function registerRateLimits(program: Command): void {
  const command = program
    .command('rate-limits')
    .description('rate-limit tables and locked accounts: blocked keys, top keys, stale windows; --clear/--unlock/--purge-expired')
    .option('--table <name>', 'the rate-limit table (default: found by name and shape: a key, a hit count, a window end)')
    .option('--columns <mapping>', 'map unusual column names: key=,hits=,expires=,blocked=, users.identity=,users.attempts=,users.locked=')
    .option('--limit <n>', "the app's allowance per window: keys with more hits are reported as blocked")
    .option('--lockout-threshold <n>', 'failed logins that lock an account', '5')
    .option('--clear <key>', 'delete one key\'s window so its next request starts afresh')
    .option('--unlock <account>', 'reset the failed-login counter and lift the lock of one account (email or username)')
    .option('--purge-expired', 'delete finished windows')
    .option('--dry-run', 'with --clear, --unlock or --purge-expired: print the plan only')
    .option('-y, --yes', 'apply without asking (needed when there is no terminal)')
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
      const lockoutThreshold = parsePositiveInt(flags.lockoutThreshold ?? '5', '--lockout-threshold', 1_000_000);
      const { openFromFlags } = await import('../../db/open.js');
      const { inspectRateLimits } = await import('../../checks/rate-limits.js');
      const { reportRateLimits } = await import('../../report/rate-limits.js');
      const { writeStdout, writeStderr } = await import('../../report/io.js');
      const options = { table: flags.table, columns: flags.columns, limit, lockoutThreshold };
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
        const view = { steps: plan.steps, action: plan.action };
        if (flags.dryRun || plan.steps.length === 0) {
          reportRateLimits(result, { ...report, plan: { ...view, dryRun: flags.dryRun } });
          return EXIT.OK;
        }
        const { renderPlan, renderApplied, emailMasker } = await import('../../report/state-common.js');
        emailMasker(flags.json ? writeStderr : writeStdout, flags.maskEmails)(renderPlan(view));
        const { confirmWrite } = await import('../prompts.js');
        const rows = plan.steps.reduce((n, s) => n + s.rows, 0);
        await confirmWrite({ yes: flags.yes, message: `${plan.action === 'unlock' ? 'Update' : 'Delete'} ${rows} row${rows === 1 ? '' : 's'}?` });
        if (db.kind === 'sqlite') {
          await db.close();
          db = await openFromFlags(flags, { write: true });
        }
        const applied = await plan.apply(db);
        if (flags.json) reportRateLimits(await inspectRateLimits(db, options), { ...report, plan: view, applied });
        else emailMasker(writeStdout, flags.maskEmails)(renderApplied(applied, plan.action === 'unlock' ? 'updated' : 'deleted'));
        return EXIT.OK;
      } finally {
        await db.close();
      }
    }),
  );
}
