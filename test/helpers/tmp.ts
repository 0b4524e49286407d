import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** A fresh folder under the system temp dir, removed when the current test ends (npm test leaves no /tmp/healfix-*). */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `healfix-${prefix}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
