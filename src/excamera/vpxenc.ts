// libvpx's vpxenc as a chunk encoder, as the ExCamera paper used it.
//
// The paper's workers ran
//   vpxenc --good --cpu-used=0 --end-usage=cq --cq-level=Q --min-q=0 --max-q=63
//          --passes=2 --auto-alt-ref=1 --threads=1 --token-parts=0 --tune=ssim
// on each chunk. We pass the same flags, with these changes:
//  - --disable-kf: the chunk's first frame is its only key frame (a scene
//    cut would otherwise start another, and ExCamera places key frames);
//  - --target-bitrate set far above any real rate, so that in CQ mode the
//    quality level alone decides the quantizers (with vpxenc's default
//    256 kbit/s target, the rate would cap them instead);
//  - --min-q=Q rather than 0: in a chunk of a few frames, two-pass CQ boosts
//    the key frame all the way to quantizer 0 (27 KB for a CIF key frame at
//    CQ 24, against 3 KB for each inter frame), so every chunk would carry a
//    near-lossless picture; with the CQ level as the floor, no frame is
//    quantized finer than the level asks;
//  - for a constant quantizer, --end-usage=vbr with --min-q = --max-q = Q
//    (VP8's --end-usage=q does not hold the quantizer).
// vpxenc makes hidden alt-ref frames only when it may look ahead
// (--lag-in-frames > 0, which these flags leave at vpxenc's default of 0);
// chunks that have them are handled all the same: rebase recodes them too
// (chunk.ts).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIvf, type Rational, writeY4m } from '../container/index.js';
import { type Image, imageToI420 } from '../vp8/index.js';
import { ExcameraError } from './errors.js';

/** Quality settings on vpxenc's 0..63 scale. */
export type ChunkQuality = { readonly mode: 'quantizer'; readonly quantizer: number } | { readonly mode: 'cq'; readonly cqLevel: number };

let available: boolean | undefined;

/** Whether vpxenc is installed. */
export function vpxencAvailable(): boolean {
  available ??= spawnSync('sh', ['-c', 'command -v vpxenc'], { encoding: 'utf8' }).status === 0;
  return available;
}

/**
 * The vpxenc flags for a chunk (see the file comment). With `keyframeInterval`,
 * a key frame every that many frames instead of only the first (for serial
 * encodes to compare against).
 */
export function vpxencArguments(quality: ChunkQuality, keyframeInterval?: number): string[] {
  const keys = keyframeInterval === undefined ? ['--disable-kf'] : [`--kf-min-dist=${keyframeInterval}`, `--kf-max-dist=${keyframeInterval}`];
  const paper = ['--codec=vp8', '--good', '--cpu-used=0', '--passes=2', '--auto-alt-ref=1', '--threads=1', '--token-parts=0', '--tune=ssim', ...keys];
  const rate = quality.mode === 'cq'
    ? ['--end-usage=cq', `--cq-level=${quality.cqLevel}`, `--min-q=${quality.cqLevel}`, '--max-q=63', '--target-bitrate=1000000']
    : ['--end-usage=vbr', '--target-bitrate=1000000', `--min-q=${quality.quantizer}`, `--max-q=${quality.quantizer}`];
  return [...paper, ...rate];
}

/** Encodes pictures with vpxenc; returns the compressed frames (hidden ones included). */
export async function encodeWithVpxenc(
  raws: readonly Image[], frameRate: Rational, quality: ChunkQuality, chunkIndex?: number, keyframeInterval?: number,
): Promise<Uint8Array[]> {
  if (!vpxencAvailable()) {
    throw new ExcameraError('chunk-encoder', 'the vpxenc chunk encoder needs vpxenc (Debian: apt-get install vpx-tools)', { chunk: chunkIndex });
  }
  if (raws.length === 0) throw new ExcameraError('invalid-argument', 'no pictures to encode', { chunk: chunkIndex });
  const { width, height } = raws[0];
  const dir = await mkdtemp(join(tmpdir(), 'excamera-vpxenc-'));
  try {
    const input = join(dir, 'chunk.y4m');
    const output = join(dir, 'chunk.ivf');
    await writeFile(input, writeY4m({ width, height, frameRate }, raws.map((r) => ({ data: imageToI420(r) }))));
    // vpxenc stops to ask "Continue?" on some settings (a constant quantizer, --min-q = --max-q),
    // and with no one to answer, exits: warnings are printed, never asked about.
    const args = [...vpxencArguments(quality, keyframeInterval), '--disable-warning-prompt', '--ivf', '-q', '-o', output, input];
    const { code, stderr } = await run('vpxenc', args);
    if (code !== 0) {
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      throw new ExcameraError('chunk-encoder', `vpxenc exited with status ${code}: ${tail}`, { chunk: chunkIndex });
    }
    const ivf = parseIvf(await readFile(output));
    return ivf.frames.map((f) => f.data.slice());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(command: string, args: readonly string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr = (stderr + d).slice(-4096);
    });
    child.on('error', (e) => reject(new ExcameraError('chunk-encoder', `cannot run ${command}: ${e.message}`)));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}
