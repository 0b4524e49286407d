/** The throwaway user every run signs up with, and --field parsing. */
import { randomBytes, randomInt } from 'node:crypto';
import { UsageError } from '../errors.js';

export function generateTestUser(prefix = 'hf', random: () => string = () => randomBytes(3).toString('hex')) {
  if (!/^[a-z][a-z0-9_]{0,20}$/i.test(prefix)) throw new UsageError(`--prefix must be 1-21 letters, digits or _, starting with a letter, got "${prefix}"`);
  const id = `${Date.now().toString(36).slice(-5)}${random()}`.toLowerCase();
  const username = `${prefix.toLowerCase()}_${id}`;
  const password = `Hf${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}7!#q`;
  return {
    username,
    email: `${username}@example.com`,
    phone: `+4479${String(randomInt(0, 1e8)).padStart(8, '0')}`,
    password,
    pin: String(randomInt(1000, 10000)),
  };
}

export function parseFields(values: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--field must be key=value, got "${v}"`);
    out[v.slice(0, eq).trim()] = v.slice(eq + 1);
  }
  return out;
}
