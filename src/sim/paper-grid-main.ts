// `npm run paper-grid [-- --film sintel|tears] [--json]`: the paper's grid of
// ExCamera[n, x] configurations, simulated with the film's profile the way
// the authors ran them (paper-grid.ts), beside the latencies computed from
// their logs: a markdown table, or JSON.

import { type GridPrediction, type LoggedSpread, loggedLatencies, loggedSpread, paperLatency } from './paper-grid.js';
import { loadProfile } from './profile.js';

const USAGE = 'usage: npm run paper-grid [-- --film sintel|tears] [--json]';

function main(argv: readonly string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const f = argv.indexOf('--film');
  const film = f >= 0 ? argv[f + 1] : 'sintel';
  const known = new Set(['--film', '--json', film]);
  if ((film !== 'sintel' && film !== 'tears') || argv.some((a) => !known.has(a))) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const json = argv.includes('--json');
  const profile = loadProfile(`paper-${film}-4k`);
  const rows: (GridPrediction & { logged: number; error: number; loggedSpread: LoggedSpread | null })[] = [];
  const logged = loggedLatencies(film);
  for (const [i, l] of logged.entries()) {
    if (process.stderr.isTTY) process.stderr.write(`\r[${l.n},${l.x}] cq-level ${l.cqLevel} (${i + 1}/${logged.length})   `);
    const p = paperLatency(profile, film, l.n, l.x, l.cqLevel);
    rows.push({ ...p, logged: l.latency, error: p.latency / l.latency - 1, loggedSpread: loggedSpread(l, logged) });
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  if (json) {
    process.stdout.write(`${JSON.stringify({ film, profile: profile.name, rows }, null, 1)}\n`);
    return 0;
  }
  const pct = (e: number): string => `${e >= 0 ? '+' : '−'}${Math.abs(Math.round(e * 100))}%`;
  const spread = (s: LoggedSpread | null): string => (s === null ? '' : `${s.p10.toFixed(1)}-${s.p90.toFixed(1)}`);
  const lines = [
    '| [n,x] | cq-level | logged (s) | predicted (s) | error | logged, runs drawn again (p10-p90) |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| [${r.n},${r.x}] | ${r.cqLevel} | ${r.logged.toFixed(1)} | ${r.latency.toFixed(1)} | ${pct(r.error)} | ${spread(r.loggedSpread)} |`),
  ];
  const within = (bound: number): number => rows.filter((r) => Math.abs(r.error) <= bound).length;
  lines.push('', `${rows.length} configurations: ${within(0.1)} within 10%, ${within(0.15)} within 15%, ${within(0.2)} within 20%; largest error ${pct(rows.reduce((m, r) => (Math.abs(r.error) > Math.abs(m) ? r.error : m), 0))}.`);
  const spreads = rows.flatMap((r) => (r.loggedSpread === null ? [] : [r.loggedSpread]));
  if (spreads.length === rows.length) {
    const chance = (p: number): string => (p < 0.001 ? '< 0.001' : p.toFixed(3));
    const say = (bound: '10' | '15'): string => {
      const p = spreads.map((s) => (bound === '10' ? s.within10 : s.within15));
      return `${p.reduce((a, b) => a + b, 0).toFixed(1)} within ${bound}% (all ${rows.length} with probability ${chance(p.reduce((a, b) => a * b, 1))})`;
    };
    lines.push(`The logged figures are one draw each (each part's runs drawn again from those logged at the configuration's levels): a model exact in expectation would put ${say('10')}, ${say('15')}.`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
