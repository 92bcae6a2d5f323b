// Reading the ExCamera authors' published per-worker logs (paper-logs.ts),
// on logs written here in their format.

import { describe, expect, it } from 'vitest';
import { SimError } from '../../src/sim/errors.js';
import { figuresOf, logFigures, parseTransitionLog } from '../../src/sim/paper-logs.js';

/** A worker's line: its chunk and (seconds, state) pairs, as the logs print them. */
const line = (chunk: number, ...t: [number, string][]): string => `${chunk}:[${t.map(([at, s]) => `(${at}, '${s}')`).join(', ')}]`;
const S = (name: string): string => `XCEnc${name}State`;

// One run of a batch of two chunks: chunk 0 encodes (vpxenc 6 s) and dumps
// its state by 11 s; chunk 1 encodes (5 s), starts encode-given-state at 12 s
// with that state there, and takes 8 s. Chunk 2 heads its own batch.
const RUN_A = [
  line(0, [1, S('Settings')], [2.5, S('Loop')], [2.5, S('PreRun')], [2.6, S('Run')], [8.6, S('Dump')], [11, S('Loop')], [11, S('Finish')], [11.2, S('Quit')], [11.2, 'FinalState']),
  line(1, [1.5, S('Settings')], [3, S('Loop')], [3, S('PreRun')], [3, S('Run')], [8, S('Dump')], [10, S('Loop')], [10, S('PreRun')], [12, S('Run')], [20, S('Loop')], [20, S('Finish')], [20.3, S('Quit')], [20.3, 'FinalState']),
  line(2, [3.5, S('Settings')], [5, S('Loop')], [5, S('PreRun')], [5, S('Run')], [12, S('Finish')], [12.2, S('Quit')], [12.2, 'FinalState']),
].join('\n');
// Another run: chunk 1's given-state starts before chunk 0's state is there,
// so it waits inside the command and is not counted.
const RUN_B = [
  line(0, [1, S('Settings')], [2, S('Run')], [9, S('Dump')], [12, S('Finish')], [12.1, 'FinalState']),
  line(1, [2, S('Settings')], [3, S('Run')], [7, S('Dump')], [9, S('Run')], [25, S('Finish')], [25.2, 'FinalState']),
].join('\n');

describe('paper logs', () => {
  it('reads a run and computes the figures the profile takes: connections, vpxenc, encode-given-state with its state there', () => {
    const a = parseTransitionLog(`${RUN_A}\n`, 'a.log');
    expect(a.map((w) => w.chunk)).toEqual([0, 1, 2]);
    expect(a[1]!.transitions[7]).toEqual({ at: 12, state: 'XCEncRunState' });
    const f = logFigures([a, parseTransitionLog(RUN_B, 'b.log')]);
    expect(f.runs).toBe(2);
    expect(f.connect).toEqual({ count: 5, median: 1.5, p90: 3.5, min: 1, max: 3.5 });
    // vpxenc: 6, 5 and 7 s in run A, 7 and 4 s in run B.
    expect(f.encode).toEqual({ count: 5, median: 6, p90: 7, min: 4, max: 7 });
    expect(f.givenStateAvailable).toEqual({ count: 1, median: 8, p90: 8, min: 8, max: 8 });
    expect(f.lastConnect).toEqual([3.5, 2]);
    expect(f.latency).toEqual([20.3, 25.2]);
  });

  it('takes quantiles at index floor(q n) of the sorted values', () => {
    expect(figuresOf([5, 1, 4, 2, 3, 6, 7, 8, 9, 10])).toEqual({ count: 10, median: 6, p90: 10, min: 1, max: 10 });
    expect(figuresOf([]).count).toBe(0);
  });

  it('refuses what is not such a log, naming the file and line', () => {
    const cases: [string, RegExp][] = [
      ['', /x\.log: no workers in the log/],
      ['0:[(1.0, \'A\')]\nhello', /x\.log:2: not a "<chunk>:\[/],
      ['0:[(1.0, \'A\'), (oops)]', /x\.log:1: cannot read a transition at column/],
      ['0:[(2.0, \'A\'), (1.0, \'B\')]', /x\.log:1: time 1 comes before/],
      ['0:[]', /x\.log:1: no transitions/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseTransitionLog(text, 'x.log')).toThrow(SimError);
      expect(() => parseTransitionLog(text, 'x.log')).toThrow(message);
    }
  });
});
