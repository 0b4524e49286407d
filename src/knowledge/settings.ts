/**
 * `--setting NAME=VALUE`: the app's configuration where it differs from a stack's defaults
 * (AXES_FAILURE_LIMIT=5, ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS=7, unlock_in=2h, confirm_within=never).
 * Names come from the stacks in ./index.ts; durations are stored in ms.
 */
import { UsageError } from '../errors.js';
import { STACKS } from './index.js';
import type { DurationSetting, NumberSetting, StackKnowledge, TimeBound } from './types.js';
import type { Settings } from './rules.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, min: 60_000, m: 60_000, h: 3_600_000, hour: 3_600_000, hours: 3_600_000, d: 86_400_000, day: 86_400_000, days: 86_400_000 };

function bounds(b: TimeBound): DurationSetting[] {
  return b.kind === 'start-plus' ? [b.interval] : [];
}

/** Every setting the known stacks read, by name. */
export function knownSettings(stacks: readonly StackKnowledge[] = STACKS): Map<string, { kind: 'duration'; s: DurationSetting } | { kind: 'number'; s: NumberSetting }> {
  const out = new Map<string, { kind: 'duration'; s: DurationSetting } | { kind: 'number'; s: NumberSetting }>();
  for (const stack of stacks) {
    for (const t of stack.pending?.tables ?? []) for (const d of bounds(t.expires)) out.set(d.setting, { kind: 'duration', s: d });
    for (const t of stack.limiters?.tables ?? []) {
      for (const d of bounds(t.ends)) out.set(d.setting, { kind: 'duration', s: d });
      if (t.limit) out.set(t.limit.setting, { kind: 'number', s: t.limit });
    }
  }
  return out;
}

export function parseSettings(pairs: readonly string[] | undefined, stacks: readonly StackKnowledge[] = STACKS): Settings {
  const known = knownSettings(stacks);
  const out: Settings = {};
  for (const pair of pairs ?? []) {
    const m = /^\s*([A-Za-z_][\w.]*)\s*=\s*(\S+)\s*$/.exec(pair);
    if (!m) throw new UsageError(`--setting: expected NAME=VALUE like AXES_FAILURE_LIMIT=5, got "${pair}"`);
    const [, name, value] = m as unknown as [string, string, string];
    const entry = known.get(name);
    if (!entry) throw new UsageError(`--setting: unknown setting "${name}"`, { hint: `Known settings: ${[...known.keys()].filter((k) => !k.startsWith('-') && !k.includes(' ')).join(', ')}` });
    if (entry.kind === 'number') {
      if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--setting ${name} must be a whole number, got "${value}"`);
      out[name] = Number(value);
      continue;
    }
    out[name] = parseDurationSetting(name, value, entry.s);
  }
  return out;
}

function parseDurationSetting(name: string, value: string, setting: DurationSetting): number | null {
  if (/^(never|none|nil|null)$/i.test(value)) return null;
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/i.exec(value);
  const unit = m?.[2]?.toLowerCase() ?? '';
  const perUnit = unit ? UNITS[unit] : setting.unitMs;
  if (!m || perUnit === undefined) {
    throw new UsageError(`--setting ${name} must be a duration like 30min, 2h or 3d${setting.unitMs ? ' (or a bare number, as in the app\'s configuration)' : ''}, or never; got "${value}"`);
  }
  return Math.round(Number(m[1]) * perUnit);
}

/** The settings as `--setting` flags, for the next commands a check prints (so they judge the same way). */
export function settingFlags(settings: Settings | undefined, stacks: readonly StackKnowledge[] = STACKS): string {
  if (!settings) return '';
  const known = knownSettings(stacks);
  return Object.entries(settings)
    .filter(([name]) => known.has(name) && /^[A-Za-z_][\w.]*$/.test(name))
    .map(([name, value]) => ` --setting ${name}=${value === null ? 'never' : known.get(name)!.kind === 'duration' ? `${value}ms` : value}`)
    .join('');
}
