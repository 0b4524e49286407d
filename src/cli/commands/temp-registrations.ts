import type { Command } from 'commander';
import { addConnectionOptions, addJsonOption, type ConnectionFlags } from '../options.js';
import { commandAction } from '../run.js';
import { EXIT, UsageError } from '../../errors.js';

interface TempRegistrationsFlags extends ConnectionFlags {
  json?: boolean;
  table?: string;
  otpTable?: string;
  columns?: string;
  email?: string;
  purgeExpired?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  maskEmails?: boolean;
  setting?: string[];
}

export function registerTempRegistrations(program: Command): void {
  const command = program
    .command('temp-registrations')
    .alias('pending')
    .description('pending signups and OTPs: stale, duplicated, orphaned, clock-skewed; --purge-expired cleans up')
    .option('--table <name>', 'the pending-signup table (default: found by name and shape, e.g. temp_registrations)')
    .option('--otp-table <name>', 'the one-time-code table (default: found by name and shape, e.g. user_otp, verification_codes)')
    .option('--columns <mapping>', 'map unusual column names: id=,email=,created=,expires=, otp.identifier=,otp.type=,otp.used=,otp.created=,otp.expires=, users.email= (e.g. email=addr,expires=valid_until)')
    .option('--email <address>', 'trace one signup: every temp id and code (masked) with times and state, and whether the account exists')
    .option('--purge-expired', 'delete expired pending rows and codes (plan shown, then confirmed) in one transaction')
    .option('--dry-run', 'with --purge-expired: print the plan only')
    .option('-y, --yes', 'apply without asking (needed when there is no terminal)')
    .option('--setting <name=value>', "the app's setting where it differs from the framework's default, e.g. AXES_FAILURE_LIMIT=5, ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS=7, unlock_in=30min (repeatable)", (value: string, all: string[] = []) => [...all, value])
    .option('--mask-emails', 'show email addresses as a****@example.com (next commands then need the real address). OTP codes and password hashes are never shown.');
  addJsonOption(addConnectionOptions(command));
  command.action(
    commandAction<TempRegistrationsFlags>('temp-registrations', async (flags) => {
      if (flags.dryRun && !flags.purgeExpired) throw new UsageError('--dry-run only goes with --purge-expired');
      if (flags.email !== undefined && flags.purgeExpired) throw new UsageError('--email and --purge-expired cannot be combined: trace first, then purge');
      if (flags.email !== undefined && !flags.email.includes('@')) throw new UsageError(`--email needs an email address, got "${flags.email}"`);
      const { openFromFlags } = await import('../../db/open.js');
      const { inspectTempRegistrations } = await import('../../checks/temp-registrations.js');
      const { reportTempRegistrations } = await import('../../report/temp-registrations.js');
      const { writeStdout } = await import('../../report/io.js');
      const { startProgress } = await import('../spinner.js');
      const { parseSettings } = await import('../../knowledge/settings.js');
      const settings = parseSettings(flags.setting);
      const options = { table: flags.table, otpTable: flags.otpTable, columns: flags.columns, email: flags.email, settings };
      const progress = await startProgress('reading pending signups', { json: flags.json });
      let db = await openFromFlags(flags, { intendsWrite: Boolean(flags.purgeExpired && !flags.dryRun) });
      const target = { kind: db.target.kind, source: db.target.source, display: db.target.display };
      const report = { write: writeStdout, json: flags.json, maskEmails: flags.maskEmails, target };
      try {
        const result = await inspectTempRegistrations(db, options);
        progress.stop();
        const problems = result.findings.some((f) => f.severity !== 'ok');
        if (!flags.purgeExpired) {
          reportTempRegistrations(result, report);
          return problems ? EXIT.PROBLEMS : EXIT.OK;
        }
        const { purgeTempRegistrationsPlan } = await import('../../fix/purge-temp-registrations.js');
        const plan = purgeTempRegistrationsPlan(result);
        const steps = plan.steps;
        // A dry run reports the state as it is: something to purge → exit 1, nothing → exit 0.
        if (flags.dryRun || steps.length === 0) {
          const code = steps.length ? EXIT.PROBLEMS : EXIT.OK;
          reportTempRegistrations(result, { ...report, plan: { steps, dryRun: flags.dryRun }, ok: code === EXIT.OK });
          return code;
        }
        if (!flags.json) reportTempRegistrations(result, { ...report, plan: { steps } });
        const { confirmAndApply } = await import('../apply-plan.js');
        const total = steps.reduce((n, s) => n + s.rows, 0);
        const done = await confirmAndApply(db, plan, {
          yes: flags.yes, json: flags.json, maskEmails: flags.maskEmails, showPlan: Boolean(flags.json),
          question: `Delete ${total} expired row${total === 1 ? '' : 's'}?`,
          reopenForWrite: () => openFromFlags(flags, { write: true }),
        });
        db = done.db;
        // Re-read: the purge is done only when no expired row is left in the tables it purged.
        const after = await inspectTempRegistrations(db, { table: flags.table, otpTable: flags.otpTable, columns: flags.columns, settings });
        const purged = new Set(steps.map((s) => s.table));
        const left = after.purgeTargets.filter((t) => purged.has(t.table)).reduce((n, t) => n + t.expiredRows, 0);
        const verified = left
          ? { ok: false, message: `${left} expired row${left === 1 ? '' : 's'} still there after the purge` }
          : { ok: true, message: 'no expired rows left in the purged tables (re-read after the write)' };
        const code = verified.ok ? EXIT.OK : EXIT.PROBLEMS;
        if (flags.json) reportTempRegistrations(after, { ...report, plan: { steps }, applied: done.applied, verified, ok: code === EXIT.OK });
        else {
          const { renderApplied, renderVerified, emailMasker } = await import('../../report/state-report.js');
          emailMasker(writeStdout, flags.maskEmails)(renderApplied(done.applied, 'deleted') + renderVerified(verified));
        }
        return code;
      } finally {
        progress.stop();
        await db.close();
      }
    }),
  );
}
