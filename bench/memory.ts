// bench/memory: the peak memory of `excamera xc` on a short and a long clip,
// as users run it — the CLI in a fresh process — to check that memory
// follows the chunks in flight, not the clip's length. The clips are 1080p
// made by ffmpeg's testsrc2 (30 and 300 frames by default), encoded with
// ExCamera[6,16] at the fastest speed on the default local backend (worker
// processes) and in process. Peak RSS is the coordinator's own (xc --json's
// peakRssMB, from getrusage), and with workers also the largest worker's
// (sampled from /proc while the job runs).
//
//   npm run bench:memory [-- --frames 30,300] [--size 1920x1080] [--json]

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOnHelp, flag, option, ROOT } from './args.js';

exitOnHelp(`usage: npm run bench:memory [-- --frames 30,300] [--size 1920x1080] [--backends local,inprocess] [--json]

Makes 1080p clips with ffmpeg's testsrc2, runs \`excamera xc\` on each in a fresh
process (ExCamera[6,16], --speed 5), and prints each run's peak memory and the
ratio between the longest and the shortest clip.`);

const frameCounts = (option('frames') ?? '30,300').split(',').map(Number);
const [width, height] = (option('size') ?? '1920x1080').split('x').map(Number) as [number, number];
const backends = (option('backends') ?? 'local,inprocess').split(',');
const json = flag('json');
if (spawnSync('sh', ['-c', 'command -v ffmpeg']).status !== 0) throw new Error('bench:memory needs ffmpeg (apt-get install -y ffmpeg) to make its clips');

const dir = mkdtempSync(join(tmpdir(), 'bench-memory-'));
const BIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

interface Run {
  readonly backend: string;
  readonly frames: number;
  readonly clipMB: number;
  readonly seconds: number;
  readonly coordinatorPeakMB: number;
  readonly largestWorkerPeakMB: number | null;
}

/** Peak RSS (VmHWM) of the node processes below `pid`, sampled until it ends. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(p));
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}

function hwmMB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function run(clip: string, frames: number, backend: string): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'xc', clip, '-o', join(dir, `out-${frames}-${backend}.ivf`), '--backend', backend, '--speed', '5', '-n', '6', '-x', '16', '--json', '-q'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  let worker = 0;
  const sampler = setInterval(() => {
    for (const pid of childrenOf(child.pid!)) worker = Math.max(worker, hwmMB(pid));
  }, 100);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`xc on ${frames} frames (${backend}) failed: ${stderr}`);
  const report = JSON.parse(stdout) as { peakRssMB: number };
  return { backend, frames, clipMB: statSync(clip).size / 1e6, seconds: (performance.now() - t0) / 1000, coordinatorPeakMB: report.peakRssMB, largestWorkerPeakMB: backend === 'inprocess' ? null : Number(worker.toFixed(1)) };
}

const runs: Run[] = [];
try {
  for (const frames of frameCounts) {
    const clip = join(dir, `testsrc2-${width}x${height}-${frames}.y4m`);
    const made = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=30`, '-frames:v', String(frames), '-pix_fmt', 'yuv420p', '-y', clip]);
    if (made.status !== 0) throw new Error(`ffmpeg failed: ${made.stderr}`);
    for (const backend of backends) {
      const r = await run(clip, frames, backend);
      runs.push(r);
      if (!json) process.stdout.write(`${backend.padEnd(9)} ${String(frames).padStart(5)} frames (${r.clipMB.toFixed(0)} MB raw): xc peak ${r.coordinatorPeakMB} MB${r.largestWorkerPeakMB !== null ? `, largest worker ${r.largestWorkerPeakMB} MB` : ''}, ${r.seconds.toFixed(1)} s\n`);
    }
    rmSync(clip);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ratios = Object.fromEntries(backends.map((b) => {
  const of = runs.filter((r) => r.backend === b).sort((a, c) => a.frames - c.frames);
  return [b, Number((of[of.length - 1]!.coordinatorPeakMB / of[0]!.coordinatorPeakMB).toFixed(2))];
}));
const result = { date: new Date().toISOString().slice(0, 10), node: process.version, size: `${width}x${height}`, runs, peakRatioLongestToShortest: ratios, target: 1.5 };
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'memory.json'), `${JSON.stringify(result, null, 2)}\n`);
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else for (const [b, r] of Object.entries(ratios)) process.stdout.write(`${b}: peak memory of the longest clip / the shortest = ${r} (target <= 1.5)\n`);
