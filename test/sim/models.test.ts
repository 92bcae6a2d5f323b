// The simulator's building blocks: the seeded generator, the event queue,
// distributions, and profiles (and the paper profile's derivation). The
// timeline and sweep outputs are in plots.test.ts.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cdf, fitHeavyTail, normalQuantile, quantile, sample, validateDistribution } from '../../src/sim/distribution.js';
import { contentAtCqLevel, modelAtCqLevel } from '../../src/sim/engine.js';
import { SimError } from '../../src/sim/errors.js';
import { paperProfile, paperSintelProfile, paperTearsProfile, SINTEL, TEARS } from '../../src/sim/paper-profile.js';
import { BUILTIN_PROFILES, composeProfiles, loadProfile, parseProfile, serializeProfile } from '../../src/sim/profile.js';
import type { Distribution, Profile } from '../../src/sim/profile-types.js';
import { EventQueue, FifoLane, Sequence } from '../../src/sim/queue.js';
import { Random } from '../../src/sim/random.js';

describe('Random', () => {
  it('gives the same pinned sequence for a seed on any machine', () => {
    const r = new Random(42);
    const first = [r.next32(), r.next32(), r.next32(), r.next32()];
    // Pinned: a change to the generator changes every simulation's result.
    expect(first).toEqual([1028872839, 2516511472, 400437680, 853279530]);
    expect(new Random(42).fork(7).next32()).toBe(1427752046);
    expect(new Random(43).next32()).not.toBe(first[0]);
  });

  it('continues a stream saved to typed arrays and loaded into another object, kept normal included', () => {
    const whole = new Random(9);
    const split = new Random(9);
    const words = new Uint32Array(8);
    const spares = new Float64Array(2);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 50; i++) {
      a.push(whole.normal(), whole.uniform());
      // Saved after an odd number of normals, the pair's second value waits in `spares`.
      const from = i === 0 ? split : new Random(i).loadFrom(words, 4, spares, 1);
      b.push(from.normal(), from.uniform());
      from.saveTo(words, 4, spares, 1);
    }
    expect(b).toEqual(a);
  });

  it('forks independent streams: by label, and unlike each other across seeds', () => {
    const a = new Random(1).fork(305);
    const b = new Random(3).fork(105);
    const c = new Random(1).fork(305);
    expect(a.next32()).toBe(c.next32());
    expect(a.next32()).not.toBe(b.next32());
    // Many workers, many seeds: no two streams start alike.
    const starts = new Set<number>();
    for (let seed = 0; seed < 20; seed++) for (let w = 0; w < 500; w++) starts.add(new Random(seed).fork(w).next32());
    expect(starts.size).toBeGreaterThan(9990);
  });

  it('draws uniform and normal values with the right moments', () => {
    const r = new Random(7);
    let sum = 0;
    let sq = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      sum += z;
      sq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.03);
    let u = 0;
    for (let i = 0; i < n; i++) u += r.uniform();
    expect(Math.abs(u / n - 0.5)).toBeLessThan(0.01);
    expect(() => new Random(1.5)).toThrow(RangeError);
  });
});

describe('EventQueue and FifoLane', () => {
  it('pops by time, and equal times in push order, against a sorted reference', () => {
    const q = new EventQueue();
    const r = new Random(3);
    const ref: { time: number; seq: number }[] = [];
    let seq = 0;
    const out: number[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      if (r.uniform() < 0.6 || q.size === 0) {
        const time = r.int(1000) / 10; // many equal times
        q.push(time, seq);
        // Sorted insert: after every entry of the same or an earlier time.
        let lo = 0;
        let hi = ref.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (ref[mid]!.time <= time) lo = mid + 1;
          else hi = mid;
        }
        ref.splice(lo, 0, { time, seq });
        seq++;
      } else {
        expect(q.peekTime()).toBe(ref[0]!.time);
        out.push(q.pop());
        expected.push(ref.shift()!.seq);
      }
    }
    expect(out).toEqual(expected);
  });

  it('orders a heap and lanes sharing one sequence as one queue would', () => {
    const sequence = new Sequence();
    const heap = new EventQueue(sequence);
    const lanes = [new FifoLane(sequence), new FifoLane(sequence)];
    const single = new EventQueue();
    const r = new Random(8);
    const laneTime = [0, 0];
    let now = 0;
    let id = 0;
    const merged: number[] = [];
    const reference: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      if (r.uniform() < 0.55) {
        // Events at a fixed delay go to their lane, in time order; others to the heap.
        const which = r.int(3);
        const time = which < 2 ? Math.max(laneTime[which]!, now + (which + 1) * 5) : now + r.int(40) / 4;
        if (which < 2) {
          laneTime[which] = time;
          lanes[which]!.push(time, id);
        } else heap.push(time, id);
        single.push(time, id++);
      } else {
        const sources = [heap, ...lanes];
        let best = sources[0]!;
        for (const s of sources) if (s.peekTime() < best.peekTime() || (s.peekTime() === best.peekTime() && s.peekSeq() < best.peekSeq())) best = s;
        if (best.peekTime() === Infinity) continue;
        now = best.peekTime();
        merged.push(best.pop());
        reference.push(single.pop());
      }
    }
    expect(merged.length).toBeGreaterThan(5000);
    expect(merged).toEqual(reference);
  });

  it('refuses a time that is not a finite number >= 0, and a lane event out of time order', () => {
    const q = new EventQueue();
    for (const t of [NaN, -1, Infinity]) expect(() => q.push(t, 1)).toThrow(SimError);
    expect(q.pop()).toBe(-1);
    expect(q.peekTime()).toBe(Infinity);
    const lane = new FifoLane(new Sequence());
    lane.push(5, 1);
    expect(() => lane.push(4, 2)).toThrow(/in time order/);
    expect(lane.pop()).toBe(1);
    expect(lane.pop()).toBe(-1);
  });
});

describe('distributions', () => {
  const draws = (d: Distribution, n = 20_000, seed = 11): number[] => {
    const r = new Random(seed);
    return Array.from({ length: n }, () => sample(d, r)).sort((a, b) => a - b);
  };

  it('lognormal draws have the given median and 90th percentile', () => {
    const v = draws({ kind: 'lognormal', median: 10.3, p90: 17.3 });
    expect(v[10_000]! / 10.3).toBeCloseTo(1, 1);
    expect(v[18_000]! / 17.3).toBeCloseTo(1, 1);
    expect(quantile({ kind: 'lognormal', median: 10.3, p90: 17.3 }, 0.9)).toBeCloseTo(17.3, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
  });

  it('mixtures follow their weights, and bounds clamp', () => {
    const v = draws({ kind: 'mixture', components: [{ weight: 3, distribution: { kind: 'constant', value: 1 } }, { weight: 1, distribution: { kind: 'constant', value: 2 } }], max: 1.5 });
    const ones = v.filter((x) => x === 1).length;
    expect(ones / v.length).toBeCloseTo(0.75, 1);
    expect(v[v.length - 1]).toBe(1.5);
  });

  it('fitHeavyTail keeps the median and p90 and reaches the observed maximum', () => {
    const d = fitHeavyTail({ median: 2.3, p90: 3.2, max: 25.5, samples: 5328 });
    expect(d.kind).toBe('mixture');
    const v = draws(d, 100_000);
    expect(v[50_000]! / 2.3).toBeCloseTo(1, 1);
    expect(v[90_000]! / 3.2).toBeCloseTo(1, 1);
    expect(v[v.length - 1]!).toBeLessThanOrEqual(25.5);
    expect(v[v.length - 1]!).toBeGreaterThan(6);
    // A maximum the body explains needs no tail.
    expect(fitHeavyTail({ median: 1, p90: 2, max: 3, samples: 100 }).kind).toBe('lognormal');
  });

  it('every draw of a valid distribution is finite and within its bounds (property)', () => {
    const dist = fc.letrec<{ d: Distribution }>((tie) => ({
      d: fc.oneof(
        { depthSize: 'small' },
        fc.record({ kind: fc.constant('constant' as const), value: fc.double({ min: 0, max: 1e6, noNaN: true }) }),
        fc.tuple(fc.double({ min: 0.001, max: 1e3, noNaN: true }), fc.double({ min: 1, max: 10, noNaN: true })).map(([m, k]) => ({ kind: 'lognormal' as const, median: m, p90: m * k })),
        fc.tuple(fc.double({ min: 0.001, max: 1e3, noNaN: true }), fc.double({ min: 1, max: 100, noNaN: true })).map(([a, k]) => ({ kind: 'loguniform' as const, min: a, max: a * k })),
        fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 5 }).map((values) => ({ kind: 'empirical' as const, values })),
        fc.array(fc.record({ weight: fc.double({ min: 0.01, max: 10, noNaN: true }), distribution: tie('d') }), { minLength: 1, maxLength: 3 }).map((components) => ({ kind: 'mixture' as const, components, max: 1e5 })),
      ) as fc.Arbitrary<Distribution>,
    }));
    fc.assert(
      fc.property(dist.d, fc.integer(), (d, seed) => {
        validateDistribution(d, 'd');
        const r = new Random(seed);
        for (let i = 0; i < 20; i++) {
          const v = sample(d, r);
          expect(Number.isFinite(v) && v >= 0).toBe(true);
          if ('max' in d && d.max !== undefined) expect(v).toBeLessThanOrEqual(d.max);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('names the path of a malformed distribution', () => {
    const bad: [unknown, RegExp][] = [
      [null, /^x: must be a distribution object/],
      [{ kind: 'gamma' }, /^x\.kind: unknown distribution kind "gamma"/],
      [{ kind: 'lognormal', median: 2, p90: 1 }, /^x\.p90: must be >= the median 2/],
      [{ kind: 'lognormal', median: -1, p90: 1 }, /^x\.median: must be a finite number >= 0/],
      [{ kind: 'uniform', min: 3, max: 1 }, /^x\.max: must be >= min 3/],
      [{ kind: 'empirical', values: [] }, /^x\.values: must be a list of 1 to 100,000 numbers/],
      [{ kind: 'mixture', components: [{ weight: 0, distribution: { kind: 'constant', value: 1 } }] }, /^x\.components\[0\]\.weight: must be a positive number/],
      [{ kind: 'constant', value: 1, extra: 2 }, /^x\.extra: is not a field/],
    ];
    for (const [d, message] of bad) expect(() => validateDistribution(d, 'x')).toThrow(message);
  });
});

describe('profiles', () => {
  it('every built-in profile reads back, and the paper profiles are exactly their derivations from the logs', () => {
    expect(BUILTIN_PROFILES).toEqual(expect.arrayContaining(['paper-sintel-4k', 'paper-tears-4k']));
    for (const name of BUILTIN_PROFILES) expect(loadProfile(name).name).toBe(name);
    for (const film of [SINTEL, TEARS]) {
      expect(serializeProfile(loadProfile(film.name))).toBe(serializeProfile(paperProfile(film)));
    }
    expect(paperSintelProfile()).toEqual(paperProfile(SINTEL));
  });

  it('interpolates a phase between the levels it was measured at, the same quantile of both, and scales it beyond them', () => {
    const base: Distribution = { kind: 'constant', value: 10 };
    const at30: Distribution = { kind: 'constant', value: 7 };
    const model = { perFrameMegapixel: base, cqLevelFactor: [[10, 1], [30, 0.8], [40, 0.6]] as [number, number][], measuredAt: [{ cqLevel: 30, perFrameMegapixel: at30 }] };
    const at = (cq: number | undefined, profileCq: number | undefined = 10): number => modelAtCqLevel(model, cq, profileCq).perFrameMegapixel(new Random(1));
    expect(at(10)).toBe(10);
    expect(at(undefined)).toBe(10);
    expect(at(30)).toBe(7);
    // Between: geometric, smooth (no jump at the midpoint).
    expect(at(20)).toBeCloseTo(Math.sqrt(70), 12);
    const levels = Array.from({ length: 21 }, (_, i) => at(10 + i));
    for (let i = 1; i < levels.length; i++) {
      expect(levels[i]!).toBeLessThan(levels[i - 1]!);
      expect(levels[i - 1]! / levels[i]!).toBeLessThan(1.03);
    }
    // Beyond the measurements: the nearest, carried by the CQ factors.
    expect(at(40)).toBeCloseTo((7 * 0.6) / 0.8, 12);
    expect(at(5)).toBe(10);
    // Without measurements, the factor alone.
    expect(modelAtCqLevel({ perFrameMegapixel: base, cqLevelFactor: model.cqLevelFactor }, 30, 10).perFrameMegapixel(new Random(1))).toBeCloseTo(8, 12);
    // Quantile by quantile: a draw between two spreads lies between the two
    // measurements' values at the same probability.
    const lo: Distribution = { kind: 'quantiles', points: [[0, 1], [0.5, 2], [1, 8]] };
    const hi: Distribution = { kind: 'quantiles', points: [[0, 1], [0.5, 3], [1, 4]] };
    const m = modelAtCqLevel({ perFrameMegapixel: lo, measuredAt: [{ cqLevel: 30, perFrameMegapixel: hi }] }, 20, 10);
    for (let seed = 0; seed < 50; seed++) {
      const u = new Random(seed).uniform();
      const v = m.perFrameMegapixel(new Random(seed));
      expect(v).toBeCloseTo(Math.sqrt(quantile(lo, u) * quantile(hi, u)), 9);
    }
  });

  it('weights the first frame, by quality level too, and reads a clip\'s content at a level', () => {
    const one: Distribution = { kind: 'constant', value: 1 };
    const m = modelAtCqLevel({ perFrameMegapixel: one, firstFrameWeight: 20, firstFrameCqLevelFactor: [[10, 1], [30, 0.5]] }, 20, 10);
    expect(m.firstFrameWeight).toBeCloseTo(15, 12);
    expect(modelAtCqLevel({ perFrameMegapixel: one }, 20, 10).firstFrameWeight).toBe(1);
    const content = { framesPerValue: 6, encode: [{ cqLevel: 10, values: [1, 4] }, { cqLevel: 30, values: [1, 1] }], rebase: [2, 3] };
    expect(Array.from(contentAtCqLevel(content, 'encode', 20)!)).toEqual([1, 2]);
    expect(Array.from(contentAtCqLevel(content, 'encode', 40)!)).toEqual([1, 1]);
    expect(Array.from(contentAtCqLevel(content, 'rebase', 20)!)).toEqual([2, 3]);
    expect(contentAtCqLevel(content, undefined, 20)).toBeNull();
    expect(contentAtCqLevel(undefined, 'encode', 20)).toBeNull();
  });

  it('draws a quantiles distribution log-linearly between its points, and inverts mixtures numerically', () => {
    const d: Distribution = { kind: 'quantiles', points: [[0, 1], [0.5, 4], [0.9, 9], [1, 100]] };
    expect(quantile(d, 0)).toBe(1);
    expect(quantile(d, 0.25)).toBeCloseTo(2, 12);
    expect(quantile(d, 0.5)).toBeCloseTo(4, 12);
    expect(quantile(d, 0.95)).toBeCloseTo(30, 9);
    expect(cdf(d, 2)).toBeCloseTo(0.25, 12);
    const r = new Random(3);
    const draws = Array.from({ length: 20_000 }, () => sample(d, r)).sort((a, b) => a - b);
    expect(draws[10_000]!).toBeCloseTo(4, 0);
    expect(draws[18_000]!).toBeCloseTo(9, 0);
    const mix: Distribution = { kind: 'mixture', components: [{ weight: 3, distribution: { kind: 'uniform', min: 0, max: 1 } }, { weight: 1, distribution: { kind: 'uniform', min: 10, max: 11 } }] };
    expect(quantile(mix, 0.5)).toBeCloseTo(2 / 3, 9);
    expect(quantile(mix, 0.875)).toBeCloseTo(10.5, 9);
    expect(cdf(mix, 5)).toBeCloseTo(0.75, 12);
    const bad = (points: unknown): string => {
      try {
        validateDistribution({ kind: 'quantiles', points }, 'd');
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(bad([[0, 1], [1, 2]])).toBe('');
    expect(bad([[0, 1]])).toMatch(/d\.points: must be a list of 2 to 10,000/);
    expect(bad([[0.1, 1], [1, 2]])).toMatch(/must run from probability 0/);
    expect(bad([[0, 2], [1, 1]])).toMatch(/values must be positive and never fall/);
    expect(bad([[0, 1], [0, 2]])).toMatch(/probabilities must rise strictly/);
    expect(bad([[0, 0], [1, 2]])).toMatch(/values must be positive/);
  });

  it('refuses malformed profiles, naming the file and the field', () => {
    const good = JSON.parse(JSON.stringify(paperSintelProfile())) as Record<string, any>;
    const variant = (change: (p: Record<string, any>) => void): unknown => {
      const p = structuredClone(good);
      change(p);
      return p;
    };
    const cases: [unknown, RegExp][] = [
      [null, /^f\.json: must be an object/],
      [[1, 2], /^f\.json: must be an object/],
      ['profile', /^f\.json: must be an object/],
      [variant((p) => (p.version = 2)), /^f\.json: version: this build reads profile version 1, got 2/],
      [variant((p) => delete p.compute), /^f\.json: compute: is missing/],
      [variant((p) => (p.rendezvous.bytesPerSecond = -5)), /^f\.json: rendezvous\.bytesPerSecond: must be a number/],
      [variant((p) => (p.compute.encode.perFrameMegapixel = { kind: 'weibull' })), /compute\.encode\.perFrameMegapixel\.kind: unknown distribution kind/],
      [variant((p) => (p.video.width = 0)), /^f\.json: video\.width: must be an integer in \[1, 65536\]/],
      [variant((p) => (p.platform.concurrencyLimit = 1.5)), /platform\.concurrencyLimit: must be an integer/],
      [variant((p) => (p.failures.probabilityPerPhase = 2)), /failures\.probabilityPerPhase: must be a number in \[0, 1\]/],
      [variant((p) => (p.compute.encode.cqLevelFactor = [[99, 1]])), /compute\.encode\.cqLevelFactor\[0\]: must be \[cqLevel 0\.\.63/],
      [variant((p) => (p.compute.encode.measuredAt = [])), /compute\.encode\.measuredAt: must be a list of 1 to 64/],
      [variant((p) => (p.compute.encode.measuredAt[0].cqLevel = 64)), /compute\.encode\.measuredAt\[0\]\.cqLevel: must be an integer in \[0, 63\]/],
      [variant((p) => p.compute.encode.measuredAt.push(p.compute.encode.measuredAt[0])), /compute\.encode\.measuredAt\[1\]\.cqLevel: level 31 is measured twice/],
      [variant((p) => (p.compute.encode.measuredAt[0].perFrameMegapixel = { kind: 'lognormal', median: 1 })), /compute\.encode\.measuredAt\[0\]\.perFrameMegapixel\.p90/],
      [variant((p) => (p.surprise = 1)), /^f\.json: surprise: is not a profile field/],
      [variant((p) => (p.compute.givenState.firstFrameWeight = -1)), /compute\.givenState\.firstFrameWeight: must be a number in \[0, 1000\]/],
      [variant((p) => (p.compute.rebase.content = 'decode')), /compute\.rebase\.content: must be "encode", "rebase" or "givenState"/],
      [variant((p) => (p.compute.rebase.prepare = { kind: 'constant', value: 1 })), /compute\.rebase\.prepare: only encode-given-state has a part that runs before its state comes/],
      [variant((p) => (p.compute.givenState.prepare = { kind: 'constant', value: -1 })), /compute\.givenState\.prepare\.value/],
      [variant((p) => delete p.video.content.givenState), /compute\.givenState\.content: names the givenState content profile, but video\.content\.givenState is missing/],
      [variant((p) => (p.video.content.givenState[0] = 'x')), /video\.content\.givenState\[0\]: must be a positive number/],
      [variant((p) => delete p.video.content), /compute\.encode\.content: names a content profile, but video\.content is missing/],
      [variant((p) => (p.video.content.rebase[3] = 0)), /video\.content\.rebase\[3\]: must be a positive number/],
      [variant((p) => p.video.content.encode[1].values.pop()), /video\.content\.encode\[1\]\.values: must have as many values as the first/],
      [variant((p) => (p.platform.lateStarts.bursts[0].to = -1)), /platform\.lateStarts\.bursts\[0\]\.to: must be a number in/],
      [variant((p) => (p.platform.lateStarts.probabilityPerRun = 1.5)), /platform\.lateStarts\.probabilityPerRun: must be a number in \[0, 1\]/],
      [variant((p) => (p.workers.slow.runRates = [2])), /workers\.slow\.runRates\[0\]: must be a probability/],
      [variant((p) => (p.workers.slow.startQuantiles = [1])), /workers\.slow\.startQuantiles\[0\]: must be a probability strictly between 0 and 1/],
    ];
    for (const [json, message] of cases) {
      expect(() => parseProfile(json, 'f.json')).toThrow(SimError);
      expect(() => parseProfile(json, 'f.json')).toThrow(message);
    }
  });

  it('composes a profile: compute and sizes from one, clip, content, platform and workers from the other', () => {
    const base = paperSintelProfile();
    const mine: Profile = {
      ...paperTearsProfile(),
      name: 'mine',
      video: { width: 176, height: 144, frameRate: 30, frames: 120, cqLevel: 24 },
      platform: { ...base.platform, concurrencyLimit: 2 },
      sizes: { stateBytesPerPixel: 0.2, outputBitsPerPixel: 0.5 },
      compute: {
        encode: { perFrameMegapixel: { kind: 'constant', value: 3 } },
        decode: { perFrameMegapixel: { kind: 'constant', value: 0.1 } },
        givenState: { perFrameMegapixel: { kind: 'constant', value: 1 } },
        rebase: { perFrameMegapixel: { kind: 'constant', value: 0.5 } },
      },
      workers: { speed: { kind: 'constant', value: 1 } },
    };
    const c = composeProfiles(base, mine);
    expect(parseProfile(JSON.parse(JSON.stringify(c)), 'c')).toEqual(c);
    expect(c.name).toBe('mine on paper-sintel-4k');
    expect(c.video).toEqual({ ...base.video, cqLevel: 24 });
    expect(c.platform).toEqual(base.platform);
    expect(c.workers).toEqual(base.workers);
    expect(c.sizes).toEqual(mine.sizes);
    // The film's content applies to the encode and the rebase measured elsewhere.
    expect(c.compute.encode).toEqual({ ...mine.compute.encode, content: 'encode' });
    expect(c.compute.rebase).toEqual({ ...mine.compute.rebase, content: 'rebase' });
    expect(c.compute.decode).toEqual(mine.compute.decode);
    expect(c.notes?.composition).toMatch(/measured at 176x144 and scaled per pixel to 4096x1744/);
    expect(c.source).toMatch(/^Compute from mine/);
  });

  it('refuses unknown names, unreadable, non-JSON and oversized files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-'));
    writeFileSync(join(dir, 'broken.json'), '{"version": 1,');
    writeFileSync(join(dir, 'huge.json'), ' '.repeat(2 << 20));
    expect(() => loadProfile('no-such-profile')).toThrow(/no built-in profile "no-such-profile" \(there are: .*paper-sintel-4k/);
    expect(() => loadProfile(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read it/);
    expect(() => loadProfile(join(dir, 'broken.json'))).toThrow(/broken\.json: not JSON/);
    expect(() => loadProfile(join(dir, 'huge.json'))).toThrow(/huge\.json: 2097152 bytes is too large for a profile/);
  });
});
