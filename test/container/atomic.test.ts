import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicFileWriter, temporaryPath, writeFileAtomic } from '../../src/container/index.js';
import { caught, makeTempDir } from './helpers.js';

const temp = makeTempDir();
afterAll(temp.remove);

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('writeFileAtomic', () => {
  it('writes one buffer or several, replacing an existing file, leaving no temporary file', async () => {
    const path = join(temp.dir, 'whole.bin');
    writeFileSync(path, 'old contents');
    await writeFileAtomic(path, [bytes('ab'), new Uint8Array(0), bytes('cd')]);
    expect(readFileSync(path, 'utf8')).toBe('abcd');
    await writeFileAtomic(path, bytes('x'));
    expect(readFileSync(path, 'utf8')).toBe('x');
    expect(readdirSync(temp.dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });
});

describe('AtomicFileWriter', () => {
  it('shows nothing at the path until commit, then the whole file', async () => {
    const path = join(temp.dir, 'streamed.bin');
    const file = await AtomicFileWriter.open(path);
    expect(file.tempPath).toBe(`${path}.tmp-${process.pid}`);
    expect(temporaryPath(path)).toBe(file.tempPath);
    await file.append(bytes('header--'), bytes('body'));
    await file.writeAt(6, bytes('!!'));
    expect(file.size).toBe(12);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(file.tempPath)).toBe(true);
    await file.commit();
    expect(readFileSync(path, 'utf8')).toBe('header!!body');
    expect(existsSync(file.tempPath)).toBe(false);
    await file.abort(); // after commit: no effect
    expect(existsSync(path)).toBe(true);
  });

  it('abort deletes the partial file and leaves the previous file intact', async () => {
    const path = join(temp.dir, 'kept.bin');
    writeFileSync(path, 'previous');
    const file = await AtomicFileWriter.open(path);
    await file.append(bytes('partial'));
    await file.abort();
    expect(existsSync(file.tempPath)).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('previous');
  });

  it('keeps call order for appends that overlap in time', async () => {
    const path = join(temp.dir, 'ordered.bin');
    const file = await AtomicFileWriter.open(path);
    await Promise.all(Array.from({ length: 50 }, (_, i) => file.append(bytes(`${String(i).padStart(2, '0')},`))));
    await file.commit();
    expect(readFileSync(path, 'utf8')).toBe(Array.from({ length: 50 }, (_, i) => `${String(i).padStart(2, '0')},`).join(''));
  });

  it('refuses patches outside the written bytes and use after commit', async () => {
    const file = await AtomicFileWriter.open(join(temp.dir, 'misuse.bin'));
    await file.append(bytes('1234'));
    expect(String(await caught(() => file.writeAt(3, bytes('xy'))))).toContain('outside');
    await file.commit();
    expect(String(await caught(() => file.append(bytes('late'))))).toContain('already committed');
  });
});
