// The SVG line chart (report/svg.ts): every point is drawn inside the plot
// area, in x order; a log x axis spaces decades evenly; degenerate data (one
// point, a flat series) still gives finite coordinates; dashed series and
// the legend follow the series; text is escaped; colours cycle.

import { describe, expect, it } from 'vitest';
import { lineChart, type Series } from '../../src/report/svg.js';

const OPTIONS = { title: 'Latency', xLabel: 'workers', yLabel: 'seconds' };
// The plot area for the default 720x460 chart (margins 70, 190, 40, 55).
const AREA = { left: 70, right: 720 - 190, top: 40, bottom: 460 - 55 };

/** The circles of the chart, in drawing order: [cx, cy, colour]. */
const circles = (svg: string): [number, number, string][] =>
  [...svg.matchAll(/<circle cx="([^"]+)" cy="([^"]+)" r="3" fill="([^"]+)"\/>/g)].map((m) => [Number(m[1]), Number(m[2]), m[3]!]);

describe('lineChart', () => {
  it('draws every point inside the plot area, each series in x order, with larger y higher', () => {
    const series: Series[] = [
      { name: 'measured', points: [{ x: 30, y: 12 }, { x: 10, y: 40 }, { x: 20, y: 25 }] },
      { name: 'predicted', points: [{ x: 10, y: 38 }, { x: 30, y: 10 }], dashed: true },
    ];
    const svg = lineChart(series, OPTIONS);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="720" height="460"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const c = circles(svg);
    expect(c).toHaveLength(5);
    for (const [x, y] of c) {
      expect(x).toBeGreaterThanOrEqual(AREA.left);
      expect(x).toBeLessThanOrEqual(AREA.right);
      expect(y).toBeGreaterThanOrEqual(AREA.top);
      expect(y).toBeLessThanOrEqual(AREA.bottom);
    }
    const measured = c.slice(0, 3);
    expect(measured.map(([x]) => x)).toEqual([...measured.map(([x]) => x)].sort((a, b) => a - b));
    expect(measured[0]![0]).toBe(AREA.left); // the smallest x on the left edge
    expect(measured[2]![0]).toBe(AREA.right); // the largest on the right edge
    expect(measured[0]![1]).toBeLessThan(measured[1]![1]); // y 40 above y 25
    expect(measured[1]![1]).toBeLessThan(measured[2]![1]);
    // The dashed series is dashed, in its line and its legend; the other is not.
    const paths = [...svg.matchAll(/<path d="([^"]+)"[^>]*?(stroke-dasharray="6 4")?\/>/g)];
    expect(paths.map((p) => p[2] !== undefined)).toEqual([false, true]);
    expect(paths[0]![1]).toMatch(/^M[\d.]+,[\d.]+ L[\d.]+,[\d.]+ L[\d.]+,[\d.]+$/);
    expect(svg.match(/<line [^>]*stroke-width="2" stroke-dasharray="6 4"\/>/g)).toHaveLength(1);
    expect(svg).toContain('>measured</text>');
    expect(svg).toContain('>predicted</text>');
  });

  it('on a log x axis, equal ratios are equal distances, and the ticks are powers of the data\'s scale', () => {
    const svg = lineChart([{ name: 'bitrate', points: [10, 100, 1000].map((x) => ({ x, y: x / 10 })) }], { ...OPTIONS, logX: true });
    const [a, b, c] = circles(svg).map(([x]) => x);
    expect(b! - a!).toBeCloseTo(c! - b!, 1);
    const xTickLabels = [...svg.matchAll(/<text x="[^"]+" y="(\d+)" text-anchor="middle">([^<]+)<\/text>/g)]
      .filter((m) => Number(m[1]) === AREA.bottom + 18)
      .map((m) => Number(m[2]));
    expect(xTickLabels).toContain(10);
    expect(xTickLabels).toContain(100);
    expect(xTickLabels).toContain(1000);
  });

  it('gives finite coordinates for a single point and for a flat series', () => {
    for (const points of [[{ x: 5, y: 5 }], [{ x: 1, y: 3 }, { x: 2, y: 3 }, { x: 3, y: 3 }]]) {
      const svg = lineChart([{ name: 'one', points }], OPTIONS);
      expect(svg).not.toMatch(/NaN|Infinity/);
      for (const [x, y] of circles(svg)) {
        expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
        expect(y).toBeGreaterThan(AREA.top);
        expect(y).toBeLessThan(AREA.bottom);
      }
    }
  });

  it('escapes its text, sizes itself as asked, and cycles through ten colours', () => {
    const series = Array.from({ length: 11 }, (_, i) => ({ name: `s${i} <&>`, points: [{ x: 0, y: i }, { x: 1, y: i + 1 }] }));
    const svg = lineChart(series, { title: 'a < b & c > d', xLabel: 'x<', yLabel: 'y&', width: 900, height: 500 });
    expect(svg).toContain('width="900" height="500"');
    expect(svg).toContain('>a &lt; b &amp; c &gt; d</text>');
    expect(svg).toContain('>s3 &lt;&amp;&gt;</text>');
    for (const [, text] of svg.matchAll(/<text[^>]*>(.*?)<\/text>/g)) expect(text).toMatch(/^([^<>&]|&(lt|gt|amp);)*$/);
    const colours = circles(svg).filter((_, i) => i % 2 === 0).map(([, , colour]) => colour);
    expect(new Set(colours.slice(0, 10)).size).toBe(10);
    expect(colours[10]).toBe(colours[0]);
  });
});
