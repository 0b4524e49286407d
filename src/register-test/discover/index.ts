/** The discovery entry point for the register-test command: its own HTTP client, the same timeouts as the replay. */
import { UsageError } from '../../errors.js';
import { HttpClient } from '../../http/client.js';
import { discoverSignup, type Discovery } from './discover.js';

export type { Discovery } from './discover.js';
export { saveFlow } from './save-flow.js';
export { withConfirmation } from './confirm-steps.js';

export async function discoverAt(url: string, timeouts: { connectTimeoutMs?: number; timeoutMs?: number }): Promise<Discovery> {
  if (!/^https?:\/\/[^/]/i.test(url)) throw new UsageError(`--url must be an http:// or https:// URL, got "${url}"`);
  const client = new HttpClient({ baseUrl: url, ...timeouts });
  return discoverSignup(client);
}

/** Discovery as resolveFlow's answer: the flow, its profile and the reason said in the report's header. */
export function asResolvedFlow(d: Discovery): { flow: Discovery['flow']; profile: string; reason: string } {
  return { flow: d.flow, profile: d.profile, reason: `discovered: ${d.stack ? d.stack.title : d.profile === 'json-api' ? 'a JSON signup API' : 'a signup form'} at ${d.flow.steps.find((s) => s.role === 'signup')?.path ?? '?'}` };
}
