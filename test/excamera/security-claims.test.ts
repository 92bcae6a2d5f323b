// "No private key leaves the coordinator" (README, Distributed runtime;
// docs/runtime.md, "Security"), checked on a real local run: worker processes over
// TLS, the real shell and rendezvous. Everything workers receive is captured —
// each invocation payload (by a launcher wrapped around the local one) and
// every byte the coordinator and the rendezvous write to a worker's
// connection (below TLS, in plain text) — and searched for the job's private
// key and its secret, in every encoding a careless change might use.

import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseY4m } from '../../src/container/index.js';
import { type Message, MessageReader } from '../../src/excamera/protocol.js';
import { joinFrames } from '../../src/excamera/raw-chunks.js';
import type { Invocation } from '../../src/excamera/runtime/invocation.js';
import { LocalLauncher } from '../../src/excamera/runtime/local.js';
import type { JobCredentials } from '../../src/excamera/runtime/security.js';
import { collectOutput, type Launcher, runDistributed } from '../../src/excamera/runtime/shell.js';
import { LocalStorage } from '../../src/excamera/runtime/storage.js';
import { jobConfig } from '../../src/excamera/schedule.js';
import { CLIPS } from '../helpers/fixtures.js';

// The credentials the shell makes for the job, kept so the test knows what to look for.
const issued = vi.hoisted(() => [] as JobCredentials[]);
vi.mock('../../src/excamera/runtime/security.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/excamera/runtime/security.js')>();
  return {
    ...real,
    createJobCredentials: (...args: Parameters<typeof real.createJobCredentials>) => {
      const credentials = real.createJobCredentials(...args);
      issued.push(credentials);
      return credentials;
    },
  };
});

/** The local launcher, recording every payload it is given. */
class RecordingLauncher implements Launcher {
  readonly payloads: Invocation[] = [];
  constructor(private readonly inner: LocalLauncher) {}
  set onExit(f: ((worker: number, reason: string) => void) | undefined) {
    this.inner.onExit = f;
  }
  get onExit(): ((worker: number, reason: string) => void) | undefined {
    return this.inner.onExit;
  }
  invoke(worker: number, payload: Invocation): Promise<void> {
    this.payloads.push(structuredClone(payload));
    return this.inner.invoke(worker, payload);
  }
  terminate(worker: number): void {
    this.inner.terminate(worker);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Records the plain text of every write to a TLS socket in this process (the
 * coordinator's and the rendezvous's), by connection (named by the worker's port).
 */
function captureTlsWrites(): { streams: Map<string, Buffer[]>; restore: () => void } {
  type Write = (this: TLSSocket, chunk: Buffer | string, encoding: BufferEncoding, cb: (e?: Error | null) => void) => void;
  type Writev = (this: TLSSocket, chunks: { chunk: Buffer | string }[], cb: (e?: Error | null) => void) => void;
  const proto = TLSSocket.prototype as unknown as { _write: Write; _writev: Writev };
  const streams = new Map<string, Buffer[]>();
  const names = new WeakMap<TLSSocket, string>();
  const record = (socket: TLSSocket, chunk: Buffer | string): void => {
    let name = names.get(socket);
    if (name === undefined) {
      name = `connection from port ${socket.remotePort} to port ${socket.localPort}`;
      names.set(socket, name);
      streams.set(name, []);
    }
    streams.get(name)!.push(Buffer.from(chunk));
  };
  const write = proto._write;
  const writev = proto._writev;
  proto._write = function (chunk, encoding, cb) {
    record(this, chunk);
    return write.call(this, chunk, encoding, cb);
  };
  proto._writev = function (chunks, cb) {
    for (const c of chunks) record(this, c.chunk);
    return writev.call(this, chunks, cb);
  };
  return {
    streams,
    restore: () => {
      proto._write = write;
      proto._writev = writev;
    },
  };
}

/** The job's secrets, in every form that might be sent: raw bytes, hex, base64, base64url, PEM text. */
function secretForms(c: JobCredentials): { name: string; bytes: Buffer }[] {
  const key = createPrivateKey(c.privateKey);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const d = Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url'); // the private scalar
  const pemBody = c.privateKey.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'));
  const forms: { name: string; bytes: Buffer }[] = [
    { name: 'PEM header', bytes: Buffer.from('PRIVATE KEY-----') },
    ...pemBody.map((line, i) => ({ name: `PEM line ${i + 1}`, bytes: Buffer.from(line) })),
  ];
  for (const [name, raw] of [['PKCS#8 DER', der], ['private scalar', d], ['job secret', Buffer.from(c.secret)]] as const) {
    forms.push({ name: `${name} (bytes)`, bytes: raw }, { name: `${name} (hex)`, bytes: Buffer.from(raw.toString('hex')) },
      { name: `${name} (HEX)`, bytes: Buffer.from(raw.toString('hex').toUpperCase()) }, { name: `${name} (base64)`, bytes: Buffer.from(raw.toString('base64')) },
      { name: `${name} (base64url)`, bytes: Buffer.from(raw.toString('base64url')) });
  }
  return forms;
}

/** Names of the secret forms found in `haystack`. */
function leaks(haystack: Buffer, forms: readonly { name: string; bytes: Buffer }[]): string[] {
  return forms.filter((f) => haystack.includes(f.bytes)).map((f) => f.name);
}

/** All files under `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const dir = mkdtempSync(join(tmpdir(), 'excamera-security-claims-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('no private key leaves the coordinator', () => {
  it('invocation payloads, every message sent to a worker and the job\'s storage hold neither the private key nor the job secret', async () => {
    const y4m = parseY4m(new Uint8Array(readFileSync(join(CLIPS, 'carphone_qcif_176x144_120f.y4m'))));
    const raw = y4m.frames.slice(0, 12).map((f) => Uint8Array.from(f.data));
    const RATE = { numerator: 30000, denominator: 1001 };
    const spec = { width: 176, height: 144, frameRate: RATE, framesPerChunk: 3, chunksPerBatch: 2, chunkEncoder: 'builtin' as const, quality: { mode: 'cq' as const, cqLevel: 30 }, speed: 5 };
    const launcher = new RecordingLauncher(new LocalLauncher());
    const storageDir = join(dir, 'storage');
    const capture = captureTlsWrites();
    let result;
    try {
      result = await runDistributed({
        rawChunks: joinFrames(raw, 3), spec, config: jobConfig({ frames: 12, framesPerChunk: 3, chunksPerBatch: 2, workers: 2, spares: 0, phaseTimeoutSeconds: 60 }),
        storage: new LocalStorage(storageDir), storageSpec: { kind: 'local', dir: storageDir }, launcher,
      });
    } finally {
      capture.restore();
    }
    expect(await collectOutput(result)).toHaveLength(12);

    // What was captured is the job's traffic: one set of credentials, a payload per worker, messages on every connection.
    expect(issued).toHaveLength(1);
    const credentials = issued[0]!;
    expect(launcher.payloads.length).toBeGreaterThanOrEqual(2);
    expect(capture.streams.size).toBeGreaterThanOrEqual(3); // commands to both workers, states relayed to at least one
    const forms = secretForms(credentials);
    const found: string[] = [];

    // The payloads: the fingerprint and a token, nothing secret.
    for (const payload of launcher.payloads) {
      expect(payload.fingerprint).toBe(credentials.fingerprint);
      found.push(...leaks(Buffer.from(JSON.stringify(payload)), forms).map((f) => `payload of worker ${payload.worker}: ${f}`));
    }

    // The connections: the bytes as written, and each message decoded (a state's compressed payload inflated).
    const types = new Set<string>();
    for (const [where, chunks] of capture.streams) {
      const bytes = Buffer.concat(chunks);
      found.push(...leaks(bytes, forms).map((f) => `${where}: ${f}`));
      const messages: Message[] = new MessageReader().push(bytes);
      for (const m of messages) {
        types.add(m.type);
        const text = JSON.stringify(m, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
        found.push(...leaks(Buffer.from(text), forms).map((f) => `${where}, ${m.type} message: ${f}`));
        if (m.type === 'state') found.push(...leaks(inflateSync(m.bytes.subarray(48)), forms).map((f) => `${where}, state payload: ${f}`));
      }
    }
    expect([...types].sort()).toEqual(expect.arrayContaining(['command', 'state']));

    // The storage workers read from.
    for (const file of filesUnder(storageDir)) found.push(...leaks(readFileSync(file), forms).map((f) => `${file}: ${f}`));

    expect(found).toEqual([]);
  }, 120_000);
});
