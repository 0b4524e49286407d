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
