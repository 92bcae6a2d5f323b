// Child process of bench/decode: decodes one IVF file `runs` times in-process
// and prints timings and this process's peak memory as JSON. Running in its
// own process keeps the benchmark's memory figure about decoding alone.

import { readFileSync } from 'node:fs';
import { parseIvf } from '../src/container/index.js';
import { createDecoderState, decodeFrame, DecoderWorkspace } from '../src/vp8/index.js';

const [path, runsArg] = process.argv.slice(2);
if (!path) {
  process.stderr.write('usage: decode-worker <file.ivf> [runs]\n');
  process.exit(2);
}
const runs = Math.max(1, Number(runsArg ?? 10));
const frames = parseIvf(new Uint8Array(readFileSync(path))).frames.map((f) => f.data);
const workspace = new DecoderWorkspace();
const seconds: number[] = [];
for (let r = 0; r < runs; r++) {
  const t0 = process.hrtime.bigint();
  let state = createDecoderState();
  for (const frame of frames) state = decodeFrame(state, frame, { workspace }).state;
  seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
process.stdout.write(`${JSON.stringify({ frames: frames.length, seconds, maxRssKB: process.resourceUsage().maxRSS })}\n`);
