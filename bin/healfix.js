#!/usr/bin/env node
// --version answers before the CLI loads (it is timed against `node -e 0`); everything else runs the CLI.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  // Node 21+ has a global navigator; on Node 20 pg finds none and asks `new Response()` whether
  // this is Cloudflare Workers, which loads Node's whole fetch implementation (~18 ms) at every start.
  // The same answer as Node 21+ gives: this is Node.
  globalThis.navigator ??= { userAgent: `Node.js/${process.versions.node.split('.')[0]}` };
  // The CLI bundled by scripts/bundle.js: one module to load, not a hundred and fifty.
  const { main } = await import('../dist/bundle/healfix.js');
  await main(process.argv);
}
