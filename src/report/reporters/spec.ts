/** `--reporter name[:file]`, parsed and checked before any work starts. */
import { UsageError } from '../../errors.js';

export const REPORTER_NAMES = ['human', 'json', 'junit', 'github', 'markdown', 'gitlab', 'html'] as const;
export type ReporterName = (typeof REPORTER_NAMES)[number];

export interface ReporterSpec {
  name: ReporterName;
  /** Where to write; undefined is stdout (github: its workflow commands; the summary goes to $GITHUB_STEP_SUMMARY). */
  file?: string;
}

const isName = (s: string): s is ReporterName => (REPORTER_NAMES as readonly string[]).includes(s);

/**
 * `--output FILE` (register-test's older spelling) is the file of a reporter named without one. Two
 * reporters on stdout would interleave two formats, so only one may (github's annotations excepted: the
 * runner reads them out of any output).
 */
export function parseReporters(values: readonly string[], output?: string): ReporterSpec[] {
  const specs = values.map((value): ReporterSpec => {
    const colon = value.indexOf(':');
    const name = colon < 0 ? value : value.slice(0, colon);
    const file = colon < 0 ? undefined : value.slice(colon + 1);
    if (!isName(name)) throw new UsageError(`--reporter ${value}: unknown reporter "${name}"`, { hint: `Reporters: ${REPORTER_NAMES.join(', ')}; add :FILE to write one to a file (junit:report.xml).` });
    if (file === '') throw new UsageError(`--reporter ${value}: the file name after ":" is empty`);
    if (name === 'human' && file !== undefined) throw new UsageError('--reporter human writes to the terminal; give markdown:FILE or html:FILE for a file');
    return { name, ...(file !== undefined ? { file } : {}) };
  });
  if (output !== undefined) {
    const target = specs.find((s) => s.file === undefined && s.name !== 'human' && s.name !== 'github');
    if (!target) throw new UsageError('--output needs a reporter that writes a file, e.g. --reporter junit --output report.xml');
    target.file = output;
  }
  const onStdout = specs.filter((s) => s.file === undefined && s.name !== 'github');
  if (onStdout.length > 1) throw new UsageError(`--reporter: ${onStdout.map((s) => s.name).join(' and ')} would both write to stdout`, { hint: 'Send all but one to a file: --reporter junit:report.xml' });
  return specs;
}
