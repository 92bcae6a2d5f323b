// RFC 6386 sections 2 and 18.1: decoded pictures.
//
// A VP8 picture is three 8-bit planes, Y at full resolution and U, V at half
// resolution in each direction (4:2:0, section 2). The decoder works on whole
// macroblocks, so every plane is allocated at the macroblock-aligned size
// (width and height rounded up to 16 luma / 8 chroma samples); the samples to
// the right of and below the visible picture are decoded like any other and are
// part of the reference frame.
//
// Motion vectors may point outside the picture (section 18.1): prediction then
// uses the nearest edge sample, as if the aligned picture extended without end.
// Each plane therefore carries a border of replicated edge samples, filled once
// when a frame is complete, so that most blocks are predicted without bounds
// checks; blocks that reach beyond the border are handled by clamping
// coordinates (inter.ts).

import { i420Layout, i420Size } from './i420.js';
import { Vp8Error } from './errors.js';

export { i420Size };

/** Border around each luma plane, in samples (chroma planes get half). */
export const LUMA_BORDER = 48;

/** One plane of samples with a border. Pixel (x, y) is `data[offset + y * stride + x]`. */
export interface Plane {
  readonly data: Uint8Array;
  readonly stride: number;
  /** Index of sample (0, 0) in `data`. */
  readonly offset: number;
  /** Allocated (macroblock-aligned) width, excluding the border. */
  readonly width: number;
  /** Allocated (macroblock-aligned) height, excluding the border. */
  readonly height: number;
  /** Samples of border on each side. */
  readonly border: number;
}

/** A decoded picture: three planes and the visible size. */
export interface Image {
  /** Visible width in luma samples. */
  readonly width: number;
  /** Visible height in luma samples. */
  readonly height: number;
  readonly y: Plane;
  readonly u: Plane;
  readonly v: Plane;
}

function allocatePlane(width: number, height: number, border: number): Plane {
  const stride = width + 2 * border;
  const rows = height + 2 * border;
  return { data: new Uint8Array(stride * rows), stride, offset: border * stride + border, width, height, border };
}

/** Allocates a picture of the given visible size, with aligned planes and borders. */
export function allocateImage(width: number, height: number): Image {
  const mbCols = (width + 15) >> 4;
  const mbRows = (height + 15) >> 4;
  return {
    width,
    height,
    y: allocatePlane(mbCols * 16, mbRows * 16, LUMA_BORDER),
    u: allocatePlane(mbCols * 8, mbRows * 8, LUMA_BORDER >> 1),
    v: allocatePlane(mbCols * 8, mbRows * 8, LUMA_BORDER >> 1),
  };
}

/** Replicates the edge samples of a plane into its border (section 18.1). */
export function extendPlaneBorder(p: Plane): void {
  const { data, stride, offset, width, height, border } = p;
  // Left and right: each row's first and last sample.
  for (let y = 0; y < height; y++) {
    const row = offset + y * stride;
    data.fill(data[row], row - border, row);
    data.fill(data[row + width - 1], row + width, row + width + border);
  }
  // Top and bottom: whole rows, border included.
  const firstRow = offset - border;
  const lastRow = firstRow + (height - 1) * stride;
  for (let i = 1; i <= border; i++) {
    data.copyWithin(firstRow - i * stride, firstRow, firstRow + stride);
    data.copyWithin(lastRow + i * stride, lastRow, lastRow + stride);
  }
}

export function extendImageBorders(img: Image): void {
  extendPlaneBorder(img.y);
  extendPlaneBorder(img.u);
  extendPlaneBorder(img.v);
}

/**
 * The visible picture as packed I420: Y rows of `width` samples, then U and V
 * with ((width + 1) >> 1) × ((height + 1) >> 1) samples, no padding. This is
 * the layout of Y4M frames and of the test vectors' md5 sums.
 */
export function imageToI420(img: Image, out: Uint8Array = new Uint8Array(i420Size(img.width, img.height))): Uint8Array {
  const l = i420Layout(img.width, img.height);
  copyPlane(img.y, l.width, l.height, out, 0);
  copyPlane(img.u, l.chromaWidth, l.chromaHeight, out, l.uOffset);
  copyPlane(img.v, l.chromaWidth, l.chromaHeight, out, l.vOffset);
  return out;
}

function copyPlane(p: Plane, w: number, h: number, out: Uint8Array, o: number): number {
  for (let y = 0; y < h; y++) {
    const row = p.offset + y * p.stride;
    out.set(p.data.subarray(row, row + w), o);
    o += w;
  }
  return o;
}

/**
 * Builds a picture from packed I420 samples of the given visible size. The
 * samples right of and below the visible area are filled by replicating the
 * last visible column and row, and the border is extended.
 */
export function imageFromI420(width: number, height: number, i420: Uint8Array): Image {
  const l = i420Layout(width, height);
  if (i420.length < l.size) throw new Vp8Error('invalid-argument', `imageFromI420: ${i420.length} bytes hold no ${width}x${height} I420 frame (${l.size} bytes)`);
  const img = allocateImage(width, height);
  fillPlane(img.y, l.width, l.height, i420, 0);
  fillPlane(img.u, l.chromaWidth, l.chromaHeight, i420, l.uOffset);
  fillPlane(img.v, l.chromaWidth, l.chromaHeight, i420, l.vOffset);
  extendImageBorders(img);
  return img;
}

function fillPlane(p: Plane, w: number, h: number, src: Uint8Array, o: number): number {
  const { data, stride, offset } = p;
  for (let y = 0; y < h; y++) {
    const row = offset + y * stride;
    data.set(src.subarray(o, o + w), row);
    data.fill(data[row + w - 1], row + w, row + p.width);
    o += w;
  }
  const last = offset + (h - 1) * stride;
  for (let y = h; y < p.height; y++) data.copyWithin(offset + y * stride, last, last + p.width);
  return o;
}

/** True when the macroblock-aligned samples of two planes are equal (borders are derived, so ignored). */
export function planesEqual(a: Plane, b: Plane): boolean {
  if (a === b) return true;
  if (a.width !== b.width || a.height !== b.height) return false;
  for (let y = 0; y < a.height; y++) {
    const ra = a.offset + y * a.stride;
    const rb = b.offset + y * b.stride;
    for (let x = 0; x < a.width; x++) if (a.data[ra + x] !== b.data[rb + x]) return false;
  }
  return true;
}

export function imagesEqual(a: Image, b: Image): boolean {
  if (a === b) return true;
  return a.width === b.width && a.height === b.height && planesEqual(a.y, b.y) && planesEqual(a.u, b.u) && planesEqual(a.v, b.v);
}
