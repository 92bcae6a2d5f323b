// Atomic file writing: readers of `path` see either the old file or the whole
// new one, never a partial write. The data goes to `path + '.tmp-<pid>'` first
// and is renamed over `path` once complete; rename(2) within one directory is
// atomic on POSIX file systems. A crash leaves only the temporary file, whose
// name says which process wrote it.

import { open, rename, rm, type FileHandle } from 'node:fs/promises';

/** The temporary name a file is written under before it is renamed to `path`. */
export function temporaryPath(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/** Writes `data` (one buffer or several, concatenated) to `path` atomically. */
export async function writeFileAtomic(path: string, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
  const file = await AtomicFileWriter.open(path);
  try {
    await file.append(...(data instanceof Uint8Array ? [data] : data));
    await file.commit();
  } catch (error) {
    await file.abort();
    throw error;
  }
}

/**
 * A file being written under its temporary name: append to it (and patch bytes
 * already written, e.g. a frame count in a header), then `commit()` to rename
 * it into place or `abort()` to delete it.
 */
export class AtomicFileWriter {
  readonly path: string;
  readonly tempPath: string;
  private readonly handle: FileHandle;
  private length = 0;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  private constructor(path: string, tempPath: string, handle: FileHandle) {
    this.path = path;
    this.tempPath = tempPath;
    this.handle = handle;
  }

  /** Creates (or truncates) the temporary file for `path`. */
  static async open(path: string): Promise<AtomicFileWriter> {
    const tempPath = temporaryPath(path);
    try {
      return new AtomicFileWriter(path, tempPath, await open(tempPath, 'w'));
    } catch (error) {
      throw naming(path, error);
    }
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.length;
  }

  /** Appends the chunks in order, without joining them into one buffer first. */
  async append(...chunks: Uint8Array[]): Promise<void> {
    this.assertOpen('append');
    const position = this.length;
    // Reserve the range before awaiting, so that appends which overlap in time still land in call order.
    for (const chunk of chunks) this.length += chunk.length;
    await writeAllAt(this.handle, chunks, position);
  }

  /** Overwrites bytes already appended, starting at `position`. */
  async writeAt(position: number, data: Uint8Array): Promise<void> {
    this.assertOpen('writeAt');
    if (!Number.isSafeInteger(position) || position < 0 || position + data.length > this.length) {
      throw new Error(`AtomicFileWriter.writeAt: range ${position}..${position + data.length} is outside the ${this.length} bytes written`);
    }
    await writeAllAt(this.handle, [data], position);
  }

  /** Flushes the data to disk and renames the file to `path`. */
  async commit(): Promise<void> {
    this.assertOpen('commit');
    this.state = 'committed';
    try {
      // Without the flush, a crash soon after the rename could leave `path` empty.
      await this.handle.datasync();
      await this.handle.close();
      await rename(this.tempPath, this.path);
    } catch (error) {
      await this.handle.close().catch(() => undefined);
      await rm(this.tempPath, { force: true });
      throw naming(this.path, error);
    }
  }

  /** Closes and deletes the temporary file; `path` is left as it was. Safe to call more than once. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.handle.close().catch(() => undefined); // already closed or failed: deleting is all that matters
    await rm(this.tempPath, { force: true });
  }

  private assertOpen(operation: string): void {
    if (this.state !== 'open') throw new Error(`AtomicFileWriter.${operation}: ${this.tempPath} is already ${this.state}`);
  }
}

/**
 * A file system error about the temporary file, told of the file the user
 * named: "cannot write out.ivf: no such directory" rather than an ENOENT on
 * out.ivf.tmp-1234. The `code` stays, for callers that test it.
 */
function naming(path: string, error: unknown): Error {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string') return error as Error;
  const why: Record<string, string> = {
    ENOENT: 'its directory does not exist', ENOTDIR: 'a part of its directory is not a directory', EACCES: 'permission denied',
    EPERM: 'permission denied', EROFS: 'the file system is read-only', ENOSPC: 'the disk is full', EDQUOT: 'the disk quota is exhausted',
    EISDIR: 'it is a directory', EEXIST: 'a file is in the way',
  };
  return Object.assign(new Error(`cannot write ${path}: ${why[e.code] ?? e.message.replace(/, \w+ '[^']*'$/, '')}`, { cause: error }), { code: e.code, path });
}

/** Writes all chunks contiguously at `position`, continuing after partial writes. */
async function writeAllAt(handle: FileHandle, chunks: readonly Uint8Array[], position: number): Promise<void> {
  let pending = chunks.filter((chunk) => chunk.length > 0);
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, position);
    if (bytesWritten === 0) throw new Error('AtomicFileWriter: the file system accepted no bytes');
    position += bytesWritten;
    let skip = bytesWritten;
    while (pending.length > 0 && skip >= pending[0]!.length) skip -= pending.shift()!.length;
    if (skip > 0) pending[0] = pending[0]!.subarray(skip);
  }
}
