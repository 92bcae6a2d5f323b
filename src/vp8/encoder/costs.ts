// RFC 6386 section 7 seen from the encoder: what coding a bool costs.
//
// A bool whose probability of being 0 is p/256 costs -log2(p/256) bits when it
// is 0 and -log2(1 - p/256) bits when it is 1 (section 7.1). Costs here are in
// 1/256 bit so that they stay integers; `bits()` converts. Everything the
// encoder estimates (tokens, modes, motion vectors) is built from these.

import type { TokenSink } from '../tokens.js';

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
  let cost = 0;
  forEachTreeBranch(tree, value, (node, bit) => {
    cost += boolCost(probs[offset + (node >> 1)], bit);
  });
  return cost;
}

/** Cost in 1/256 bit → bits. */
export function bits(cost: number): number {
  return cost / 256;
}

/** A TokenSink that adds up what the tokens would cost with the given coefficient probabilities. */
export class TokenCost implements TokenSink {
  cost = 0;
  probs: Uint8Array;
  constructor(probs: Uint8Array) {
    this.probs = probs;
  }
  node(probIndex: number, bit: number): void {
    const p = this.probs[probIndex];
    this.cost += PROB_COST[bit ? 256 - p : p];
  }
  fixed(prob: number, bit: number): void {
    this.cost += PROB_COST[bit ? 256 - prob : prob];
  }
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
    forEachTreeBranch(tree, value, (node, bit) => {
      this.counts[2 * (offset + (node >> 1)) + bit]++;
    });
    return value;
  }
}

/** A "probability" table whose entry i is i + 1, for BranchCounter. */
export const INDEX_PROBS: Uint8Array = Uint8Array.from({ length: 255 }, (_, i) => i + 1);
