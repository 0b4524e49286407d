import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/update-docs.js', import.meta.url));

it('README usage section matches the --help of the built CLI (run `npm run docs` when this fails)', async () => {
  const result = await promisify(execFile)(process.execPath, [script, '--check']).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
});
