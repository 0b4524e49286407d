import type { Command } from 'commander';
import { NotImplementedYet } from './not-implemented.js';

// Placeholder until the command lands; replaced by its own implementation.
export function registerRateLimits(program: Command): void {
  program.command('rate-limits').description('rate-limit tables and locked accounts').action(() => {
    throw new NotImplementedYet('rate-limits');
  });
}
