// Runs every lesson generator (`npm run lessons`: the build first, then this).
//
// Each lesson in docs/lessons is written by a generator in this folder that
// runs the built CLI on a fixture and fills its template with what it finds.
// To add a lesson, add its generator to GENERATORS and a line to
// docs/lessons/README.md. A generator is run as
//
//   node scripts/lessons/NAME.mjs [--out DIR] [--fixed-only] [--quiet]
//
// and writes its markdown, images/ and data/ into DIR (default docs/lessons);
// with --fixed-only it skips what it measures in seconds (see
// excamera-step-by-step.mjs). Arguments given to this script are passed on to
// every generator; `node scripts/lessons/index.mjs NAME...` runs only the named ones.

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The generators, in the order of docs/lessons/README.md. */
export const GENERATORS = ['one-macroblock.mjs', 'excamera-step-by-step.mjs'];

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('-') && GENERATORS.includes(`${a}.mjs`));
const passed = args.filter((a) => !names.includes(a));
const chosen = names.length === 0 ? GENERATORS : names.map((n) => `${n}.mjs`);

for (const generator of chosen) {
  const started = performance.now();
  const r = spawnSync(process.execPath, [join(here, generator), ...passed], { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`lessons: ${generator} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(1);
  }
  process.stderr.write(`lessons: ${generator} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
