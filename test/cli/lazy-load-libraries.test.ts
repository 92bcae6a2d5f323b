// The certificate library (@peculiar/asn1-x509 and what it needs) and the
// zip writer (fflate) are loaded synchronously through require() the first
// time they are needed, not when a command or a worker starts: every command
// loads the files that use them (xc's shell, `lambda package`), and a worker
// loads security.ts for its checks but never makes a certificate.
//
// A module loaded through require() is invisible to an import trace, so the
// processes here record both: the import trace of test/helpers and a
// require() trace written next to it.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { ROOT, VECTORS } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'excamera-lazy-libs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Records the file of every module require() loads (CommonJS), one per line.
const REQUIRE_TRACE = join(dir, 'trace-require.cjs');
writeFileSync(REQUIRE_TRACE, `
const Module = require('node:module');
const { appendFileSync } = require('node:fs');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  const loaded = load.apply(this, arguments);
  try { appendFileSync(process.env.EXCAMERA_TRACE_IMPORTS, Module._resolveFilename(request, parent, isMain) + '\\n'); } catch {}
  return loaded;
};
`);

const LIBRARIES = ['@peculiar/asn1-x509', '@peculiar/asn1-schema', '@peculiar/asn1-ecc', 'asn1js', 'fflate'];

/** The packages under node_modules that `node ...args` loads, by import or by require. */
function packagesLoaded(name: string, args: readonly string[]): Set<string> {
  const trace = join(dir, `${name}.txt`);
  writeFileSync(trace, '');
  const r = spawnSync(process.execPath, ['--require', REQUIRE_TRACE, '--import', join(ROOT, 'test', 'helpers', 'trace-imports.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, EXCAMERA_TRACE_IMPORTS: trace },
  });
  expect(r.status, r.stderr).toBe(0);
  const lines = readFileSync(trace, 'utf8').split('\n');
  // The CLI's own modules count too (as "excamera"), to show that the trace works.
  return new Set(lines.map((l) => (/\/dist\/src\/cli\/main\.js$/.test(l) ? 'excamera' : /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(l)?.[1])).filter((p): p is string => p !== undefined));
}

const security = pathToFileURL(join(ROOT, 'dist', 'src', 'excamera', 'runtime', 'security.js')).href;
const packaging = pathToFileURL(join(ROOT, 'dist', 'src', 'excamera', 'runtime', 'package.js')).href;
const workerProcess = pathToFileURL(join(ROOT, 'dist', 'src', 'excamera', 'runtime', 'worker-process.js')).href;

describe('lazy loading of the certificate library and the zip writer', () => {
  it('--help, xc --help, lambda package --help, decode and info load neither', () => {
    const commands = [['help', ['--help']], ['xc-help', ['xc', '--help']], ['package-help', ['lambda', 'package', '--help']], ['decode', ['decode', join(VECTORS, 'vp80-00-comprehensive-001.ivf')]], ['info', ['info', join(VECTORS, 'vp80-00-comprehensive-002.ivf')]]] as const;
    for (const [name, args] of commands) {
      const loaded = packagesLoaded(name, [BIN, ...args]);
      expect(loaded.has('excamera'), name).toBe(true); // the trace works
      expect([...loaded].filter((p) => LIBRARIES.includes(p)), name).toEqual([]);
    }
  });

  it('a worker process\'s modules load neither', () => {
    const loaded = packagesLoaded('worker', ['--input-type=module', '-e', `await import(${JSON.stringify(workerProcess)});`]);
    expect([...loaded].filter((p) => LIBRARIES.includes(p))).toEqual([]);
  });

  it('making a job\'s credentials loads the certificate library, and only it', () => {
    const loaded = packagesLoaded('credentials', ['--input-type=module', '-e', `const s = await import(${JSON.stringify(security)}); s.createJobCredentials();`]);
    expect(loaded.has('@peculiar/asn1-x509')).toBe(true);
    expect(loaded.has('@peculiar/asn1-ecc')).toBe(true);
    expect(loaded.has('fflate')).toBe(false);
  });

  it('writing a zip loads the zip writer, and only it', () => {
    const loaded = packagesLoaded('zip', ['--input-type=module', '-e', `const p = await import(${JSON.stringify(packaging)}); p.zip([{ name: 'a', data: new Uint8Array(3), mode: 0o644 }]);`]);
    expect(loaded.has('fflate')).toBe(true);
    expect(loaded.has('@peculiar/asn1-x509')).toBe(false);
  });
});
