import { describe, expect, it } from 'vitest';
import { explainText } from '../../src/explain/index.js';

describe('explain: error texts come from the stack that produces them', () => {
  it("Django's CSRF page gives Django's reason and advice, not another app's token endpoint", () => {
    const r = explainText('Forbidden (403)\nCSRF verification failed. Request aborted.\nReason given for failure:\n    CSRF cookie not set.\n');
    expect(r.diagnoses).toHaveLength(1);
    const d = r.diagnoses[0]!;
    expect(d).toMatchObject({ id: 'csrf-failed', stack: { id: 'django', error: 'csrf-cookie-not-set' } });
    expect(d.title).toContain('CSRF cookie not set');
    expect(`${d.cause} ${d.fix}`).not.toContain('/api/csrf-token');
  });

  it('Origin checking failed points at CSRF_TRUSTED_ORIGINS', () => {
    const d = explainText('Forbidden (Origin checking failed - https://app.example.com does not match any trusted origins.): /accounts/signup/').diagnoses[0]!;
    expect(d.stack?.id).toBe('django');
    expect(d.fix).toContain('CSRF_TRUSTED_ORIGINS');
  });

  it('Rails InvalidAuthenticityToken is a 422 with authenticity_token advice', () => {
    const d = explainText('ActionController::InvalidAuthenticityToken (ActionController::InvalidAuthenticityToken):\nCompleted 422 Unprocessable Entity in 3ms').diagnoses[0]!;
    expect(d).toMatchObject({ id: 'csrf-failed', facts: { httpStatus: 422 } });
    expect(d.title).toMatch(/^422/);
    expect(d.fix).toContain('authenticity_token');
    expect(`${d.cause} ${d.fix}`).not.toContain('/api/csrf-token');
  });

  it('a CSRF failure from an unknown stack gets generic advice that names no app endpoint', () => {
    const d = explainText('POST /signup 403: The CSRF token is missing.').diagnoses[0]!;
    expect(d.id).toBe('csrf-failed');
    expect(d.stack).toBeUndefined();
    expect(`${d.cause} ${d.fix} ${d.nextCommands.join(' ')}`).not.toMatch(/api\/csrf-token|X-CSRF-Token/);
  });

  it("django-axes' and Devise's lock messages name the unlock command", () => {
    const axes = explainText('403 Account locked: too many login attempts. Contact an admin to unlock your account.').diagnoses[0]!;
    expect(axes).toMatchObject({ id: 'stack-error', stack: { id: 'django-axes', error: 'locked' }, facts: { httpStatus: 403 } });
    expect(axes.nextCommands).toContain('healfix rate-limits');
    const devise = explainText('Your account is locked.').diagnoses[0]!;
    expect(devise.stack?.id).toBe('devise');
    expect(devise.fix).toMatch(/locked_at, failed_attempts and unlock_token/);
  });

  it("the seed app's JSON CSRF error keeps that app's own advice", () => {
    const d = explainText('403 {"code":"CSRF_FAILED","error":"CSRF token missing or invalid"}').diagnoses[0]!;
    expect(d.stack?.id).toBe('healing-space');
    expect(d.fix).toContain('GET /api/csrf-token');
  });
});
