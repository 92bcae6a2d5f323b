// File-reading helpers shared by the container readers (internal, not part of
// the public API). File-system errors (ENOENT, EISDIR, EACCES...) are not bad
// input, so they propagate unchanged as Node.js system errors.

import { open, type FileHandle } from 'node:fs/promises';
import { ContainerError, type ContainerFormat } from './errors.js';

/** Reads into `buffer` until it is full or the file ends; returns the number of bytes read. */
export async function readFully(handle: FileHandle, buffer: Uint8Array, position: number): Promise<number> {
  let filled = 0;
  // A read may return fewer bytes than asked for without being at the end of the file.
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/** Loads a whole file, refusing one larger than `maxFileBytes` before allocating anything. */
export async function readFileLimited(path: string, maxFileBytes: number, format: ContainerFormat | 'unknown'): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxFileBytes) {
      throw new ContainerError('too-large', format, `file ${path} is ${size} bytes, more than maxFileBytes (${maxFileBytes})`, 0);
    }
    const bytes = new Uint8Array(size);
    const length = await readFully(handle, bytes, 0);
    return length === size ? bytes : bytes.subarray(0, length); // the file shrank while we read it
  } finally {
    await handle.close();
  }
}

/** Up to `length` bytes from the start of a file. */
export async function readHead(path: string, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(length);
    return head.subarray(0, await readFully(handle, head, 0));
  } finally {
    await handle.close();
  }
}

/** Bytes as a string of the same length, one character per byte (headers are ASCII). */
export function latin1(bytes: Uint8Array): string {
  // A loop rather than Buffer: the inspector runs this in a browser.
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** True when `bytes` holds `magic` at `offset` (compared as far as `bytes` reaches when `prefixOnly`). */
export function startsWith(bytes: Uint8Array, magic: Uint8Array, offset = 0, prefixOnly = false): boolean {
  const length = prefixOnly ? Math.min(magic.length, bytes.length - offset) : magic.length;
  if (offset + length > bytes.length) return false;
  for (let i = 0; i < length; i++) if (bytes[offset + i] !== magic[i]) return false;
  return true;
}

/**
 * A file read one frame at a time, holding one frame in memory. Await `next()`
 * until it returns null (one call at a time), or use `for await (const frame
 * of reader)`, which closes the file at the end. Subclasses read the frame at
 * an offset; this class keeps the position, counts frames, and with
 * `allowTruncated` turns a frame cut short into the end of the file.
 */
export abstract class FrameFileReader<F> implements AsyncIterable<F> {
  private position: number;
  private frameIndex = 0;
  private done = false;
  private truncated: number | null = null;

  protected constructor(
    readonly path: string,
    protected readonly handle: FileHandle,
    firstFrameAt: number,
    private readonly allowTruncated: boolean,
  ) {
    this.position = firstFrameAt;
  }

  /** Reads the frame starting at `offset`: the frame and where the next one starts, or null at the end of the file. */
  protected abstract readFrameAt(offset: number, frameIndex: number): Promise<{ frame: F; next: number } | null>;

  /** Frames returned so far. */
  get framesRead(): number {
    return this.frameIndex;
  }

  /** With `allowTruncated`, the offset of the frame where the file was cut short; otherwise null. */
  get truncatedAt(): number | null {
    return this.truncated;
  }

  /** The next frame (its data a fresh buffer the caller owns), or null after the last one. */
  async next(): Promise<F | null> {
    if (this.done) return null;
    const offset = this.position;
    try {
      const r = await this.readFrameAt(offset, this.frameIndex);
      if (r === null) {
        this.done = true;
        return null;
      }
      this.position = r.next;
      this.frameIndex++;
      return r.frame;
    } catch (error) {
      this.done = true;
      if (this.allowTruncated && error instanceof ContainerError && error.code === 'truncated') {
        this.truncated = offset;
        return null;
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    this.done = true;
    await this.handle.close().catch(() => undefined); // closing twice is harmless
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<F, void, undefined> {
    try {
      for (let frame = await this.next(); frame !== null; frame = await this.next()) yield frame;
    } finally {
      await this.close();
    }
  }
}
