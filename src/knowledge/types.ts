/**
 * What healfix knows about one app or framework, as data (the model is knip's plugins: one declarative
 * object per stack, a plain list, a core that walks it). Checks, explain and register-test read these
 * objects; they never name an app themselves. Adding a stack = one file in this folder + its index line
 * + tests of its rows through the pure rules in ./rules.ts.
 */

/** A condition on one row, judged by ./rules.ts without a database. */
export type RowCondition =
  | { column: string; isNull: true }
  | { column: string; notNull: true }
  /** Booleans compare loosely: 0/1, 't'/'f', 'true'/'false' (SQLite and PostgreSQL spell them differently). */
  | { column: string; equals: string | number | boolean }
  | { column: string; startsWith: string }
  | { all: RowCondition[] }
  | { any: RowCondition[] };

/** A duration the app reads from its settings, with the framework's default. */
export interface DurationSetting {
  /** The setting's name as the app's configuration spells it (ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS). */
  setting: string;
  /** The framework's default in milliseconds; null = "never" (e.g. Devise confirm_within = nil). */
  defaultMs: number | null;
  /** Where the setting lives, for the hint ("settings.py", "config/initializers/devise.rb"). */
  where: string;
  /** What a bare number means in the app's own configuration (allauth: days; axes: hours); absent: give a unit. */
  unitMs?: number;
}

/** A number the app reads from its settings (AXES_FAILURE_LIMIT = 3). */
export interface NumberSetting {
  setting: string;
  default: number;
  where: string;
}

/**
 * When a row stops counting: a column holding the end, a start column plus an interval from a setting,
 * or never. `epoch-ms` marks stores that keep the end as epoch milliseconds (rate-limiter-flexible).
 */
export type TimeBound =
  | { kind: 'column'; column: string }
  | { kind: 'start-plus'; column: string; interval: DurationSetting }
  /**
   * The end is kept in a companion row of the same table, under this row's key + `keySuffix`, in
   * `column` (Laravel's cache limiter: `<key>:timer` holds the epoch second the key frees up).
   */
  | { kind: 'companion-row'; keySuffix: string; column: string; /** Group 1 is the value (PHP's `i:1732800000;`). */ pattern?: RegExp }
  | { kind: 'never' };

/** A table that must exist, with the columns that make it this stack's (not a lookalike). */
export interface TableSignature {
  /** Table name; schema-qualified when the stack uses one (`auth.one_time_tokens`). */
  table: string;
  columns: string[];
}

/** An HTTP request whose answer tells this stack apart (register-test runs these). */
export interface HttpProbe {
  method: 'GET';
  path: string;
  /** What the answer must show: a status and/or a body pattern. */
  status?: number;
  body?: RegExp;
  /** What a match means ("answers a CSRF token as JSON"). */
  means: string;
}

export interface Recognition {
  /** Every listed table (with its columns) must be readable in the catalog. */
  tables: TableSignature[];
  probes?: HttpProbe[];
}

/** A signup flow: a builtin register-test profile or a flow file under flows/. */
export interface SignupFlow {
  profile: string;
  file?: string;
  description: string;
}

/**
 * A table of pending signups or one-time codes. A row is "pending" when `pending` holds (every row when
 * absent), "used" when `used` holds, "expired" when `expires` has passed.
 */
export interface PendingTable {
  /** 'signup' rows wait for a verification; 'code' rows are one-time codes (OTP, link tokens). */
  role: 'signup' | 'code';
  table: string;
  /**
   * The column that identifies one row (never a secret). Absent when no single column does (Auth.js'
   * verification_token has the key (identifier, token)): the row's physical id (ctid / rowid) is used,
   * so a purge never deletes a live row that shares an identifier with an expired one.
   */
  key?: string;
  /** The column holding the email, or how to reach it through another table. */
  email?: string | { via: string; localColumn: string; foreignColumn: string; emailColumn: string };
  /** For codes: which column says whom the code belongs to (a temp id, an email, a user id). */
  identifier?: string;
  /** For codes: which column says what the code is for ('signup', 'login'). */
  type?: string;
  created?: string;
  pending?: RowCondition;
  used?: RowCondition;
  expires: TimeBound;
  /** The code or link token: never read. `hashed` = stored as a hash: counts and ages only. */
  secret?: { column: string; hashed: boolean };
  /**
   * True when these rows ARE accounts (Devise's users table, allauth's email addresses): never purged
   * unless the user names them explicitly and the plan says how many accounts that deletes.
   */
  rowsAreAccounts: boolean;
  /**
   * The table holds rows only under this configuration (allauth: `ACCOUNT_EMAIL_CONFIRMATION_HMAC = False`;
   * the default HMAC links are stored nowhere). An empty table is then normal, not "signups without a code".
   */
  rowsOnlyWhen?: string;
  /**
   * For codes: a code whose owner (by `identifier`) is no longer pending was used (allauth keeps the
   * confirmation row after the address is verified; nothing else marks it).
   */
  usedOnceOwnerConfirmed?: boolean;
  /** What "pending", "expired" and "used" mean here, in a sentence, for the report. */
  meaning: string;
}

export interface PendingKnowledge {
  tables: PendingTable[];
  /** The table holding accounts (never purged): table and its email column. */
  accounts?: { table: string; email: string };
}

/**
 * A limiter or lockout kept in a table. "Locked" = counter compared with the limit (`lockedAt` says
 * whether a count equal to the limit is locked) and/or `locked` holds; it ends at `ends`.
 */
export interface LimiterTable {
  role: 'limiter' | 'lockout';
  table: string;
  /** The columns that name who is limited (username, ip_address, email). */
  keyColumns: string[];
  /** The failure / hit counter. */
  counter?: string;
  /** How to read the counter when it is not a bare number: group 1 is the count (Laravel: PHP-serialized `i:5;`). */
  counterPattern?: RegExp;
  limit?: NumberSetting;
  /** 'at-or-above': locked when counter >= limit (axes, Devise); 'above': counter > limit. */
  lockedAt: 'at-or-above' | 'above';
  /** A row condition that means locked by itself (Devise: locked_at is set). */
  locked?: RowCondition;
  /** When the lock (or window) ends. */
  ends: TimeBound;
  /** The statement(s) that fully lift a lock on the rows of one key, as data. */
  unlock: { kind: 'update'; set: Record<string, null | 0> } | { kind: 'delete' };
  /** The HTTP status the app answers while locked; absent when not known. */
  lockedStatus?: number;
  meaning: string;
}

/** Where a limiter keeps its state when it is not in a table (memory, Redis), and how to clear it. */
export interface LimiterOutsideDatabase {
  where: string;
  clear: string;
  lockedStatus: number;
}

export interface LimiterKnowledge {
  tables: LimiterTable[];
  outside?: LimiterOutsideDatabase[];
}

/**
 * An error text the stack produces, with what it means and what to do. `refines` names the generic
 * diagnosis it makes specific (its wording replaces the generic one when both match the same paste).
 * `{wait}` (": wait N seconds" or nothing), `{waitText}`, `{Wait}`, `{limit}`, `{email}`, `{tempId}`, `{origin}` in the
 * texts and commands are filled from what the paste says (src/explain/stack-errors.ts).
 */
export interface ErrorText {
  id: string;
  match: RegExp;
  refines?: 'csrf-failed' | 'rate-limited' | 'pending-signup-missing' | 'verification-session-invalid' | 'registration-session-expired' | 'pending-signup-deleted' | 'duplicate-key' | 'duplicate-value';
  httpStatus?: number;
  title: string;
  cause: string;
  fix: string;
  /** The healfix commands that check it live, most useful first. */
  check: string[];
}

/**
 * A row that says the stack is installed even when its own tables are missing or unreadable
 * (Django's migration ledger lists app 'axes'): then "no table" is a problem, not "nothing configured".
 */
export interface InstalledEvidence {
  table: string;
  column: string;
  equals: string;
}

/**
 * How the stack shows a refused signup in the page it re-renders: register-test reads these with an HTML
 * parser, so a 200 that is really the form again with field errors is a failure quoting them.
 */
export interface SignupErrorMarkup {
  /**
   * Elements holding the messages, in a small selector language: `tag`, `.class`, `#id`, `tag.class`,
   * `tag#id`, optionally followed by ` li` (the list items inside). Text of each match is one message.
   */
  selectors: string[];
  /** Texts that mean a refusal wherever they stand on the page ("has already been taken"). */
  texts?: RegExp[];
}

/**
 * What one signup writes, for the evidence after a failure. `writes` are the tables in insert order (a
 * duplicate key in one names its sequence; the others are checked with it). `orphan` describes a
 * half-created account a non-atomic signup leaves when a later insert fails.
 */
export interface SignupWrites {
  writes: string[];
  /** Whether the inserts run in one transaction; false = a failure halfway leaves the earlier rows. */
  atomic: boolean;
  orphan?: {
    /** The account table and its key ("auth_user", "id"). */
    table: string;
    key: string;
    /** The row every complete account has ("account_emailaddress", "user_id"). */
    missing: string;
    foreignKey: string;
    meaning: string;
  };
}

/** What a signup form field is for; discovery fills each role with the generated test user. */
export type SignupFieldRole = 'email' | 'username' | 'password' | 'passwordConfirmation' | 'name' | 'terms' | 'phone';

/**
 * How this stack serves its signup, for `register-test --profile auto` (src/register-test/discover/): where to
 * look, how its form names its fields and its CSRF token, where the account lands. Generic knowledge (common
 * paths, autocomplete tokens, CSRF names every stack shares) lives in the discover module, not here.
 */
export interface SignupProfile {
  /** Paths to try first, in order: the form page (GET) or, for `kind: 'json'`, the endpoint (POST). */
  paths: string[];
  kind: 'form' | 'json';
  /** What tells this stack's signup page or answer apart from another's (allauth's csrfmiddlewaretoken). */
  marker?: RegExp;
  /** The CSRF token's hidden input or JSON field name. */
  csrfField?: string;
  /** A cookie the stack reads back from a header (Laravel XSRF-TOKEN -> X-XSRF-TOKEN, Django csrftoken -> X-CSRFToken). */
  csrfCookie?: { cookie: string; header: string };
  /** The status the stack answers when the CSRF token is refused (Laravel 419, Django 403, Rails 422). */
  csrfRefusedStatus?: number;
  /** Field names by role where the stack's names are not self-explaining (Devise: user[email]). */
  fields?: Partial<Record<SignupFieldRole, string[]>>;
  /** JSON signup bodies wrapped in one key (the RealWorld API: {"user": {...}}). */
  jsonWrapper?: string;
  /** Where the created account lives: table and the column holding the email (or username). */
  account?: { table: string; column: string; value: '{{email}}' | '{{username}}' };
  /** Rows to delete for --cleanup, in dependency order, each matched by one column. */
  cleanup?: { table: string; column: string; value: string }[];
  /** The status(es) of an accepted signup (a redirect for forms). */
  successStatus: number[];
  /**
   * How the mailed confirmation link is used: 'get' = opening it confirms (Devise); 'form' = it opens a page
   * whose POST form confirms (allauth with ACCOUNT_CONFIRM_EMAIL_ON_GET = False, the default). successStatus is
   * the confirming request's answer.
   */
  confirm?: { kind: 'get' | 'form'; successStatus: number[] };
  /** One sentence for the explanation: what the stack's signup is. */
  means: string;
}

export interface StackKnowledge {
  /** kebab-case: 'django-allauth', 'healing-space'. */
  id: string;
  title: string;
  installed?: InstalledEvidence;
  /** 'app': one application healfix was built against; 'framework': a library many apps share. */
  kind: 'app' | 'framework';
  recognise: Recognition;
  signup?: SignupFlow[];
  /** The stack's signup as `--profile auto` discovers it. */
  signupProfile?: SignupProfile;
  pending?: PendingKnowledge;
  limiters?: LimiterKnowledge;
  errors?: ErrorText[];
  /** The markup of a re-rendered signup form with field errors. */
  signupErrorMarkup?: SignupErrorMarkup;
  /** The tables one signup writes (register-test's 500 evidence). */
  signupWrites?: SignupWrites;
}
