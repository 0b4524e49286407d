import type { Command } from 'commander';
import { NotImplementedYet } from './not-implemented.js';

// Placeholder until the command lands; replaced by its own implementation.
export function registerExplain(program: Command): void {
  program.command('explain').description('explain a pasted error message and what to run next').action(() => {
    throw new NotImplementedYet('explain');
  });
}
