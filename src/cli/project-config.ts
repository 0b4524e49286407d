import type { Command } from 'commander';
import { loadProjectConfig, resolveConfigPath, type LoadedConfig } from '../config/load.js';
import type { ProjectConfig } from '../config/schema.js';
import type { DoctorCheckOptions } from '../checks/doctor-checks.js';

/**
 * Flags > environment > project config: a value from the config file fills an option only where the
 * user gave no flag (commander's value source is then 'default' or nothing). The database URL is not
 * filled here: target resolution puts it below DATABASE_URL and PG* (src/db/target.ts).
 */
export async function applyProjectConfig(command: Command): Promise<void> {
  if (!command.options.some((o) => o.attributeName() === 'config')) return;
  const loaded = await loadProjectConfig({ file: command.opts().config as string | undefined });
  if (!loaded) return;
  command.setOptionValueWithSource('projectConfig', loaded, 'config');
  for (const [key, value] of Object.entries(optionValues(loaded, command.name()))) {
    if (value === undefined || !command.options.some((o) => o.attributeName() === key)) continue;
    const source = command.getOptionValueSource(key);
    if (key === 'setting') {
      // Settings merge: the file's first, then the flags', so a flag overrides one name and keeps the rest.
      const given = source === 'cli' ? (command.getOptionValue(key) as string[]) : [];
      command.setOptionValueWithSource(key, [...(value as string[]), ...given], source === 'cli' ? 'cli' : 'config');
    } else if (source !== 'cli' && source !== 'env') {
      command.setOptionValueWithSource(key, value, 'config');
    }
  }
}

/**
 * What doctor hands its checks from the config: the same table/column mappings and settings the single
 * commands take as flags (doctor has no such flags of its own).
 */
export async function doctorCheckOptions(loaded: LoadedConfig | undefined): Promise<DoctorCheckOptions> {
  if (!loaded) return {};
  const c = loaded.config;
  const { parseSettings } = await import('../knowledge/settings.js');
  const settings = parseSettings(c.settings && Object.entries(c.settings).map(([name, value]) => `${name}=${value}`));
  return {
    tempRegistrations: { table: c.tempRegistrations?.table, otpTable: c.tempRegistrations?.otpTable, columns: columnsText(c.tempRegistrations?.columns), settings },
    rateLimits: { table: c.rateLimits?.table, columns: columnsText(c.rateLimits?.columns), limit: c.rateLimits?.limit, lockoutThreshold: c.rateLimits?.lockoutThreshold, settings },
  };
}

/** `{ email: "addr" }` in the file is `--columns email=addr`: one parser checks both. */
function columnsText(m: string | Record<string, string> | undefined): string | undefined {
  return m === undefined || typeof m === 'string' ? m : Object.entries(m).map(([k, v]) => `${k}=${v}`).join(',');
}

/** The commander option values (attribute names) a config file stands for, for one command. */
function optionValues(loaded: LoadedConfig, commandName: string): Record<string, unknown> {
  const c: ProjectConfig = loaded.config;
  const path = (p: string | undefined) => (p === undefined ? undefined : resolveConfigPath(loaded, p));
  const common = {
    envFile: path(c.envFile),
    statementTimeout: c.statementTimeout,
    lockTimeout: c.lockTimeout,
    connectTimeout: c.connectTimeout,
    url: c.url,
    flow: path(c.flow),
    profile: c.profile,
    failOn: c.failOn,
    maskEmails: c.maskEmails,
    setting: c.settings && Object.entries(c.settings).map(([name, value]) => `${name}=${value}`),
  };
  const columns = columnsText;
  switch (commandName) {
    case 'temp-registrations':
      return { ...common, table: c.tempRegistrations?.table, otpTable: c.tempRegistrations?.otpTable, columns: columns(c.tempRegistrations?.columns) };
    case 'rate-limits':
      return {
        ...common,
        table: c.rateLimits?.table,
        columns: columns(c.rateLimits?.columns),
        limit: c.rateLimits?.limit?.toString(),
        lockoutThreshold: c.rateLimits?.lockoutThreshold?.toString(),
      };
    case 'sequences':
      return { ...common, schema: c.sequences?.schemas, table: c.sequences?.tables };
    case 'register-test':
      return { ...common, prefix: c.registerTest?.prefix, timeout: c.registerTest?.timeout, serverLog: path(c.registerTest?.serverLog) };
    default:
      return common;
  }
}
