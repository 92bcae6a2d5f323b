// A persistent table of numbers: rows of `stride` fields (integers, times)
// in one flat Float64Array, where every edit makes a new version and older
// versions keep reading as they did.
//
// The coordinator keeps a row per worker and per chunk. As objects, a record
// replaced at each change outlives the young generation once a job has more
// workers than a garbage collection's worth of events touches, and then every
// collection copies it. Here the rows are plain numbers in one array that all
// versions share (versioned.ts): an edit writes it in place and logs each
// overwritten value, and on commit the version it started from becomes a
// diff made of that log.
//
// One edit is open at a time, and only on the newest version: the
// coordinator opens one per step and commits it at the end.

import { Versioned } from './versioned.js';

export class PTable extends Versioned<number, Float64Array> {
  private constructor(
    readonly stride: number,
    /** Rows in this version. */
    readonly size: number,
    data: Float64Array,
    /** Versions before this one that share its array (see TableEdit.commit). */
    readonly lineage: number,
    /** Shared by the versions on one array: rows at or beyond `highWater` belong to none of them. */
    readonly shared: { highWater: number },
  ) {
    super(data);
  }

  /** A table of `rows` rows, each a copy of `row`. */
  static filled(row: readonly number[], rows: number): PTable {
    const stride = row.length;
    const data = new Float64Array(Math.max(rows, 16) * stride);
    for (let r = 0; r < rows; r++) data.set(row, r * stride);
    return new PTable(stride, rows, data, 0, { highWater: rows });
  }

  get(row: number, field: number): number {
    if (!(row >= 0 && row < this.size)) throw new RangeError(`row ${row} outside a table of ${this.size}`);
    return this.own()[row * this.stride + field]!;
  }

  /** An edit of this version: writes in place, until `commit` makes them a new version. */
  edit(): TableEdit {
    return new TableEdit(this, this.own());
  }

  /** Called by TableEdit.commit: the new version, owning `data`; `undo` makes it this one. */
  succeed(size: number, data: Float64Array, lineage: number, undo: number[] | null): PTable {
    const next = new PTable(this.stride, size, data, lineage, lineage === 0 ? { highWater: size } : this.shared);
    if (undo !== null) this.retire(next, undo);
    return next;
  }
}

/** A table being changed: reads see the changes, the version it came from is untouched until commit. */
export class TableEdit {
  private readonly undo: number[] = [];
  private size: number;
  private open = true;
  /** The array as the edit found it (a grown copy replaces `data`, not this). */
  private readonly original: Float64Array;

  constructor(
    private readonly base: PTable,
    private data: Float64Array,
  ) {
    this.size = base.size;
    this.original = data;
  }

  get rows(): number {
    return this.size;
  }

  get(row: number, field: number): number {
    return this.data[row * this.base.stride + field]!;
  }

  set(row: number, field: number, value: number): void {
    const i = row * this.base.stride + field;
    const old = this.data[i]!;
    if (Object.is(old, value)) return;
    this.undo.push(i, old);
    this.data[i] = value;
  }

  /** Appends a row; returns its number. */
  push(row: readonly number[]): number {
    const stride = this.base.stride;
    const r = this.size;
    if ((r + 1) * stride > this.data.length) this.data = grownTo(this.data, this.data.length * 2);
    // Rows beyond every version on this array need no undo; a row another
    // version has (one this edit's version branched away from) does.
    const shared = this.base.shared;
    if (r < shared.highWater) for (let f = 0; f < stride; f++) this.set(r, f, row[f]!);
    else {
      this.data.set(row, r * stride);
      shared.highWater = r + 1;
    }
    this.size++;
    return r;
  }

  /** The new version (or the old one if nothing changed); the edit is closed. */
  commit(): PTable {
    if (!this.open) throw new Error('a table edit can be committed once');
    this.open = false;
    if (this.undo.length === 0 && this.size === this.base.size && this.data === this.original) return this.base;
    // Every so often the new version starts a lineage of its own on a copy
    // of the array, and the old one keeps the original as it was. A retired
    // version links to its successor; once a garbage collection has moved a
    // version to the old generation, that link keeps every later version
    // alive in each young collection, even when nobody holds any of them.
    // A fresh lineage bounds that chain. Its length grows with the table, so
    // the copy costs at most a few fields per commit.
    if (this.base.lineage >= Math.max(MIN_LINEAGE, this.data.length / COPY_FIELDS_PER_COMMIT)) {
      const fresh = this.data === this.original ? this.data.slice(0, this.size * this.base.stride) : this.data;
      this.rollback();
      return this.base.succeed(this.size, fresh.length >= 16 * this.base.stride ? fresh : grownTo(fresh, 16 * this.base.stride), 0, null);
    }
    return this.base.succeed(this.size, this.data, this.base.lineage + 1, this.undo);
  }

  /** Puts the array back as it was (an edit abandoned by an exception, or one whose result was copied). */
  rollback(): void {
    this.open = false;
    // Writes made after a grow never reached `original`; undoing them there rewrites the same values.
    for (let k = this.undo.length - 2; k >= 0; k -= 2) this.original[this.undo[k]!] = this.undo[k + 1]!;
    this.undo.length = 0;
  }

  /** Abandons the edit. */
  abandon(): void {
    if (!this.open) return;
    this.open = false;
    this.rollback();
  }
}

/** Commits a lineage may hold before the next starts on a copy (see TableEdit.commit). */
const MIN_LINEAGE = 1024;
const COPY_FIELDS_PER_COMMIT = 64;

function grownTo(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
