// The CLI loads the AWS SDK and mediabunny only for the commands that use
// them: every `--help`, decode of an IVF file or local encode would otherwise
// pay for loading them (about 0.1 s each).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { ROOT, VECTORS } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'excamera-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The packages under node_modules that `excamera args` loads. */
function packagesLoaded(name: string, ...args: string[]): Set<string> {
  const trace = join(dir, `${name}.txt`);
  const r = spawnSync(process.execPath, ['--import', join(ROOT, 'test', 'helpers', 'trace-imports.mjs'), BIN, ...args], { encoding: 'utf8', env: { ...process.env, EXCAMERA_TRACE_IMPORTS: trace } });
  expect(r.status, r.stderr).toBe(0);
  const urls = readFileSync(trace, 'utf8').split('\n');
  // The CLI's own modules count too (as "excamera"), to show that the trace works.
  return new Set(urls.map((u) => (/\/dist\/src\/cli\/main\.js$/.test(u) ? 'excamera' : /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1])).filter((p): p is string => p !== undefined));
}

describe('lazy loading', () => {
  it('--help, decode of IVF and info load neither the AWS SDK nor mediabunny', () => {
    for (const [name, args] of [['help', ['--help']], ['xc-help', ['xc', '--help']], ['decode', ['decode', join(VECTORS, 'vp80-00-comprehensive-001.ivf')]], ['info', ['info', join(VECTORS, 'vp80-00-comprehensive-002.ivf')]]] as const) {
      const loaded = packagesLoaded(name, ...args);
      expect(loaded.has('excamera'), name).toBe(true); // the trace works
      expect([...loaded].filter((p) => p.startsWith('@aws-sdk/') || p.startsWith('@smithy/') || p === 'mediabunny'), name).toEqual([]);
    }
  });

  it('a WebM output loads mediabunny', () => {
    const out = join(dir, 'v.webm');
    const r = spawnSync(process.execPath, [BIN, 'encode', join(ROOT, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m'), '-o', out, '--limit', '2', '--speed', '5', '-q'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(packagesLoaded('webm', 'info', out).has('mediabunny')).toBe(true);
  });
});
