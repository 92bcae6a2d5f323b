// A persistent vector: an immutable array whose `set` and `push` return a new
// vector, while every older vector keeps reading as it did. All versions
// share one flat array (versioned.ts); a set is O(1).

import { Versioned } from './versioned.js';

export class PVec<T> extends Versioned<T, T[]> {
  private constructor(
    readonly size: number,
    data: T[],
  ) {
    super(data);
  }

  static empty<T>(): PVec<T> {
    return new PVec<T>(0, []);
  }

  static from<T>(items: readonly T[]): PVec<T> {
    return new PVec<T>(items.length, items.slice());
  }

  get(index: number): T {
    if (!(index >= 0 && index < this.size)) throw new RangeError(`index ${index} outside a vector of ${this.size}`);
    return this.own()[index]!;
  }

  /** A vector with `value` at `index` (index == size appends). */
  set(index: number, value: T): PVec<T> {
    if (!(index >= 0 && index <= this.size)) throw new RangeError(`index ${index} outside a vector of ${this.size}`);
    const data = this.own();
    const next = new PVec<T>(index === this.size ? this.size + 1 : this.size, data);
    // A slot at or beyond this version's size is not part of it; its old
    // content is logged anyway, so that undoing restores the array exactly.
    this.retire(next, [index, data[index]!]);
    data[index] = value;
    return next;
  }

  push(value: T): PVec<T> {
    return this.set(this.size, value);
  }

  /** A copy of the items, in order. */
  toArray(): T[] {
    return this.own().slice(0, this.size);
  }
}
