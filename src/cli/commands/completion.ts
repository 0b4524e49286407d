import { Argument, type Command } from 'commander';
import { EXIT, type ExitCode } from '../../errors.js';
import { commandAction } from '../run.js';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish), generated from these commands')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .addHelpText('after', '\nbash: healfix completion bash > ~/.local/share/bash-completion/completions/healfix\nzsh:  healfix completion zsh > "${fpath[1]}/_healfix"\nfish: healfix completion fish > ~/.config/fish/completions/healfix.fish')
    .action(commandAction('completion', async (_options: object, shell?: string): Promise<ExitCode> => {
      const [{ completionScript }, { writeStdout }] = await Promise.all([import('../completion.js'), import('../../report/io.js')]);
      writeStdout(completionScript(program, shell as 'bash' | 'zsh' | 'fish'));
      return EXIT.OK;
    }));
}
