// A failed atomic write names the file the user asked for, never the
// temporary name it is written under (`out.ivf.tmp-1234`).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicFileWriter, writeFileAtomic } from '../../src/container/index.js';

const dir = mkdtempSync(join(tmpdir(), 'excamera-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic writes that fail', () => {
  it('name the output and say why, keeping the error code', async () => {
    const path = join(dir, 'missing', 'out.ivf');
    const error = await writeFileAtomic(path, new Uint8Array(4)).then(() => null, (e: NodeJS.ErrnoException) => e);
    expect(error?.message).toBe(`cannot write ${path}: its directory does not exist`);
    expect(error?.message).not.toMatch(/\.tmp-/);
    expect(error?.code).toBe('ENOENT');
  });

  it('also when the rename fails (the output is a non-empty directory)', async () => {
    const file = await AtomicFileWriter.open(join(dir, 'busy'));
    await file.append(new Uint8Array(2));
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(dir, 'busy'));
    writeFileSync(join(dir, 'busy', 'x'), 'x');
    const error = await file.commit().then(() => null, (e: Error) => e);
    expect(error?.message).toMatch(new RegExp(`^cannot write ${join(dir, 'busy')}: `));
    expect(error?.message).not.toMatch(/\.tmp-/);
  });
});
