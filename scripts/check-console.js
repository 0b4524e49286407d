#!/usr/bin/env node
// The house rule (knip's lint rule): only reporters write output. Everything else returns data.
// console.* and process.stdout/stderr.write both count: src/report/io.ts is the one writer (it masks secrets).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../src/', import.meta.url).pathname;
const allowed = [/^report\//, /^cli\/prompts\.ts$/];
const offenders = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts')) {
      const rel = relative(root, path);
      if (allowed.some((re) => re.test(rel))) continue;
      readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
        if (/\bconsole\.(log|info|warn|error|debug)\b|\bprocess\.(stdout|stderr)\.write\b/.test(line)) offenders.push(`src/${rel}:${i + 1}: ${line.trim()}`);
      });
    }
  }
})(root);
if (offenders.length) {
  process.stderr.write(`console.* or process.stdout/stderr.write outside src/report/:\n${offenders.join('\n')}\n`);
  process.exitCode = 1;
}
