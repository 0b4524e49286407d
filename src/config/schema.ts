import { z } from 'zod';

/**
 * What a project writes once instead of repeating it in every CI call (healfix.config.* or the
 * "healfix" key of package.json). Strict objects: a misspelt key is an error, never silently ignored.
 */
const duration = z.string().regex(/^\s*\d+(\.\d+)?\s*[a-z]+\s*$/i, 'a duration with a unit, e.g. "30s"');
const columns = z.union([z.string(), z.record(z.string(), z.string())]);

const ignoreEntry = z.strictObject({
  /** A doctor check id: server, sequences, temp-registrations, rate-limits, register-test. */
  check: z.string().min(1),
  /** One thing the check names instead of the whole check: a sequence (public.users_id_seq), a table, a key. */
  subject: z.string().min(1).optional(),
  reason: z.string().min(1, 'say why it is ignored'),
});

export const projectConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  databaseUrl: z.string().min(1).optional(),
  /** The environment variable that holds the database URL (keeps the password out of the file). */
  databaseUrlEnv: z.string().regex(/^[A-Za-z_]\w*$/, 'an environment variable name').optional(),
  envFile: z.string().min(1).optional(),
  url: z.string().url().optional(),
  flow: z.string().min(1).optional(),
  profile: z.enum(['auto', 'csrf-json', 'otp']).optional(),
  failOn: z.enum(['warn', 'error']).optional(),
  settings: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  statementTimeout: duration.optional(),
  lockTimeout: duration.optional(),
  connectTimeout: duration.optional(),
  maskEmails: z.boolean().optional(),
  sequences: z.strictObject({ schemas: z.array(z.string()).optional(), tables: z.array(z.string()).optional() }).optional(),
  tempRegistrations: z.strictObject({ table: z.string().optional(), otpTable: z.string().optional(), columns: columns.optional() }).optional(),
  rateLimits: z.strictObject({
    table: z.string().optional(),
    columns: columns.optional(),
    limit: z.number().int().positive().optional(),
    lockoutThreshold: z.number().int().positive().optional(),
  }).optional(),
  registerTest: z.strictObject({ prefix: z.string().optional(), timeout: duration.optional(), serverLog: z.string().optional() }).optional(),
  ignore: z.array(ignoreEntry).optional(),
});

export type ProjectConfig = z.infer<typeof projectConfigSchema>;
export type IgnoreEntry = z.infer<typeof ignoreEntry>;

/** Every key the file may hold at the top level, for "did you mean" on a typo. */
export const PROJECT_CONFIG_KEYS = Object.keys(projectConfigSchema.shape);
