// RFC 6386 section 7 seen from the encoder: what coding a bool costs.
//
// A bool whose probability of being 0 is p/256 costs -log2(p/256) bits when it
// is 0 and -log2(1 - p/256) bits when it is 1 (section 7.1). Costs here are in
// 1/256 bit so that they stay integers; `bits()` converts. Everything the
// encoder estimates (tokens, modes, motion vectors) is built from these.

import { COEFF_BANDS, NUM_ENTROPY_NODES, ZIGZAG } from '../tables.js';
import { codeBlockTokens, type TokenSink } from '../tokens.js';
import { MAX_LEVEL } from './quantize.js';

/** Cost in 1/256 bit of a bool that has probability p/256 (p = 1..255) of being what it is. */
export const PROB_COST: Uint16Array = (() => {
  const t = new Uint16Array(257);
  t[0] = 255 * 8; // never used for a coded value; a safe upper bound
  for (let p = 1; p <= 256; p++) t[p] = Math.round(-Math.log2(p / 256) * 256);
  return t;
})();

/** Cost of coding `bit` with probability `prob` (of a 0). */
export function boolCost(prob: number, bit: number): number {
  return PROB_COST[bit ? 256 - prob : prob];
}

/**
 * Calls `f(node, bit)` for each bool on the path from the root of `tree` to
 * the leaf `value` (section 8.1); `node >> 1` is the probability's index.
 */
export function forEachTreeBranch(tree: Int8Array, value: number, f: (node: number, bit: number) => void): void {
  let node = 0;
  for (;;) {
    const bit = subtreeContains(tree, tree[node + 1], value) ? 1 : 0;
    f(node, bit);
    const next = tree[node + bit];
    if (next <= 0) return;
    node = next;
  }
}

function subtreeContains(tree: Int8Array, entry: number, value: number): boolean {
  if (entry <= 0) return -entry === value;
  return subtreeContains(tree, tree[entry], value) || subtreeContains(tree, tree[entry + 1], value);
}

/** Cost of a tree-coded value: the bools on the path from the root (section 8.1). */
export function treeCost(tree: Int8Array, probs: Uint8Array, offset: number, value: number): number {
  const path = treePath(tree, value);
  let cost = 0;
  for (let i = 0; i < path.length; i += 2) cost += boolCost(probs[offset + path[i]], path[i + 1]);
  return cost;
}

/** Per tree, the path to each value found so far: (probability index, bit) pairs. */
const treePaths = new WeakMap<Int8Array, Int8Array[]>();

/** The path from the root of `tree` to `value`, found once (the search is recursive) and then reused. */
function treePath(tree: Int8Array, value: number): Int8Array {
  let paths = treePaths.get(tree);
  if (paths === undefined) {
    paths = [];
    treePaths.set(tree, paths);
  }
  let path = paths[value];
  if (path === undefined) {
    const pairs: number[] = [];
    forEachTreeBranch(tree, value, (node, bit) => pairs.push(node >> 1, bit));
    path = Int8Array.from(pairs);
    paths[value] = path;
  }
  return path;
}

/** Cost in 1/256 bit → bits. */
export function bits(cost: number): number {
  return cost / 256;
}

/**
 * What the tokens of a block cost under one coefficient probability table
 * (section 13), from a table built once per probability table: for each of
 * the 96 (block type, band, context) rows, the cost of each of the 11 tokens'
 * tree paths, of an end-of-block and of its negation; and for each level
 * magnitude, the cost of its extra bits and sign, which do not depend on the
 * probabilities. `block` adds up exactly what codeBlockTokens would send
 * through a sink summing PROB_COST, without a call per bool.
 */
export class TokenCosts {
  constructor(readonly table: Int32Array) {}

  /** The cost of the tokens codeBlockTokens(sink, typeOff, ctx, first, levels, off, eob) codes. */
  block(typeOff: number, ctx: number, first: number, levels: Int16Array, off: number, eob: number): number {
    return this.from(typeOff, ctx, first, levels, off, first, eob);
  }

  /**
   * The part of block()'s cost from position `start` (first..15) on: what
   * codeBlockTokens codes there, its context taken from the level before
   * `start` (or `ctx` at `first`). Two codings of a block that agree before
   * `start` differ in cost by the difference of their costs from `start`.
   */
  from(typeOff: number, ctx: number, first: number, levels: Int16Array, off: number, start: number, eob: number): number {
    const t = this.table;
    const typeRow = typeOff / NUM_ENTROPY_NODES;
    const tokenOf = TOKEN_OF;
    const extraCost = EXTRA_COST;
    let n = start;
    let cost = 0;
    let row: number;
    if (n === first) {
      row = (typeRow + BAND_ROW[n] + ctx) * ROW;
    } else {
      row = (typeRow + BAND_ROW[n] + contextOf(levels[off + ZIGZAG[n - 1]])) * ROW;
    }
    // The end-of-block node, unless a zero came before (then none may follow).
    if (n === first || levels[off + ZIGZAG[n - 1]] !== 0) {
      if (eob === 0 || n === eob) return t[row + EOB];
      cost = t[row + MORE];
    }
    for (;;) {
      const v = levels[off + ZIGZAG[n]];
      if (v === 0) {
        cost += t[row]; // DCT_0; no end-of-block may follow
        n++;
        if (n === 16) return cost;
        row = (typeRow + BAND_ROW[n]) * ROW;
        continue;
      }
      // The magnitude without a branch: signs are a coin toss to the branch predictor.
      const sign = v >> 31;
      const mag = (v ^ sign) - sign;
      let token = tokenOf[mag];
      if (token === UNREAD) token = readLevel(mag);
      cost += t[row + token] + extraCost[mag];
      n++;
      if (n === 16) return cost;
      row = (typeRow + BAND_ROW[n] + (mag === 1 ? 1 : 2)) * ROW;
      if (n === eob) return cost + t[row + EOB];
      cost += t[row + MORE];
    }
  }
}

/** The token context a level gives the position after it (section 13.3): 0 for 0, 1 for ±1, else 2. */
function contextOf(level: number): number {
  return level === 0 ? 0 : level === 1 || level === -1 ? 1 : 2;
}

/** Entries per row of a TokenCosts table: the 11 tokens, then end-of-block and its negation. */
const ROW = 16;
const EOB = 11;
const MORE = 12;
/** Rows of the table: 4 block types × 8 bands × 3 contexts. */
const ROWS = 96;
/** The row offset of each position's band (3 contexts per band). */
const BAND_ROW: Uint8Array = Uint8Array.from(COEFF_BANDS, (b) => 3 * b);

/**
 * The token syntax read back from codeBlockTokens itself, so that the
 * tables keep no second copy of the token tree: each token's path (the
 * probability nodes after the end-of-block node, as offsets, and the bits),
 * and per magnitude its token and the cost of its extra bits and sign.
 */
let TOKEN_PATHS: { readonly nodes: readonly number[]; readonly bits: readonly number[] }[] = [];
let TOKEN_OF = new Uint8Array(0);
let EXTRA_COST = new Int32Array(0);

class PathRecorder implements TokenSink {
  readonly nodes: number[] = [];
  readonly bits: number[] = [];
  /** The bits taken, as a number with a leading 1 (a path through a tree is known by its bits). */
  key = 1;
  fixedCost = 0;
  node(probIndex: number, bit: number): void {
    // Only the nodes of the first position's token (offsets 1..10 of row 0).
    if (probIndex >= 1 && probIndex < NUM_ENTROPY_NODES) {
      this.nodes.push(probIndex);
      this.bits.push(bit);
      this.key = 2 * this.key + bit;
    }
  }
  fixed(prob: number, bit: number): void {
    this.fixedCost += PROB_COST[bit ? 256 - prob : prob];
  }
}

/** TOKEN_OF's mark of a magnitude not read yet. */
const UNREAD = 255;
const syntaxLevels = new Int16Array(16);
const tokenKeys: number[] = [];

/** Records what codeBlockTokens codes for a block of one level `mag` (or, for 0, a zero then a one). */
function recordLevel(mag: number): PathRecorder {
  const levels = syntaxLevels;
  levels.fill(0);
  if (mag === 0) levels[ZIGZAG[1]] = 1;
  else levels[0] = mag;
  const r = new PathRecorder();
  codeBlockTokens(r, 0, 0, 0, levels, 0, mag === 0 ? 2 : 1);
  return r;
}

/** Reads the token and extra-bit cost of magnitude `mag` (1..MAX_LEVEL) from the token coder; returns the token. */
function readLevel(mag: number): number {
  const r = recordLevel(mag);
  let token = tokenKeys.indexOf(r.key);
  if (token < 0) {
    token = tokenKeys.length;
    tokenKeys.push(r.key);
    TOKEN_PATHS.push({ nodes: r.nodes, bits: r.bits });
  }
  TOKEN_OF[mag] = token;
  EXTRA_COST[mag] = r.fixedCost;
  return token;
}

/**
 * Reads every token's path: DCT_0's, then the magnitudes from 1 up to the
 * first that takes the largest one's path (each token codes a range of
 * magnitudes, in order). Larger magnitudes are read when first costed.
 */
function readTokenSyntax(): void {
  const zero = recordLevel(0);
  TOKEN_PATHS.push({ nodes: zero.nodes, bits: zero.bits });
  tokenKeys.push(zero.key);
  TOKEN_OF = new Uint8Array(MAX_LEVEL + 1).fill(UNREAD);
  EXTRA_COST = new Int32Array(MAX_LEVEL + 1);
  const lastKey = recordLevel(MAX_LEVEL).key;
  for (let mag = 1; mag <= MAX_LEVEL; mag++) {
    if (tokenKeys[readLevel(mag)] === lastKey) break;
  }
}

/** TokenCosts by coefficient probability table (a pure function of it; states share unchanged tables). */
const tokenCostsCache = new WeakMap<Uint8Array, TokenCosts>();

/** The token costs under the coefficient probabilities `probs` (COEFF_PROBS_SIZE entries). */
export function tokenCostsFor(probs: Uint8Array): TokenCosts {
  const cached = tokenCostsCache.get(probs);
  if (cached) return cached;
  if (TOKEN_PATHS.length === 0) readTokenSyntax();
  const table = new Int32Array(ROWS * ROW);
  for (let row = 0; row < ROWS; row++) {
    const p = row * NUM_ENTROPY_NODES;
    for (let token = 0; token < TOKEN_PATHS.length; token++) {
      const { nodes, bits } = TOKEN_PATHS[token];
      let cost = 0;
      for (let i = 0; i < nodes.length; i++) cost += boolCost(probs[p + nodes[i]], bits[i]);
      table[row * ROW + token] = cost;
    }
    table[row * ROW + EOB] = boolCost(probs[p], 0);
    table[row * ROW + MORE] = boolCost(probs[p], 1);
  }
  const costs = new TokenCosts(table);
  tokenCostsCache.set(probs, costs);
  return costs;
}

/**
 * A SyntaxCoder that codes nothing and adds up what the values passed to it
 * would cost: running a syntax function (modes.ts, header.ts) against it
 * prices exactly what that function would write.
 */
export class CostCoder {
  cost = 0;
  flag(value: boolean): boolean {
    this.cost += 256;
    return value;
  }
  literal(bits: number, value: number): number {
    this.cost += 256 * bits;
    return value;
  }
  bool(prob: number, value: number): number {
    this.cost += PROB_COST[value ? 256 - prob : prob];
    return value;
  }
  tree(tree: Int8Array, probs: Uint8Array, offset: number, value: number): number {
    this.cost += treeCost(tree, probs, offset, value);
    return value;
  }
}

/**
 * A SyntaxCoder that counts how often each probability codes a 0 and a 1.
 * Run a syntax function against it with a probability table whose entries
 * are their own index plus one (`INDEX_PROBS`): the "probability" a bool
 * arrives with is then the index to count it under.
 */
export class BranchCounter {
  constructor(readonly counts: Uint32Array) {}
  flag(value: boolean): boolean {
    return value;
  }
  literal(_bits: number, value: number): number {
    return value;
  }
  bool(indexPlusOne: number, value: number): number {
    this.counts[2 * (indexPlusOne - 1) + value]++;
    return value;
  }
  tree(tree: Int8Array, _probs: Uint8Array, offset: number, value: number): number {
    // The path found once per value (treePath), not searched again per call.
    const path = treePath(tree, value);
    for (let i = 0; i < path.length; i += 2) this.counts[2 * (offset + path[i]) + path[i + 1]]++;
    return value;
  }
}

/** A "probability" table whose entry i is i + 1, for BranchCounter. */
export const INDEX_PROBS: Uint8Array = Uint8Array.from({ length: 255 }, (_, i) => i + 1);
