/** What `register-test --profile auto` found and why, printed before the replay's report (human output only). */
import { chalk } from './color.js';
import type { Write } from './io.js';

export function renderDiscovery(explanation: string[], write: Write, savedTo?: string): void {
  write(`${chalk.bold('discovery')}\n`);
  for (const line of explanation) write(`  ${line}\n`);
  if (savedTo) write(`  flow saved to ${savedTo}: edit it and pass it back with --flow ${savedTo}\n`);
  write('\n');
}
