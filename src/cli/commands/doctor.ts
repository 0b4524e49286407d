import type { Command } from 'commander';
import { NotImplementedYet } from './not-implemented.js';

// Placeholder until the command lands; replaced by its own implementation.
export function registerDoctor(program: Command): void {
  program.command('doctor').description('one health report over everything healfix checks').action(() => {
    throw new NotImplementedYet('doctor');
  });
}
