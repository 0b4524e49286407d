import type { Command } from 'commander';
import { NotImplementedYet } from './not-implemented.js';

// Placeholder until the command lands; replaced by its own implementation.
export function registerSequences(program: Command): void {
  program.command('sequences').description('every sequence-fed column, its lag against max(id) and exhaustion; --fix repairs').action(() => {
    throw new NotImplementedYet('sequences');
  });
}
