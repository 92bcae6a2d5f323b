// A persistent vector: an immutable array whose `set` and `push` return a new
// vector, while every older vector keeps reading as it did.
//
// The coordinator's state holds a record per worker and per chunk, and every
// step changes one or two of them. Copying whole arrays would make a step
// cost O(workers). Instead all versions share one flat array (Baker's
// "shallow binding", as in Conchon and Filliâtre's persistent arrays): the
// newest version owns the array, and each older version is a diff — one
// slot's old value and a link to the version after it. `set` on the newest
// version writes the array in place and turns the version it came from into
// such a diff: O(1) time and one small object, and the array stays flat and
// cache-friendly however many workers there are.
//
// Reading an older version first "reroots": it walks the diffs to the owner,
// undoes them into the array and leaves the reverse diffs behind, so the old
// version owns the array and the newer ones read through it. That costs the
// number of versions between the two; the coordinator's shells only ever go
// forward, so they never pay it, and tests that keep old states still see
// them unchanged.

export class PVec<T> {
  /** The shared array while this version owns it, else null. */
  private data: T[] | null;
  /** As a diff: this version is `next` with `data[index]` = `value`. */
  private index = 0;
  private value: T | undefined = undefined;
  private next: PVec<T> | null = null;

  private constructor(
    readonly size: number,
    data: T[],
  ) {
    this.data = data;
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
    // This version becomes a diff against the new one. A slot at or beyond
    // this version's size is not part of it; its old content is kept anyway
    // so that undoing restores the array exactly.
    this.data = null;
    this.index = index;
    this.value = data[index];
    this.next = next;
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

  /** The shared array, after making this version its owner. */
  private own(): T[] {
    if (this.data !== null) return this.data;
    // The chain of diffs from this version to the owner, walked without
    // recursion (it can be as long as the number of steps taken since).
    const chain: PVec<T>[] = [];
    let v: PVec<T> = this;
    while (v.data === null) {
      chain.push(v);
      v = v.next!;
    }
    // Undo from the owner's end: each diff takes the array, and the version
    // it pointed to becomes the reverse diff.
    for (let i = chain.length - 1; i >= 0; i--) {
      const diff = chain[i]!;
      const owner = diff.next!;
      const data = owner.data!;
      const current = data[diff.index];
      data[diff.index] = diff.value as T;
      owner.data = null;
      owner.index = diff.index;
      owner.value = current;
      owner.next = diff;
      diff.data = data;
      diff.value = undefined;
      diff.next = null;
    }
    return this.data!;
  }
}
