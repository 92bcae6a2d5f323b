// The per-macroblock code of the encoder must see one hidden class per input.
//
// V8 compiles a hot function for the object shapes ("maps") it has seen. When
// an object of another shape reaches it later — a second class standing in
// for the same interface, or a number field that starts as a small integer
// and later holds a larger or fractional value, which changes its object's
// map — the compiled code is thrown away ("wrong map") and compiled again.
// A fresh process, as every ExCamera worker is, pays for that while it
// encodes its few frames. This test runs the main job in process and a fast
// encode with --trace-deopt and fails on any such deoptimization in the
// modules that run per macroblock or per bool, or decide a frame's settings
// from its header. (The syntax functions,
// written once for readers, writers and cost counters, are polymorphic by
// design and are left out.)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { ROOT } from '../helpers/fixtures.js';

/**
 * Modules whose functions run per macroblock, per block or per bool, and the
 * per-frame decisions that take a frame header (matched on the innermost
 * location of a deoptimization, where its check failed).
 */
const HOT = /^\S+ at <file:\/\/\S*\/dist\/src\/vp8\/(encoder\/(residual|intra-search|inter-search|motion|fast-decision|shortlist|trellis|satd|fdct|quantize|rebase|frame-decisions)|bool-encoder|intra|token-bools|frame-setup|decoder)\.js:/;

/** "function at location" for each wrong-map deoptimization in a --trace-deopt-verbose log. */
function wrongMapDeopts(log: string): string[] {
  const found: string[] = [];
  let fn: string | null = null;
  for (const line of log.split('\n')) {
    if (line.startsWith('[bailout (kind:')) {
      fn = /reason: wrong map\)/.test(line) ? (/<JSFunction ([^ >]+)/.exec(line)?.[1] ?? '?') : null;
    } else if (fn !== null && line.includes(';;; deoptimize at')) {
      found.push(`${fn} at ${line.replace(/.*deoptimize at\s*/, '').trim()}`);
      fn = null;
    }
  }
  return found;
}

const scratch = mkdtempSync(join(tmpdir(), 'hidden-classes-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function traced(...args: string[]): string {
  const r = spawnSync(process.execPath, ['--trace-deopt-verbose', BIN, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout + r.stderr;
}

describe('hot encoder code keeps one hidden class per input', () => {
  const clip = join(ROOT, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m');

  it('in the main job (independent encodes, encode-given-state, rebase) and a speed-4 encode', () => {
    const logs = [
      traced('xc', clip, '-o', join(scratch, 'xc.ivf'), '-n', '6', '--limit', '24', '--backend', 'inprocess', '--quiet'),
      traced('encode', clip, '-o', join(scratch, 'fast.ivf'), '--speed', '4', '--limit', '40', '--quiet'),
    ];
    const hot = logs.flatMap(wrongMapDeopts).filter((d) => HOT.test(d));
    expect(hot).toEqual([]);
  }, 120_000);

  // Whether a deoptimization shows depends on when V8 compiled what; a
  // changed hidden class does not. When a field's representation changes,
  // V8 gives objects made afterwards the new class and moves old ones to it
  // as they are touched: an object made before any work and never used since
  // keeps the first class, which objects that worked through frames must still have.
  it('objects that work through frames keep the hidden class they were made with', () => {
    const url = (path: string): string => pathToFileURL(join(ROOT, 'dist', 'src', ...path.split('/'))).href;
    const script = join(scratch, 'maps.mjs');
    writeFileSync(script, `
      import { readRawVideo } from '${url('cli/raw.js')}';
      import { Vp8Encoder } from '${url('vp8/encoder/sequence.js')}';
      import { Candidate, EncoderWorkspace, MacroblockScratch } from '${url('vp8/encoder/workspace.js')}';
      import { BoolEncoder } from '${url('vp8/bool-encoder.js')}';
      const before = { workspace: new EncoderWorkspace(), scratch: new MacroblockScratch(), candidate: new Candidate(), bools: new BoolEncoder() };
      const { pictures } = await readRawVideo(${JSON.stringify(clip)}, 0, 12);
      const same = {};
      for (const speed of [1, 3, 4, 5]) {
        const enc = new Vp8Encoder({ width: 176, height: 144, rateControl: { mode: 'quantizer', quantizer: 30 }, speed, frameRate: 30, goldenInterval: 4 });
        for (const p of pictures) enc.encode(p);
        const ws = enc.workspace;
        same['workspace ' + speed] = %HaveSameMap(ws, before.workspace);
        same['macroblock scratch ' + speed] = %HaveSameMap(ws.mb, before.scratch);
        for (const k of ['best', 'trial', 'chromaTrial']) same[k + ' ' + speed] = %HaveSameMap(ws.mb[k], before.candidate);
      }
      const bools = new BoolEncoder();
      let seed = 1;
      for (let i = 0; i < 100000; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        bools.writeBool(1 + (seed >>> 24) % 255, (seed >>> 8) & 1);
      }
      same['bool encoder'] = %HaveSameMap(bools, before.bools);
      console.log(JSON.stringify(same));
    `);
    const r = spawnSync(process.execPath, ['--allow-natives-syntax', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const same = JSON.parse(r.stdout.trim()) as Record<string, boolean>;
    expect(Object.keys(same).length).toBe(21);
    expect(Object.entries(same).filter(([, v]) => !v).map(([k]) => k)).toEqual([]);
  }, 120_000);

  it('reads the deoptimizations it looks for', () => {
    const log = [
      '[bailout (kind: deopt-eager, reason: wrong map): begin. deoptimizing 0x1 <JSFunction writeBool (sfi = 0x2)>, 0x3 <Code TURBOFAN>',
      '            ;;; deoptimize at <file:///x/dist/src/vp8/bool-encoder.js:40:11>',
      '[bailout (kind: deopt-eager, reason: not a Smi): begin. deoptimizing 0x1 <JSFunction sad16 (sfi = 0x2)>, 0x3 <Code TURBOFAN>',
      '            ;;; deoptimize at <file:///x/dist/src/vp8/encoder/motion.js:30:5>',
    ].join('\n');
    const found = wrongMapDeopts(log);
    expect(found).toEqual(['writeBool at <file:///x/dist/src/vp8/bool-encoder.js:40:11>']);
    expect(found.filter((d) => HOT.test(d))).toHaveLength(1);
  });
});
