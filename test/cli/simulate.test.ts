// `excamera simulate` and `excamera simulate sweep` as a user runs them.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { excamera } from '../helpers/cli.js';
import { ROOT } from '../helpers/fixtures.js';


describe('excamera simulate', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'excamera-sim-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('documents each command\'s own options only: sweep takes lists, not the single-run flags', () => {
    const sweep = excamera('simulate', 'sweep', '--help');
    expect(sweep.status).toBe(0);
    expect(sweep.stdout).toMatch(/-n\s+Frames per chunk, comma-separated/);
    expect(sweep.stdout).not.toMatch(/--timeline|--frames-per-chunk|--failure-probability/);
    expect(sweep.stdout).not.toMatch(/-p, -p|-f, -f|-w, -w/);
    const single = excamera('simulate', '--help');
    expect(single.stdout).toMatch(/--timeline/);
    expect(single.stdout).toMatch(/-n, --frames-per-chunk/);
  });

  it('prints latency, workers, worker-seconds, cost and phases as JSON, the same for the same seed', () => {
    const args = ['simulate', '--frames', '2400', '-n', '6', '-x', '16', '--seed', '5', '--json'];
    const a = excamera(...args);
    expect(a.status, a.stderr).toBe(0);
    const r = JSON.parse(a.stdout) as Record<string, unknown>;
    for (const key of ['latencySeconds', 'workers', 'workerSeconds', 'costUSD', 'phases']) expect(r).toHaveProperty(key);
    expect(r.workers).toBe(600);
    expect(r.latencySeconds).toBeGreaterThan(30);
    expect(Object.keys(r.phases as object)).toEqual(expect.arrayContaining(['start', 'fetch', 'encode', 'given-state', 'rebase', 'upload']));
    expect(excamera(...args).stdout).toBe(a.stdout);
    expect(excamera('simulate', '--frames', '2400', '--seed', '6', '--json').stdout).not.toBe(a.stdout);
  });

  it('starts a job at a frame of the profile\'s film, whose content it then costs', () => {
    // Sintel's last quarter is slower to encode than its second (the logs: median batch ends 99 s against 88 s).
    const latency = (first: string): number => (JSON.parse(excamera('simulate', '-f', '5280', '-n', '6', '-x', '16', '--first-frame', first, '--json').stdout) as { latencySeconds: number }).latencySeconds;
    const a = latency('0');
    expect(latency('0')).toBe(a);
    expect(latency('15936')).not.toBe(a);
    const bad = excamera('simulate', '-f', '600', '--first-frame', '-6');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/first-frame/);
  });

  it('prints a readable report, and writes the timeline', () => {
    const html = join(dir, 't.html');
    const r = excamera('simulate', '-f', '600', '-n', '6', '-x', '4', '--timeline', html);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ExCamera\[6,4\] on paper-sintel-4k: 600 frames in 100 chunks, seed 1\nlatency +\d+\.\d s\nworkers +150 \(100 \+ 50 spares\)/);
    expect(r.stdout).toMatch(/\n {2}rebase +\d+ /);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).toContain('ExCamera[6,4] on paper-sintel-4k');
  });

  it('reports failures under faults and exits 1 when the job cannot complete', () => {
    const r = excamera('simulate', '-f', '600', '-n', '6', '-x', '4', '--failure-probability', '0.5', '--max-attempts', '1', '--spares', '0');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAILED: chunk \d+ failed 1 time\(s\)/);
  });

  it('refuses bad arguments and bad profiles in one line', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"version": 1}');
    for (const [args, message, status] of [
      [['simulate', '-f', '0'], /--frames must be an integer 1\.\.100000000, got 0/, 2],
      [['simulate', '-f', '60', '-x', '2.5'], /--chunks-per-batch takes an integer, got 2\.5/, 2],
      [['simulate', '-f', '60', '--profile', 'nope'], /no built-in profile "nope"/, 1],
      [['simulate', '-f', '60', '--profile', bad], /bad\.json: name: is missing|bad\.json: source: is missing|bad\.json: .*is missing/, 1],
    ] as const) {
      const r = excamera(...args);
      expect(r.status, args.join(' ')).toBe(status);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('sweep writes a CSV row per point and an SVG plot', () => {
    const csv = join(dir, 's.csv');
    const r = excamera('simulate', 'sweep', '-f', '1200', '-n', '6,12', '-x', '1,4,16', '--seeds', '2', '-o', csv, '--json');
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\r\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('framesPerChunk,chunksPerBatch,workers,runs,failedRuns,latencySeconds,workerSeconds,costUSD');
    expect(lines[1]).toMatch(/^6,1,200,2,0,\d+\.\d,\d+\.\d,\d+\.\d{4}$/);
    expect(readFileSync(join(dir, 's.svg'), 'utf8')).toMatch(/^<svg[\s\S]*n=12/);
    expect(JSON.parse(r.stdout)).toHaveLength(6);
  });

  it('sweep counts failed runs, and gives no latency where the median run failed', () => {
    // 24-frame chunks in batches of 16 and 32 on the paper's profile: the
    // serial chains keep workers past Lambda's 300 s limit.
    const csv = join(dir, 'f.csv');
    const r = excamera('simulate', 'sweep', '-f', '4800', '-n', '24', '-x', '1,16,32', '--seeds', '3', '-o', csv, '-q');
    expect(r.status, r.stderr).toBe(0);
    const [, x1, x16, x32] = readFileSync(csv, 'utf8').trimEnd().split('\r\n').map((l) => l.split(','));
    expect(x1!.slice(3, 5)).toEqual(['3', '0']);
    expect(Number(x1![5])).toBeGreaterThan(60);
    expect(Number(x16![4])).toBeGreaterThanOrEqual(2);
    expect(x16![5]).toBe('');
    expect(x32![4]).toBe('3');
  });
});

describe('excamera calibrate', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'excamera-cal-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures the phases on a clip and writes a profile that simulate takes', () => {
    const out = join(dir, 'p.json');
    const clip = join(ROOT, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m');
    const r = excamera('calibrate', clip, '-o', out, '-n', '4', '-k', '3', '--quiet');
    expect(r.status, r.stderr).toBe(0);
    const profile = JSON.parse(readFileSync(out, 'utf8')) as Record<string, any>;
    expect(profile.source).toMatch(/^measured by excamera calibrate on carphone_qcif_176x144_120f\.y4m \(176x144, 3 chunks of 4 frames, builtin chunk encoder at cq 24\)/);
    expect(profile.video).toMatchObject({ width: 176, height: 144, frames: 120 });
    for (const phase of ['encode', 'decode', 'givenState', 'rebase']) {
      const d = profile.compute[phase].perFrameMegapixel;
      const values: number[] = d.kind === 'empirical' ? d.values : [d.median, d.p90];
      expect(values.every((v) => Number.isFinite(v) && v > 0), phase).toBe(true);
    }
    // Encoding costs more than rebasing, which is the point of ExCamera.
    const med = (d: any): number => (d.kind === 'empirical' ? [...d.values].sort((a: number, b: number) => a - b)[Math.floor(d.values.length / 2)] : d.median);
    expect(med(profile.compute.encode.perFrameMegapixel)).toBeGreaterThan(med(profile.compute.rebase.perFrameMegapixel));
    expect(profile.sizes.stateBytesPerPixel).toBeGreaterThan(0.01);
    expect(profile.sizes.stateBytesPerPixel).toBeLessThan(2);
    expect(profile.rendezvous.bytesPerSecond).toBeGreaterThan(1e6);
    const sim = excamera('simulate', '--profile', out, '-n', '6', '-x', '16', '--json');
    expect(sim.status, sim.stderr).toBe(0);
    expect(JSON.parse(sim.stdout).latencySeconds).toBeGreaterThan(0);
    // This machine's compute on the paper's platform and film, at 720p (so
    // that the encode stays within the phase limit however slowly this
    // machine ran calibrate, e.g. under coverage). The per-pixel scaling is
    // checked with the measured median as a constant: three measured chunks
    // can spread widely (a cold first chunk under coverage), and the median
    // of their products with the film's content is then not their median.
    const constant = join(dir, 'p-constant.json');
    const perFrameMegapixel = med(profile.compute.encode.perFrameMegapixel);
    writeFileSync(constant, JSON.stringify({ ...profile, compute: { ...profile.compute, encode: { ...profile.compute.encode, perFrameMegapixel: { kind: 'constant', value: perFrameMegapixel } } } }));
    const measuredOnLambda = excamera('simulate', '--compute-profile', out, '-f', '600', '--width', '1280', '--height', '720', '-n', '6', '-x', '1', '--json');
    expect(measuredOnLambda.status, `${measuredOnLambda.stderr}${measuredOnLambda.stdout}`).toBe(0);
    const onLambda = excamera('simulate', '--compute-profile', constant, '-f', '600', '--width', '1280', '--height', '720', '-n', '6', '-x', '1', '--json');
    expect(onLambda.status, `${onLambda.stderr}${onLambda.stdout}`).toBe(0);
    const result = JSON.parse(onLambda.stdout) as { profile: string; latencySeconds: number; workers: number; phases: Record<string, { medianSeconds: number }> };
    expect(result.profile).toBe(`${profile.name as string} on paper-sintel-4k`);
    expect(result.workers).toBe(150);
    // Per pixel: 6 frames of 1280x720 at this machine's measured encode cost, times the film's content (median ~1).
    const expected = perFrameMegapixel * 6 * ((1280 * 720) / 1e6);
    expect(result.phases.encode!.medianSeconds / expected).toBeGreaterThan(0.8);
    expect(result.phases.encode!.medianSeconds / expected).toBeLessThan(1.25);
    const report = excamera('simulate', '--compute-profile', out, '-f', '600', '-n', '6', '-x', '4');
    expect(report.stdout).toMatch(/\ncompute +Compute models and sizes from calibrated-carphone\S* measured at 176x144 and scaled per pixel to 4096x1744/);
  });

  it('refuses a clip too short for the chunks asked for', () => {
    const clip = join(ROOT, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m');
    const r = excamera('calibrate', clip, '-n', '60', '-k', '3');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/has 120 frames; 3 chunks of 60 need 180/);
  });
});
