// The simulator's event queues, ordered by (time, sequence number). The
// sequence number is given at push and only grows, so events at the same
// time come out in the order they went in — the tie-break that makes a
// simulation reproducible.
//
// An event here is an integer (the engine keeps what it means in a pool of
// typed arrays), and times, sequence numbers and items all live in typed
// arrays: with 100,000 workers as many events are pending at once, and an
// object per pending event would outlive the young generation and make
// every garbage collection copy it.

import { SimError } from './errors.js';

/** Sequence numbers shared by every queue of one simulation, so that events order across them. */
export class Sequence {
  private next = 0;

  take(): number {
    return this.next++;
  }
}

/** A binary min-heap of integer items by (time, sequence number). */
export class EventQueue {
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private items = new Int32Array(1024);
  private count = 0;

  constructor(private readonly sequence = new Sequence()) {}

  get size(): number {
    return this.count;
  }

  /** The time of the next event (Infinity when empty). */
  peekTime(): number {
    return this.count > 0 ? this.times[0]! : Infinity;
  }

  /** The sequence number of the next event (Infinity when empty). */
  peekSeq(): number {
    return this.count > 0 ? this.seqs[0]! : Infinity;
  }

  push(time: number, item: number): void {
    if (!(Number.isFinite(time) && time >= 0)) throw new SimError('internal', `an event time must be a finite number >= 0, got ${time}`);
    if (this.count === this.times.length) this.grow();
    const { times, seqs, items } = this;
    const seq = this.sequence.take();
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < time || (pt === time && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    items[i] = item;
  }

  /** Takes the next event's item (its time was peekTime()); -1 when empty. */
  pop(): number {
    if (this.count === 0) return -1;
    const { times, seqs, items } = this;
    const top = items[0]!;
    const n = --this.count;
    const lastTime = times[n]!;
    const lastSeq = seqs[n]!;
    const lastItem = items[n]!;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && (times[r]! < times[l]! || (times[r] === times[l] && seqs[r]! < seqs[l]!)) ? r : l;
        const ct = times[child]!;
        if (ct > lastTime || (ct === lastTime && seqs[child]! > lastSeq)) break;
        times[i] = ct;
        seqs[i] = seqs[child]!;
        items[i] = items[child]!;
        i = child;
      }
      times[i] = lastTime;
      seqs[i] = lastSeq;
      items[i] = lastItem;
    }
    return top;
  }

  private grow(): void {
    const n = this.times.length * 2;
    this.times = grown(this.times, n);
    this.seqs = grown(this.seqs, n);
    this.items = grown(this.items, n);
  }
}

/**
 * A first-in first-out queue for events pushed in time order (those at one
 * fixed delay from now): O(1) a push and a pop, in the same (time, sequence)
 * order as the heap.
 */
export class FifoLane {
  private times = new Float64Array(256);
  private seqs = new Float64Array(256);
  private items = new Int32Array(256);
  private head = 0;
  private tail = 0;

  constructor(private readonly sequence: Sequence) {}

  get size(): number {
    return this.tail - this.head;
  }

  peekTime(): number {
    return this.head < this.tail ? this.times[this.head]! : Infinity;
  }

  peekSeq(): number {
    return this.head < this.tail ? this.seqs[this.head]! : Infinity;
  }

  push(time: number, item: number): void {
    if (this.tail > this.head && time < this.times[this.tail - 1]!) throw new SimError('internal', `a lane takes events in time order, got ${time} after ${this.times[this.tail - 1]}`);
    if (this.tail === this.times.length) this.makeRoom();
    this.times[this.tail] = time;
    this.seqs[this.tail] = this.sequence.take();
    this.items[this.tail++] = item;
  }

  pop(): number {
    return this.head < this.tail ? this.items[this.head++]! : -1;
  }

  /** Drops the consumed prefix, or doubles the arrays when more than half is in use. */
  private makeRoom(): void {
    const live = this.tail - this.head;
    const n = live * 2 > this.times.length ? this.times.length * 2 : this.times.length;
    const times = new Float64Array(n);
    const seqs = new Float64Array(n);
    const items = new Int32Array(n);
    times.set(this.times.subarray(this.head, this.tail));
    seqs.set(this.seqs.subarray(this.head, this.tail));
    items.set(this.items.subarray(this.head, this.tail));
    this.times = times;
    this.seqs = seqs;
    this.items = items;
    this.head = 0;
    this.tail = live;
  }
}

/**
 * What pending events are, for queues of integers: four integers per event —
 * its kind (4 bits, the engine's numbering) and a phase or state code,
 * worker, life or timer, chunk. Slots are reused once released.
 */
export class EventPool {
  private fields = new Int32Array(4 * 1024);
  private free = new Int32Array(1024);
  private freeCount = 0;
  private used = 0;

  add(kind: number, aux: number, worker: number, lifeOrTimer: number, chunk: number): number {
    let id: number;
    if (this.freeCount > 0) id = this.free[--this.freeCount]!;
    else {
      id = this.used++;
      if (4 * id >= this.fields.length) this.fields = grown(this.fields, this.fields.length * 2);
    }
    const f = this.fields;
    f[4 * id] = kind | (aux << 4);
    f[4 * id + 1] = worker;
    f[4 * id + 2] = lifeOrTimer;
    f[4 * id + 3] = chunk;
    return id;
  }

  kind(id: number): number {
    return this.fields[4 * id]! & 15;
  }
  aux(id: number): number {
    return this.fields[4 * id]! >> 4;
  }
  worker(id: number): number {
    return this.fields[4 * id + 1]!;
  }
  life(id: number): number {
    return this.fields[4 * id + 2]!;
  }
  chunk(id: number): number {
    return this.fields[4 * id + 3]!;
  }

  release(id: number): void {
    if (this.freeCount === this.free.length) this.free = grown(this.free, this.free.length * 2);
    this.free[this.freeCount++] = id;
  }
}

/** A copy of `a` in a typed array of `n` elements. */
export function grown<A extends Float64Array | Int32Array | Uint32Array | Uint8Array>(a: A, n: number): A {
  const b = new (a.constructor as new (n: number) => A)(n);
  b.set(a);
  return b;
}
