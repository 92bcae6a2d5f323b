// `excamera xc --compare-serial`: the speed-up of an ExCamera job over the
// encode it replaces — the same clip, encoder, speed and quality level, one
// frame after another in one process — measured in the same run.
//
// The serial encode is `excamera encode` in a fresh process, as a user would
// run it, started after the job has ended so that the two never share the
// machine. Its time is that of its encoding loop alone (no start-up, no
// reading or measuring), while the job's is its whole latency: the speed-up
// errs low, never high.
//
// The best speed-up a job can reach is bounded by the work ExCamera adds: the
// chunks' own key frames, each chunk's first frame encoded again given the
// previous state, and the rebase. With C cores and W seconds of that compute
// (the encode, given-state and rebase phases summed over workers), no
// schedule finishes before W / C, so the speed-up is at most S·C / W for a
// serial time of S. How close the job comes is the share of its latency the
// cores spent computing; the rest is start-up, state transfer and waiting.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChunkQuality } from '../excamera/vpxenc.js';
import { CliError } from './errors.js';

/** Phases in which a worker (or the in-process pipeline) computes; the others move data or wait. */
export const COMPUTE_PHASES: readonly string[] = ['encode', 'decode', 'given-state', 'encode-given-state', 'rebase'];

/** What the serial encode gave, as its --json summary says, and how long its process took. */
export interface SerialEncode {
  /** Seconds in its encoding loop. */
  readonly seconds: number;
  /** Seconds of its whole process. */
  readonly processSeconds: number;
  readonly bytes: number;
  readonly kbitPerSecond: number;
  readonly ssimDb: number;
  readonly psnr: number;
}

/** Runs `excamera encode` on the clip in a fresh process, the same CLI as this one. */
export async function encodeSerially(input: string, frames: number, quality: ChunkQuality, speed: number): Promise<SerialEncode> {
  const dir = await mkdtemp(join(tmpdir(), 'excamera-serial-'));
  try {
    const args = [
      process.argv[1]!, 'encode', input, '-o', join(dir, 'serial.ivf'), '--limit', String(frames), '--speed', String(speed), '--json', '--quiet',
      ...(quality.mode === 'quantizer' ? ['--quantizer', String(quality.quantizer)] : ['--cq-level', String(quality.cqLevel)]),
    ];
    const t0 = performance.now();
    const { status, stdout, stderr } = await run(process.execPath, args);
    const processSeconds = (performance.now() - t0) / 1000;
    if (status !== 0) throw new CliError(`the serial encode for --compare-serial failed (exit ${status}): ${stderr.trim()}`);
    const summary = JSON.parse(stdout) as { seconds: number; bytes: number; kbitPerSecond: number; ssim: { allDb: number }; psnr: { all: number } };
    return { seconds: summary.seconds, processSeconds, bytes: summary.bytes, kbitPerSecond: summary.kbitPerSecond, ssimDb: summary.ssim.allDb, psnr: summary.psnr.all };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(command: string, args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The job against the serial encode: speed-up, the bound the added work sets, and how close it came. */
export interface SerialComparison {
  readonly serialSeconds: number;
  readonly jobSeconds: number;
  readonly speedup: number;
  /** Seconds of compute the job spent (encode, given-state, rebase), over all workers. */
  readonly computeSeconds: number;
  /** computeSeconds over the serial time, less one: the work ExCamera adds. */
  readonly addedWork: number;
  readonly cores: number;
  /** serialSeconds · cores / computeSeconds: the speed-up no schedule on these cores can beat. */
  readonly bound: number;
  /** speedup / bound. */
  readonly ofBound: number;
  readonly serial: SerialEncode;
}

export function compareWithSerial(serial: SerialEncode, jobSeconds: number, phaseSeconds: Readonly<Record<string, number>>, cores: number): SerialComparison {
  const computeSeconds = COMPUTE_PHASES.reduce((sum, p) => sum + (phaseSeconds[p] ?? 0), 0);
  const speedup = serial.seconds / jobSeconds;
  const bound = (serial.seconds * cores) / computeSeconds;
  return { serialSeconds: serial.seconds, jobSeconds, speedup, computeSeconds, addedWork: computeSeconds / serial.seconds - 1, cores, bound, ofBound: speedup / bound, serial };
}
