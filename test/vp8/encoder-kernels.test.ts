// The encoder's kernels against plain reference implementations written
// straight from their definitions: the fast versions must agree exactly.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROB_COST, tokenCostsFor, treeCost } from '../../src/vp8/encoder/costs.js';
import { forwardDct } from '../../src/vp8/encoder/fdct.js';
import { MAX_LEVEL, quantizeBlock, quantizeDcOnly } from '../../src/vp8/encoder/quantize.js';
import { satd, satd4x4 } from '../../src/vp8/encoder/satd.js';
import { Candidate } from '../../src/vp8/encoder/workspace.js';
import { DEFAULT_PROBS } from '../../src/vp8/state.js';
import {
  BMODE_TREE, KF_YMODE_TREE, MV_REF_TREE, SEGMENT_TREE, SMALL_MV_TREE, SPLIT_MV_TREE, SUBMV_REF_TREE, UV_MODE_TREE, YMODE_TREE, ZIGZAG,
} from '../../src/vp8/tables.js';
import { blockTypeOffset, codeBlockTokens, type TokenSink, U_BLOCK, U_COEFFS, Y2_BLOCK, Y2_COEFFS } from '../../src/vp8/tokens.js';

/** The 4-point Walsh-Hadamard transform as a matrix product. */
const HADAMARD = [
  [1, 1, 1, 1],
  [1, 1, -1, -1],
  [1, -1, -1, 1],
  [1, -1, 1, -1],
];

/** SATD by its definition: half the sum of |H·D·Hᵀ| for the difference block D. */
function referenceSatd4x4(src: Int16Array, so: number, ss: number, pred: Uint8Array, po: number, ps: number): number {
  let sum = 0;
  for (let u = 0; u < 4; u++) {
    for (let v = 0; v < 4; v++) {
      let t = 0;
      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 4; c++) t += HADAMARD[u][r] * HADAMARD[v][c] * (src[so + r * ss + c] - pred[po + r * ps + c]);
      }
      sum += Math.abs(t);
    }
  }
  return sum >> 1;
}

describe('satd', () => {
  it('equals half the sum of magnitudes of the Hadamard transform of the difference', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16 * 16, maxLength: 16 * 16 }),
        fc.uint8Array({ minLength: 20 * 16, maxLength: 20 * 16 }),
        (s, p) => {
          const src = Int16Array.from(s);
          const pred = Uint8Array.from(p);
          for (let b = 0; b < 16; b++) {
            const so = (b >> 2) * 64 + (b & 3) * 4;
            const po = (b >> 2) * 80 + (b & 3) * 4 + 1;
            expect(satd4x4(src, so, 16, pred, po, 20)).toBe(referenceSatd4x4(src, so, 16, pred, po, 20));
          }
          let whole = 0;
          for (let b = 0; b < 16; b++) whole += referenceSatd4x4(src, (b >> 2) * 64 + (b & 3) * 4, 16, pred, (b >> 2) * 80 + (b & 3) * 4, 20);
          expect(satd(src, 0, 16, pred, 0, 20, 16, 16)).toBe(whole);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is half the SAD for a constant difference and 0 for none', () => {
    const src = new Int16Array(16).fill(100);
    expect(satd4x4(src, 0, 4, new Uint8Array(16).fill(93), 0, 4)).toBe(8 * 7);
    expect(satd4x4(src, 0, 4, new Uint8Array(16).fill(107), 0, 4)).toBe(8 * 7);
    expect(satd4x4(src, 0, 4, new Uint8Array(16).fill(100), 0, 4)).toBe(0);
  });
});

/** Quantization by its definition: the level of c is sign(c)·min(MAX_LEVEL, floor((|c| + round) / q)). */
function referenceQuantize(coeffs: Int16Array, first: number, dcQ: number, acQ: number, dcRound: number, acRound: number): { levels: number[]; dq: number[]; eob: number } {
  const levels: number[] = [];
  const dq: number[] = [];
  let eob = 0;
  for (let pos = 0; pos < 16; pos++) {
    const q = pos === 0 ? dcQ : acQ;
    const round = pos === 0 ? dcRound : acRound;
    const c = coeffs[pos];
    const level = pos === 0 && first > 0 ? 0 : Math.min(MAX_LEVEL, Math.floor((Math.abs(c) + round) / q));
    levels.push(c < 0 ? -level : level);
    dq.push(c < 0 ? -level * q : level * q);
  }
  for (let n = first; n < 16; n++) if (levels[ZIGZAG[n]] !== 0) eob = n + 1;
  return { levels: levels.map((v) => v + 0), dq: dq.map((v) => v + 0), eob };
}

describe('quantizeBlock', () => {
  it('quantizes every coefficient as the definition says and returns the eob in zigzag order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -32768, max: 32767 })), { minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: 4, max: 314 }),
        fc.integer({ min: 4, max: 284 }),
        (values, first, dcQ, acQ) => {
          const coeffs = new Int16Array(values);
          const levels = new Int16Array(16).fill(99);
          const dq = new Int16Array(16).fill(99);
          const dcRound = Math.floor(dcQ * 0.45);
          const acRound = Math.floor(acQ * 0.35);
          const eob = quantizeBlock(coeffs, 0, first, dcQ, acQ, dcRound, acRound, levels, 0, dq, 0);
          const want = referenceQuantize(coeffs, first, dcQ, acQ, dcRound, acRound);
          expect(eob).toBe(want.eob);
          expect(Array.from(levels)).toEqual(want.levels);
          // Dequantized values are the decoder's 16-bit products.
          expect(Array.from(dq)).toEqual(Array.from(Int16Array.from(want.dq)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('gives only a DC level to a block without AC coefficients', () => {
    fc.assert(
      fc.property(fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 4, max: 314 }), (dc, first, dcQ) => {
        const coeffs = new Int16Array(16);
        coeffs[0] = dc;
        const levels = new Int16Array(16).fill(99);
        const dq = new Int16Array(16).fill(99);
        const dcRound = Math.floor(dcQ * 0.45);
        const eob = quantizeDcOnly(coeffs, 0, first, dcQ, dcRound, levels, 0, dq, 0);
        const want = referenceQuantize(coeffs, first, dcQ, 4, dcRound, 1);
        expect(eob).toBe(want.eob);
        expect(Array.from(levels)).toEqual(want.levels);
        expect(Array.from(dq)).toEqual(Array.from(Int16Array.from(want.dq)));
      }),
      { numRuns: 500 },
    );
  });
});

/** The forward DCT written as two loops over a 4x4 array, each pass with its constants and rounding spelled out. */
function referenceForwardDct(residue: number[]): number[] {
  const rows: number[] = [];
  for (let r = 0; r < 4; r++) {
    const x = residue.slice(4 * r, 4 * r + 4);
    const a = (x[0] + x[3]) * 8, b = (x[1] + x[2]) * 8, c = (x[1] - x[2]) * 8, d = (x[0] - x[3]) * 8;
    rows.push(a + b, (c * 2217 + d * 5352 + 14500) >> 12, a - b, (d * 2217 - c * 5352 + 7500) >> 12);
  }
  const out = new Array<number>(16);
  for (let col = 0; col < 4; col++) {
    const y = [rows[col], rows[4 + col], rows[8 + col], rows[12 + col]];
    const a = y[0] + y[3], b = y[1] + y[2], c = y[1] - y[2], d = y[0] - y[3];
    out[col] = (a + b + 7) >> 4;
    out[4 + col] = ((c * 2217 + d * 5352 + 12000) >> 16) + (d !== 0 ? 1 : 0);
    out[8 + col] = (a - b + 7) >> 4;
    out[12 + col] = (d * 2217 - c * 5352 + 51000) >> 16;
  }
  return out;
}

describe('forwardDct', () => {
  it('agrees with the two-pass definition on any residue', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -255, max: 255 })), { minLength: 16, maxLength: 16 }), (residue) => {
        // The block sits inside a wider buffer (stride 8) and is written at an offset.
        const src = new Int16Array(40);
        for (let i = 0; i < 16; i++) src[3 + (i >> 2) * 8 + (i & 3)] = residue[i];
        const out = new Int16Array(20);
        forwardDct(src, 3, 8, out, 2);
        expect(Array.from(out.subarray(2, 18))).toEqual(referenceForwardDct(residue));
      }),
      { numRuns: 2000 },
    );
  });
});

/** What codeBlockTokens would cost, bool by bool. */
function referenceTokenCost(probs: Uint8Array, typeOff: number, ctx: number, first: number, levels: Int16Array, eob: number): number {
  let cost = 0;
  const sink: TokenSink = {
    node(probIndex, bit) {
      cost += PROB_COST[bit ? 256 - probs[probIndex] : probs[probIndex]];
    },
    fixed(prob, bit) {
      cost += PROB_COST[bit ? 256 - prob : prob];
    },
  };
  codeBlockTokens(sink, typeOff, ctx, first, levels, 0, eob);
  return cost;
}

describe('TokenCosts', () => {
  it('prices a block, and its tail from any position, as codeBlockTokens codes it', () => {
    // Random probabilities too, so that no two nodes share a cost by chance.
    const tables = [DEFAULT_PROBS.coeff, Uint8Array.from(DEFAULT_PROBS.coeff, (_, i) => 1 + ((i * 97) % 255))];
    const level = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: -2, max: 2 }), fc.integer({ min: -MAX_LEVEL, max: MAX_LEVEL }));
    fc.assert(
      fc.property(fc.array(level, { minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 }), (zigzag, type, ctx, table) => {
        const probs = tables[table];
        const first = type === 0 ? 1 : 0;
        const typeOff = blockTypeOffset(type === 0 ? 0 : type === 1 ? 24 : type === 2 ? 16 : 0, type === 0);
        const levels = new Int16Array(16);
        for (let n = first; n < 16; n++) levels[ZIGZAG[n]] = zigzag[n];
        let eob = 0;
        for (let n = first; n < 16; n++) if (levels[ZIGZAG[n]] !== 0) eob = n + 1;
        const costs = tokenCostsFor(probs);
        const whole = referenceTokenCost(probs, typeOff, ctx, first, levels, eob);
        expect(costs.block(typeOff, ctx, first, levels, 0, eob)).toBe(whole);
        // from(start) is the whole cost less that of the tokens before start,
        // which a block ending at start (a level there) shares with it.
        for (let start = first + 1; start < Math.max(eob, first + 1); start++) {
          const head = levels.slice();
          for (let n = start; n < 16; n++) head[ZIGZAG[n]] = 0;
          head[ZIGZAG[start]] = 1;
          const headCost = referenceTokenCost(probs, typeOff, ctx, first, head, start + 1);
          const tailOfHead = costs.from(typeOff, ctx, first, head, 0, start, start + 1);
          expect(costs.from(typeOff, ctx, first, levels, 0, start, eob)).toBe(whole - (headCost - tailOfHead));
        }
      }),
      { numRuns: 1000 },
    );
  });
});

/** Every leaf of a tree (section 8.1) with the cost of the bools leading to it. */
function referenceLeafCosts(tree: Int8Array, probs: Uint8Array, offset: number): Map<number, number> {
  const costs = new Map<number, number>();
  const visit = (node: number, cost: number): void => {
    for (let bit = 0; bit < 2; bit++) {
      const p = probs[offset + (node >> 1)];
      const c = cost + PROB_COST[bit ? 256 - p : p];
      const next = tree[node + bit];
      if (next <= 0) costs.set(-next, c);
      else visit(next, c);
    }
  };
  visit(0, 0);
  return costs;
}

describe('treeCost', () => {
  it('is the cost of the bools on the path to the value, for every tree and leaf', () => {
    const trees = [KF_YMODE_TREE, YMODE_TREE, UV_MODE_TREE, BMODE_TREE, SEGMENT_TREE, MV_REF_TREE, SPLIT_MV_TREE, SUBMV_REF_TREE, SMALL_MV_TREE];
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 40, maxLength: 40 }), fc.integer({ min: 0, max: 20 }), (raw, offset) => {
        const probs = Uint8Array.from(raw, (p) => 1 + (p % 255));
        for (const tree of trees) {
          for (const [value, cost] of referenceLeafCosts(tree, probs, offset)) {
            expect(treeCost(tree, probs, offset, value)).toBe(cost);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('Candidate', () => {
  it('copies the luma part (Y and Y2) or the chroma part of another candidate and leaves the rest', () => {
    const from = new Candidate();
    for (let i = 0; i < from.levels.length; i++) {
      from.levels[i] = i + 1;
      from.dq[i] = -(i + 1);
    }
    for (let b = 0; b < from.eobs.length; b++) from.eobs[b] = b + 1;
    const luma = new Candidate();
    luma.copyLumaFrom(from);
    const chroma = new Candidate();
    chroma.copyChromaFrom(from);
    for (let i = 0; i < from.levels.length; i++) {
      const isChroma = i >= U_COEFFS && i < Y2_COEFFS;
      expect([luma.levels[i], luma.dq[i]]).toEqual(isChroma ? [0, 0] : [i + 1, -(i + 1)]);
      expect([chroma.levels[i], chroma.dq[i]]).toEqual(isChroma ? [i + 1, -(i + 1)] : [0, 0]);
    }
    for (let b = 0; b < from.eobs.length; b++) {
      const isChroma = b >= U_BLOCK && b < Y2_BLOCK;
      expect(luma.eobs[b]).toBe(isChroma ? 0 : b + 1);
      expect(chroma.eobs[b]).toBe(isChroma ? b + 1 : 0);
    }
  });
});
