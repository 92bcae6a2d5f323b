// The Lambda backend against a small stand-in of the Lambda Invoke API: it
// refuses the first invocations with HTTP 429 (TooManyRequestsException),
// then accepts (202) and runs the worker's Lambda handler — taken from the
// package `excamera lambda package` builds, unzipped — in a process of its
// own, whose environment names the bucket and the S3 endpoint (s3rver) as a
// deployed function's would. xc --backend lambda must write the bytes of the
// in-process run, having retried every throttled invocation; and the same on
// serverless-offline, where the function's environment comes from its
// serverless.yml. Neither the coordinator nor a function prints the AWS
// SDK's Node.js version notice.

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Invocation } from '../../src/excamera/runtime/invocation.js';
import { LambdaLauncher } from '../../src/excamera/runtime/lambda.js';
import { childEnv, EMULATOR_ENV, SDK_NODE_NOTICE, startS3, startServerlessOffline } from '../helpers/emulators.js';
import { ROOT, writeClipPrefix } from '../helpers/fixtures.js';
import { unzipTo } from '../helpers/unzip.js';

/** The handler as deployed: from the package `excamera lambda package` writes, unzipped. */
let HANDLER = '';
let s3: { endpoint: string; close: () => Promise<void> };
let lambda: Server;
let lambdaEndpoint = '';
let dir = '';
const seen = { invocations: 0, throttled: 0, functions: new Set<string>(), types: new Set<string>(), events: [] as Record<string, unknown>[] };
/** What the stand-in's function processes printed (nothing, when all goes well). */
const functionOutput: string[] = [];
let packageSummary: Record<string, unknown> = {};
const THROTTLE_FIRST = 5;

beforeAll(async () => {
  s3 = await startS3(['excamera-lambda']);
  dir = mkdtempSync(join(tmpdir(), 'excamera-lambda-'));
  const zipPath = join(dir, 'worker.zip');
  const built = await promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'lambda', 'package', '-o', zipPath, '--json']);
  packageSummary = JSON.parse(built.stdout) as Record<string, unknown>;
  const files = unzipTo(readFileSync(zipPath), join(dir, 'lambda'));
  expect(files).toBeGreaterThan(100);
  HANDLER = join(dir, 'lambda', 'dist', 'src', 'excamera', 'runtime', 'lambda-handler.js');
  lambda = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (d: Buffer) => body.push(d));
    req.on('end', () => {
      const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url ?? '');
      if (req.method !== 'POST' || m === null) {
        res.writeHead(404).end();
        return;
      }
      seen.invocations++;
      seen.functions.add(decodeURIComponent(m[1]!));
      seen.types.add(String(req.headers['x-amz-invocation-type']));
      if (seen.throttled < THROTTLE_FIRST) {
        seen.throttled++;
        res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' }).end(JSON.stringify({ Type: 'User', message: 'Rate Exceeded.' }));
        return;
      }
      res.writeHead(202).end();
      const event = Buffer.concat(body).toString('utf8');
      seen.events.push(JSON.parse(event) as Record<string, unknown>);
      // The "Lambda runtime": the handler, in a process of its own, with the payload as its event
      // and the function's environment: its bucket and S3 endpoint.
      const child = spawn(process.execPath, ['--input-type=module', '-e', `const { handler } = await import(${JSON.stringify(HANDLER)}); await handler(JSON.parse(process.env.EVENT)); process.exit(0);`], {
        env: childEnv({ ...EMULATOR_ENV, EXCAMERA_BUCKET: 'excamera-lambda', EXCAMERA_S3_ENDPOINT: s3.endpoint, EVENT: event }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      child.on('close', () => functionOutput.push(output));
      child.on('error', () => undefined);
    });
  });
  await new Promise<void>((resolve) => lambda.listen(0, '127.0.0.1', () => resolve()));
  lambdaEndpoint = `http://127.0.0.1:${(lambda.address() as AddressInfo).port}`;
}, 300_000);

afterAll(async () => {
  await s3?.close();
  await new Promise<void>((resolve) => lambda?.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** A well-formed invocation (its worker never finds a coordinator: it is only sent). */
const probe: Invocation = {
  version: 1, worker: 0, jobId: '0'.repeat(32), token: '1'.repeat(64), fingerprint: Array(32).fill('AB').join(':'),
  coordinator: { host: '127.0.0.1', port: 9 }, rendezvous: { host: '127.0.0.1', port: 9 },
  storage: { kind: 's3', bucket: 'excamera-lambda', prefix: 'probe', endpoint: 'http://127.0.0.1:9', region: 'us-east-1' },
  spec: { width: 16, height: 16, frameRate: { numerator: 30, denominator: 1 }, framesPerChunk: 1, chunksPerBatch: 1, chunkEncoder: 'builtin', quality: { mode: 'cq', cqLevel: 30 } },
};

describe('Lambda backend', () => {
  it('packages for a supported Lambda runtime, and lists the function\'s environment', () => {
    expect(packageSummary).toMatchObject({ runtime: 'nodejs22.x', handler: 'dist/src/excamera/runtime/lambda-handler.handler', environment: { EXCAMERA_BUCKET: 'required' } });
    expect(Object.keys(packageSummary.environment as object)).toEqual(expect.arrayContaining(['EXCAMERA_PREFIX', 'EXCAMERA_S3_ENDPOINT', 'EXCAMERA_S3_REGION', 'EXCAMERA_MAX_WORKERS']));
  });

  it('reports a throttled invocation as throttled, without retrying it itself', async () => {
    const before = seen.invocations;
    const throttledBefore = seen.throttled;
    const launcher = new LambdaLauncher({ functionName: 'probe', endpoint: lambdaEndpoint });
    Object.assign(process.env, EMULATOR_ENV);
    if (seen.throttled < THROTTLE_FIRST) {
      await expect(launcher.invoke(0, probe)).rejects.toMatchObject({ throttled: true, message: expect.stringMatching(/throttled the invocation of worker 0 \(HTTP 429\)/) });
      expect(seen.invocations - before).toBe(1);
      expect(seen.throttled - throttledBefore).toBe(1);
    }
    await launcher.close();
  });

  it('xc --backend lambda writes the bytes of the in-process run, retrying throttled invocations', async () => {
    const clip = join(ROOT, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m');
    const bin = join(ROOT, 'dist', 'src', 'cli', 'main.js');
    const run = (...args: string[]) => promisify(execFile)(process.execPath, [bin, 'xc', clip, '--limit', '16', '-n', '4', '-x', '4', '-q', ...args], { env: childEnv(EMULATOR_ENV) });
    const r = await run('-o', join(dir, 'lambda.ivf'), '--backend', 'lambda', '--function-name', 'excamera-worker', '--lambda-endpoint', lambdaEndpoint, '--storage', 's3://excamera-lambda/job', '--s3-endpoint', s3.endpoint, '--json');
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ backend: 'lambda', workers: 4, failedWorkers: 0 });
    await run('-o', join(dir, 'ref.ivf'), '--backend', 'inprocess');
    expect(readFileSync(join(dir, 'lambda.ivf'))).toEqual(readFileSync(join(dir, 'ref.ivf')));
    expect(seen.throttled).toBe(THROTTLE_FIRST);
    expect(seen.functions.has('excamera-worker')).toBe(true);
    expect([...seen.types]).toEqual(['Event']);
    // The events name the job's prefix, not the S3 endpoint or region: the function has its own.
    const last = seen.events.at(-1)!;
    expect(last.storage).toEqual({ kind: 's3', bucket: 'excamera-lambda', prefix: 'job' });
    // Nothing printed: no refusal, and no SDK notice from the coordinator or a function.
    expect(r.stderr).not.toMatch(SDK_NODE_NOTICE);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(functionOutput.length).toBeGreaterThanOrEqual(4);
    expect(functionOutput.join('')).toBe('');
  }, 120_000);

  it('odd picture sizes (333x197, 175x144): Lambda workers write the bytes of the in-process run', async () => {
    const bin = join(ROOT, 'dist', 'src', 'cli', 'main.js');
    for (const [w, h] of [[333, 197], [175, 144]] as const) {
      const clip = join(dir, `odd-${w}x${h}.y4m`);
      writeClipPrefix(clip, 'foreman_cif_352x288_60f.y4m', 6, { size: [w, h], frameRate: { numerator: 30, denominator: 1 } });
      const run = (...args: string[]) => promisify(execFile)(process.execPath, [bin, 'xc', clip, '-n', '3', '-x', '2', '--speed', '4', '-q', ...args], { env: childEnv(EMULATOR_ENV) });
      const r = await run('-o', join(dir, `odd-${w}.ivf`), '--backend', 'lambda', '--function-name', 'excamera-worker', '--lambda-endpoint', lambdaEndpoint, '--storage', `s3://excamera-lambda/odd-${w}`, '--s3-endpoint', s3.endpoint, '--json');
      expect(JSON.parse(r.stdout)).toMatchObject({ backend: 'lambda', width: w, height: h, frames: 6, failedWorkers: 0 });
      await run('-o', join(dir, `odd-${w}-ref.ivf`), '--backend', 'inprocess');
      expect(readFileSync(join(dir, `odd-${w}.ivf`)).equals(readFileSync(join(dir, `odd-${w}-ref.ivf`)))).toBe(true);
    }
  }, 120_000);

  it('refuses a lambda job without S3 storage or a function name', async () => {
    const clip = join(ROOT, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m');
    const bin = join(ROOT, 'dist', 'src', 'cli', 'main.js');
    const run = (...args: string[]) => promisify(execFile)(process.execPath, [bin, 'xc', clip, '--limit', '8', '-o', join(dir, 'x.ivf'), '--backend', 'lambda', ...args]).then(() => '', (e: { stderr: string }) => e.stderr);
    expect(await run('--lambda-endpoint', lambdaEndpoint)).toMatch(/--backend lambda needs --function-name/);
    expect(await run('--function-name', 'f', '--lambda-endpoint', lambdaEndpoint)).toMatch(/needs --storage s3:\/\/bucket\/prefix/);
  });
});

describe('Lambda backend on serverless-offline', () => {
  it('4 Lambda workers (the packaged handler) write the bytes of the in-process run', async () => {
    const service = join(dir, 'service');
    const { mkdirSync, renameSync } = await import('node:fs');
    mkdirSync(service);
    renameSync(join(dir, 'lambda'), join(service, 'lambda'));
    // serverless.yml gives the function its bucket, prefix ("offline") and S3 endpoint; only the endpoint's port is this run's.
    const offline = await startServerlessOffline(service, { EXCAMERA_TEST_S3_ENDPOINT: s3.endpoint });
    try {
      const clip = join(ROOT, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m');
      const bin = join(ROOT, 'dist', 'src', 'cli', 'main.js');
      const run = (...args: string[]) => promisify(execFile)(process.execPath, [bin, 'xc', clip, '--limit', '16', '-n', '4', '-x', '4', '-q', ...args], { env: childEnv(EMULATOR_ENV) });
      const r = await run('-o', join(dir, 'offline.ivf'), '--backend', 'lambda', '--function-name', offline.functionName, '--lambda-endpoint', offline.endpoint, '--storage', 's3://excamera-lambda/offline/job-1', '--s3-endpoint', s3.endpoint, '--json');
      expect(JSON.parse(r.stdout)).toMatchObject({ backend: 'lambda', workers: 4, failedWorkers: 0 });
      await run('-o', join(dir, 'ref2.ivf'), '--backend', 'inprocess');
      expect(readFileSync(join(dir, 'offline.ivf'))).toEqual(readFileSync(join(dir, 'ref2.ivf')));
      expect(r.stderr).not.toMatch(SDK_NODE_NOTICE);
      expect(offline.output()).not.toMatch(SDK_NODE_NOTICE);
      expect(offline.output()).not.toMatch(/invocation refused/);
    } finally {
      offline.close();
    }
  }, 180_000);
});
