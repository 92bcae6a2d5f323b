// `excamera state dump|diff|final`: looking into state files, comparing two,
// and making one by decoding a chunk (the paper's xc-dump, xc-diff and
// decode-to-state tools).

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { decodeChunk } from '../excamera/chunk.js';
import { readChunkFile, readStateFile, writeStateFile } from '../excamera/files.js';
import { readStateFileHeader, stateTag } from '../excamera/state-file.js';
import {
  createDecoderState, type DecoderState, type Image, imagesEqual, imageToI420, stateHash,
} from '../vp8/index.js';
import type { Plane } from '../vp8/image.js';
import { DEFAULT_PROBS } from '../vp8/state.js';
import { type Command, defineCommand, defineGroup } from './command.js';

const REFERENCES = ['last', 'golden', 'altref'] as const;

function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

function countDifferences(a: ArrayLike<number>, b: ArrayLike<number>): { count: number; first: number } {
  let count = 0;
  let first = -1;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      count++;
      if (first < 0) first = i;
    }
  }
  return { count, first };
}

/** A state described for people and scripts. */
export function describeState(s: DecoderState): Record<string, unknown> {
  const hash = stateHash(s);
  const refs: Record<string, unknown> = {};
  REFERENCES.forEach((name, i) => {
    const img = s[name];
    const earlier = REFERENCES.slice(0, i).find((other) => s[other] !== null && img !== null && imagesEqual(s[other]!, img));
    refs[name] = img === null ? null : earlier ? `same as ${earlier}` : { md5OfVisibleI420: md5(imageToI420(img)) };
  });
  const segmentCounts = [0, 0, 0, 0];
  for (const id of s.segmentMap) segmentCounts[id]++;
  return {
    hash,
    tag: stateTag(hash).toString(16).padStart(8, '0'),
    width: s.width,
    height: s.height,
    probabilities: {
      coefficientsChangedFromDefault: countDifferences(s.probs.coeff, DEFAULT_PROBS.coeff).count,
      motionVectors: Array.from(s.probs.mv),
      yMode: Array.from(s.probs.yMode),
      uvMode: Array.from(s.probs.uvMode),
    },
    segmentation: {
      absolute: s.segmentFeatures.absolute,
      quantizer: Array.from(s.segmentFeatures.quantizer),
      loopFilter: Array.from(s.segmentFeatures.loopFilter),
      macroblocksPerSegment: s.segmentMap.length > 0 ? segmentCounts : null,
    },
    loopFilterDeltas: { reference: Array.from(s.refLfDeltas), mode: Array.from(s.modeLfDeltas) },
    references: refs,
  };
}

/** Squared error and sample count between the aligned areas of two equal-size planes. */
function planeError(a: Plane, b: Plane): { sse: number; differing: number; samples: number } {
  let sse = 0;
  let differing = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const d = a.data[a.offset + y * a.stride + x] - b.data[b.offset + y * b.stride + x];
      if (d !== 0) {
        differing++;
        sse += d * d;
      }
    }
  }
  return { sse, differing, samples: a.width * a.height };
}

/** What differs between two states, one entry per field. */
export function stateDifferences(a: DecoderState, b: DecoderState): { field: string; detail: string }[] {
  const out: { field: string; detail: string }[] = [];
  if (a.width !== b.width || a.height !== b.height) out.push({ field: 'size', detail: `${a.width}x${a.height} vs ${b.width}x${b.height}` });
  const tables: [string, ArrayLike<number>, ArrayLike<number>][] = [
    ['coefficient probabilities', a.probs.coeff, b.probs.coeff],
    ['motion vector probabilities', a.probs.mv, b.probs.mv],
    ['luma mode probabilities', a.probs.yMode, b.probs.yMode],
    ['chroma mode probabilities', a.probs.uvMode, b.probs.uvMode],
    ['segment quantizers', a.segmentFeatures.quantizer, b.segmentFeatures.quantizer],
    ['segment filter levels', a.segmentFeatures.loopFilter, b.segmentFeatures.loopFilter],
    ['segment map', a.segmentMap, b.segmentMap],
    ['reference filter deltas', a.refLfDeltas, b.refLfDeltas],
    ['mode filter deltas', a.modeLfDeltas, b.modeLfDeltas],
  ];
  for (const [field, x, y] of tables) {
    const d = countDifferences(x, y);
    if (d.count > 0) {
      out.push({ field, detail: `${d.count} of ${Math.max(x.length, y.length)} differ, first at index ${d.first} (${x[d.first] ?? 'absent'} vs ${y[d.first] ?? 'absent'})` });
    }
  }
  if (a.segmentFeatures.absolute !== b.segmentFeatures.absolute) {
    out.push({ field: 'segment feature mode', detail: `${a.segmentFeatures.absolute ? 'absolute' : 'delta'} vs ${b.segmentFeatures.absolute ? 'absolute' : 'delta'}` });
  }
  for (const name of REFERENCES) {
    const x: Image | null = a[name];
    const y: Image | null = b[name];
    if (x === null || y === null) {
      if (x !== y) out.push({ field: `${name} reference`, detail: x === null ? 'absent vs present' : 'present vs absent' });
      continue;
    }
    if (x.y.width !== y.y.width || x.y.height !== y.y.height) {
      out.push({ field: `${name} reference`, detail: `pictures of different sizes (${x.width}x${x.height} vs ${y.width}x${y.height})` });
      continue;
    }
    const errors = [planeError(x.y, y.y), planeError(x.u, y.u), planeError(x.v, y.v)];
    const differing = errors.reduce((n, e) => n + e.differing, 0);
    if (differing === 0) continue;
    const sse = errors.reduce((n, e) => n + e.sse, 0);
    const samples = errors.reduce((n, e) => n + e.samples, 0);
    const psnr = 10 * Math.log10((255 * 255 * samples) / sse);
    out.push({ field: `${name} reference`, detail: `${differing} of ${samples} samples differ (PSNR ${psnr.toFixed(2)} dB)` });
  }
  return out;
}

interface DumpArgs { state: string; json: boolean }
interface DiffArgs { a: string; b: string; json: boolean }
interface FinalArgs { chunk: string; from?: string; output: string; json: boolean }

/** A state described in a few lines: what it holds and what differs from a fresh decoder's. */
export function stateSummary(s: DecoderState, file: { name: string; version: number; fileBytes: number; payloadBytes: number }): string {
  const d = describeState(s);
  const hex = (a: ArrayLike<number>): string => `[${Array.from(a).join(' ')}]`;
  const changed = (a: ArrayLike<number>, b: ArrayLike<number>): string => {
    const n = countDifferences(a, b).count;
    return n === 0 ? 'default' : `${n} of ${a.length} changed`;
  };
  const refs = REFERENCES.map((name) => {
    const r = (d.references as Record<string, unknown>)[name];
    return `${name} ${r === null ? 'none' : typeof r === 'string' ? r : `picture md5 ${(r as { md5OfVisibleI420: string }).md5OfVisibleI420}`}`;
  });
  const segmented = s.segmentMap.length > 0 || s.segmentFeatures.quantizer.some((v) => v !== 0) || s.segmentFeatures.loopFilter.some((v) => v !== 0);
  const counts = (d.segmentation as { macroblocksPerSegment: number[] | null }).macroblocksPerSegment;
  const deltas = s.refLfDeltas.some((v) => v !== 0) || s.modeLfDeltas.some((v) => v !== 0);
  return [
    `${file.name}: state format ${file.version}, ${file.fileBytes} bytes (${file.payloadBytes} before compression)`,
    `hash      ${d.hash as string} (tag ${d.tag as string})`,
    `picture   ${s.width}x${s.height}`,
    `refs      ${refs.join('; ')}`,
    `probs     coefficients ${changed(s.probs.coeff, DEFAULT_PROBS.coeff)}, motion vectors ${changed(s.probs.mv, DEFAULT_PROBS.mv)}, luma modes ${changed(s.probs.yMode, DEFAULT_PROBS.yMode)}, chroma modes ${changed(s.probs.uvMode, DEFAULT_PROBS.uvMode)} (vs. a fresh decoder)`,
    segmented
      ? `segments  ${s.segmentFeatures.absolute ? 'absolute' : 'delta'} values; quantizer ${hex(s.segmentFeatures.quantizer)}, loop filter ${hex(s.segmentFeatures.loopFilter)}${counts ? `; macroblocks per segment ${hex(counts)}` : ''}`
      : 'segments  none',
    deltas ? `lf deltas reference ${hex(s.refLfDeltas)}, mode ${hex(s.modeLfDeltas)}` : 'lf deltas none',
    'all fields: --json',
  ].join('\n');
}

const dumpCommand = defineCommand<DumpArgs>({
  command: 'dump <state>',
  files: { state: 'input' },
  describe: 'Describe a state file: size, probabilities, segmentation, filter deltas, references',
  builder: (y: Argv<object>) =>
    y
      .positional('state', { type: 'string', demandOption: true, describe: 'State file' })
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object with every field' }) as Argv<DumpArgs>,
  handler: async (args) => {
    const bytes = new Uint8Array(await readFile(args.state));
    const header = readStateFileHeader(bytes, { file: args.state });
    const state = await readStateFile(args.state);
    if (args.json) {
      const report = { file: args.state, formatVersion: header.version, fileBytes: bytes.length, payloadBytes: header.payloadBytes, ...describeState(state) };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      process.stdout.write(`${stateSummary(state, { name: args.state, version: header.version, fileBytes: bytes.length, payloadBytes: header.payloadBytes })}\n`);
    }
  },
});

const diffCommand = defineCommand<DiffArgs>({
  command: 'diff <a> <b>',
  files: { a: 'input', b: 'input' },
  describe: 'Compare two state files field by field (exit status 1 when they differ)',
  builder: (y: Argv<object>) =>
    y
      .positional('a', { type: 'string', demandOption: true, describe: 'State file' })
      .positional('b', { type: 'string', demandOption: true, describe: 'State file' })
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' }) as Argv<DiffArgs>,
  handler: async (args) => {
    const [a, b] = await Promise.all([readStateFile(args.a), readStateFile(args.b)]);
    const differences = stateDifferences(a, b);
    if (args.json) process.stdout.write(`${JSON.stringify({ equal: differences.length === 0, differences })}\n`);
    else if (differences.length === 0) process.stdout.write('the states are equal\n');
    else for (const d of differences) process.stdout.write(`${d.field}: ${d.detail}\n`);
    if (differences.length > 0) process.exitCode = 1;
  },
});

const finalCommand = defineCommand<FinalArgs>({
  command: 'final <chunk>',
  files: { chunk: 'input', from: 'input', output: 'output' },
  describe: 'Decode a chunk and write the state it ends in',
  builder: (y: Argv<object>) =>
    y
      .positional('chunk', { type: 'string', demandOption: true, describe: 'Chunk (.ivf)' })
      .option('from', { type: 'string', describe: 'State file the chunk was coded against (not needed when it starts with a key frame)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'State file to write' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON' }) as Argv<FinalArgs>,
  handler: async (args) => {
    const { chunk } = await readChunkFile(args.chunk);
    const from = args.from !== undefined ? await readStateFile(args.from) : createDecoderState();
    const decoded = decodeChunk(chunk, from);
    await writeStateFile(args.output, decoded.state);
    const hash = stateHash(decoded.state);
    const report = { chunk: args.chunk, output: args.output, frames: chunk.frames.length, shown: decoded.pictures.length, hash };
    process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : `${report.shown} frames decoded; final state ${hash} written to ${args.output}\n`);
  },
});

export const stateCommand = defineGroup('state <command>', 'State files: dump, diff, final', [dumpCommand, diffCommand, finalCommand] as Command<never>[], 'Name a state command: dump, diff or final.');
