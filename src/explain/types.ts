/** What `healfix explain` recognises in a pasted error, as data. Recognisers print nothing. */

export type DiagnosisId =
  | 'duplicate-key'
  | 'duplicate-value'
  | 'sequence-exhausted'
  | 'id-out-of-range'
  | 'pending-signup-missing'
  | 'verification-session-invalid'
  | 'registration-session-expired'
  | 'pending-signup-deleted'
  | 'rate-limited'
  | 'csrf-failed'
  | 'internal-error-id'
  | 'connection-refused'
  | 'password-auth-failed'
  | 'database-missing'
  | 'out-of-shared-memory'
  /** An error text one stack of src/knowledge declares and no generic recogniser covers. */
  | 'stack-error';

/** Where the paste seems to come from (only when the text says so: a class name, an error shape). */
export type PasteSource = 'psycopg2' | 'node-postgres' | 'rails' | 'django' | 'prisma' | 'sqlalchemy' | 'postgres-log' | 'flask' | 'sqlite' | 'http';

/** Facts read from the paste. Every field is optional: only what the text states is filled in. */
export interface DiagnosisFacts {
  constraint?: string;
  schema?: string;
  table?: string;
  /** True when the table was derived from PostgreSQL's default constraint name (`<table>_pkey`). */
  tableFromConstraintName?: boolean;
  columns?: string[];
  /** Duplicate key values in order of appearance (retries give 1, 2, 3 ...). */
  values?: string[];
  sequence?: string;
  maxValue?: string;
  /** Prisma model name (`prisma.notification.create()`). */
  model?: string;
  seconds?: number;
  /** Limiter text such as "50 per 1 hour". */
  limit?: string;
  httpStatus?: number;
  url?: string;
  tempId?: string;
  email?: string;
  errorId?: string;
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  /** How many times the paste shows this problem. */
  occurrences?: number;
}

export interface Diagnosis {
  id: DiagnosisId;
  title: string;
  /** Why it happens, in two to four sentences. */
  cause: string;
  /** What to do. */
  fix: string;
  /** Exact healfix commands to run next, most useful first. */
  nextCommands: string[];
  facts: DiagnosisFacts;
  /** The line of the paste that was recognised, secrets masked. */
  evidence: string;
  /** Where in the (cleaned) paste it first appears; diagnoses are ordered by it. */
  position: number;
  sources: PasteSource[];
  /** The stack whose knowledge worded this diagnosis (src/knowledge), when one did. */
  stack?: { id: string; title: string; error: string };
}

export interface ExplainResult {
  recognised: boolean;
  diagnoses: Diagnosis[];
  /** Sources detected anywhere in the paste. */
  sources: PasteSource[];
  /** Length of the paste, for the "nothing recognised in N characters" message. */
  inputLength: number;
}
