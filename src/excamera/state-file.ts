// State files (docs/excamera.md): a decoder state as bytes, to cross from
// one worker to the next.
//
// A state that crosses a chunk boundary is small in everything but its
// pictures: probability tables, segmentation, loop-filter deltas, and — since
// the last frame of every chunk refreshes all three references — one picture
// that last, golden and altref share. The format stores each distinct picture
// once (by content), so such a state costs one picture, about 1.5·W·H bytes
// before compression.
//
// Layout (integers little-endian):
//
//   0   4  magic "XCST"
//   4   1  format version (2)
//   5   3  zero
//   8   4  length of the payload, uncompressed
//   12  4  CRC-32 of every byte of the file but these four
//           (version 1 summed the payload alone, so a flipped bit that
//           left the inflated payload the same — a padding bit of the
//           compressed stream — went unnoticed)
//   16 32  stateHash of the state (SHA-256)
//   48  …  the payload, zlib-compressed
//
// Payload: width u16, height u16; coefficient (1056), motion vector (38),
// luma mode (4) and chroma mode (3) probabilities; segmentation (absolute u8,
// 4 quantizer and 4 filter values i8, map length u32 and the map); the
// reference and mode loop-filter deltas (4 + 4 i8); then for last, golden and
// altref a tag (0 none, 1 a picture follows, 2 the same as last, 3 the same
// as golden) and for tag 1 the macroblock-aligned Y, U and V samples.
//
// Reading checks everything before trusting it: magic, version, sizes against
// limits (before anything is allocated or inflated), the checksum, every
// value's range, and finally that the state read hashes to the hash stored.

import { crc32, deflateSync, inflateSync } from 'node:zlib';
import {
  allocateImage, DEFAULT_LIMITS, type DecoderLimits, type DecoderState, type Image, imagesEqual, type Plane, stateHash,
} from '../vp8/index.js';
import { extendImageBorders } from '../vp8/image.js';
import { COEFF_PROBS_SIZE } from '../vp8/tables.js';
import { ExcameraError } from './errors.js';

export const STATE_FILE_MAGIC = 'XCST';
export const STATE_FILE_VERSION = 2;
const HEADER_BYTES = 48;
const MV_PROBS = 38;
const YMODE_PROBS = 4;
const UVMODE_PROBS = 3;

export interface StateFileOptions {
  /** Picture size limits applied before anything is allocated (the decoder's by default). */
  readonly limits?: Partial<DecoderLimits>;
  /** Named in errors. */
  readonly file?: string;
}

/** What a state file's header says, read without inflating the payload. */
export interface StateFileHeader {
  readonly version: number;
  readonly payloadBytes: number;
  readonly crc32: number;
  /** The stateHash of the state inside. */
  readonly stateHash: string;
}

/**
 * stateHash of a state, remembered: states are immutable values, and a job
 * asks for the hash of one state several times (the state a chunk expects is
 * checked, then named in its file; a state read from a file was hashed to
 * check it).
 */
const knownHashes = new WeakMap<DecoderState, string>();
export function hashOfState(state: DecoderState): string {
  let hash = knownHashes.get(state);
  if (hash === undefined) {
    hash = stateHash(state);
    knownHashes.set(state, hash);
  }
  return hash;
}

/** The state as a state file (see the file comment). `level` is zlib's, 0..9 (default 6). */
export function serializeState(state: DecoderState, level = 6): Uint8Array {
  const refs = [state.last, state.golden, state.altref];
  const tags = refs.map((img, i) => {
    if (img === null) return 0;
    for (let j = 0; j < i; j++) {
      const other = refs[j];
      if (other !== null && imagesEqual(img, other)) return 2 + j;
    }
    return 1;
  });
  const pictureBytes = refs.reduce((n, img, i) => n + (tags[i] === 1 && img !== null ? alignedSamples(img) : 0), 0);
  const payloadBytes = 4 + COEFF_PROBS_SIZE + MV_PROBS + YMODE_PROBS + UVMODE_PROBS + 9 + 4 + state.segmentMap.length + 8 + 3 + pictureBytes;
  const payload = new Uint8Array(payloadBytes);
  const view = new DataView(payload.buffer);
  let o = 0;
  view.setUint16(o, state.width, true);
  view.setUint16(o + 2, state.height, true);
  o += 4;
  for (const table of [state.probs.coeff, state.probs.mv, state.probs.yMode, state.probs.uvMode]) {
    payload.set(table, o);
    o += table.length;
  }
  const putInt8s = (values: Int8Array): void => {
    for (let i = 0; i < 4; i++) view.setInt8(o++, values[i]);
  };
  payload[o++] = state.segmentFeatures.absolute ? 1 : 0;
  putInt8s(state.segmentFeatures.quantizer);
  putInt8s(state.segmentFeatures.loopFilter);
  view.setUint32(o, state.segmentMap.length, true);
  o += 4;
  payload.set(state.segmentMap, o);
  o += state.segmentMap.length;
  putInt8s(state.refLfDeltas);
  putInt8s(state.modeLfDeltas);
  refs.forEach((img, i) => {
    payload[o++] = tags[i];
    if (tags[i] === 1 && img !== null) {
      for (const p of [img.y, img.u, img.v]) o = copyPlaneOut(p, payload, o);
    }
  });
  if (o !== payloadBytes) throw new Error(`state payload size mismatch: wrote ${o} of ${payloadBytes}`);

  const compressed = deflateSync(payload, { level });
  const out = new Uint8Array(HEADER_BYTES + compressed.length);
  const header = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = STATE_FILE_MAGIC.charCodeAt(i);
  out[4] = STATE_FILE_VERSION;
  header.setUint32(8, payloadBytes, true);
  out.set(Buffer.from(hashOfState(state), 'hex'), 16);
  out.set(compressed, HEADER_BYTES);
  header.setUint32(12, fileChecksum(out), true);
  return out;
}

/** Reads a state file's header (magic, version, sizes, hash) without inflating it. */
export function readStateFileHeader(bytes: Uint8Array, options: StateFileOptions = {}): StateFileHeader {
  const fail = (detail: string, byteOffset?: number): never => {
    throw new ExcameraError('bad-state-file', detail, { file: options.file, byteOffset });
  };
  if (bytes.length < 4 || String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]) !== STATE_FILE_MAGIC) {
    fail(`not an ExCamera state file (it does not start with "${STATE_FILE_MAGIC}")`, 0);
  }
  if (bytes.length < HEADER_BYTES) fail(`state file of ${bytes.length} bytes is shorter than its ${HEADER_BYTES}-byte header`, bytes.length);
  const version = bytes[4];
  if (version !== STATE_FILE_VERSION) {
    throw new ExcameraError('state-version', `state file format version ${version}; this build reads version ${STATE_FILE_VERSION}`, { file: options.file, byteOffset: 4 });
  }
  if (bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) fail('reserved header bytes are not zero', 5);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    version,
    payloadBytes: view.getUint32(8, true),
    crc32: view.getUint32(12, true),
    stateHash: Buffer.from(bytes.subarray(16, 48)).toString('hex'),
  };
}

/** The largest payload a state within `limits` can have: four pictures' worth is more than enough. */
function maxPayloadBytes(limits: DecoderLimits): number {
  const mbs = Math.ceil(limits.maxWidth / 16) * Math.ceil(limits.maxHeight / 16);
  const pixelMbs = Math.ceil(limits.maxPixels / 256) + Math.ceil(limits.maxWidth / 16) + Math.ceil(limits.maxHeight / 16) + 1;
  return 1200 + Math.min(mbs, pixelMbs) * (1 + 3 * 384);
}

/** Reads a state file; every problem is an ExcameraError naming what and where. */
export function deserializeState(bytes: Uint8Array, options: StateFileOptions = {}): DecoderState {
  const limits: DecoderLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const header = readStateFileHeader(bytes, options);
  const fail = (detail: string, byteOffset?: number): never => {
    throw new ExcameraError('bad-state-file', detail, { file: options.file, byteOffset });
  };
  if (header.payloadBytes > maxPayloadBytes(limits)) {
    fail(`the payload claims ${header.payloadBytes} bytes, more than any state within the size limits`, 8);
  }
  // What is stored, before anything is inflated from it.
  if (fileChecksum(bytes) !== header.crc32) fail('checksum mismatch: the file is damaged', 12);
  let payload: Uint8Array;
  try {
    // One byte of slack so that a payload longer than declared is detected, not cut.
    // As a plain Uint8Array: a Buffer's slice() is a view, and the tables
    // read from the payload must be copies the state owns.
    payload = new Uint8Array(inflateSync(bytes.subarray(HEADER_BYTES), { maxOutputLength: header.payloadBytes + 1 }));
  } catch (e) {
    return fail(`the compressed payload is damaged (${(e as Error).message})`, HEADER_BYTES);
  }
  if (payload.length !== header.payloadBytes) fail(`the payload holds ${payload.length} bytes, the header says ${header.payloadBytes}`, 8);

  const r = new PayloadReader(payload, fail);
  const width = r.u16('width');
  const height = r.u16('height');
  if ((width === 0) !== (height === 0)) fail(`size ${width}x${height} has one zero dimension`);
  if (width > limits.maxWidth || height > limits.maxHeight || width * height > limits.maxPixels) {
    fail(`size ${width}x${height} exceeds the limits (${limits.maxWidth}x${limits.maxHeight}, ${limits.maxPixels} pixels)`);
  }
  const coeff = r.bytes(COEFF_PROBS_SIZE, 'coefficient probabilities');
  const mv = r.bytes(MV_PROBS, 'motion vector probabilities');
  const yMode = r.bytes(YMODE_PROBS, 'luma mode probabilities');
  const uvMode = r.bytes(UVMODE_PROBS, 'chroma mode probabilities');
  for (const [name, table] of [['coefficient', coeff], ['motion vector', mv], ['luma mode', yMode], ['chroma mode', uvMode]] as const) {
    const zero = table.indexOf(0);
    if (zero >= 0) fail(`${name} probability ${zero} is 0; probabilities are 1..255`);
  }
  const absolute = r.u8('segment feature mode');
  if (absolute > 1) fail(`segment feature mode ${absolute} is neither 0 (delta) nor 1 (absolute)`);
  const quantizer = r.i8s(4, 'segment quantizers');
  const loopFilter = r.i8s(4, 'segment filter levels');
  const mbCount = ((width + 15) >> 4) * ((height + 15) >> 4);
  const mapLength = r.u32('segment map length');
  if (mapLength !== 0 && mapLength !== mbCount) fail(`segment map of ${mapLength} entries for ${mbCount} macroblocks`);
  const segmentMap = r.bytes(mapLength, 'segment map');
  if (segmentMap.some((s) => s > 3)) fail('segment map holds an id above 3');
  const refLfDeltas = r.i8s(4, 'reference filter deltas');
  const modeLfDeltas = r.i8s(4, 'mode filter deltas');
  const refs: (Image | null)[] = [];
  for (const name of ['last', 'golden', 'altref']) {
    const tag = r.u8(`${name} reference tag`);
    if (tag === 0) refs.push(null);
    else if (tag === 1) {
      if (width === 0) fail(`the ${name} reference has a picture but the state has no size`);
      const img = allocateImage(width, height);
      for (const p of [img.y, img.u, img.v]) r.plane(p, `${name} reference`);
      extendImageBorders(img);
      refs.push(img);
    } else if (tag === 2 || tag === 3) {
      const shared = refs[tag - 2];
      if (shared === undefined || shared === null) fail(`the ${name} reference is said to share a picture that is not there`);
      refs.push(shared ?? null);
    } else fail(`${name} reference tag ${tag} is not 0..3`);
  }
  if (r.remaining() !== 0) fail(`${r.remaining()} bytes follow the last reference`);
  if ((width === 0) !== (refs[0] === null)) fail('a state has a last reference exactly when it has a size');
  const state: DecoderState = {
    width,
    height,
    probs: { coeff, mv, yMode, uvMode },
    segmentFeatures: { absolute: absolute === 1, quantizer, loopFilter },
    segmentMap,
    refLfDeltas,
    modeLfDeltas,
    last: refs[0],
    golden: refs[1],
    altref: refs[2],
  };
  if (stateHash(state) !== header.stateHash) fail('the state read does not hash to the hash in the header', 16);
  knownHashes.set(state, header.stateHash);
  return state;
}

/** The first 32 bits of a state hash: what a chunk file records of the state it expects. */
export function stateTag(hash: string): number {
  return Number.parseInt(hash.slice(0, 8), 16) >>> 0;
}

function alignedSamples(img: Image): number {
  return img.y.width * img.y.height + 2 * img.u.width * img.u.height;
}

function copyPlaneOut(p: Plane, out: Uint8Array, o: number): number {
  for (let y = 0; y < p.height; y++) {
    const row = p.offset + y * p.stride;
    out.set(p.data.subarray(row, row + p.width), o);
    o += p.width;
  }
  return o;
}

/** Bounds-checked reading of the payload. */
class PayloadReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly data: Uint8Array, private readonly fail: (detail: string) => never) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.data.length) this.fail(`the payload ends inside the ${what}`);
  }

  remaining(): number {
    return this.data.length - this.pos;
  }

  u8(what: string): number {
    this.need(1, what);
    return this.data[this.pos++];
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.data.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  i8s(n: number, what: string): Int8Array {
    const b = this.bytes(n, what);
    return new Int8Array(b.buffer, b.byteOffset, n);
  }

  plane(p: Plane, what: string): void {
    this.need(p.width * p.height, what);
    for (let y = 0; y < p.height; y++) {
      p.data.set(this.data.subarray(this.pos, this.pos + p.width), p.offset + y * p.stride);
      this.pos += p.width;
    }
  }
}

/** CRC-32 of a state file's bytes, all but the checksum field (12..15) itself. */
function fileChecksum(bytes: Uint8Array): number {
  return crc32(bytes.subarray(16), crc32(bytes.subarray(0, 12)));
}
