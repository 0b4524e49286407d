import type { Command } from 'commander';
import { NotImplementedYet } from './not-implemented.js';

// Placeholder until the command lands; replaced by its own implementation.
export function registerRegisterTest(program: Command): void {
  program.command('register-test').description('replay a real registration against a running server').action(() => {
    throw new NotImplementedYet('register-test');
  });
}
