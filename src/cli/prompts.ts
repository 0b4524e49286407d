import { NotConfirmedError } from '../errors.js';

export interface ConfirmOptions {
  /** --yes: skip the prompt. */
  yes?: boolean;
  message: string;
  /** Injectable for tests; defaults to whether stdin and stderr are terminals. */
  interactive?: boolean;
}

/**
 * The one gate before any write. --yes passes; a terminal gets a confirm prompt (default no);
 * anything else refuses, because inquirer has exited silently without a TTY (SBoudrias/Inquirer.js#495).
 */
export async function confirmWrite(options: ConfirmOptions): Promise<void> {
  if (options.yes) return;
  const interactive = options.interactive ?? Boolean(process.stdin.isTTY && process.stderr.isTTY);
  if (!interactive) {
    throw new NotConfirmedError('refusing to write without confirmation: no terminal to ask on', {
      hint: 'Re-run with --yes to apply the plan above, or --dry-run to only print it.',
    });
  }
  const { confirm } = await import('@inquirer/prompts');
  let answer: boolean;
  try {
    answer = await confirm({ message: options.message, default: false }, { output: process.stderr });
  } catch (error) {
    // Ctrl-C at the prompt: inquirer throws ExitPromptError.
    if ((error as Error).name === 'ExitPromptError') throw new NotConfirmedError('cancelled, nothing changed');
    throw error;
  }
  if (!answer) throw new NotConfirmedError('not confirmed, nothing changed', { exitCode: 1 });
}

/** Asks for a secret (an OTP) on a terminal; never echoes it. */
export async function askSecret(message: string): Promise<string> {
  if (!(process.stdin.isTTY && process.stderr.isTTY)) {
    throw new NotConfirmedError('cannot prompt for a code without a terminal', { hint: 'Pass it with --otp CODE or use --otp-from db.' });
  }
  const { password } = await import('@inquirer/prompts');
  return password({ message, mask: '*' }, { output: process.stderr });
}

/** Whether prompts may run: a terminal on stdin and stderr (inquirer exits silently without one). */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

export interface InitPromptDefaults {
  databaseUrlEnv?: string;
  url?: string;
  failOn: 'warn' | 'error';
}

/** `healfix init` without --yes: each detected value is the default; an empty answer drops the key. */
export async function askInitValues(defaults: InitPromptDefaults): Promise<InitPromptDefaults> {
  const { input, select } = await import('@inquirer/prompts');
  const context = { output: process.stderr };
  try {
    const databaseUrlEnv = await input(
      { message: 'Environment variable holding the database URL (empty: none)', default: defaults.databaseUrlEnv ?? '', validate: (v) => v === '' || /^[A-Za-z_]\w*$/.test(v) || 'a variable name, e.g. DATABASE_URL' },
      context,
    );
    const url = await input({ message: 'URL of the running app (empty: none)', default: defaults.url ?? '', validate: (v) => v === '' || /^https?:\/\/[^/]/i.test(v) || 'an http:// or https:// URL' }, context);
    const failOn = await select({ message: 'doctor fails on', default: defaults.failOn, choices: [{ value: 'error' as const }, { value: 'warn' as const }] }, context);
    return { databaseUrlEnv: databaseUrlEnv || undefined, url: url || undefined, failOn };
  } catch (error) {
    if ((error as Error).name === 'ExitPromptError') throw new NotConfirmedError('cancelled, nothing written');
    throw error;
  }
}
