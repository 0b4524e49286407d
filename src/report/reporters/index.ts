/**
 * Renders a command's --json document to every requested destination. The document is the one typed result;
 * every writer here masks the registered secrets (src/secrets.ts) on the way out.
 */
import { appendReportFile, writeReportFile, type Write } from '../io.js';
import { renderGithubAnnotations } from './github.js';
import { renderGitlab } from './gitlab.js';
import { renderHtml } from './html.js';
import { renderHumanView } from './human.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { ReporterSpec } from './spec.js';
import { viewDocument } from './view.js';

export interface ReportDestinations {
  stdout: Write;
  /** Where github's annotations go when stdout carries a document (the runner reads both streams). */
  stderr: Write;
  env: NodeJS.ProcessEnv;
  verbose?: boolean;
}

export function renderReporter(name: ReporterSpec['name'], doc: Record<string, unknown>, verbose = false): string {
  const view = viewDocument(doc);
  switch (name) {
    case 'json':
      return `${JSON.stringify(doc, null, 2)}\n`;
    case 'junit':
      return renderJunit(view);
    case 'github':
      return renderGithubAnnotations(view);
    case 'markdown':
      return renderMarkdown(view);
    case 'gitlab':
      return renderGitlab(view);
    case 'html':
      return renderHtml(view);
    case 'human':
      return renderHumanView(view, { verbose });
  }
}

export function writeReports(specs: readonly ReporterSpec[], doc: Record<string, unknown>, to: ReportDestinations): void {
  // A document on stdout must stay one document: then the annotations go to stderr.
  const documentOnStdout = specs.some((s) => s.file === undefined && s.name !== 'github' && s.name !== 'human');
  for (const spec of specs) {
    const text = renderReporter(spec.name, doc, to.verbose);
    if (spec.name === 'github') {
      (documentOnStdout ? to.stderr : to.stdout)(text);
      const summary = spec.file ?? to.env.GITHUB_STEP_SUMMARY;
      if (summary) appendReportFile(summary, renderMarkdown(viewDocument(doc)));
      continue;
    }
    if (spec.file !== undefined) writeReportFile(spec.file, text);
    else to.stdout(text);
  }
}
