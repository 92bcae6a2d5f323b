// The Lambda handler does not trust its event. Each case runs the built
// handler (dist/) in a process of its own, as a cold start, with a function
// environment and an event that are valid but for one thing; beside it run
// an HTTP server standing in for S3 (the environment's endpoint, and any
// endpoint an event names) and a TCP server standing in for the coordinator
// and the rendezvous, both counting what reaches them. A refusal must reach
// neither, answer `{ refused }` naming the variable or field, and print
// exactly one structured log line that names it too and holds no token.
//
// Also: an event the function takes does reach the coordinator (so the
// stand-ins see what a worker does), the local worker process refuses with
// the same schema, the launcher sends the event the function takes, and no
// AWS client prints the SDK's Node.js version notice.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childEnv, SDK_NODE_NOTICE } from '../helpers/emulators.js';
import { ROOT } from '../helpers/fixtures.js';

const RUNTIME = join(ROOT, 'dist', 'src', 'excamera', 'runtime');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Stand-ins for S3 and for the coordinator and rendezvous, counting requests and connections. */
async function standIns(): Promise<{ s3: string; port: number; requests: () => number; connections: () => number; close: () => Promise<void> }> {
  let requests = 0;
  let connections = 0;
  const http = createHttpServer((req, res) => {
    requests++;
    req.resume();
    res.writeHead(503).end();
  });
  const tcp = createTcpServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
  return {
    s3: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    port: (tcp.address() as AddressInfo).port,
    requests: () => requests,
    connections: () => connections,
    close: async () => {
      http.closeAllConnections();
      await Promise.all([new Promise((resolve) => http.close(resolve)), new Promise((resolve) => tcp.close(resolve))]);
    },
  };
}

const TOKEN = randomBytes(32).toString('hex');

/** An event the function takes, for stand-ins on `port`. */
function validEvent(port: number): JsonObject {
  return {
    version: 1,
    worker: 3,
    jobId: randomBytes(16).toString('hex'),
    token: TOKEN,
    fingerprint: Array.from(randomBytes(32), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':'),
    coordinator: { host: '127.0.0.1', port },
    rendezvous: { host: '127.0.0.1', port },
    storage: { kind: 's3', bucket: 'excamera-jobs', prefix: 'jobs/job-1' },
    spec: { width: 176, height: 144, frameRate: { numerator: 30000, denominator: 1001 }, framesPerChunk: 6, chunksPerBatch: 16, chunkEncoder: 'builtin', quality: { mode: 'cq', cqLevel: 24 }, speed: 2, keyQuantizerWeight: 1 },
  };
}

/** The function's environment: its bucket, prefix, region and S3 endpoint. */
function validEnv(s3: string): Record<string, string> {
  return { EXCAMERA_BUCKET: 'excamera-jobs', EXCAMERA_PREFIX: 'jobs', AWS_REGION: 'us-east-1', EXCAMERA_S3_ENDPOINT: s3, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
}

/** `value` with the field at `path` (dotted) set, or removed when `to` is undefined. */
function withField(value: JsonObject, path: string, to: Json | undefined): JsonObject {
  const copy = structuredClone(value);
  const keys = path.split('.');
  let o = copy;
  for (const k of keys.slice(0, -1)) o = o[k] as JsonObject;
  if (to === undefined) delete o[keys.at(-1)!];
  else o[keys.at(-1)!] = to;
  return copy;
}

interface Outcome {
  /** What the handler returned, or the message it threw. */
  readonly result: { refused?: { source: string; field: string; reason: string }; worker?: number } | null;
  readonly error: string | null;
  /** Its stdout and stderr, as lines. */
  readonly lines: string[];
  readonly requests: number;
  readonly connections: number;
}

/** Collects a child's stdout and stderr; resolves with them when it exits. */
function finished(child: ChildProcess, extra?: NodeJS.ReadableStream): Promise<{ output: string; extra: string; code: number | null }> {
  let output = '';
  let more = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  extra?.on('data', (d: Buffer) => (more += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ output, extra: more, code })));
}

/**
 * Runs the built handler once in a new process (a cold start) with `env` as
 * its whole environment and `event`; the answer comes back on a pipe of its
 * own, so stdout and stderr hold only what the handler printed.
 */
async function invoke(make: (s: { s3: string; port: number }) => { env: Record<string, string>; event: Json }): Promise<Outcome> {
  const stand = await standIns();
  try {
    const { env, event } = make(stand);
    const script = `
      import { writeSync } from 'node:fs';
      const { handler } = await import(${JSON.stringify(join(RUNTIME, 'lambda-handler.js'))});
      let answer;
      try { answer = { result: await handler(JSON.parse(process.env.EVENT)), error: null }; }
      catch (e) { answer = { result: null, error: String(e instanceof Error ? e.message : e) }; }
      writeSync(3, JSON.stringify(answer));
      process.exit(0);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '', ...env, EVENT: JSON.stringify(event) }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const { output, extra } = await finished(child, child.stdio[3] as NodeJS.ReadableStream);
    // Let a connection the child made just before it ended be counted.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answer = JSON.parse(extra) as Pick<Outcome, 'result' | 'error'>;
    return { ...answer, lines: output.split('\n').filter((l) => l.trim() !== ''), requests: stand.requests(), connections: stand.connections() };
  } finally {
    await stand.close();
  }
}

interface Case {
  readonly name: string;
  /** The variable or field the refusal must name. */
  readonly field: string;
  /** Changes to the function's environment (undefined: unset). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The event, from a valid one. */
  readonly event?: (valid: JsonObject, s: { s3: string; port: number }) => Json;
}

const set = (path: string, to: Json | undefined) => (e: JsonObject): Json => withField(e, path, to);

const ENVIRONMENT_CASES: Case[] = [
  { name: 'no bucket in the environment', field: 'EXCAMERA_BUCKET', env: { EXCAMERA_BUCKET: undefined } },
  { name: 'a bucket that is not a bucket name', field: 'EXCAMERA_BUCKET', env: { EXCAMERA_BUCKET: 'Jobs_Bucket' } },
  { name: 'an S3 endpoint that is not an http(s) URL', field: 'EXCAMERA_S3_ENDPOINT', env: { EXCAMERA_S3_ENDPOINT: 'file:///etc/passwd' } },
  { name: 'an S3 endpoint with a path', field: 'EXCAMERA_S3_ENDPOINT', env: { EXCAMERA_S3_ENDPOINT: 'http://127.0.0.1:9/other' } },
  { name: 'a prefix with a .. part', field: 'EXCAMERA_PREFIX', env: { EXCAMERA_PREFIX: 'jobs/../other' } },
  { name: 'no region at all', field: 'EXCAMERA_S3_REGION', env: { AWS_REGION: undefined } },
  { name: 'a region that is not one', field: 'EXCAMERA_S3_REGION', env: { EXCAMERA_S3_REGION: 'mars' } },
  { name: 'a limit of 0', field: 'EXCAMERA_MAX_WIDTH', env: { EXCAMERA_MAX_WIDTH: '0' } },
  { name: 'a limit over what the format carries', field: 'EXCAMERA_MAX_HEIGHT', env: { EXCAMERA_MAX_HEIGHT: '16384' } },
  { name: 'a limit that is not a number', field: 'EXCAMERA_MAX_PIXELS', env: { EXCAMERA_MAX_PIXELS: '4k' } },
  { name: 'a workers limit over 2^32', field: 'EXCAMERA_MAX_WORKERS', env: { EXCAMERA_MAX_WORKERS: String(2 ** 32 + 1) } },
  { name: 'coordinator hosts that are not hosts', field: 'EXCAMERA_COORDINATOR_HOSTS', env: { EXCAMERA_COORDINATOR_HOSTS: '127.0.0.1, not a host' } },
];

const EVENT_CASES: Case[] = [
  // Storage: the environment's bucket, prefix, endpoint and region hold.
  { name: 'another bucket', field: 'storage.bucket', event: set('storage.bucket', 'someone-elses-bucket') },
  { name: 'an S3 endpoint in the event', field: 'storage.endpoint', event: (e, s) => withField(e, 'storage.endpoint', s.s3) },
  { name: 'a region in the event', field: 'storage.region', event: set('storage.region', 'eu-west-1') },
  { name: 'a prefix outside the allowed one', field: 'storage.prefix', event: set('storage.prefix', 'other/job-1') },
  { name: 'a prefix beside the allowed one', field: 'storage.prefix', event: set('storage.prefix', 'jobs-old/job-1') },
  { name: 'a prefix climbing out with ..', field: 'storage.prefix', event: set('storage.prefix', 'jobs/../other') },
  { name: 'the bucket root when a prefix is required', field: 'storage.prefix', event: set('storage.prefix', '') },
  { name: 'local storage', field: 'storage.dir', event: set('storage', { kind: 'local', dir: '/tmp' }) },
  { name: 'another storage kind', field: 'storage.kind', event: set('storage.kind', 'gcs') },
  // Who the worker is.
  { name: 'worker 2^40', field: 'worker', event: set('worker', 2 ** 40) },
  { name: 'a negative worker', field: 'worker', event: set('worker', -1) },
  { name: 'a fractional worker', field: 'worker', event: set('worker', 1.5) },
  { name: 'a worker over EXCAMERA_MAX_WORKERS', field: 'worker', env: { EXCAMERA_MAX_WORKERS: '3' }, event: set('worker', 3) },
  { name: 'a worker given as a string', field: 'worker', event: set('worker', '3') },
  { name: 'a job id that is not 32 hex digits', field: 'jobId', event: set('jobId', 'ABCDEF') },
  { name: 'a token that is not 64 hex digits', field: 'token', event: set('token', `${TOKEN}00`) },
  { name: 'a fingerprint in lower case', field: 'fingerprint', event: (e) => withField(e, 'fingerprint', String(e.fingerprint).toLowerCase()) },
  { name: 'another payload version', field: 'version', event: set('version', 2) },
  // Whom it talks to.
  { name: 'a coordinator host with a space', field: 'coordinator.host', event: set('coordinator.host', 'coordinator host') },
  { name: 'a rendezvous host that looks like an address and is not one', field: 'rendezvous.host', event: set('rendezvous.host', '999.0.0.1') },
  { name: 'a host over 253 characters', field: 'coordinator.host', event: set('coordinator.host', `${'a'.repeat(60)}.`.repeat(5) + 'com') },
  { name: 'port 0', field: 'coordinator.port', event: set('coordinator.port', 0) },
  { name: 'port 70000', field: 'rendezvous.port', event: set('rendezvous.port', 70000) },
  { name: 'a port given as a string', field: 'coordinator.port', event: (e, s) => withField(e, 'coordinator.port', String(s.port)) },
  { name: 'a coordinator host the environment does not allow', field: 'coordinator.host', env: { EXCAMERA_COORDINATOR_HOSTS: 'coordinator.example.com' } },
  // The job's settings.
  { name: 'a negative width', field: 'spec.width', event: set('spec.width', -176) },
  { name: 'a height of 0', field: 'spec.height', event: set('spec.height', 0) },
  { name: 'a width over 16383', field: 'spec.width', event: set('spec.width', 16384) },
  { name: 'a picture over EXCAMERA_MAX_PIXELS', field: 'spec.width', env: { EXCAMERA_MAX_PIXELS: '25000' } },
  { name: 'a width over EXCAMERA_MAX_WIDTH', field: 'spec.width', env: { EXCAMERA_MAX_WIDTH: '160' } },
  { name: 'n = 0', field: 'spec.framesPerChunk', event: set('spec.framesPerChunk', 0) },
  { name: 'n over EXCAMERA_MAX_FRAMES_PER_CHUNK', field: 'spec.framesPerChunk', event: set('spec.framesPerChunk', 121) },
  { name: 'x = 0', field: 'spec.chunksPerBatch', event: set('spec.chunksPerBatch', 0) },
  { name: 'a frame rate over 0 frames', field: 'spec.frameRate.denominator', event: set('spec.frameRate.denominator', 0) },
  { name: 'an unknown encoder', field: 'spec.chunkEncoder', event: set('spec.chunkEncoder', 'x264') },
  { name: 'a string quality', field: 'spec.quality', event: set('spec.quality', 'high') },
  { name: 'a quality level given as a string', field: 'spec.quality.cqLevel', event: set('spec.quality.cqLevel', '24') },
  { name: 'a quality level of 64', field: 'spec.quality.cqLevel', event: set('spec.quality.cqLevel', 64) },
  { name: 'an unknown quality mode', field: 'spec.quality.mode', event: set('spec.quality', { mode: 'crf', crf: 20 }) },
  { name: 'a quality with both levels', field: 'spec.quality.quantizer', event: set('spec.quality.quantizer', 20) },
  { name: 'a speed over the fastest', field: 'spec.speed', event: set('spec.speed', 6) },
  { name: 'a key quantizer weight over 1', field: 'spec.keyQuantizerWeight', event: set('spec.keyQuantizerWeight', 2) },
  { name: 'no spec', field: 'spec', event: set('spec', undefined) },
  // Shape.
  { name: 'an unknown field', field: 'debug', event: set('debug', true) },
  { name: 'an unknown field of the spec', field: 'spec.threads', event: set('spec.threads', 64) },
  { name: 'a field named __proto__', field: '__proto__', event: (e) => JSON.parse(JSON.stringify(e).replace(/^\{/, '{"__proto__":{"worker":1},')) as Json },
  { name: 'null', field: '(the payload)', event: () => null },
  { name: 'an array', field: '(the payload)', event: () => [] },
];

describe('Lambda handler: refusals, before any network request, in one log line', () => {
  for (const c of [...ENVIRONMENT_CASES, ...EVENT_CASES]) {
    const source = ENVIRONMENT_CASES.includes(c) ? 'environment' : 'event';
    it.concurrent(`refuses ${c.name} (${c.field})`, async () => {
      const o = await invoke((s) => {
        const env: Record<string, string> = { ...validEnv(s.s3) };
        for (const [k, v] of Object.entries(c.env ?? {})) {
          if (v === undefined) delete env[k];
          else env[k] = v;
        }
        return { env, event: c.event !== undefined ? c.event(validEvent(s.port), s) : validEvent(s.port) };
      });
      expect(o.connections).toBe(0);
      expect(o.requests).toBe(0);
      expect(o.error).toBeNull();
      expect(o.result?.refused).toMatchObject({ source, field: c.field });
      expect(o.lines).toHaveLength(1);
      const line = JSON.parse(o.lines[0]!) as Record<string, unknown>;
      expect(line).toMatchObject({ level: 'error', source, field: c.field, reason: o.result?.refused?.reason });
      expect(o.lines[0]).not.toContain(TOKEN);
    }, 30_000);
  }
});

describe('Lambda handler: what it takes', () => {
  it('runs an event without a bucket at the environment\'s bucket: it reaches the coordinator and prints nothing', async () => {
    const o = await invoke((s) => ({ env: { ...validEnv(s.s3), EXCAMERA_COORDINATOR_HOSTS: 'coordinator.example.com,127.0.0.1' }, event: withField(validEvent(s.port), 'storage.bucket', undefined) }));
    // The stand-in is no TLS server: the worker connects, then fails.
    expect(o.result).toBeNull();
    expect(o.error).not.toBeNull();
    expect(o.connections).toBeGreaterThanOrEqual(1);
    // Its S3 client was made (no request yet): without the SDK's Node.js version notice.
    expect(o.lines).toEqual([]);
  }, 30_000);
});

describe('the local worker process', () => {
  it('refuses with the same schema, before connecting, in one line without the token', async () => {
    const stand = await standIns();
    try {
      const payload = { ...withField(validEvent(stand.port), 'storage', { kind: 'local', dir: '/tmp' }), worker: 2 ** 40 };
      const child = spawn(process.execPath, [join(RUNTIME, 'worker-main.js')], { env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdin!.end(JSON.stringify(payload));
      const { output, code } = await finished(child);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(code).toBe(1);
      expect(output.trim().split('\n')).toEqual([expect.stringMatching(/^excamera worker: invocation payload: worker must be an integer 0\.\.4294967295; got 1099511627776$/)]);
      expect(stand.connections()).toBe(0);

      // A payload that is not JSON is not quoted back (it holds the token).
      const broken = spawn(process.execPath, [join(RUNTIME, 'worker-main.js')], { env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
      broken.stdin!.end(JSON.stringify(payload).slice(0, -1).replace('"token"', `"${TOKEN}"`));
      const second = await finished(broken);
      expect(second.code).toBe(1);
      expect(second.output).toBe('excamera worker: invocation payload: not JSON\n');
    } finally {
      await stand.close();
    }
  }, 30_000);
});

describe('the Lambda launcher and the AWS clients', () => {
  it('sends the event the function takes: the S3 location without endpoint or region; a local one not at all', async () => {
    const stand = await standIns();
    const bodies: string[] = [];
    const api = createHttpServer((req, res) => {
      const body: Buffer[] = [];
      req.on('data', (d: Buffer) => body.push(d));
      req.on('end', () => {
        bodies.push(Buffer.concat(body).toString('utf8'));
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', () => resolve()));
    try {
      const invocation = withField(validEvent(stand.port), 'storage', { kind: 's3', bucket: 'excamera-jobs', prefix: 'jobs/job-1', endpoint: stand.s3, region: 'eu-west-1' });
      const local = withField(invocation, 'storage', { kind: 'local', dir: '/tmp' });
      const script = `
        const { LambdaLauncher } = await import(${JSON.stringify(join(RUNTIME, 'lambda.js'))});
        const launcher = new LambdaLauncher({ functionName: 'excamera-worker', endpoint: process.env.API });
        await launcher.invoke(3, JSON.parse(process.env.INVOCATION));
        await launcher.invoke(3, JSON.parse(process.env.LOCAL)).then(() => console.log('sent'), (e) => console.log(e.message));
        await launcher.close();`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: childEnv({ API: `http://127.0.0.1:${(api.address() as AddressInfo).port}`, INVOCATION: JSON.stringify(invocation), LOCAL: JSON.stringify(local), AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const { output, code } = await finished(child);
      expect(code).toBe(0);
      // The local invocation is refused by the launcher: one Invoke call in all, and no SDK notice.
      expect(output).toBe('a Lambda worker needs S3 storage: it cannot read this machine\'s disk\n');
      expect(bodies).toHaveLength(1);
      const sent = JSON.parse(bodies[0]!) as JsonObject;
      expect(sent.storage).toEqual({ kind: 's3', bucket: 'excamera-jobs', prefix: 'jobs/job-1' });
      expect({ ...sent, storage: null }).toEqual({ ...invocation, storage: null });
      expect(stand.requests()).toBe(0);
    } finally {
      await new Promise((resolve) => api.close(resolve));
      await stand.close();
    }
  }, 30_000);

  it('S3 storage and the Lambda launcher print no AWS SDK Node.js version notice', async () => {
    const script = `
      const { S3Storage } = await import(${JSON.stringify(join(RUNTIME, 's3-storage.js'))});
      const { LambdaLauncher } = await import(${JSON.stringify(join(RUNTIME, 'lambda.js'))});
      new S3Storage({ bucket: 'excamera-jobs', prefix: '' }).close();
      await new LambdaLauncher({ functionName: 'f' }).close();
      console.log('made');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: childEnv({ AWS_REGION: 'us-east-1' }), stdio: ['ignore', 'pipe', 'pipe'] });
    const { output, code } = await finished(child);
    expect(code).toBe(0);
    expect(output).not.toMatch(SDK_NODE_NOTICE);
    expect(output).toBe('made\n');
  }, 30_000);
});
