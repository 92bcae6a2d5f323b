// The benchmarks' small helpers (bench/stats.ts): medians of odd and even
// counts, ratios that refuse unknown or non-positive denominators, the
// formats of figures, list options that reject junk, the rotation that
// alternates contenders run by run, and the text table's alignment.

import { describe, expect, it } from 'vitest';
import { fixed, integerList, median, percent, positiveInteger, ratio, rotate, table, times } from '../../bench/stats.js';

describe('bench helpers', () => {
  it('takes the median of odd and even counts without reordering the input', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('gives a ratio only for known values and a positive denominator', () => {
    expect(ratio(1, 4)).toBe(0.25);
    expect(ratio(null, 4)).toBeNull();
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(1, undefined)).toBeNull();
    expect(ratio(Number.NaN, 2)).toBeNull();
  });

  it('formats figures, with n/a for unknown ones', () => {
    expect(fixed(1.26)).toBe('1.3');
    expect(fixed(null)).toBe('n/a');
    expect(times(0.1234)).toBe('0.123x');
    expect(percent(3)).toBe('+3.0%');
    expect(percent(-2.25, 2)).toBe('-2.25%');
    expect(percent(null)).toBe('n/a');
  });

  it('parses list and count options strictly', () => {
    expect(integerList('8,16, 24', 'quantizers')).toEqual([8, 16, 24]);
    expect(() => integerList('8,x', 'quantizers')).toThrow(/--quantizers/);
    expect(() => integerList('', 'speeds')).toThrow();
    expect(positiveInteger(undefined, 'runs', 5)).toBe(5);
    expect(positiveInteger('3', 'runs', 5)).toBe(3);
    expect(() => positiveInteger('0', 'runs', 5)).toThrow(/--runs/);
    expect(() => positiveInteger('2.5', 'runs', 5)).toThrow();
  });

  it('rotates the contenders so that each run starts with the next one', () => {
    expect(rotate(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotate(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotate(['a', 'b', 'c'], 4)).toEqual(['b', 'c', 'a']);
    expect(rotate([], 3)).toEqual([]);
  });

  it('aligns a table: leading columns left, figures right', () => {
    expect(table([['name', 'fps'], ['vpxdec', '546.4'], ['ours', '81.3']])).toBe('name      fps\nvpxdec  546.4\nours     81.3');
    expect(table([['a', 'b', 'n'], ['xx', 'y', '1']], 2)).toBe('a   b  n\nxx  y  1');
  });
});
