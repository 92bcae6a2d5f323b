// Reading libvpx's own timing (bench/process.ts): vpxenc switches units on
// long runs, and a benchmark must not stop there.

import { describe, expect, it } from 'vitest';
import { vpxencLoopSeconds } from '../../bench/process.js';

describe('vpxenc timing', () => {
  it('reads microseconds, milliseconds past 10 s, and frames a minute, from the last progress line', () => {
    const progress = 'Pass 1/1 frame   30/31    4096B 1000 us (30.00 fps)\rPass 1/1 frame   60/61    8192B 2345678 us (25.58 fps)';
    expect(vpxencLoopSeconds(progress)).toBeCloseTo(2.345678, 9);
    expect(vpxencLoopSeconds('Pass 1/1 frame   12/12  90000B   10030 ms (1.20 fps)\n')).toBeCloseTo(10.03, 9);
    expect(vpxencLoopSeconds('Pass 1/1 frame    2/2   90000B  150000 ms (48.00 fpm)\n')).toBe(150);
  });

  it('refuses output with no timing instead of inventing one', () => {
    expect(() => vpxencLoopSeconds('Warning: Bad quantizer values.')).toThrow(/could not read vpxenc's timing/);
  });
});
