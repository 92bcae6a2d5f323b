// `excamera calibrate`: measures this project's own ExCamera operations on a
// clip, on this machine, and writes a simulation profile (profile-types.ts)
// whose models come from those measurements — so that `excamera simulate` can
// predict a job before it runs, and a real run can check the prediction.
//
// What is measured:
//   compute   one batch of K chunks of n frames through runInProcess: encode
//             (phase 1), decode (plus serializing the state it ends in),
//             encode-given-state and rebase, per chunk, as seconds per
//             frame-megapixel;
//   sizes     the serialized states and the output chunks;
//   storage   writing and reading a raw chunk through a temporary file;
//   rendezvous one state sent over a loopback TCP connection;
//   platform  starting a Node.js process (what a local worker costs to start).
//
// It belongs to the simulator, whose profiles it writes: it measures the
// ExCamera layer from outside, through the same functions a job runs.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Rational } from '../container/index.js';
import type { ChunkEncoderName } from '../excamera/chunk-encoder.js';
import { runInProcess } from '../excamera/pipeline.js';
import { workerMainPath } from '../excamera/runtime/local.js';
import { serializeState } from '../excamera/state-file.js';
import type { ChunkQuality } from '../excamera/vpxenc.js';
import { i420Size, type Image } from '../vp8/index.js';
import { SimError } from './errors.js';
import type { Distribution, Profile } from './profile-types.js';

export interface CalibrateOptions {
  readonly framesPerChunk: number;
  /** Chunks measured: one batch of this many (at least 3, so that rebase is measured). */
  readonly chunks: number;
  readonly chunkEncoder: ChunkEncoderName;
  readonly quality: ChunkQuality;
  readonly frameRate: Rational;
  readonly speed?: number;
  /** The clip's name and length, for the profile's source line and default job. */
  readonly clipName: string;
  readonly clipFrames: number;
  /** The date the caller puts in the source line (this module reads no clock for it). */
  readonly date: string;
  readonly name?: string;
  /** The clock, in milliseconds (a test may pass its own). */
  readonly now?: () => number;
  readonly progress?: (done: number, total: number) => void;
}

/** A distribution from measured samples: lognormal through median and p90 from 5 samples on, the samples themselves below. */
export function fromSamples(samples: readonly number[]): Distribution {
  const v = [...samples].filter((x) => Number.isFinite(x) && x >= 0).sort((a, b) => a - b);
  if (v.length === 0) throw new SimError('invalid-argument', 'no valid samples to model');
  const r = (x: number): number => Number(x.toPrecision(4));
  if (v.length < 5) return { kind: 'empirical', values: v.map(r) };
  const median = v[Math.floor(v.length / 2)]!;
  const p90 = v[Math.min(v.length - 1, Math.floor(0.9 * v.length))]!;
  if (!(median > 0)) return { kind: 'empirical', values: v.map(r) };
  return { kind: 'lognormal', median: r(median), p90: r(Math.max(median, p90)) };
}

function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Write then read `bytes` through a file, `reps` times: [latency seconds, bytes per second]. */
function measureDisk(bytes: number, reps: number, now: () => number): { latency: number[]; bytesPerSecond: number } {
  const dir = mkdtempSync(join(tmpdir(), 'excamera-calibrate-'));
  try {
    const small = new Uint8Array(64);
    const big = new Uint8Array(bytes).fill(7);
    const latency: number[] = [];
    const transfer: number[] = [];
    for (let i = 0; i < reps; i++) {
      let t0 = now();
      writeFileSync(join(dir, 's'), small);
      readFileSync(join(dir, 's'));
      latency.push((now() - t0) / 1000);
      t0 = now();
      writeFileSync(join(dir, 'b'), big);
      readFileSync(join(dir, 'b'));
      transfer.push((now() - t0) / 1000);
    }
    const lat = median(latency);
    return { latency, bytesPerSecond: bytes / Math.max(1e-6, median(transfer) - lat) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One message of `bytes` over loopback TCP, `reps` times; a 1-byte message for the latency. */
async function measureLoopback(bytes: number, reps: number, now: () => number): Promise<{ latency: number[]; bytesPerSecond: number }> {
  const server = createServer((socket) => {
    let got = 0;
    let want = -1;
    socket.on('data', (d: Buffer) => {
      if (want < 0) want = d.readUInt32BE(0) + 4;
      got += d.length;
      if (got >= want) {
        socket.write('k');
        got = 0;
        want = -1;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const send = async (size: number): Promise<number> => {
    const msg = Buffer.alloc(size + 4, 1);
    msg.writeUInt32BE(size, 0);
    const t0 = now();
    await new Promise<void>((resolve) => {
      socket.once('data', () => resolve());
      socket.write(msg);
    });
    return (now() - t0) / 1000;
  };
  try {
    const latency: number[] = [];
    const transfer: number[] = [];
    for (let i = 0; i < reps; i++) {
      latency.push(await send(1));
      transfer.push(await send(bytes));
    }
    return { latency, bytesPerSecond: bytes / Math.max(1e-6, median(transfer) - median(latency)) };
  } finally {
    socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Measures and returns the profile (see the file comment). */
export async function calibrate(pictures: readonly Image[], options: CalibrateOptions): Promise<Profile> {
  const now = options.now ?? (() => performance.now());
  const n = options.framesPerChunk;
  const k = options.chunks;
  if (!Number.isInteger(n) || n < 1) throw new SimError('invalid-argument', `frames per chunk must be a positive integer, got ${n}`);
  if (!Number.isInteger(k) || k < 3) throw new SimError('invalid-argument', `calibration needs at least 3 chunks (so that rebase is measured), got ${k}`);
  if (pictures.length < n * k) throw new SimError('invalid-argument', `the clip has ${pictures.length} frames; ${k} chunks of ${n} need ${n * k}`);
  const { width, height } = pictures[0]!;
  const megapixels = (width * height) / 1e6;
  const total = 4 * k;
  let done = 0;
  const step = (): void => options.progress?.(++done, total);

  // Compute: one batch of k chunks, each phase timed per chunk by the
  // pipeline, after an untimed run of the first three chunks so that the
  // code is compiled before it is measured.
  const config = { framesPerChunk: n, chunksPerBatch: k, chunkEncoder: options.chunkEncoder, quality: options.quality, frameRate: options.frameRate, speed: options.speed };
  await runInProcess(pictures.slice(0, n * 3), config);
  const result = await runInProcess(
    pictures.slice(0, n * k),
    config,
    { keepStages: true, progress: () => step() },
  );
  const stages = result.stages!;
  const serialize: number[] = [];
  const stateBytes: number[] = [];
  for (const s of stages) {
    const t0 = now();
    stateBytes.push(serializeState(s.independentEnd).length);
    serialize.push((now() - t0) / 1000);
  }
  const perFmp = (seconds: number, frames: number): number => seconds / (frames * megapixels);
  const chunks = result.chunks;
  const encode = chunks.map((c) => perFmp(c.seconds.encode, c.frames));
  const decode = chunks.map((c, i) => perFmp(c.seconds.decode + serialize[i]!, c.frames));
  const given = chunks.filter((c) => c.position >= 1).map((c) => perFmp(c.seconds['encode-given-state'], c.frames));
  const rebase = chunks.filter((c) => c.position >= 2).map((c) => perFmp(c.seconds.rebase, c.frames));
  const outputBits = chunks.reduce((a, c) => a + c.bytes * 8, 0);
  const frames = chunks.reduce((a, c) => a + c.frames, 0);

  // Storage, rendezvous, process start.
  const rawChunkBytes = n * i420Size(width, height);
  const disk = measureDisk(rawChunkBytes, 5, now);
  const loop = await measureLoopback(median(stateBytes), 5, now);
  // A worker's start: a Node.js process that loads the worker's code.
  const workerCode = join(dirname(workerMainPath()), 'worker-process.js');
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = now();
    spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(workerCode).href)})`]);
    starts.push((now() - t0) / 1000);
  }

  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const cores = availableParallelism();
  const r4 = (x: number): number => Number(x.toPrecision(4));
  const cqLevel = options.quality.mode === 'cq' ? options.quality.cqLevel : options.quality.quantizer;
  return {
    version: 1,
    name: options.name ?? `calibrated-${options.clipName.replace(/\.[^.]*$/, '')}`,
    source: `measured by excamera calibrate on ${options.clipName} (${width}x${height}, ${k} chunks of ${n} frames, ${options.chunkEncoder} chunk encoder at ${options.quality.mode} ${cqLevel}) on ${cpu}, ${cores} cores, Node ${process.versions.node}, ${options.date}`,
    notes: {
      compute: `seconds per frame-megapixel of each chunk (${k} samples for encode and decode, ${k - 1} for encode-given-state, ${k - 2} for rebase): measured values below 5 samples, a lognormal through median and p90 from 5 on`,
      'compute.decode': 'decoding the independent chunk plus serializing the state it ends in',
      storage: `a local disk: a 64-byte file written and read for the latency, a raw chunk (${rawChunkBytes} bytes) for the bandwidth`,
      rendezvous: `loopback TCP on this machine: a 1-byte message for the latency, one serialized state (${median(stateBytes)} bytes) for the bandwidth`,
      platform: `workers are local processes: start = spawning node and loading the worker's code; concurrency = the ${cores} cores; nothing is billed`,
      workers: 'one machine: no per-worker speed variation is modelled',
    },
    video: { width, height, frameRate: r4(options.frameRate.numerator / options.frameRate.denominator), frames: options.clipFrames, ...(options.quality.mode === 'cq' ? { cqLevel } : {}) },
    platform: {
      startLatency: fromSamples(starts),
      throttleLatency: { kind: 'constant', value: 0.001 },
      concurrencyLimit: cores,
      memoryGB: 0,
      pricePerGBSecond: 0,
      pricePerRequest: 0,
      timeLimitSeconds: 86_400,
    },
    storage: {
      get: { latency: fromSamples(disk.latency), bytesPerSecond: r4(disk.bytesPerSecond) },
      put: { latency: fromSamples(disk.latency), bytesPerSecond: r4(disk.bytesPerSecond) },
    },
    rendezvous: { latency: fromSamples(loop.latency), bytesPerSecond: r4(loop.bytesPerSecond) },
    sizes: { stateBytesPerPixel: r4(median(stateBytes) / (width * height)), outputBitsPerPixel: r4(outputBits / (frames * width * height)) },
    compute: {
      encode: { perFrameMegapixel: fromSamples(encode) },
      decode: { perFrameMegapixel: fromSamples(decode) },
      givenState: { perFrameMegapixel: fromSamples(given) },
      rebase: { perFrameMegapixel: fromSamples(rebase) },
    },
    workers: { speed: { kind: 'constant', value: 1 } },
    failures: { probabilityPerPhase: 0, hangFraction: 0.5 },
  };
}
