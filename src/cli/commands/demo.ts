import type { Command } from 'commander';
import { NotImplementedYet } from './not-implemented.js';

// Placeholder until the command lands; replaced by its own implementation.
export function registerDemo(program: Command): void {
  program.command('demo').description('the whole story on an embedded database, start to finish').action(() => {
    throw new NotImplementedYet('demo');
  });
}
