/**
 * Paths named on the command line are checked before any work starts: a --output that is a folder, or a
 * --server-log that does not exist, used to be found only after register-test had created an account.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/** A file healfix will write: not a folder, in an existing folder it may write to. */
export function assertWritableFile(path: string, flag: string): void {
  if (path.trim() === '') throw new UsageError(`${flag} needs a file name`);
  const full = resolve(path);
  const existing = statOrUndefined(full);
  if (existing?.isDirectory()) throw new UsageError(`${flag} ${path} is a folder: give a file name, e.g. ${flag} ${full.replace(/\/$/, '')}/healfix.xml`);
  if (existing) {
    if (!canAccess(full, constants.W_OK)) throw new UsageError(`${flag} ${path} is not writable`);
    return;
  }
  const parent = dirname(full);
  const folder = statOrUndefined(parent);
  if (!folder) throw new UsageError(`${flag} ${path}: folder ${parent} does not exist`, { hint: `Create it first (mkdir -p ${parent}) or choose another path.` });
  if (!folder.isDirectory()) throw new UsageError(`${flag} ${path}: ${parent} is not a folder`);
  if (!canAccess(parent, constants.W_OK | constants.X_OK)) throw new UsageError(`${flag} ${path}: folder ${parent} is not writable`);
}

/** A file healfix will read: exists, is a file, is readable. */
export function assertReadableFile(path: string, flag: string): void {
  const existing = statOrUndefined(resolve(path));
  if (!existing) throw new UsageError(`${flag} ${path} does not exist`);
  if (existing.isDirectory()) throw new UsageError(`${flag} ${path} is a folder, not a file`);
  if (!canAccess(path, constants.R_OK)) throw new UsageError(`${flag} ${path} is not readable`);
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function canAccess(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}
