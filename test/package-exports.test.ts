// The package's entry points, as a user gets them: the package is packed
// (npm pack, the files an install would get), unpacked into a scratch
// project's node_modules, and a script there imports `excamera-ts/vp8`,
// `excamera-ts/container` and `excamera-ts/excamera` by name and runs the
// README's examples with what they export.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, VECTORS } from './helpers/fixtures.js';

// Run in the scratch project: imports the package by name, prints what it found as JSON.
const SCRIPT = `
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as vp8 from 'excamera-ts/vp8';
import * as container from 'excamera-ts/container';
import * as excamera from 'excamera-ts/excamera';

const kinds = (module, names) => Object.fromEntries(names.map((n) => [n, typeof module[n]]));
const result = {
  vp8: kinds(vp8, ['createDecoderState', 'decodeFrame', 'imageToI420', 'imageFromI420', 'stateHash', 'stateEquals', 'encodeFrame', 'Vp8Encoder']),
  container: kinds(container, ['parseIvf', 'writeIvf', 'parseY4m', 'writeY4m', 'readWebmVp8', 'writeWebmVp8', 'ContainerError']),
  excamera: kinds(excamera, ['runInProcess', 'encodeChunk', 'decodeChunk', 'encodeGivenState', 'rebaseChunk', 'serializeState']),
};

// The README's decoding example, on a test vector.
const { createDecoderState, decodeFrame, imageToI420, stateEquals, encodeFrame, Vp8Encoder } = vp8;
const frames = container.parseIvf(new Uint8Array(readFileSync(process.argv[2]))).frames.map((f) => f.data);
let state = createDecoderState();
const md5s = [];
for (const frame of frames) {
  const { state: next, image } = decodeFrame(state, frame);
  if (image) md5s.push(createHash('md5').update(imageToI420(image)).digest('hex'));
  state = next;
}
result.decodedMd5s = md5s;

// The README's encoding examples: one frame against a state, and a sequence.
const picture = vp8.imageFromI420(176, 144, imageToI420(decodeFrame(createDecoderState(), frames[0]).image));
const { state: encoded, frame } = encodeFrame(state, picture, { qIndex: 40 });
result.encodeFrameAgrees = stateEquals(decodeFrame(state, frame).state, encoded);
const encoder = new Vp8Encoder({ width: 176, height: 144, frameRate: 30, rateControl: { mode: 'cq', cqLevel: 20 } });
result.sequenceFrameBytes = encoder.encode(picture).frame.length;
console.log(JSON.stringify(result));
`;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'excamera-package-'));
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const tarball = join(dir, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);
  // node_modules/excamera-ts as npm install would leave it; its dependencies are this checkout's.
  const modules = join(dir, 'project', 'node_modules');
  mkdirSync(modules, { recursive: true });
  const untar = spawnSync('tar', ['-xzf', tarball, '-C', modules], { encoding: 'utf8' });
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  renameSync(join(modules, 'package'), join(modules, 'excamera-ts'));
  symlinkSync(join(ROOT, 'node_modules'), join(modules, 'excamera-ts', 'node_modules'), 'dir');
  writeFileSync(join(dir, 'project', 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  writeFileSync(join(dir, 'project', 'check.mjs'), SCRIPT);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the installed package', () => {
  it('exports what the README\'s examples use from excamera-ts/vp8, /container and /excamera, and the examples run', () => {
    const r = spawnSync(process.execPath, ['check.mjs', join(VECTORS, 'vp80-00-comprehensive-001.ivf')], { cwd: join(dir, 'project'), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(result.vp8).toEqual({
      createDecoderState: 'function', decodeFrame: 'function', imageToI420: 'function', imageFromI420: 'function',
      stateHash: 'function', stateEquals: 'function', encodeFrame: 'function', Vp8Encoder: 'function',
    });
    expect(result.container).toEqual({
      parseIvf: 'function', writeIvf: 'function', parseY4m: 'function', writeY4m: 'function', readWebmVp8: 'function', writeWebmVp8: 'function', ContainerError: 'function',
    });
    expect(result.excamera).toEqual({
      runInProcess: 'function', encodeChunk: 'function', decodeChunk: 'function', encodeGivenState: 'function', rebaseChunk: 'function', serializeState: 'function',
    });
    const expected = readFileSync(join(VECTORS, 'vp80-00-comprehensive-001.ivf.md5'), 'utf8').trim().split('\n').map((l) => l.split(/\s+/)[0]);
    expect(result.decodedMd5s).toEqual(expected);
    expect(result.encodeFrameAgrees).toBe(true);
    expect(result.sequenceFrameBytes).toBeGreaterThan(0);
  });

  it('exposes nothing but its three entry points', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
      for (const name of ['excamera-ts', 'excamera-ts/dist/src/vp8/index.js', 'excamera-ts/src/vp8/index.ts']) {
        try { await import(name); console.log(name + ': imported'); } catch (e) { console.log(name + ': ' + e.code); }
      }`], { cwd: join(dir, 'project'), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'excamera-ts: ERR_PACKAGE_PATH_NOT_EXPORTED',
      'excamera-ts/dist/src/vp8/index.js: ERR_PACKAGE_PATH_NOT_EXPORTED',
      'excamera-ts/src/vp8/index.ts: ERR_PACKAGE_PATH_NOT_EXPORTED',
    ]);
  });
});
