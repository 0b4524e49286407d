import type { Command } from 'commander';
import { registerSequences } from './sequences.js';
import { registerDoctor } from './doctor.js';
import { registerTempRegistrations } from './temp-registrations.js';
import { registerRateLimits } from './rate-limits.js';
import { registerExplain } from './explain.js';
import { registerRegisterTest } from './register-test.js';
import { registerDemo } from './demo.js';
import { registerCompletion } from './completion.js';
import { registerInit } from './init.js';

/** Every subcommand, in the order --help lists them. Each file keeps its heavy imports lazy. */
export function registerCommands(program: Command): void {
  registerDoctor(program);
  registerSequences(program);
  registerTempRegistrations(program);
  registerRateLimits(program);
  registerRegisterTest(program);
  registerExplain(program);
  registerInit(program);
  registerDemo(program);
  registerCompletion(program);
}
