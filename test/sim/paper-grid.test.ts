// The paper's grid (paper-grid.ts): every configuration the ExCamera
// authors logged for Sintel and Tears of Steel, simulated with the film's
// profile — derived from the logs of ExCamera[6,16] and [6,1] alone — and
// compared with the latency they computed from their logs. The predictions
// are pinned (a change to the model or the simulator shows here), and so is
// how close they come: docs/simulator.md discusses the misses.

import { describe, expect, it } from 'vitest';
import { loggedLatencies, loggedSpread, paperLatency } from '../../src/sim/paper-grid.js';
import { loadProfile } from '../../src/sim/profile.js';

/** [n, x, cq-level, predicted latency in seconds], as `npm run paper-grid -- --film F` prints them. */
const PINNED: Record<'sintel' | 'tears', [number, number, number, number][]> = {
  sintel: [[6, 1, 30, 28.3], [6, 1, 32, 27.9], [6, 2, 20, 62.3], [6, 2, 22, 60.9], [6, 4, 14, 91.0], [6, 4, 16, 89.5], [6, 8, 12, 107.3], [6, 8, 14, 106.1], [6, 16, 10, 132.9], [6, 16, 12, 132.3], [12, 1, 26, 53.0], [12, 2, 14, 91.7], [12, 2, 16, 88.2], [12, 4, 12, 133.0], [12, 4, 14, 130.8], [12, 8, 10, 164.6], [12, 8, 12, 162.6], [12, 16, 10, 222.1], [12, 16, 12, 221.2], [24, 1, 22, 106.4], [24, 1, 24, 101.7], [24, 2, 14, 160.2], [24, 2, 16, 155.7], [24, 4, 12, 207.8], [24, 4, 14, 201.6]],
  tears: [[6, 1, 30, 28.5], [6, 1, 32, 28.0], [6, 2, 24, 52.0], [6, 2, 26, 50.5], [6, 4, 18, 71.9], [6, 4, 20, 69.7], [6, 8, 16, 89.3], [6, 8, 18, 88.4], [6, 16, 16, 126.3], [6, 16, 18, 125.3], [12, 1, 26, 54.6], [12, 1, 28, 52.4], [12, 2, 20, 88.4], [12, 2, 22, 84.3], [12, 4, 16, 119.6], [12, 4, 18, 117.5], [12, 8, 16, 154.2], [12, 16, 14, 227.3], [12, 16, 16, 227.3], [24, 1, 26, 100.7], [24, 1, 28, 96.6], [24, 2, 20, 158.0], [24, 2, 22, 150.4], [24, 4, 16, 214.5], [24, 4, 18, 210.3]],
};

/** The 14 Sintel configurations: ExCamera[6,1] and [6,16] (whose per-phase logs the profile comes from) and five others. */
const SINTEL_14 = ['6,16,10', '6,16,12', '6,1,30', '6,1,32', '6,2,20', '6,2,22', '6,4,14', '6,4,16', '6,8,12', '6,8,14', '12,16,10', '12,16,12', '24,1,22', '24,1,24'];

describe('the paper\'s grid, predicted from per-phase measurements of two configurations', () => {
  for (const film of ['sintel', 'tears'] as const) {
    it(`${film}: every logged configuration, predictions pinned`, () => {
      const profile = loadProfile(`paper-${film}-4k`);
      const logged = loggedLatencies(film);
      expect(logged.map((l) => [l.n, l.x, l.cqLevel])).toEqual(PINNED[film].map(([n, x, cq]) => [n, x, cq]));
      const errors = new Map<string, number>();
      for (const [n, x, cq, pinned] of PINNED[film]) {
        const p = paperLatency(profile, film, n, x, cq);
        expect(p.latency, `[${n},${x}] cq-level ${cq}`).toBeCloseTo(pinned, 1);
        errors.set(`${n},${x},${cq}`, p.latency / logged.find((l) => l.n === n && l.x === x && l.cqLevel === cq)!.latency - 1);
      }
      const within = (keys: string[], bound: number): number => keys.filter((k) => Math.abs(errors.get(k)!) <= bound).length;
      const all = [...errors.keys()];
      const sixFrames = all.filter((k) => k.startsWith('6,'));
      if (film === 'sintel') {
        // The 14: 10 within 10%, 13 within 20%, the last ([24,1] at
        // cq-level 22, whose logged runs had a burst of very late starts) at -20.2%.
        expect(within(SINTEL_14, 0.1)).toBe(10);
        expect(within(SINTEL_14, 0.2)).toBe(13);
        expect(within(SINTEL_14, 0.21)).toBe(14);
        expect(within(all, 0.1)).toBe(14);
        expect(within(all, 0.25)).toBe(all.length);
      } else {
        // 6-frame chunks within 15%; 24-frame chunks come out 15-23% short.
        expect(within(sixFrames, 0.15)).toBe(sixFrames.length);
        expect(within(all, 0.15)).toBe(17);
        expect(within(all, 0.25)).toBe(all.length);
      }
    }, 300_000);
  }

  it('knows how far each logged figure moves by chance: the runs behind it reproduce it, drawn again they spread', () => {
    const S14 = new Set(SINTEL_14);
    for (const film of ['sintel', 'tears'] as const) {
      const logged = loggedLatencies(film);
      for (const l of logged) {
        // The slowest part's median run is the figure the authors computed.
        const medians = l.partRuns!.map((runs) => {
          const v = [...runs].sort((a, b) => a - b);
          return v.length % 2 === 1 ? v[v.length >> 1]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
        });
        expect(Math.max(...medians), `${film} [${l.n},${l.x}] cq-level ${l.cqLevel}`).toBeCloseTo(l.latency, 1);
      }
      const spreads = logged.filter((l) => film === 'tears' || S14.has(`${l.n},${l.x},${l.cqLevel}`)).map((l) => loggedSpread(l, logged)!);
      const expected = (bound: 'within10' | 'within15'): number => spreads.reduce((a, s) => a + s[bound], 0);
      const all = (bound: 'within10' | 'within15'): number => spreads.reduce((a, s) => a * s[bound], 1);
      if (film === 'sintel') {
        // A model exact in expectation would put ~10.9 of the 14 within 10%
        // of the logged figures (this model: 10), all 14 about 2% of the time.
        expect(expected('within10')).toBeCloseTo(10.91, 1);
        expect(all('within10')).toBeCloseTo(0.022, 2);
      } else {
        // And the whole Tears grid within 15% about 30% of the time (this model: 17 of 25).
        expect(expected('within15')).toBeCloseTo(24.02, 1);
        expect(all('within15')).toBeCloseTo(0.296, 2);
      }
    }
    // Drawn again, [6,16] at cq-level 10 moves between 135 and 167 s (p10-p90); the logged 141.3 is one draw.
    const sintel = loggedLatencies('sintel');
    const s = loggedSpread(sintel.find((l) => l.n === 6 && l.x === 16 && l.cqLevel === 10)!, sintel)!;
    expect([s.p10, s.p90].map((v) => Math.round(v))).toEqual([135, 167]);
    // Without the runs there is no spread to give.
    expect(loggedSpread({ n: 6, x: 1, cqLevel: 30, latency: 1 }, [])).toBeNull();
  });
});
