// The simulator's event queue: a binary min-heap ordered by (time, sequence
// number). The sequence number is given at push and only grows, so events at
// the same time come out in the order they went in — the tie-break that makes
// a simulation reproducible.
//
// Times and sequence numbers live in typed arrays beside the items, so the
// comparisons that walk the heap read contiguous memory: with 100,000
// workers a heap holds as many events, and chasing a pointer per comparison
// was most of a simulation's time.

import { SimError } from './errors.js';

export interface Entry<T> {
  readonly time: number;
  readonly seq: number;
  readonly item: T;
}

export class EventQueue<T> {
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private items: (T | undefined)[] = [];
  private count = 0;
  private nextSeq = 0;

  get size(): number {
    return this.count;
  }

  /** The time of the next event, or undefined when empty. */
  peekTime(): number | undefined {
    return this.count > 0 ? this.times[0] : undefined;
  }

  /** The next entry, left in the queue. */
  peek(): Entry<T> | undefined {
    return this.count > 0 ? { time: this.times[0]!, seq: this.seqs[0]!, item: this.items[0] as T } : undefined;
  }

  /** Takes a sequence number for an event kept outside the heap, so that it orders among the heap's. */
  takeSequence(): number {
    return this.nextSeq++;
  }

  push(time: number, item: T): void {
    if (!(Number.isFinite(time) && time >= 0)) throw new SimError('internal', `an event time must be a finite number >= 0, got ${time}`);
    if (this.count === this.times.length) this.grow();
    const { times, seqs, items } = this;
    const seq = this.nextSeq++;
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < time || (pt === time && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      items[i] = items[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    items[i] = item;
  }

  pop(): Entry<T> | undefined {
    if (this.count === 0) return undefined;
    const { times, seqs, items } = this;
    const top: Entry<T> = { time: times[0]!, seq: seqs[0]!, item: items[0] as T };
    const n = --this.count;
    const lastTime = times[n]!;
    const lastSeq = seqs[n]!;
    const lastItem = items[n];
    items[n] = undefined;
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
        items[i] = items[child];
        i = child;
      }
      times[i] = lastTime;
      seqs[i] = lastSeq;
      items[i] = lastItem;
    }
    return top;
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    const seqs = new Float64Array(this.seqs.length * 2);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
  }
}
