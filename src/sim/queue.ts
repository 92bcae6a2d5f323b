// The simulator's event queue: a binary min-heap ordered by (time, sequence
// number). The sequence number is given at push and only grows, so events at
// the same time come out in the order they went in — the tie-break that makes
// a simulation reproducible.

import { SimError } from './errors.js';

export interface Entry<T> {
  readonly time: number;
  readonly seq: number;
  readonly item: T;
}

export class EventQueue<T> {
  private readonly heap: Entry<T>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** The time of the next event, or undefined when empty. */
  peekTime(): number | undefined {
    return this.heap[0]?.time;
  }

  push(time: number, item: T): void {
    if (!(Number.isFinite(time) && time >= 0)) throw new SimError('internal', `an event time must be a finite number >= 0, got ${time}`);
    const heap = this.heap;
    const entry: Entry<T> = { time, seq: this.nextSeq++, item };
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  pop(): Entry<T> | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && before(heap[r]!, heap[l]!) ? r : l;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
