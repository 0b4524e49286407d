import { describe, expect, it } from 'vitest';
import { validateFlow } from '../../src/http/flow.js';

const step = { name: 'signup', method: 'POST', path: '/signup', json: { email: '{{email}}' } };

describe('flow files: unknown keys and full URLs are refused', () => {
  it('names a misspelt step key instead of ignoring it', () => {
    expect(() => validateFlow({ steps: [{ ...step, expects: [201] }] }, 'f.json')).toThrow(/^--flow f.json: step 1 has unknown key "expects" \(known: /);
  });
  it('names unknown top-level, capture and database keys', () => {
    expect(() => validateFlow({ steps: [step], step: [] }, 'f.json')).toThrow('the flow has unknown key "step"');
    expect(() => validateFlow({ steps: [{ ...step, capture: { t: { json: '$.t', secrt: true } } }] }, 'f.json')).toThrow('capture "t" of step 1 has unknown key "secrt"');
    expect(() => validateFlow({ steps: [step], database: { acount: {} } }, 'f.json')).toThrow('"database" has unknown key "acount"');
  });
  it('refuses a step path that is a full URL or protocol-relative', () => {
    for (const path of ['http://evil.example/collect', 'HTTPS://evil.example/', '//evil.example/x']) {
      expect(() => validateFlow({ steps: [{ ...step, path }] }, 'f.json')).toThrow(/step 1 "path" is a full URL/);
    }
  });
  it('checks the assertion keys: texts are non-empty strings, finalUrl and location are paths', () => {
    expect(() => validateFlow({ steps: [{ ...step, text: 'Welcome' }] }, 'f.json')).toThrow('step 1 "text" must be a list of texts');
    expect(() => validateFlow({ steps: [{ ...step, notText: [''] }] }, 'f.json')).toThrow('step 1 "notText" must be a list of texts');
    expect(() => validateFlow({ steps: [{ ...step, finalUrl: 'https://x/welcome' }] }, 'f.json')).toThrow('step 1 "finalUrl" must be a path starting with /');
    const ok = validateFlow({ steps: [{ ...step, expect: [302], location: '/confirm/', finalUrl: '/confirm/', text: ['Check your mail'], notText: ['already'] }] }, 'f.json');
    expect(ok.steps[0]).toMatchObject({ location: '/confirm/', text: ['Check your mail'] });
  });
  it('keeps a valid flow as it is', () => {
    const flow = validateFlow({ name: 'x', steps: [{ ...step, expect: [201], capture: { id: { json: '$.id', optional: true } } }] }, 'f.json');
    expect(flow.steps[0]!.expect).toEqual([201]);
  });
});
