// The zip `excamera lambda package` writes: every entry reads back with its
// bytes, its Unix permissions (an executable stays executable: Lambda runs
// what the package marks so) and a fixed time, and the archive's bytes depend
// only on the entries — not on when, or in which time zone, it was made.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { zip } from '../../src/excamera/runtime/package.js';
import { unzipTo } from '../helpers/unzip.js';

const dir = mkdtempSync(join(tmpdir(), 'excamera-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = new TextEncoder().encode('export const handler = () => 1;\n'.repeat(200));
const noise = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
const entries = [
  { name: 'dist/src/handler.js', data: text, mode: 0o644 },
  { name: 'node_modules/.bin/tool', data: new TextEncoder().encode('#!/bin/sh\necho hi\n'), mode: 0o755 },
  { name: 'node_modules/pkg/empty.txt', data: new Uint8Array(0), mode: 0o600 },
  { name: 'node_modules/pkg/noise.bin', data: noise, mode: 0o644 },
  { name: 'docs/café.md', data: new TextEncoder().encode('é'), mode: 0o644 },
];

/** Each central directory record: name, method, "made by" system, Unix mode, DOS time and date. */
function centralDirectory(archive: Uint8Array): { name: string; method: number; madeBy: number; mode: number; time: number; date: number; compressed: number }[] {
  const b = Buffer.from(archive.buffer, archive.byteOffset, archive.length);
  const end = b.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const records = [];
  let p = b.readUInt32LE(end + 16);
  for (let i = 0; i < b.readUInt16LE(end + 10); i++) {
    expect(b.readUInt32LE(p)).toBe(0x02014b50);
    const nameLength = b.readUInt16LE(p + 28);
    records.push({
      name: b.toString('utf8', p + 46, p + 46 + nameLength),
      madeBy: b[p + 5]!,
      method: b.readUInt16LE(p + 10),
      time: b.readUInt16LE(p + 12),
      date: b.readUInt16LE(p + 14),
      compressed: b.readUInt32LE(p + 20),
      mode: b.readUInt32LE(p + 38) >>> 16,
    });
    p += 46 + nameLength + b.readUInt16LE(p + 30) + b.readUInt16LE(p + 32);
  }
  return records;
}

describe('the package zip', () => {
  const archive = zip(entries);

  it('holds every entry, byte for byte, in order', () => {
    const out = join(dir, 'all');
    expect(unzipTo(archive, out)).toBe(entries.length);
    for (const e of entries) expect(new Uint8Array(readFileSync(join(out, ...e.name.split('/')))), e.name).toEqual(e.data);
    expect(centralDirectory(archive).map((r) => r.name)).toEqual(entries.map((e) => e.name));
  });

  it('keeps each file\'s Unix mode, as a regular file made on Unix', () => {
    for (const [i, r] of centralDirectory(archive).entries()) {
      expect(r.madeBy, r.name).toBe(3);
      expect(r.mode, r.name).toBe(0o100000 | entries[i]!.mode);
    }
  });

  it('deflates what compresses', () => {
    const records = centralDirectory(archive);
    expect(records[0]!.method).toBe(8);
    expect(records[0]!.compressed).toBeLessThan(text.length / 10);
  });

  it('dates every entry 1980-01-01 00:00, and its bytes depend only on the entries, in any time zone', () => {
    for (const r of centralDirectory(archive)) expect([r.time, r.date], r.name).toEqual([0, (1 << 5) | 1]);
    const zone = process.env.TZ;
    try {
      for (const tz of ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Kiritimati']) {
        process.env.TZ = tz;
        expect(Buffer.from(zip(entries)).equals(Buffer.from(archive)), tz).toBe(true);
      }
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('writes an empty archive for no entries', () => {
    const empty = zip([]);
    expect(empty.length).toBe(22);
    expect(unzipTo(empty, join(dir, 'none'))).toBe(0);
  });
});
