// A seeded pseudo-random generator for the simulator: sfc32 (Chris Doty-
// Humphrey's small fast chaotic generator), seeded through splitmix32.
//
// A seed is mandatory and nothing else feeds it — no Math.random, no clock —
// so a simulation gives the same draws on any machine. All arithmetic is on
// 32-bit integers (Math.imul, >>> 0), which JavaScript engines agree on.
// `fork` derives an independent stream from a label, so that each virtual
// worker draws from its own stream and adding a worker does not shift the
// draws of the others.

/** splitmix32: spreads a 32-bit seed over the state words. */
function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) >>> 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [x, (z ^ (z >>> 16)) >>> 0];
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** The second value of the last polar normal pair, or NaN. */
  private spare = NaN;

  constructor(readonly seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`a seed must be an integer, got ${seed}`);
    let s = seed >>> 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(s);
      s = next;
      words.push(out);
    }
    [this.a, this.b, this.c, this.d] = words as [number, number, number, number];
    // Warm up: sfc32's first outputs are still close to the seed's bits.
    for (let i = 0; i < 12; i++) this.next32();
  }

  /** The next 32 random bits, as an unsigned integer. */
  next32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = (this.b ^ (this.b >>> 9)) >>> 0;
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1), with 32 bits of resolution. */
  uniform(): number {
    return this.next32() / 0x100000000;
  }

  /** Uniform in [a, b). */
  between(a: number, b: number): number {
    return a + (b - a) * this.uniform();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!(Number.isInteger(n) && n > 0 && n <= 0x100000000)) throw new RangeError(`int(n) needs an integer 1..2^32, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** A standard normal draw (Marsaglia's polar method; the pair's second value is kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        this.spare = v * f;
        return u * f;
      }
    }
  }

  /**
   * Stores the stream's position: four words at `words[at..at+3]` and the
   * kept normal at `spares[spareAt]`. With loadFrom, one Random object can
   * serve many streams whose positions live in typed arrays.
   */
  saveTo(words: Uint32Array, at: number, spares: Float64Array, spareAt: number): void {
    words[at] = this.a;
    words[at + 1] = this.b;
    words[at + 2] = this.c;
    words[at + 3] = this.d;
    spares[spareAt] = this.spare;
  }

  /** Continues the stream saveTo stored there. */
  loadFrom(words: Uint32Array, at: number, spares: Float64Array, spareAt: number): this {
    this.a = words[at]!;
    this.b = words[at + 1]!;
    this.c = words[at + 2]!;
    this.d = words[at + 3]!;
    this.spare = spares[spareAt]!;
    return this;
  }

  /** An independent stream named by `label` (a worker's number, a purpose). */
  fork(label: string | number): Random {
    // FNV-1a of the label, then mixed with this stream's seed through
    // splitmix32 (XOR-ing the seed into the hash directly would let seed and
    // label bits cancel: seed 1 with label "305" = seed 3 with label "105").
    let h = 0x811c9dc5;
    const text = String(label);
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    const mixedSeed = splitmix32(this.seed >>> 0)[1];
    return new Random(splitmix32((mixedSeed ^ h) >>> 0)[1] | 0);
  }
}
