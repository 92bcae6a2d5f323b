#!/usr/bin/env node
// `npm run coverage [-- vitest options]`: runs the test suite once with V8
// coverage, then prints line and branch coverage per layer and per file
// (least covered first), and writes them to coverage/coverage-summary.json.
//
// Much of the code runs outside the test processes — the tests run the built
// CLI, worker processes and the Lambda handler as child processes — so the
// coverage comes from two collections, merged:
//  - in process: vitest's v8 provider, for the src/*.ts the test files import;
//  - child processes: NODE_V8_COVERAGE, which every Node.js process the tests
//    start inherits, makes each write the V8 coverage of what it ran (the
//    built dist/src/*.js) when it exits; dist's source maps map it back to
//    src/*.ts.
// The same source statement, compiled once by vitest and once by tsc, can
// map to slightly different positions; the child's counts are added to the
// in-process record's statements, functions and branches matched by start
// position, then by line. A process killed by a signal writes nothing: its
// coverage is missing, never invented.
//
// Options of its own (the rest go to vitest): --layers-only prints only the
// per-layer table (the per-file table is written to coverage/files.txt);
// --from-run DIR runs no tests but reports on a run made already, as CI does:
//   NODE_V8_COVERAGE=DIR npm test -- --coverage.enabled
//   node scripts/coverage.mjs --from-run DIR

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const libCoverage = require('istanbul-lib-coverage');
const { mergeProcessCovs } = require('@bcoe/v8-coverage');

/** The layers, most specific first: a file counts in the first whose folder holds it. */
const LAYERS = [
  ['src/vp8', 'src/vp8/'],
  ['src/container', 'src/container/'],
  ['src/excamera/coordinator', 'src/excamera/coordinator/'],
  ['src/excamera/runtime', 'src/excamera/runtime/'],
  ['src/excamera (the rest)', 'src/excamera/'],
  ['src/sim', 'src/sim/'],
  ['src/inspect', 'src/inspect/'],
  ['src/cli', 'src/cli/'],
  ['src/report', 'src/report/'],
];
const OUT = join(ROOT, 'coverage');
const IN_PROCESS = join(OUT, 'in-process');

// ---- running the suite ---------------------------------------------------------

function runSuite(vitestArgs, rawDir) {
  const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const args = [vitest, 'run', '--coverage.enabled', '--coverage.reportsDirectory', IN_PROCESS, ...vitestArgs];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NODE_V8_COVERAGE: rawDir } });
  return r.status ?? 1;
}

// ---- child processes: raw V8 coverage of dist/src, mapped to src -----------------

/**
 * The V8 coverage of dist/src/*.js, summed over every process that wrote some
 * to `rawDir`. A file that does not parse — written by a process still running
 * when the suite ended, or cut short — is counted and left out.
 */
function childV8Coverage(rawDir) {
  const dist = `${pathToFileURL(join(ROOT, 'dist', 'src')).href}/`;
  let merged = { result: [] };
  let processes = 0;
  let unreadable = 0;
  for (const name of readdirSync(rawDir)) {
    let result;
    try {
      ({ result } = JSON.parse(readFileSync(join(rawDir, name), 'utf8')));
    } catch {
      unreadable++;
      continue;
    }
    const ours = result.filter((s) => s.url.startsWith(dist) && s.url.endsWith('.js'));
    if (ours.length === 0) continue;
    processes++;
    merged = mergeProcessCovs([merged, { result: ours }]);
  }
  return { scripts: merged.result, processes, unreadable };
}

/** Istanbul coverage of src/*.ts from V8 coverage of dist/src/*.js, through dist's source maps. */
async function childCoverage(scripts) {
  const { default: convert } = await import('ast-v8-to-istanbul');
  const { parseAst } = await import('vitest/node');
  const map = libCoverage.createCoverageMap({});
  for (const script of scripts) {
    const file = fileURLToPath(script.url);
    const code = readFileSync(file, 'utf8');
    const sourceMap = JSON.parse(readFileSync(`${file}.map`, 'utf8'));
    map.merge(await convert({ code, ast: parseAst(code), sourceMap, coverage: { url: script.url, functions: script.functions } }));
  }
  return map;
}

// ---- merging the two records of one file ----------------------------------------

/** Where an item starts: a function at its name (its body may start lines later), a branch or statement at its beginning. */
const startOf = (item) => (item.decl ?? item.loc ?? item.locations?.[0] ?? item).start;

/**
 * Pairs each item of `from` with an item of `into` (same kind, same type for
 * branches): same start position first, else the first free one on the same
 * line. Returns the pairs and how many items found none.
 */
function pairItems(into, from) {
  const kind = (item) => item.type ?? '';
  const free = new Set(Object.keys(into));
  const byPosition = new Map();
  const byLine = new Map();
  for (const [key, item] of Object.entries(into)) {
    const s = startOf(item);
    const p = `${kind(item)}@${s.line}:${s.column}`;
    const l = `${kind(item)}@${s.line}`;
    byPosition.set(p, [...(byPosition.get(p) ?? []), key]);
    byLine.set(l, [...(byLine.get(l) ?? []), key]);
  }
  const pairs = [];
  const pending = [];
  for (const [key, item] of Object.entries(from)) {
    const s = startOf(item);
    const match = (byPosition.get(`${kind(item)}@${s.line}:${s.column}`) ?? []).find((k) => free.has(k));
    if (match === undefined) pending.push(key);
    else {
      free.delete(match);
      pairs.push([match, key]);
    }
  }
  let unmatched = 0;
  for (const key of pending) {
    const s = startOf(from[key]);
    const match = (byLine.get(`${kind(from[key])}@${s.line}`) ?? []).find((k) => free.has(k));
    if (match === undefined) unmatched++;
    else {
      free.delete(match);
      pairs.push([match, key]);
    }
  }
  return { pairs, unmatched };
}

/** Adds the counts of `child` (one file's coverage data) to `into`'s; returns the items left unmatched. */
function addCounts(into, child) {
  let unmatched = 0;
  for (const [mapName, hitsName] of [['statementMap', 's'], ['fnMap', 'f']]) {
    const r = pairItems(into[mapName], child[mapName]);
    for (const [a, b] of r.pairs) into[hitsName][a] += child[hitsName][b];
    unmatched += r.unmatched;
  }
  const r = pairItems(into.branchMap, child.branchMap);
  for (const [a, b] of r.pairs) {
    const arms = into.b[a];
    child.b[b].forEach((hits, i) => {
      if (i < arms.length) arms[i] += hits;
    });
  }
  return unmatched + r.unmatched;
}

// ---- reporting -------------------------------------------------------------------

const pct = (covered, total) => (total === 0 ? 100 : (100 * covered) / total);
const cell = (c) => `${pct(c.covered, c.total).toFixed(1).padStart(5)}% ${`${c.covered}/${c.total}`.padStart(11)}`;

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function summaries(map, files) {
  const layers = LAYERS.map(([name]) => ({ name, summary: libCoverage.createCoverageSummary(), files: 0 }));
  const total = libCoverage.createCoverageSummary();
  for (const file of files) {
    const s = map.fileCoverageFor(file).toSummary();
    const rel = relative(ROOT, file).split('\\').join('/');
    const i = LAYERS.findIndex(([, prefix]) => rel.startsWith(prefix));
    if (i >= 0) {
      layers[i].summary.merge(s);
      layers[i].files++;
    }
    total.merge(s);
  }
  return { layers, total };
}

/** The in-process record, and the combined one: the in-process record plus the children's counts. */
async function combine(rawDir) {
  const inProcessFile = join(IN_PROCESS, 'coverage-final.json');
  const inProcess = libCoverage.createCoverageMap(JSON.parse(readFileSync(inProcessFile, 'utf8')));
  const { scripts, processes, unreadable } = childV8Coverage(rawDir);
  const children = await childCoverage(scripts);
  const combined = libCoverage.createCoverageMap(JSON.parse(readFileSync(inProcessFile, 'utf8')));
  let unmatched = 0;
  for (const file of children.files()) {
    if (!combined.files().includes(file)) combined.addFileCoverage(children.fileCoverageFor(file).toJSON());
    else unmatched += addCounts(combined.fileCoverageFor(file).data, children.fileCoverageFor(file).toJSON());
  }
  return { inProcess, combined, processes, unmatched, unreadable };
}

/** Prints the per-layer table (and the per-file one unless `layersOnly`), and writes both under coverage/. */
function report({ inProcess, combined, processes, unmatched, unreadable }, layersOnly, seconds) {
  const files = combined.files().filter((f) => relative(ROOT, f).startsWith('src'));
  const all = summaries(combined, files);
  const own = summaries(inProcess, files);

  const layerRows = all.layers.map((l, i) => [l.name, String(l.files), cell(l.summary.lines), cell(l.summary.branches), cell(own.layers[i].summary.lines)]);
  layerRows.push(['all of src', String(files.length), cell(all.total.lines), cell(all.total.branches), cell(own.total.lines)]);
  const layerTable = table(['layer', 'files', 'lines', 'branches', 'lines, in process only'], layerRows);

  const byLines = (s) => pct(s.lines.covered, s.lines.total);
  const byBranches = (s) => pct(s.branches.covered, s.branches.total);
  const perFile = files
    .map((f) => ({ file: relative(ROOT, f), s: combined.fileCoverageFor(f).toSummary() }))
    .sort((a, b) => byLines(a.s) - byLines(b.s) || byBranches(a.s) - byBranches(b.s));
  const fileTable = table(['file (least covered first)', 'lines', 'branches'], perFile.map((p) => [p.file, cell(p.s.lines), cell(p.s.branches)]));

  const how = [
    `coverage: V8, in the test processes (vitest's v8 provider) and in ${processes} child processes the tests started (NODE_V8_COVERAGE on dist/, mapped to src/ by source maps);`,
    `${unmatched} child-process items (statements, functions, branches) matched no in-process one and were left out; report made in ${seconds()} s.`,
    ...(unreadable > 0 ? [`${unreadable} coverage file(s) did not parse (a process still running when the suite ended, or cut short) and were left out.`] : []),
  ].join('\n');
  writeFileSync(join(OUT, 'files.txt'), `${fileTable}\n`);
  const summary = { layers: Object.fromEntries(all.layers.map((l) => [l.name, l.summary.toJSON()])), total: all.total.toJSON(), files: Object.fromEntries(perFile.map((p) => [p.file, p.s.toJSON()])), childProcesses: processes, unmatched };
  writeFileSync(join(OUT, 'coverage-summary.json'), JSON.stringify(summary, null, 1));
  writeFileSync(join(OUT, 'coverage-final.json'), JSON.stringify(combined.toJSON()));
  console.log(`\n== coverage per layer\n${layerTable}\n${how}`);
  if (layersOnly) console.log(`per file: ${relative(process.cwd(), join(OUT, 'files.txt'))}`);
  else console.log(`\n== coverage per file\n${fileTable}`);
}

async function main() {
  const args = process.argv.slice(2);
  const layersOnly = args.includes('--layers-only');
  const from = args.indexOf('--from-run');
  const fromRun = from >= 0 ? args[from + 1] : undefined;
  if (from >= 0 && fromRun === undefined) throw new Error('--from-run needs the NODE_V8_COVERAGE directory of the run');
  mkdirSync(OUT, { recursive: true });
  const rawDir = fromRun ?? mkdtempSync(join(tmpdir(), 'excamera-v8-coverage-'));
  let status = 1;
  try {
    status = fromRun !== undefined ? 0 : runSuite(args.filter((a) => a !== '--layers-only'), rawDir);
    const start = performance.now();
    report(await combine(rawDir), layersOnly, () => ((performance.now() - start) / 1000).toFixed(0));
  } catch (e) {
    console.error(`coverage: could not make the report: ${e instanceof Error ? e.stack : e}`);
    status ||= 1;
  } finally {
    // A run made by someone else keeps its files; this script's own are removed.
    if (fromRun === undefined) rmSync(rawDir, { recursive: true, force: true });
  }
  process.exitCode = status;
}

await main();
