// Paths of the test fixtures and small helpers shared by tests.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIvf, parseY4m, type Rational, writeY4m } from '../../src/container/index.js';
import { createDecoderState, decodeFrame, imageToI420 } from '../../src/vp8/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(ROOT, 'fixtures');
export const VECTORS = join(FIXTURES, 'vectors');
export const CLIPS = join(FIXTURES, 'clips');

export const VECTOR_NAMES: readonly string[] = Array.from({ length: 18 }, (_, i) => `vp80-00-comprehensive-${String(i + 1).padStart(3, '0')}`);

/** The compressed frames of an IVF fixture. */
export function ivfFrames(path: string): Uint8Array[] {
  return parseIvf(new Uint8Array(readFileSync(path))).frames.map((f) => f.data);
}

export function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** Our decoder's md5 of every shown frame of a stream (as packed I420, vpxdec --md5 --i420). */
export function shownFrameMd5s(frames: readonly Uint8Array[]): string[] {
  let state = createDecoderState();
  const out: string[] = [];
  for (const f of frames) {
    const r = decodeFrame(state, f);
    state = r.state;
    if (r.image) out.push(md5(imageToI420(r.image)));
  }
  return out;
}

/** The top-left w×h of a packed I420 frame of size W×H (chroma planes round up). */
export function cropI420(frame: Uint8Array, W: number, H: number, w: number, h: number): Uint8Array {
  const cW = (W + 1) >> 1;
  const cH = (H + 1) >> 1;
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const out = new Uint8Array(w * h + 2 * cw * ch);
  let o = 0;
  const planes: Array<[number, number, number, number]> = [
    [0, W, w, h],
    [W * H, cW, cw, ch],
    [W * H + cW * cH, cW, cw, ch],
  ];
  for (const [base, stride, pw, ph] of planes) {
    for (let y = 0; y < ph; y++) {
      out.set(frame.subarray(base + y * stride, base + y * stride + pw), o);
      o += pw;
    }
  }
  return out;
}

/**
 * Writes the first `frames` frames of fixture clip `name` (in CLIPS) to `path`
 * as Y4M: cropped to the top-left `size` when given (odd sizes), at the
 * clip's frame rate unless `frameRate` is given.
 */
export function writeClipPrefix(path: string, name: string, frames: number, options: { readonly size?: readonly [number, number]; readonly frameRate?: Rational } = {}): void {
  const clip = parseY4m(new Uint8Array(readFileSync(join(CLIPS, name))));
  const { width: W, height: H } = clip.header;
  const [width, height] = options.size ?? [W, H];
  const data = clip.frames.slice(0, frames).map((f) => ({ data: width === W && height === H ? f.data : cropI420(f.data, W, H, width, height) }));
  writeFileSync(path, writeY4m({ width, height, frameRate: options.frameRate ?? clip.header.frameRate }, data));
}
