// A persistent vector: an immutable array whose `set` and `push` return a new
// vector that shares all but one path with the old one.
//
// The coordinator's state holds a record per worker and per chunk, and every
// step changes one or two of them. Copying whole arrays would make a step
// cost O(workers), and a job of 100,000 workers take O(workers^2); with a
// 32-way trie a step copies at most log32(n) nodes of 32 entries (four
// levels reach a million), while old states stay valid and unchanged.

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

type Node = unknown[];

export class PVec<T> {
  private constructor(
    readonly size: number,
    /** Bits to shift an index by at the root: 0 when the root is a leaf. */
    private readonly shift: number,
    private readonly root: Node,
  ) {}

  static empty<T>(): PVec<T> {
    return new PVec<T>(0, 0, []);
  }

  static from<T>(items: readonly T[]): PVec<T> {
    let level: Node[] = [];
    for (let i = 0; i < items.length; i += WIDTH) level.push(items.slice(i, i + WIDTH));
    if (level.length === 0) return PVec.empty();
    let shift = 0;
    while (level.length > 1) {
      const up: Node[] = [];
      for (let i = 0; i < level.length; i += WIDTH) up.push(level.slice(i, i + WIDTH));
      level = up;
      shift += BITS;
    }
    return new PVec<T>(items.length, shift, level[0]!);
  }

  get(index: number): T {
    if (!(index >= 0 && index < this.size)) throw new RangeError(`index ${index} outside a vector of ${this.size}`);
    let node = this.root;
    for (let level = this.shift; level > 0; level -= BITS) node = node[(index >>> level) & MASK] as Node;
    return node[index & MASK] as T;
  }

  /** A vector with `value` at `index` (index == size appends). */
  set(index: number, value: T): PVec<T> {
    if (!(index >= 0 && index <= this.size)) throw new RangeError(`index ${index} outside a vector of ${this.size}`);
    const size = index === this.size ? this.size + 1 : this.size;
    // Full trie: a new root above the old one.
    if (index === this.size && index > 0 && index >>> this.shift >= WIDTH) {
      const root = [this.root, path(this.shift, index, value)];
      return new PVec<T>(size, this.shift + BITS, root);
    }
    return new PVec<T>(size, this.shift, assoc(this.root, this.shift, index, value));
  }

  push(value: T): PVec<T> {
    return this.set(this.size, value);
  }

  /** A copy of the items, in order. */
  toArray(): T[] {
    const out: T[] = new Array<T>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.get(i);
    return out;
  }
}

/** `node` (at `shift`) with `value` at `index`, copying one node per level. */
function assoc(node: Node, shift: number, index: number, value: unknown): Node {
  const copy = node.slice();
  const slot = (index >>> shift) & MASK;
  if (shift === 0) copy[slot] = value;
  else {
    const child = copy[slot] as Node | undefined;
    copy[slot] = child === undefined ? path(shift - BITS, index, value) : assoc(child, shift - BITS, index, value);
  }
  return copy;
}

/** A fresh branch from `shift` down to the leaf holding `value`. */
function path(shift: number, index: number, value: unknown): Node {
  // Appends fill leaves in order, so a fresh leaf starts at slot 0.
  if (shift === 0) return [value];
  const node: Node = [];
  node[(index >>> shift) & MASK] = path(shift - BITS, index, value);
  return node;
}
