// The lessons in docs/lessons cannot drift from the code. The lesson "ExCamera
// step by step" is generated from a real run (scripts/lessons/excamera-step-by-step.mjs);
// here it is generated again, without the measured runs, into a temporary
// directory, and:
//   - its markdown, facts and figures must equal the committed files, so that
//     a change to the encoder that moves one of its numbers fails until
//     `npm run lessons` is run again;
//   - its facts must be what the run's keep directory holds, read here on
//     their own (IVF and state file headers, the decoder's frame headers) and
//     with the CLI (`excamera info`, `excamera state dump`), and the numbers
//     the prose derives from them must follow from them;
//   - the template may state no number of its own, and the markdown's tables
//     must show the same numbers;
//   - the commands the lesson shows must do, run again, what it says they do.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIvf } from '../src/container/index.js';
import { readStateFile } from '../src/excamera/files.js';
import { readStateFileHeader } from '../src/excamera/state-file.js';
import { frameInfo, imagesEqual } from '../src/vp8/index.js';
import { BIN, excamera } from './helpers/cli.js';
import { ROOT } from './helpers/fixtures.js';

const NAME = 'excamera-step-by-step';
const SCRIPT = join(ROOT, 'scripts', 'lessons', `${NAME}.mjs`);
const TEMPLATE = join(ROOT, 'scripts', 'lessons', `${NAME}.template.md`);
const COMMITTED = join(ROOT, 'docs', 'lessons');
/** What --fixed-only writes; a full run adds the measured files. */
const FIXED_FILES = [`${NAME}.md`, `data/${NAME}.json`, 'images/excamera-chunks.svg', 'images/excamera-stream-bytes.svg', 'images/excamera-chunk-bytes.svg'];
const MEASURED_FILES = [`data/${NAME}.measured.json`, 'images/excamera-timeline.svg'];

interface FrameFact { type: string; bytes: number; q: number }
interface ChunkVersion { frames: FrameFact[]; bytes: number; expects: string | null }
interface StateFact { tag: string; hash: string; payloadBytes: number; oneReference: boolean }
interface ChunkFact {
  index: number; file: string; batch: number; position: number; origin: string; firstFrame: number; lastFrame: number;
  independent: ChunkVersion; independentEnd: StateFact; givenState: ChunkVersion | null; output: ChunkVersion; outputEnd: StateFact;
}
interface StreamFact { keyFrames: number; bytes: number; kbitPerSecond: number; psnr: number; ssimDb: number; frames: { type: string; bytes: number }[] }
interface Facts {
  clip: { path: string; width: number; height: number; frames: number; framesInFile: number; fps: string; seconds: string; frameRate: string };
  settings: { n: number; x: number; chunks: number; batches: number; keyFrameEvery: number; cqLevel: number; speed: number; chunkEncoder: string };
  commands: Record<string, string>;
  format: { tagOffset: number };
  chunks: ChunkFact[];
  streams: { serial: StreamFact; independent: StreamFact; excamera: StreamFact };
  demo: Record<string, string | number>;
  derived: Record<string, Record<string, string | number>>;
}
interface XcSummary { frames: number; framesPerChunk: number; chunksPerBatch: number; chunks: number; keyFrames: number; bytes: number; kbitPerSecond: number; psnr: { all: number }; ssim: { allDb: number }; width: number; height: number; speed: number; quality: { cqLevel: number }; chunkEncoder: string }

let dir = '';
let out = '';
let run = '';
let facts: Facts;
let markdown = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'excamera-lessons-'));
  out = join(dir, 'lesson');
  run = join(dir, 'run');
  const r = spawnSync(process.execPath, [SCRIPT, '--fixed-only', '--quiet', '--out', out, '--run-dir', run], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${SCRIPT} failed:\n${r.stderr}`);
  facts = JSON.parse(readFileSync(join(out, 'data', `${NAME}.json`), 'utf8')) as Facts;
  markdown = readFileSync(join(out, `${NAME}.md`), 'utf8');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function files(root: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort();
}

const hex = (v: number): string => v.toString(16).padStart(8, '0');
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

describe('the lesson "ExCamera step by step"', () => {
  it('is generated again exactly as committed (else: npm run lessons)', () => {
    expect(files(out)).toEqual([...FIXED_FILES].sort());
    for (const f of FIXED_FILES) {
      expect(readFileSync(join(out, f), 'utf8'), `${f} is not what the code gives now: run npm run lessons`).toBe(readFileSync(join(COMMITTED, f), 'utf8'));
    }
    for (const f of MEASURED_FILES) expect(existsSync(join(COMMITTED, f)), f).toBe(true);
    // Every image the markdown shows exists.
    for (const [, src] of markdown.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) expect(existsSync(join(COMMITTED, src!)), src).toBe(true);
    // And the index lists it.
    expect(readFileSync(join(COMMITTED, 'README.md'), 'utf8')).toContain(`(${NAME}.md)`);
  });

  it('states the chunks, states and frames the keep directory holds', async () => {
    const xc = readJson<XcSummary>(join(run, 'raw', 'xc.json'));
    const { framesPerChunk: n, chunksPerBatch: x, chunks, frames } = xc;
    expect(facts.settings).toEqual({ n, x, chunks, batches: Math.ceil(chunks / x), keyFrameEvery: n * x, cqLevel: xc.quality.cqLevel, speed: xc.speed, chunkEncoder: xc.chunkEncoder });
    expect(facts.clip).toMatchObject({ width: xc.width, height: xc.height, frames });
    const version = (file: string): ChunkVersion => {
      const ivf = parseIvf(new Uint8Array(readFileSync(join(run, 'work', file))));
      const fs = ivf.frames.map((f) => {
        const info = frameInfo(f.data);
        return { type: info.type, bytes: f.data.length, q: info.quantizer.yAcQi };
      });
      return { frames: fs, bytes: fs.reduce((a, f) => a + f.bytes, 0), expects: fs[0]!.type === 'key' ? null : hex(ivf.header.unused) };
    };
    const state = async (file: string): Promise<StateFact> => {
      const path = join(run, 'work', file);
      const header = readStateFileHeader(new Uint8Array(readFileSync(path)));
      const s = await readStateFile(path);
      return { tag: header.stateHash.slice(0, 8), hash: header.stateHash, payloadBytes: header.payloadBytes, oneReference: imagesEqual(s.last!, s.golden!) && imagesEqual(s.last!, s.altref!) };
    };
    expect(facts.chunks).toHaveLength(chunks);
    for (let i = 0; i < chunks; i++) {
      const p = String(i).padStart(4, '0');
      const e = i % x;
      expect(existsSync(join(run, 'work', `${p}.given-state.ivf`))).toBe(e !== 0);
      expect(facts.chunks[i]).toEqual({
        index: i, file: p, batch: Math.floor(i / x), position: e, origin: e === 0 ? 'independent' : e === 1 ? 'given-state' : 'rebased',
        firstFrame: i * n, lastFrame: Math.min((i + 1) * n, frames) - 1,
        independent: version(`${p}.independent.ivf`), independentEnd: await state(`${p}.independent.state`),
        givenState: e === 0 ? null : version(`${p}.given-state.ivf`),
        output: version(`${p}.output.ivf`), outputEnd: await state(`${p}.output.state`),
      });
    }
  });

  it('states what excamera info and excamera state dump print', () => {
    const g = facts.chunks.find((c) => c.origin === 'given-state')!;
    for (const [kind, v] of [['independent', g.independent], ['given-state', g.givenState!]] as const) {
      const r = excamera('info', join(run, 'work', `${g.file}.${kind}.ivf`));
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; bytes: number; quantizer: { yAcQi: number } });
      expect(lines.map((l) => ({ type: l.type, bytes: l.bytes, q: l.quantizer.yAcQi }))).toEqual(v.frames);
    }
    const dump = excamera('state', 'dump', '--json', join(run, 'work', `${g.file}.output.state`));
    expect(dump.status).toBe(0);
    const d = JSON.parse(dump.stdout) as { hash: string; tag: string; payloadBytes: number; references: { golden: string; altref: string } };
    expect({ hash: d.hash, tag: d.tag, payloadBytes: d.payloadBytes, oneReference: d.references.golden === 'same as last' && d.references.altref === 'same as last' }).toEqual(g.outputEnd);
  });

  it('states the three streams as their encodes summed them up', () => {
    const stream = (summary: string, file: string): StreamFact => {
      const s = readJson<XcSummary>(join(run, 'raw', summary));
      const frames = parseIvf(new Uint8Array(readFileSync(join(run, file)))).frames.map((f) => ({ type: frameInfo(f.data).type, bytes: f.data.length }));
      expect(frames.reduce((a, f) => a + f.bytes, 0)).toBe(s.bytes);
      return { keyFrames: s.keyFrames, bytes: s.bytes, kbitPerSecond: s.kbitPerSecond, psnr: s.psnr.all, ssimDb: s.ssim.allDb, frames };
    };
    expect(facts.streams).toEqual({ serial: stream('serial.json', 'serial.ivf'), independent: stream('xc-independent.json', 'independent.ivf'), excamera: stream('xc.json', 'lesson.ivf') });
    // The stream is the output chunks one after another.
    const concatenated = facts.chunks.flatMap((c) => parseIvf(new Uint8Array(readFileSync(join(run, 'work', `${c.file}.output.ivf`)))).frames.map((f) => f.data));
    expect(parseIvf(new Uint8Array(readFileSync(join(run, 'lesson.ivf')))).frames.map((f) => f.data)).toEqual(concatenated);
  });

  it('derives its other numbers from the facts', () => {
    const f = facts;
    const pct = (a: number, b: number): string => { const v = (100 * (a - b)) / b; return `${v < 0 ? '−' : '+'}${Math.abs(v).toFixed(1)}%`; };
    const whole = (v: number): string => `${Math.round(100 * v)}%`;
    const sign = (v: number): string => (v < 0 ? `−${-v}` : `+${v}`);
    const span = <T>(values: T[], fmt: (v: T) => string, less: (a: T, b: T) => boolean): string => {
      const lo = values.reduce((a, b) => (less(b, a) ? b : a));
      const hi = values.reduce((a, b) => (less(a, b) ? b : a));
      return fmt(lo) === fmt(hi) ? fmt(lo) : `${fmt(lo)} to ${fmt(hi)}`;
    };
    const num = (a: number, b: number): boolean => a < b;
    const g = f.chunks.find((c) => c.origin === 'given-state')!;
    const r = f.chunks.find((c) => c.origin === 'rebased')!;
    const before = (c: ChunkFact): ChunkFact => f.chunks[c.index - 1]!;
    const ind = g.independent.frames;
    const giv = g.givenState!.frames;
    const rest = (fs: FrameFact[]): number => fs.slice(1).reduce((a, x) => a + x.bytes, 0);
    const replaced = f.chunks.filter((c) => c.position !== 0);
    const rebased = f.chunks.filter((c) => c.origin === 'rebased');
    const { serial, independent, excamera: xc } = f.streams;
    const area = f.clip.width * f.clip.height;
    expect(f.derived).toEqual({
      g: {
        index: g.index, file: g.file, prev: g.index - 1, prevFile: before(g).file, firstFrame: g.firstFrame, lastFrame: g.lastFrame,
        prevEndTag: before(g).independentEnd.tag, expects: g.givenState!.expects,
        keyBytes: ind[0]!.bytes, keyQ: ind[0]!.q, interQ: ind[1]!.q, givenBytes: giv[0]!.bytes, givenQ: giv[0]!.q,
        givenOfKey: whole(giv[0]!.bytes / ind[0]!.bytes), keyOverInter: (ind[0]!.bytes / (rest(ind) / (ind.length - 1))).toFixed(1),
        restFrames: ind.length - 1, restIndependent: rest(ind), restGiven: rest(giv),
        restChangeRange: span(giv.slice(1).map((x, k) => x.bytes - ind[k + 1]!.bytes), sign, num),
        independentBytes: g.independent.bytes, givenStateBytes: g.givenState!.bytes,
      },
      r: {
        index: r.index, file: r.file, prev: r.index - 1, prevFile: before(r).file, next: r.index + 1, firstFrame: r.firstFrame,
        givenExpects: r.givenState!.expects, prevOutputEndTag: before(r).outputEnd.tag, outputExpects: r.output.expects, outputEndTag: r.outputEnd.tag,
        givenBytes: r.givenState!.bytes, outputBytes: r.output.bytes, change: pct(r.output.bytes, r.givenState!.bytes),
      },
      cmp: {
        independentOverSerial: pct(independent.bytes, serial.bytes), excameraOverSerial: pct(xc.bytes, serial.bytes),
        firstShareMin: whole(Math.min(...replaced.map((c) => c.givenState!.frames[0]!.bytes / c.independent.frames[0]!.bytes))),
        firstShareMax: whole(Math.max(...replaced.map((c) => c.givenState!.frames[0]!.bytes / c.independent.frames[0]!.bytes))),
        rebaseChangeRange: span(rebased.map((c) => (c.output.bytes - c.givenState!.bytes) / c.givenState!.bytes), (v) => `${v < 0 ? '−' : '+'}${Math.abs(100 * v).toFixed(1)}%`, num),
        excameraKeyFrames: xc.keyFrames, replacedFirstFrames: replaced.length,
        replacedFirstBytes: replaced.reduce((a, c) => a + c.output.frames[0]!.bytes, 0),
        serialSameFramesBytes: replaced.reduce((a, c) => a + serial.frames[c.firstFrame]!.bytes, 0),
      },
      states: { count: 2 * f.chunks.length, payloadBytes: g.outputEnd.payloadBytes, pictureBytes: (3 * area) / 2, restBytes: g.outputEnd.payloadBytes - (3 * area) / 2, bytesPerPixel: '1.5' },
    });
    // The state tag sits at that offset of a chunk file's header.
    const header = readFileSync(join(run, 'work', `${g.file}.given-state.ivf`));
    expect(hex(header.readUInt32LE(f.format.tagOffset))).toBe(g.givenState!.expects);
  });

  it('states no number of its own: every number in the template is a placeholder', () => {
    const template = readFileSync(TEMPLATE, 'utf8');
    // Names and labels that hold digits but state no measure: figure, step and list numbers, e = 0/1/2
    // of the algorithm's definition, ExCamera[n,1] (x = 1: independent chunks), SHA-256, VP8.
    const allowed = /[Ff]igure \d|[Ss]teps?\s\d(\s(and|or)\s\d)?|step-\d|^\d\. |e = [0-2]|,1\]|-x 1\b|SHA-256|VP8/gm;
    const bare = template.replace(/\{\{[\w.]+\}\}/g, '').replace(allowed, '');
    const digits = [...bare.matchAll(/.{0,30}\d.{0,30}/g)].map((m) => m[0]);
    expect(digits).toEqual([]);
  });

  it('shows the same numbers in its tables', () => {
    const rows = (head: string): string[][] => {
      const lines = markdown.split('\n');
      const at = lines.indexOf(head);
      expect(at, head).toBeGreaterThanOrEqual(0);
      const body: string[][] = [];
      for (let k = at + 2; k < lines.length && lines[k]!.startsWith('|'); k++) body.push(lines[k]!.slice(2, -2).split(' | '));
      return body;
    };
    const origin: Record<string, string> = { independent: 'step 1 (independent)', 'given-state': 'step 2 (given state)', rebased: 'step 3 (rebased)' };
    const tag = (t: string | null): string => (t === null ? 'nothing (key frame)' : `\`${t}\``);
    const cs = facts.chunks;
    const s = (vs: (string | number)[]): string[] => vs.map(String);
    expect(rows('| chunk | frames | batch | position e | output from |')).toEqual(cs.map((c) => s([c.index, `${c.firstFrame}–${c.lastFrame}`, c.batch + 1, c.position, origin[c.origin]!])));
    expect(rows(`| chunk | key frame (bytes) | other ${facts.settings.n - 1} frames (bytes) | chunk (bytes) | ends in |`)).toEqual(
      cs.map((c) => s([c.index, c.independent.frames[0]!.bytes, c.independent.bytes - c.independent.frames[0]!.bytes, c.independent.bytes, tag(c.independentEnd.tag)])));
    expect(rows('| chunk | output from | bytes | expects | ends in |')).toEqual(cs.map((c) => s([c.index, origin[c.origin]!, c.output.bytes, tag(c.output.expects), tag(c.outputEnd.tag)])));
    const g = cs.find((c) => c.origin === 'given-state')!;
    expect(rows('| frame | step 1: type | q | bytes | step 2: type | q | bytes |')).toEqual(
      g.independent.frames.map((a, k) => { const b = g.givenState!.frames[k]!; return s([g.firstFrame + k, a.type, a.q, a.bytes, b.type, b.q, b.bytes]); }));
    const { serial, independent, excamera: xc } = facts.streams;
    const { n, x } = facts.settings;
    expect(rows('| stream | key frames | bytes | kbit/s | PSNR (dB) | SSIM (dB) |')).toEqual(
      ([['serial encode', serial], [`ExCamera[${n},1]`, independent], [`ExCamera[${n},${x}]`, xc]] as const).map(([name, v]) => s([name, v.keyFrames, v.bytes, v.kbitPerSecond, v.psnr, v.ssimDb])));
    // The measured tables: from the committed measurements.
    const measured = readJson<{ inprocess: { phases: Record<string, { seconds: number; msPerFrame: number }> }; local: { phases: Record<string, { seconds: number; msPerFrame: number }> } }>(join(COMMITTED, 'data', `${NAME}.measured.json`));
    expect(rows('| step | seconds | ms per frame of the clip |')).toEqual(Object.entries(measured.inprocess.phases).filter(([, p]) => p.seconds > 0).map(([k, p]) => s([k, p.seconds, p.msPerFrame])));
    expect(rows('| phase | worker-seconds | ms per frame of the clip |')).toEqual(Object.entries(measured.local.phases).map(([k, p]) => s([k, p.seconds, p.msPerFrame])));
  });

  it('shows commands that do what it says, run again', () => {
    // Each shown command (npx excamera ...) runs from the run directory as shown.
    const runShown = (command: string): { status: number; stdout: string; stderr: string } => {
      const words = command.replace(/^\$ /, '').split(' ');
      expect(words.slice(0, 2)).toEqual(['npx', 'excamera']);
      const r = spawnSync(process.execPath, [BIN, ...words.slice(2)], { cwd: run, encoding: 'utf8' });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    const d = facts.demo;
    const g = facts.chunks.find((c) => c.origin === 'given-state')!;
    const r = facts.chunks.find((c) => c.origin === 'rebased')!;
    const same = (a: string, b: string): void => expect(readFileSync(join(run, a)).equals(readFileSync(join(run, b))), `${a} = ${b}`).toBe(true);
    rmSync(join(run, 'given.ivf'));
    expect(runShown(String(d.givenCmd)).status).toBe(0);
    same('given.ivf', `work/${g.file}.given-state.ivf`);
    const diff = runShown(String(d.diffCmd));
    expect([diff.status, diff.stdout.trimEnd()]).toEqual([1, d.diffOut]);
    const mismatch = runShown(String(d.mismatchCmd));
    expect([mismatch.status, mismatch.stderr.trimEnd()]).toEqual([d.mismatchStatus, d.mismatchOut]);
    expect(mismatch.stderr).toContain(`coded against state ${r.givenState!.expects}, not against the state given (${r.output.expects})`);
    rmSync(join(run, 'rebased.ivf'));
    rmSync(join(run, 'end.state'));
    expect(runShown(String(d.rebaseCmd)).status).toBe(0);
    same('rebased.ivf', `work/${r.file}.output.ivf`);
    const equal = runShown(String(d.equalCmd));
    expect([equal.status, equal.stdout.trimEnd()]).toEqual([0, d.equalOut]);
    // Every command shown in the markdown is one of the facts' (the xc command was the one that made work/).
    for (const [, cmd] of markdown.matchAll(/^(?:\$ )?(npx excamera .*)$/gm)) {
      expect([...Object.values(facts.commands), ...Object.values(facts.demo).map((v) => String(v).replace(/^\$ /, '')), ...localCommand()]).toContain(cmd);
    }
  });
});

function localCommand(): string[] {
  const m = readJson<{ local: { command: string } }>(join(COMMITTED, 'data', `${NAME}.measured.json`));
  return [m.local.command];
}
