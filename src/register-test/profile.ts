/** Which flow to replay: --flow FILE, --profile NAME, or a probe of the server (auto). */
import { UsageError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { parseJson } from '../http/diagnose.js';
import { loadBuiltinFlow, loadFlowFile, type Flow } from '../http/flow.js';
import type { RegisterTestOptions } from './types.js';

export async function resolveFlow(options: RegisterTestOptions, client: HttpClient): Promise<{ flow: Flow; profile: string; reason: string }> {
  if (options.flowFile) return { flow: await loadFlowFile(options.flowFile), profile: 'flow', reason: `from --flow ${options.flowFile}` };
  if (options.discovered) return options.discovered;
  const choice = options.profile ?? 'auto';
  if (choice !== 'auto') return { flow: loadBuiltinFlow(choice), profile: choice, reason: 'from --profile' };
  const csrf = await client.send({ method: 'GET', path: '/api/csrf-token' });
  if (csrf.status === 200 && typeof parseJson(csrf.body)?.csrf_token === 'string') {
    return { flow: loadBuiltinFlow('csrf-json'), profile: 'csrf-json', reason: 'GET /api/csrf-token answered 200 with a csrf_token' };
  }
  const verify = await client.send({ method: 'GET', path: '/auth/verify-otp' });
  if (verify.status === 200 || verify.redirects > 0) {
    return { flow: loadBuiltinFlow('otp'), profile: 'otp', reason: `GET /auth/verify-otp exists (${verify.redirects ? 'redirects to a signup page' : verify.status}), no /api/csrf-token` };
  }
  throw new UsageError(`cannot tell which signup flow ${options.url} uses: GET /api/csrf-token answered ${csrf.status}, GET /auth/verify-otp answered ${verify.status}`, {
    hint: 'Pick one with --profile csrf-json|otp, or describe the flow in a file and pass --flow FILE.',
  });
}
