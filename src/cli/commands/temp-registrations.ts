import type { Command } from 'commander';
import { NotImplementedYet } from './not-implemented.js';

// Placeholder until the command lands; replaced by its own implementation.
export function registerTempRegistrations(program: Command): void {
  program.command('temp-registrations').description('pending signups and OTPs: stale, duplicated, orphaned').action(() => {
    throw new NotImplementedYet('temp-registrations');
  });
}
