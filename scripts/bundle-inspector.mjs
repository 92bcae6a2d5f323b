// Bundles the inspector's page and its worker (src/inspect/page) for
// `excamera inspect`, which inlines them into one HTML file: run by
// `npm run build`, after tsc. The worker carries the project's decoder.
// Node built-ins that some shared modules import (node:crypto for the state
// hash, node:fs for file readers) are never called in the browser: they are
// replaced by a module whose every function says so.

import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const nodeBuiltinsAbsent = {
  name: 'node-builtins-absent',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'absent' }));
    b.onLoad({ filter: /.*/, namespace: 'absent' }, (args) => ({
      contents: `module.exports = new Proxy({}, { get: (_, name) => () => { throw new Error(${JSON.stringify(args.path)} + '.' + String(name) + ' is not available in the browser'); } });`,
      loader: 'js',
    }));
  },
};

for (const [entry, out] of [['src/inspect/page/main.ts', 'dist/inspect-page/page.js'], ['src/inspect/page/worker.ts', 'dist/inspect-page/worker.js']]) {
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [nodeBuiltinsAbsent],
  });
}
