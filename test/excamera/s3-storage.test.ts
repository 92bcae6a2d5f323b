// S3 storage against a local S3 stand-in (s3rver): addresses and key
// prefixes are checked, objects round-trip, a missing key is a clear error,
// and xc with --storage s3://... writes the very bytes of the in-process run
// without the AWS SDK's Node.js version notice.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExcameraError } from '../../src/excamera/errors.js';
import { parseS3Url, S3Storage } from '../../src/excamera/runtime/s3-storage.js';
import { childEnv, EMULATOR_ENV, SDK_NODE_NOTICE, startS3 } from '../helpers/emulators.js';
import { ROOT } from '../helpers/fixtures.js';

let s3: { endpoint: string; close: () => Promise<void> };
let dir = '';
const saved = { ...process.env };

beforeAll(async () => {
  Object.assign(process.env, EMULATOR_ENV);
  s3 = await startS3(['excamera-test']);
  dir = mkdtempSync(join(tmpdir(), 'excamera-s3-'));
}, 300_000);
afterAll(async () => {
  await s3?.close();
  rmSync(dir, { recursive: true, force: true });
  process.env = saved;
});

describe('S3 storage', () => {
  it('parses s3:// addresses and refuses others', () => {
    expect(parseS3Url('s3://my-bucket/jobs/one/')).toEqual({ bucket: 'my-bucket', prefix: 'jobs/one' });
    expect(parseS3Url('s3://my-bucket')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(() => parseS3Url('s3://B/x')).toThrow(/not an s3:\/\/bucket\/prefix address/);
    expect(() => parseS3Url('/tmp/x')).toThrow(ExcameraError);
    // Key prefixes are plain names joined by '/': one meaning to S3, a shell and a log reader.
    expect(parseS3Url("s3://my-bucket/a-b_c.d/e!f*g'(h)")).toEqual({ bucket: 'my-bucket', prefix: "a-b_c.d/e!f*g'(h)" });
    for (const bad of ['s3://my-bucket/jobs/../other', 's3://my-bucket/jobs//one', 's3://my-bucket/./jobs', 's3://my-bucket/jobs one', `s3://my-bucket/${'a'.repeat(901)}`]) {
      expect(() => parseS3Url(bad), bad).toThrow(/the key prefix must be names joined by/);
    }
  });

  it('round-trips objects of every size, and names a missing key', async () => {
    const storage = new S3Storage({ bucket: 'excamera-test', prefix: 'unit', endpoint: s3.endpoint });
    for (const size of [0, 1, 5_000_000]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 7) & 255);
      await storage.put(`k/${size}.bin`, bytes);
      expect(Buffer.compare(Buffer.from(await storage.get(`k/${size}.bin`)), Buffer.from(bytes))).toBe(0);
    }
    await expect(storage.get('k/none.bin')).rejects.toThrow(/storage has no s3:\/\/excamera-test\/unit\/k\/none\.bin/);
    storage.close();
  });

  it('xc on worker processes with S3 storage writes the bytes of the in-process run', async () => {
    const clip = join(ROOT, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m');
    const bin = join(ROOT, 'dist', 'src', 'cli', 'main.js');
    // Asynchronously: the S3 stand-in runs in this process and must keep answering.
    const run = (...args: string[]) => promisify(execFile)(process.execPath, [bin, 'xc', clip, '--limit', '16', '-n', '4', '-x', '4', '-q', ...args], { env: childEnv(EMULATOR_ENV) });
    const r = await run('-o', join(dir, 's3.ivf'), '--workers', '3', '--storage', 's3://excamera-test/job1', '--s3-endpoint', s3.endpoint);
    // Neither the coordinator nor a worker process prints the AWS SDK's Node.js version notice.
    expect(r.stderr).not.toMatch(SDK_NODE_NOTICE);
    await run('-o', join(dir, 'ref.ivf'), '--backend', 'inprocess');
    expect(readFileSync(join(dir, 's3.ivf'))).toEqual(readFileSync(join(dir, 'ref.ivf')));
    // The chunks are in the bucket.
    const storage = new S3Storage({ bucket: 'excamera-test', prefix: 'job1', endpoint: s3.endpoint });
    expect((await storage.get('output/000000.ivf')).length).toBeGreaterThan(32);
    storage.close();
  }, 120_000);
});
