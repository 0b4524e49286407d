import type { LiveCheck } from '../explain/live.js';
import { EXIT, type ExitCode } from '../errors.js';
import type { ExplainResult } from '../explain/types.js';
import { chalk } from './color.js';
import type { Write } from './io.js';
import { jsonDocument } from './json.js';

/** Everything `healfix explain` prints comes from this: the text diagnosis and the live state. */
export interface ExplainReport {
  result: ExplainResult;
  live: LiveCheck;
}

export const RECOGNISED_KINDS = [
  'duplicate key on a sequence-fed key (psycopg2, node-postgres, Rails, Django, Prisma, psql, server logs)',
  'sequence exhaustion and integer out of range on an id',
  'pending-signup errors of temp-id sessions: a missing pending row, an invalid verification session, an expired registration',
  '429 rate limits (JSON retry_after, "Please wait N seconds", the HTML "50 per 1 hour" page)',
  'CSRF failures, worded for the stack they come from (Django reasons, Rails InvalidAuthenticityToken, a JSON token endpoint)',
  'lockouts and confirmations of known stacks (django-axes, Devise) — every error text declared in src/knowledge',
  'PostgreSQL connection refused, password authentication failed, database does not exist, out of shared memory',
];

/** 0 recognised (and healthy if checked), 1 unrecognised or still broken, 2 live check could not connect. */
export function explainExitCode(report: ExplainReport): ExitCode {
  if (report.live.status === 'failed') return EXIT.ERROR;
  if (!report.result.recognised) return EXIT.PROBLEMS;
  return report.live.problemPresent ? EXIT.PROBLEMS : EXIT.OK;
}

export function summaryLine(report: ExplainReport): string {
  const { result, live } = report;
  if (!result.recognised) return `nothing recognised in ${result.inputLength} characters of text`;
  const n = result.diagnoses.length;
  const head = `${n} problem${n === 1 ? '' : 's'} recognised (${result.diagnoses.map((d) => d.id).join(', ')})`;
  if (live.status === 'checked' && (live.constraints.length > 0 || live.sequences.length > 0)) {
    const broken = live.constraints.find((c) => c.verdict === 'lagging' || c.verdict === 'unfixable');
    if (broken) return `${head}; ${broken.constraint} still lags in the database${broken.nextCommand ? ` — run ${broken.nextCommand}` : ''}`;
    const exhausted = live.sequences.find((c) => c.verdict === 'exhausted');
    if (exhausted) return `${head}; ${exhausted.sequence} is still exhausted${exhausted.nextCommand ? ` — see ${exhausted.nextCommand}` : ''}`;
    return `${head}; ${live.message}`;
  }
  if (live.status === 'failed') return `${head}; live check failed: ${live.message}`;
  return head;
}

function wrap(text: string, indent: number, width = 100): string {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width - indent) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out.join(`\n${pad}`);
}

export function renderExplainHuman(report: ExplainReport, write: Write): void {
  const { result, live } = report;
  if (!result.recognised) {
    write(`${chalk.yellow('healfix explain:')} nothing recognised in this text (${result.inputLength} characters). healfix does not guess.\n`);
    write('It knows:\n');
    for (const kind of RECOGNISED_KINDS) write(`  - ${kind}\n`);
    write('Paste the whole error with its DETAIL line, or the server log line for the failed request.\n');
    write(`\n${summaryLine(report)}\n`);
    return;
  }
  const sources = result.sources.length ? ` (${result.sources.join(', ')})` : '';
  write(`${chalk.bold('healfix explain')}: ${result.diagnoses.length} problem${result.diagnoses.length === 1 ? '' : 's'} recognised${sources}\n`);
  result.diagnoses.forEach((d, i) => {
    write(`\n${chalk.bold(`${i + 1}. ${d.title}`)}\n`);
    write(`   ${chalk.dim('seen: ')}  ${wrap(d.evidence, 11)}\n`);
    if (d.stack) write(`   ${chalk.dim('from: ')}  ${d.stack.title}\n`);
    if (d.facts.occurrences && d.facts.occurrences > 1) write(`   ${chalk.dim('times: ')} ${d.facts.occurrences} in this paste\n`);
    write(`   ${chalk.dim('cause:')}  ${wrap(d.cause, 11)}\n`);
    write(`   ${chalk.dim('fix:  ')}  ${wrap(d.fix, 11)}\n`);
    d.nextCommands.forEach((command, j) => write(`   ${chalk.dim(j === 0 ? 'next: ' : '      ')}  ${chalk.cyan(command)}\n`));
    if (d.id === 'sequence-exhausted' && d.facts.sequence && live.status === 'checked') {
      const check = live.sequences.find((c) => c.sequence === d.facts.sequence);
      if (check) write(`   ${chalk.dim('live: ')}  ${(check.verdict === 'exhausted' ? chalk.red : chalk.green)(check.message)}\n`);
    }
    if (d.facts.constraint && live.status === 'checked') {
      const check = live.constraints.find((c) => c.constraint === d.facts.constraint);
      if (check) {
        const colour = check.verdict === 'lagging' || check.verdict === 'unfixable' ? chalk.red : check.verdict === 'healthy' ? chalk.green : chalk.yellow;
        // Not wrapped: the sentence ends with the command to copy.
        write(`   ${chalk.dim('live: ')}  ${colour(check.message.split('\n').join(`\n${' '.repeat(11)}`))}\n`);
      }
    }
  });
  write('\n');
  switch (live.status) {
    case 'checked':
      write(`${chalk.dim('live check')} (${live.target ?? 'database'}): ${live.message}\n`);
      break;
    case 'failed':
      write(`${chalk.red('live check failed')} (${live.target ?? 'database'}): ${live.message}\n`);
      break;
    case 'not-configured':
    case 'not-postgres':
      write(`${chalk.dim('live check:')} ${live.message}\n`);
      break;
    default:
      break;
  }
  write(`${summaryLine(report)}\n`);
}

/** The one --json document: { schemaVersion: 1, command: 'explain', ok, recognised, diagnoses, live, summary }. */
export function explainJson(report: ExplainReport): string {
  const ok = explainExitCode(report) === EXIT.OK;
  return jsonDocument('explain', ok, {
    recognised: report.result.recognised,
    sources: report.result.sources,
    diagnoses: report.result.diagnoses,
    live: report.live,
    summary: summaryLine(report),
  });
}
