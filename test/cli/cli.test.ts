// The `excamera` command as a user runs it: the built binary in a child process.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIvf, parseY4m, writeIvf, writeWebmVp8 } from '../../src/container/index.js';
import { BIN, excamera } from '../helpers/cli.js';
import { md5, ROOT, VECTORS } from '../helpers/fixtures.js';


const vector = (n: string): string => join(VECTORS, `vp80-00-comprehensive-${n}.ivf`);
const md5File = (n: string): string => readFileSync(`${vector(n)}.md5`, 'utf8');

describe('excamera (built CLI)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'excamera-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has --help for every command', () => {
    for (const args of [['--help'], ['decode', '--help'], ['info', '--help'], ['encode', '--help'], ['compare', '--help'], ['xc', '--help'], ['encode-given-state', '--help'], ['rebase', '--help'], ['state', '--help'], ['state', 'dump', '--help'], ['state', 'diff', '--help'], ['state', 'final', '--help'], ['simulate', '--help'], ['simulate', 'sweep', '--help'], ['calibrate', '--help'], ['lambda', '--help'], ['lambda', 'package', '--help']]) {
      const r = excamera(...args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/excamera/);
      expect(r.stdout).toMatch(/--help/);
    }
    const none = excamera();
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/command/);
  });

  it('runs as `npx excamera` does: the package\'s bin is an executable script', () => {
    // Run by path, not through node: a build that leaves the bin without
    // its execute bit fails here as `npx excamera` would (EACCES).
    const r = spawnSync(BIN, ['--help'], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/excamera xc/);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin.excamera).toBe('dist/src/cli/main.js');
  });

  it('decode --md5 reproduces a test vector .md5 file exactly', () => {
    for (const n of ['001', '018']) {
      const r = excamera('decode', vector(n), '--md5');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(md5File(n));
    }
  });

  it('decode -o writes a Y4M file whose frames have the reference md5s', () => {
    const out = join(dir, 'v001.y4m');
    const r = excamera('decode', vector('001'), '-o', out, '--quiet');
    expect(r.status).toBe(0);
    const y4m = parseY4m(new Uint8Array(readFileSync(out)));
    expect([y4m.header.width, y4m.header.height]).toEqual([176, 144]);
    const expected = md5File('001').trim().split('\n').map((l) => l.split(/\s+/)[0]);
    expect(y4m.frames.map((f) => md5(f.data))).toEqual(expected);
  });

  it('decode -o writes raw I420 for .yuv', () => {
    const out = join(dir, 'v018.yuv');
    expect(excamera('decode', vector('018'), '-o', out, '-q').status).toBe(0);
    const bytes = readFileSync(out);
    const size = 176 * 144 * 3 / 2;
    expect(bytes.length).toBe(28 * size);
    expect(md5(bytes.subarray(0, size))).toBe(md5File('018').split(/\s+/)[0]);
  });

  it('decode without output prints a vpxdec-style summary, or JSON', () => {
    const r = excamera('decode', vector('001'));
    expect(r.stdout).toMatch(/^29 decoded frames\/29 showed frames in \d+ us \([\d.]+ fps\)\n$/);
    const j = JSON.parse(excamera('decode', vector('018'), '--json').stdout);
    expect(j).toMatchObject({ frames: 29, decoded: 29, shown: 28, empty: 0, errors: [] });
    expect(j.framesPerSecond).toBeGreaterThan(0);
  });

  it('decodes WebM input', async () => {
    const ivf = parseIvf(new Uint8Array(readFileSync(vector('001'))));
    const webm = await writeWebmVp8(
      { width: 176, height: 144, frameRate: 30 },
      ivf.frames.map((f, i) => ({ data: f.data, keyFrame: i === 0 })),
    );
    const path = join(dir, 'vp80-00-comprehensive-001.webm');
    writeFileSync(path, webm);
    const r = excamera('decode', path, '--md5');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(md5File('001'));
  });

  it('stops at a damaged frame, keeps the frames before it, and says where', () => {
    const ivf = parseIvf(new Uint8Array(readFileSync(vector('001'))));
    const frames = ivf.frames.map((f) => ({ data: f.data.slice(), pts: f.pts }));
    frames[5] = { data: frames[5].data.subarray(0, 4), pts: frames[5].pts };
    const damaged = join(dir, 'damaged.ivf');
    writeFileSync(damaged, writeIvf({ width: 176, height: 144, timebaseDenominator: 30, timebaseNumerator: 1 }, frames));
    const out = join(dir, 'damaged.y4m');
    const r = excamera('decode', damaged, '-o', out, '-q');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/frame 5/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(parseY4m(new Uint8Array(readFileSync(out))).frames.length).toBe(5);
    // --keep-going skips it and goes on from the state before it; later frames
    // that depended on it (here on its probability updates) may fail in turn.
    const k = excamera('decode', damaged, '--md5', '--keep-going');
    expect(k.status).toBe(1);
    expect(k.stderr).toMatch(/skipped: .*frame 5/);
    const lines = k.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    const sums = (ls: string[]): string[] => ls.map((l) => l.split(/\s+/)[0]);
    expect(sums(lines.slice(0, 5))).toEqual(sums(md5File('001').trim().split('\n').slice(0, 5)));
  });

  it('reports missing and non-VP8 inputs in one line', () => {
    const missing = excamera('decode', join(dir, 'nope.ivf'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`excamera: no such file: ${join(dir, 'nope.ivf')}\n`);
    const y4m = excamera('decode', join(ROOT, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m'));
    expect(y4m.status).toBe(1);
    expect(y4m.stderr).toMatch(/raw video/);
    const badOut = excamera('decode', vector('001'), '-o', join(dir, 'x.mp4'));
    expect(badOut.status).toBe(2);
    expect(badOut.stderr).toMatch(/\.y4m/);
  });

  it('info prints one JSON line per frame with its headers', () => {
    const r = excamera('info', vector('008'));
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatchObject({ frame: 0, type: 'key', width: 1432, height: 888, version: 0, showFrame: true });
    expect(lines[0].quantizer).toHaveProperty('yAcQi');
    expect(lines[0].loopFilter).toHaveProperty('sharpness');
    expect(lines[0].segmentation).toHaveProperty('enabled');
    expect(lines[0].partitions.tokens.length).toBeGreaterThan(0);
    expect(lines[1]).toMatchObject({ frame: 1, type: 'inter', width: 1432, height: 888 });
    expect(lines[1].refresh).toHaveProperty('golden');
    expect(lines[1].signBias).toHaveProperty('altref');
    const hidden = excamera('info', vector('018')).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(hidden.filter((h) => !h.showFrame).length).toBe(1);
  });

  it('encode writes IVF and WebM that decode, with a JSON summary; compare measures them', () => {
    const clip = join(ROOT, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m');
    const ivf = join(dir, 'enc.ivf');
    const r = excamera('encode', clip, '-o', ivf, '--quantizer', '30', '--limit', '6', '--speed', '4', '--json', '-q');
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ frames: 6, keyFrames: 1, width: 176, height: 144 });
    expect(summary.bytes).toBeGreaterThan(100);
    expect(summary.psnr.all).toBeGreaterThan(30);
    expect(summary.ssim.all).toBeGreaterThan(0.9);
    expect(summary.framesPerSecond).toBeGreaterThan(0);
    const decoded = excamera('decode', ivf, '--json');
    expect(JSON.parse(decoded.stdout)).toMatchObject({ frames: 6, shown: 6, errors: [] });
    const cmp = JSON.parse(excamera('compare', clip, ivf, '--json').stdout);
    expect(cmp.frames).toBe(6);
    expect(cmp.framesA).toBe(120);
    // The encoder measured its reconstruction; compare measures the decoded file: the same pictures.
    expect(cmp.psnr.all).toBeCloseTo(summary.psnr.all, 1);
    const webm = join(dir, 'enc.webm');
    expect(excamera('encode', clip, '-o', webm, '--target-bitrate', '100', '--limit', '4', '--speed', '5', '-q').status).toBe(0);
    expect(JSON.parse(excamera('decode', webm, '--json').stdout)).toMatchObject({ frames: 4, shown: 4 });
  });

  it('encode refuses conflicting or out-of-range settings in one line', () => {
    const clip = join(ROOT, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m');
    const both = excamera('encode', clip, '-o', join(dir, 'x.ivf'), '--quantizer', '10', '--cq-level', '20');
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--quantizer/);
    const far = excamera('encode', clip, '-o', join(dir, 'x.ivf'), '--quantizer', '70');
    expect(far.status).toBe(2);
    expect(far.stderr).toMatch(/0\.\.63/);
    expect(excamera('encode', clip, '-o', join(dir, 'x.mkv')).stderr).toMatch(/\.ivf or \.webm/);
  });

  describe('ExCamera commands', () => {
    const clip = join(ROOT, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m');
    let keep = '';
    let summary: Record<string, any> = {};
    beforeAll(() => {
      keep = join(dir, 'keep');
      const r = excamera('xc', clip, '-o', join(dir, 'xc.ivf'), '-n', '4', '-x', '3', '--limit', '16', '--keep', keep, '--json', '-q', '--backend', 'inprocess');
      expect(r.status, r.stderr).toBe(0);
      summary = JSON.parse(r.stdout);
    });

    it('xc writes a stream that plays, with a JSON summary of bytes, quality and time per phase', () => {
      expect(summary).toMatchObject({ frames: 16, keyFrames: 2, chunks: 4, framesPerChunk: 4, chunksPerBatch: 3, chunkEncoder: 'builtin', backend: 'inprocess' });
      expect(summary.bytes).toBe(readFileSync(join(dir, 'xc.ivf')).length - 32 - 12 * 16);
      expect(summary.psnr.all).toBeGreaterThan(35);
      expect(summary.ssim.allDb).toBeGreaterThan(12);
      for (const phase of ['encode', 'decode', 'encode-given-state', 'rebase']) expect(summary.phases[phase].seconds).toBeGreaterThan(0);
      const decoded = JSON.parse(excamera('decode', join(dir, 'xc.ivf'), '--json').stdout);
      expect(decoded).toMatchObject({ frames: 16, shown: 16 });
      const text = excamera('xc', clip, '-o', join(dir, 'xc.webm'), '-n', '4', '-x', '2', '--limit', '8', '-q');
      expect(text.status, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/ExCamera\[4,2\].*\n8 frames \(1 key\)/);
      expect(text.stdout).toMatch(/given-state +[\d.]+ s/);
    });

    it('xc on the local backend (the default) writes the very bytes of the in-process run', () => {
      const out = join(dir, 'xc-local.ivf');
      const timeline = join(dir, 'xc.html');
      const r = excamera('xc', clip, '-o', out, '-n', '4', '-x', '3', '--limit', '16', '--workers', '3', '--json', '-q', '--timeline', timeline);
      expect(r.status, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout) as Record<string, any>;
      expect(s).toMatchObject({ backend: 'local', workers: 3, failedWorkers: 0, frames: 16, bytes: summary.bytes });
      expect(s.latencySeconds).toBeGreaterThan(0);
      for (const phase of ['start', 'fetch', 'encode', 'given-state', 'rebase', 'upload']) expect(s.phases[phase].seconds).toBeGreaterThan(0);
      expect(readFileSync(out)).toEqual(readFileSync(join(dir, 'xc.ivf')));
      expect(readFileSync(timeline, 'utf8')).toMatch(/^<!DOCTYPE html>[\s\S]*on 3 local workers/);
      const refused = excamera('xc', clip, '-o', out, '--limit', '8', '--keep', join(dir, 'k2'));
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/--keep needs --backend inprocess/);
    });

    it('xc --compare-serial reports its speed-up over `excamera encode` of the same clip, and the bound the added work sets', () => {
      const r = excamera('xc', clip, '-o', join(dir, 'xc-serial.ivf'), '-n', '4', '-x', '3', '--limit', '16', '--workers', '2', '--speed', '5', '--json', '-q', '--compare-serial');
      expect(r.status, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout) as Record<string, any>;
      const c = s.serial as Record<string, number>;
      // The serial encode is the one a user would run: same clip, frames, speed and quality.
      const serial = JSON.parse(excamera('encode', clip, '-o', join(dir, 'serial.ivf'), '--limit', '16', '--speed', '5', '--json', '-q').stdout);
      expect(c.bytes).toBe(serial.bytes);
      expect(c.ssimDb).toBe(serial.ssim.allDb);
      expect(c.seconds).toBeGreaterThan(0);
      expect(c.processSeconds).toBeGreaterThan(c.seconds);
      expect(c.cores).toBe(Math.min(2, availableParallelism()));
      const compute = ['encode', 'given-state', 'rebase'].reduce((sum, p) => sum + s.phases[p].seconds, 0);
      expect(c.computeSeconds).toBeCloseTo(compute, 2);
      expect(c.speedup).toBeCloseTo(c.seconds / c.jobSeconds, 2);
      expect(c.bound).toBeCloseTo((c.seconds * c.cores) / c.computeSeconds, 2);
      expect(c.ofBound).toBeCloseTo(c.speedup / c.bound, 2);
      expect(c.jobSeconds).toBeCloseTo(s.wallSeconds, 2);
      const text = excamera('xc', clip, '-o', join(dir, 'xc-serial2.ivf'), '-n', '4', '-x', '2', '--limit', '8', '--backend', 'inprocess', '-q', '--compare-serial');
      expect(text.status, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/speed-up [\d.]+x; the job computed [\d.]+ s in all .*1 core allow at most [\d.]+x: this run reached \d+% of that/);
      const refused = excamera('xc', clip, '-o', join(dir, 'x.ivf'), '--chunk-encoder', 'vpxenc', '--compare-serial');
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/--compare-serial compares with a serial encode by the built-in encoder/);
    });

    it('the single-chunk tools reproduce the pipeline\'s chunks byte for byte', () => {
      const k = (name: string): string => join(keep, name);
      const given = excamera('encode-given-state', k('0001.independent.ivf'), '--state', k('0000.independent.state'), '--raw', clip, '--first', '4', '-o', join(dir, 'g.ivf'), '--json');
      expect(given.status, given.stderr).toBe(0);
      expect(readFileSync(join(dir, 'g.ivf'))).toEqual(readFileSync(k('0001.given-state.ivf')));
      const rebased = excamera(
        'rebase', k('0002.given-state.ivf'), '--from', k('0001.independent.state'), '--state', k('0001.output.state'),
        '--raw', clip, '--first', '8', '-o', join(dir, 'r.ivf'), '--final-state', join(dir, 'r.state'),
      );
      expect(rebased.status, rebased.stderr).toBe(0);
      expect(readFileSync(join(dir, 'r.ivf'))).toEqual(readFileSync(k('0002.output.ivf')));
      expect(excamera('state', 'diff', join(dir, 'r.state'), k('0002.output.state'))).toMatchObject({ status: 0, stdout: 'the states are equal\n' });
      const final = excamera('state', 'final', k('0002.output.ivf'), '--from', k('0001.output.state'), '-o', join(dir, 'f.state'));
      expect(final.status, final.stderr).toBe(0);
      expect(excamera('state', 'diff', join(dir, 'f.state'), k('0002.output.state')).status).toBe(0);
    });

    it('state dump and diff describe states; diff exits 1 when they differ', () => {
      const dump = excamera('state', 'dump', join(keep, '0001.output.state'), '--json');
      expect(dump.status).toBe(0);
      const d = JSON.parse(dump.stdout);
      expect(d).toMatchObject({ formatVersion: 2, width: 176, height: 144, references: { golden: 'same as last', altref: 'same as last' } });
      expect(d.hash).toMatch(/^[0-9a-f]{64}$/);
      const diff = excamera('state', 'diff', join(keep, '0001.independent.state'), join(keep, '0001.output.state'), '--json');
      expect(diff.status).toBe(1);
      const j = JSON.parse(diff.stdout);
      expect(j.equal).toBe(false);
      expect(j.differences.map((x: { field: string }) => x.field)).toContain('last reference');
    });

    it('refuses a corrupt state file and a state that belongs to another chunk, in one line', () => {
      const bad = join(dir, 'bad.state');
      const bytes = readFileSync(join(keep, '0001.output.state'));
      bytes[bytes.length >> 1] ^= 0x40;
      writeFileSync(bad, bytes);
      const corrupt = excamera('state', 'dump', bad);
      expect(corrupt.status).toBe(1);
      expect(corrupt.stderr).toMatch(/^excamera: .*(damaged|checksum).*bad\.state/);
      const wrong = excamera('state', 'final', join(keep, '0002.output.ivf'), '--from', join(keep, '0002.independent.state'), '-o', join(dir, 'w.state'));
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toMatch(/^excamera: the chunk was coded against state [0-9a-f]{8}, not against the state given/);
      const notState = excamera('state', 'dump', clip);
      expect(notState.stderr).toMatch(/not an ExCamera state file/);
    });
  });
});

