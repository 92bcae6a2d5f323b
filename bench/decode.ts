// bench/decode: decoding speed and memory against libvpx, measured in the same run.
//
// The stream is the 720p flower clip encoded by
//   vpxenc --good --cpu-used=4 --target-bitrate=2000
// Both decoders decode it `--runs` times; vpxdec (--threads=1 --noblit
// --summary) reports its own decoding time, excluding process start-up, and
// our decoder is timed in a child process the same way. The ratio compares
// the medians. The first (cold) run of ours is reported separately, since it
// includes the JIT compiler's warm-up.
//
//   npm run bench:decode [-- --runs 20] [-- --json]

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOnHelp, flag, option, ROOT } from './args.js';

exitOnHelp(`usage: npm run bench:decode [-- --runs N] [--json]

Decodes a 720p VP8 stream with vpxdec --threads=1 and with this project's
decoder, N runs each (default 20), and prints frames/s, peak RSS and the ratio.`);
const root = ROOT;
const json = flag('json');
const runs = option('runs') !== undefined ? Math.max(1, Number(option('runs'))) : 20;

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}
if (!have('vpxenc') || !have('vpxdec')) {
  process.stderr.write('bench/decode needs vpxenc and vpxdec (Debian: apt-get install vpx-tools) to measure against libvpx.\n');
  process.exit(1);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = join(tmpdir(), 'excamera-bench');
mkdirSync(dir, { recursive: true });
const clip = join(root, 'fixtures', 'clips', 'flower_720p_1280x720_12f.y4m');
const stream = join(dir, 'flower-720p-2000k.ivf');
execFileSync('vpxenc', ['--codec=vp8', '--ivf', '-q', '--good', '--cpu-used=4', '--target-bitrate=2000', '-o', stream, clip], { stdio: 'ignore' });

// libvpx: its own timing of the decode loop, and its peak memory through GNU time when available.
const timeTool = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const vpxSeconds: number[] = [];
let vpxRssKB: number | null = null;
let frames = 0;
for (let r = 0; r < runs; r++) {
  const cmd = ['vpxdec', '--threads=1', '--noblit', '--summary', stream];
  const out = timeTool ? spawnSync(timeTool, ['-f', 'maxrss=%M', ...cmd], { encoding: 'utf8' }) : spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
  const text = `${out.stdout}${out.stderr}`;
  const m = /(\d+) decoded frames\/\d+ showed frames in (\d+) us/.exec(text);
  if (!m) throw new Error(`could not read vpxdec's summary: ${text}`);
  frames = Number(m[1]);
  vpxSeconds.push(Number(m[2]) / 1e6);
  const rss = /maxrss=(\d+)/.exec(text);
  if (rss) vpxRssKB = Math.max(vpxRssKB ?? 0, Number(rss[1]));
}

// Ours, in a child process.
const worker = join(ROOT, 'dist', 'bench', 'decode-worker.js');
const ours = JSON.parse(execFileSync(process.execPath, [worker, stream, String(runs)], { encoding: 'utf8' })) as {
  frames: number;
  seconds: number[];
  maxRssKB: number;
};

const vpxFps = frames / median(vpxSeconds);
const ourFps = ours.frames / median(ours.seconds);
const result = {
  stream: 'flower 1280x720, vpxenc --good --cpu-used=4 --target-bitrate=2000',
  frames,
  runs,
  vpxdec: { framesPerSecond: Number(vpxFps.toFixed(1)), peakRssMB: vpxRssKB === null ? null : Number((vpxRssKB / 1024).toFixed(1)) },
  excamera: {
    framesPerSecond: Number(ourFps.toFixed(1)),
    coldFramesPerSecond: Number((ours.frames / ours.seconds[0]).toFixed(1)),
    peakRssMB: Number((ours.maxRssKB / 1024).toFixed(1)),
  },
  speedRatio: Number((ourFps / vpxFps).toFixed(3)),
};

if (json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const rows = [
    ['decoder', 'frames/s', 'peak RSS'],
    ['vpxdec --threads=1', result.vpxdec.framesPerSecond.toFixed(1), result.vpxdec.peakRssMB === null ? 'n/a' : `${result.vpxdec.peakRssMB} MB`],
    ['excamera (median)', result.excamera.framesPerSecond.toFixed(1), `${result.excamera.peakRssMB} MB`],
    ['excamera (first run)', result.excamera.coldFramesPerSecond.toFixed(1), ''],
  ];
  process.stdout.write(`${result.stream}, ${frames} frames, median of ${runs} runs\n`);
  for (const r of rows) process.stdout.write(`${r[0].padEnd(22)}${r[1].padStart(10)}   ${r[2]}\n`);
  process.stdout.write(`speed ratio excamera / vpxdec: ${result.speedRatio}\n`);
}
