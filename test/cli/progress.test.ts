// Progress bars: drawn on stderr only when stderr is a terminal and the
// command is not quiet (logs and pipes stay clean), one bar per phase with its
// own total, and a phase with nothing to do gets no bar.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { phaseBars, progressBar } from '../../src/cli/progress.js';

let written = '';
let wasTTY: boolean | undefined;

/** Makes process.stderr look like a terminal (or not) and records what is written to it. */
function stderrAs(tty: boolean): void {
  Object.defineProperty(process.stderr, 'isTTY', { value: tty, configurable: true, writable: true });
}

beforeEach(() => {
  written = '';
  wasTTY = process.stderr.isTTY;
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  stderrAs(wasTTY === true);
});

/** What a terminal would show: escape sequences removed. */
const visible = (s: string): string => s.replace(/\x1B\[[0-9;?]*[A-Za-z]|\x1B[78]/g, '');

describe('progressBar', () => {
  it('writes nothing off a terminal, when quiet, or with nothing to do', () => {
    for (const [tty, quiet, total] of [[false, false, 10], [true, true, 10], [true, false, 0]] as const) {
      stderrAs(tty);
      const bar = progressBar('encode', total, quiet);
      bar.update(3);
      bar.stop();
    }
    expect(written).toBe('');
  });

  it('on a terminal, draws the label, the count and the percentage as work is done', () => {
    stderrAs(true);
    const bar = progressBar('encode', 10);
    expect(visible(written)).toMatch(/^encode \[░+\] 0% \| 0\/10 \|/);
    bar.update(5);
    bar.stop();
    // The bar is redrawn in place: the last drawing is what the terminal shows.
    const last = `encode [${visible(written).split('encode [').at(-1)!}`;
    expect(last).toMatch(/^encode \[█+░+\] 50% \| 5\/10 \|/);
    expect((last.match(/█/g) ?? []).length).toBe((last.match(/░/g) ?? []).length);
  });
});

describe('phaseBars', () => {
  it('writes nothing off a terminal or when quiet, and ticks of any phase are harmless', () => {
    for (const [tty, quiet] of [[false, false], [true, true]] as const) {
      stderrAs(tty);
      const bars = phaseBars({ encode: 3 }, quiet);
      bars.tick('encode');
      bars.tick('no such phase');
      bars.stop();
    }
    expect(written).toBe('');
  });

  it('on a terminal, one bar per phase with work, labels aligned, each counting its own ticks', () => {
    stderrAs(true);
    const bars = phaseBars({ encode: 4, rebase: 0, 'encode-given-state': 2 });
    bars.tick('encode');
    bars.tick('encode');
    bars.tick('encode-given-state');
    bars.tick('rebase'); // no bar: nothing to do in that phase
    bars.stop();
    const screen = visible(written);
    const lastOf = (phase: string): string => screen.split('\n').filter((l) => l.startsWith(phase)).at(-1)!;
    expect(lastOf('encode ')).toMatch(/^encode {13}\[[█░]+\] 2\/4$/);
    expect(lastOf('encode-given-state')).toMatch(/^encode-given-state \[[█░]+\] 1\/2$/);
    expect(screen).not.toContain('rebase');
  });
});
