/**
 * The verify step of an email-confirming stack: follow the link from the mail ({{confirm_link}}, read by
 * --otp-from mailpit|maildev|file) the way the stack wants it opened. Pure.
 */
import type { Flow, FlowStep } from '../../http/flow.js';
import type { StackKnowledge } from '../../knowledge/types.js';

/** The flow with its confirmation steps appended, or undefined when the stack's way is not known. */
export function withConfirmation(flow: Flow, stack: StackKnowledge | undefined): Flow | undefined {
  const p = stack?.signupProfile;
  if (!p?.confirm) return undefined;
  const steps: FlowStep[] =
    p.confirm.kind === 'get'
      ? [{ name: 'confirm email', role: 'verify', method: 'GET', path: '{{confirm_link}}', response: 'any', expect: p.confirm.successStatus }]
      : [
          {
            name: 'confirmation page',
            role: 'page',
            method: 'GET',
            path: '{{confirm_link}}',
            response: 'html',
            expect: [200],
            ...(p.csrfField ? { capture: { confirm_csrf: { hidden: p.csrfField, secret: true } } } : {}),
          },
          { name: 'confirm email', role: 'verify', method: 'POST', path: '{{confirm_link}}', form: p.csrfField ? { [p.csrfField]: '{{confirm_csrf}}' } : {}, response: 'any', expect: p.confirm.successStatus },
        ];
  return { ...flow, steps: [...flow.steps, ...steps] };
}
