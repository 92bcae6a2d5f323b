// Log lines under floods: a listener logs each connection it drops, but a
// flood of them must not become a flood of lines.

/**
 * One log line per drop, at most `burst` in each window; the drops past that
 * are counted by kind and summed up in one line when the window ends (or at
 * `flush`). A flood of 2,000 connections writes a dozen lines, not 2,000.
 */
export class DropLog {
  private windowStart = -Infinity;
  private lines = 0;
  private readonly unlogged = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: (line: string) => void,
    private readonly name: string,
    private readonly burst: number,
    private readonly windowMs: number,
  ) {}

  drop(kind: string, line: string): void {
    const now = performance.now();
    if (now - this.windowStart >= this.windowMs && this.timer === null) {
      this.windowStart = now;
      this.lines = 0;
    }
    if (this.lines < this.burst) {
      this.lines++;
      this.log(line);
      return;
    }
    this.unlogged.set(kind, (this.unlogged.get(kind) ?? 0) + 1);
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), Math.max(0, this.windowStart + this.windowMs - now));
      this.timer.unref();
    }
  }

  /** Writes the summary line of the drops not logged one by one, if any. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.unlogged.size === 0) return;
    const total = [...this.unlogged.values()].reduce((a, b) => a + b, 0);
    const kinds = [...this.unlogged].map(([k, n]) => `${n} ${k}`).join(', ');
    this.unlogged.clear();
    this.log(`${this.name}: dropped ${total} more connection(s) without a line each (${kinds})`);
    // A new window starts with the next drop.
    this.windowStart = -Infinity;
  }
}
