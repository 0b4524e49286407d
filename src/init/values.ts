/** From detection to the values the file will hold, and a user's answers merged over them. Pure. */
import type { InitNotes, InitValues } from './config-file.js';
import type { InitDetection } from './detect.js';

/** Every detected default: what --yes takes and what the prompts offer. `flowFile`: --save-flow's path, relative to the folder. */
export function detectedValues(d: InitDetection, options: { failOn: 'warn' | 'error'; flowFile?: string }): InitValues {
  const flow = options.flowFile && d.app?.flow ? options.flowFile : undefined;
  return {
    databaseUrlEnv: d.database?.databaseUrlEnv,
    databaseUrl: d.database?.databaseUrl,
    envFile: d.database?.envFile,
    url: d.app?.url,
    flow,
    profile: d.app?.profile && !flow ? 'auto' : undefined,
    failOn: options.failOn,
  };
}

/** An empty answer drops the key; a variable named by the user replaces a detected URL; no URL, no flow. */
export function withAnswers(values: InitValues, answers: { databaseUrlEnv?: string; url?: string; failOn: 'warn' | 'error' }): InitValues {
  return {
    ...values,
    databaseUrlEnv: answers.databaseUrlEnv,
    databaseUrl: answers.databaseUrlEnv ? undefined : values.databaseUrl,
    url: answers.url,
    profile: answers.url ? values.profile : undefined,
    flow: answers.url ? values.flow : undefined,
    failOn: answers.failOn,
  };
}

/** The comments above the keys: where each value was found. */
export function notesOf(d: InitDetection): InitNotes {
  const app = d.app && (d.app.error ? `signup not found (${d.app.error})` : `${d.app.stack ?? d.app.profile} signup at ${d.app.signupPath ?? '?'}`);
  return { database: d.database && `${d.database.display} ${d.database.note}`, stacks: d.stacks.map((s) => s.title), app };
}

/** The keys as written, for the report. */
export function writtenKeys(values: InitValues): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}
