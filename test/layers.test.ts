// The layers of src/ and the direction of their imports. Each layer may
// import only the layers below it:
//
//   vp8        the codec: imports no other layer
//   container  file formats (IVF, WebM, Y4M): vp8
//   excamera   chunks, the pipeline, the coordinator and its runtime: vp8, container
//   sim        the simulator and its profiles: vp8, container, excamera, report
//   inspect    the VP8 inspector (a web page): vp8, container
//   cli        the command line: any layer
//   report     SVG charts, a leaf: imports no other layer
//   errors.ts  the one error family (src/errors.ts), under every layer: imports nothing
//
// So the codec stands alone, the ExCamera layer never depends on the
// simulator that models it (the simulator drives the real coordinator, not
// the reverse), and nothing below the command line knows of it. Every import
// is checked: static, type-only, re-exports and dynamic import().

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/fixtures.js';

const SRC = join(ROOT, 'src');

/** The error family's module, a layer of one file that every other layer may import. */
const ERRORS = 'errors.ts';

const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  vp8: [ERRORS],
  container: ['vp8', ERRORS],
  excamera: ['vp8', 'container', ERRORS],
  sim: ['vp8', 'container', 'excamera', 'report', ERRORS],
  inspect: ['vp8', 'container', ERRORS],
  cli: ['vp8', 'container', 'excamera', 'sim', 'inspect', 'report', ERRORS],
  report: [ERRORS],
  [ERRORS]: [],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** The layer (top folder under src/, or src/errors.ts) a path is in; an import names errors.ts as errors.js. */
function layerOf(path: string): string {
  return relative(SRC, path).split(sep)[0]!.replace(/\.js$/, '.ts');
}

/** Every module `file` imports or re-exports, as written (dynamic imports included). */
function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** The imports among `specs` (written in `file`) that break the rule, as "file -> layer (specifier)". */
function violations(file: string, specs: readonly string[]): string[] {
  const from = layerOf(file);
  return specs
    .filter((spec) => spec.startsWith('.')) // not a package or a node: built-in
    .filter((spec) => {
      const to = layerOf(resolve(dirname(file), spec));
      return to !== from && !(MAY_IMPORT[from] ?? []).includes(to);
    })
    .map((spec) => `${relative(ROOT, file)} -> ${layerOf(resolve(dirname(file), spec))} (${spec})`);
}

describe('layers', () => {
  const files = sources(SRC);

  it('names every folder of src/ as a layer', () => {
    const entries = readdirSync(SRC, { withFileTypes: true }).map((e) => e.name);
    expect(entries.sort()).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  it('imports only downwards: vp8 <- container <- excamera <- sim <- cli', () => {
    expect(files.flatMap((f) => violations(f, importsOf(f)))).toEqual([]);
  });

  it('sees every kind of import, and catches one going upwards', () => {
    const xc = importsOf(join(SRC, 'cli', 'xc.ts'));
    expect(xc).toContain('../excamera/schedule.js');
    expect(xc).toContain('../excamera/runtime/s3-storage.js'); // a dynamic import()
    expect(importsOf(join(SRC, 'excamera', 'coordinator', 'types.ts'))).toContain('../schedule.js'); // import type, export from
    const file = join(SRC, 'excamera', 'pipeline.ts');
    expect(violations(file, ['../sim/profile-types.js', './schedule.js', 'node:fs'])).toEqual(['src/excamera/pipeline.ts -> sim (../sim/profile-types.js)']);
    expect(violations(join(SRC, 'vp8', 'frame.ts'), ['../container/index.js'])).toHaveLength(1);
    expect(violations(join(SRC, 'sim', 'engine.ts'), ['../cli/xc.js'])).toHaveLength(1);
    expect(violations(join(SRC, 'vp8', 'errors.ts'), ['../errors.js'])).toEqual([]);
    expect(violations(join(SRC, 'errors.ts'), ['./vp8/index.js'])).toHaveLength(1);
  });
});
