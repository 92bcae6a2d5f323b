// Storage for a job's chunks: a local directory (the default). Keys are
// relative paths such as `input/000012.yuv`; every write is atomic (a
// temporary name, then a rename), so a reader never sees part of a chunk and
// a chunk written twice — by a worker and by its replacement — is simply
// replaced by the same bytes.

import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../../container/index.js';
import { ExcameraError } from '../errors.js';
import type { Storage } from './worker.js';

const KEY = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export class LocalStorage implements Storage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The file of `key`, refusing keys that would leave the root. */
  path(key: string): string {
    if (!KEY.test(key) || key.split('/').some((p) => p === '.' || p === '..')) {
      throw new ExcameraError('invalid-argument', `storage key ${JSON.stringify(key)} is not a plain relative path`);
    }
    const p = join(this.root, ...key.split('/'));
    if (!p.startsWith(this.root + sep)) throw new ExcameraError('invalid-argument', `storage key ${JSON.stringify(key)} leaves ${this.root}`);
    return p;
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.path(key)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ExcameraError('invalid-argument', `storage has no ${key} (in ${this.root})`);
      throw e;
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const p = this.path(key);
    await mkdir(dirname(p), { recursive: true });
    await writeFileAtomic(p, bytes);
  }
}
