/** `--save-flow FILE`: the discovered flow as an editable YAML (or JSON) flow file that `--flow` reads back. */
import { writeFileSync } from 'node:fs';
import type { Flow } from '../../http/flow.js';

export async function flowFileText(flow: Flow, explanation: string[], format: 'yaml' | 'json'): Promise<string> {
  if (format === 'json') return `${JSON.stringify(flow, null, 2)}\n`;
  const { stringify } = await import('yaml');
  const header = ['Written by healfix register-test --save-flow. What discovery saw:', ...explanation.map((l) => `  ${l}`), 'Run it with: healfix register-test --url URL --flow THIS_FILE'];
  return `${header.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${stringify(flow, { lineWidth: 0 })}`;
}

export async function saveFlow(path: string, flow: Flow, explanation: string[]): Promise<void> {
  writeFileSync(path, await flowFileText(flow, explanation, /\.json$/i.test(path) ? 'json' : 'yaml'));
}
