// Progress bars for long work, on stderr and only when stderr is a terminal,
// so that logs and pipes stay clean.

import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

const silent: Progress = { update: () => undefined, stop: () => undefined };

/** A progress bar for `total` steps labelled `label`; silent when not on a terminal or `quiet`. */
export function progressBar(label: string, total: number, quiet = false): Progress {
  if (quiet || !process.stderr.isTTY || total <= 0) return silent;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (done) => bar.update(done),
    stop: () => bar.stop(),
  };
}

export interface PhaseProgress {
  /** One more step of `phase` done. */
  tick(phase: string): void;
  stop(): void;
}

/** One progress bar per phase (e.g. encode, rebase), each with its own total; silent off a terminal. */
export function phaseBars(totals: Readonly<Record<string, number>>, quiet = false): PhaseProgress {
  if (quiet || !process.stderr.isTTY) return { tick: () => undefined, stop: () => undefined };
  const width = Math.max(...Object.keys(totals).map((k) => k.length));
  const multi = new cliProgress.MultiBar(
    { format: '{phase} [{bar}] {value}/{total}', stream: process.stderr, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map(Object.entries(totals).filter(([, t]) => t > 0).map(([p, t]) => [p, multi.create(t, 0, { phase: p.padEnd(width) })]));
  return {
    tick: (phase) => bars.get(phase)?.increment(),
    stop: () => multi.stop(),
  };
}
