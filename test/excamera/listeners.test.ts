// Hostile and idle peers against a real job's listeners (docs/runtime.md,
// "Listeners"). Each test runs the built `excamera xc` on worker processes of
// this machine, as a user does, and points one attack at the coordinator or
// at the rendezvous as soon as the command says where they listen:
//
//   idle TCP      a connection that never sends a TLS ClientHello
//   idle TLS      a finished handshake, then no hello
//   slow hello    a handshake, or a hello after one, dribbled a byte at a time
//   64 MiB        16 peers, each announcing and sending a 64 MiB message before any hello
//   flood         2,000 connections that never send a byte
//
// Whatever the attack, the job must write the in-process reference's bytes,
// the command must exit within 2 s of the job's end (the last output chunk in
// storage) instead of waiting for the attackers to give up, and its process
// (the coordinator's) must stay under 300 MB of peak RSS (VmHWM).

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { connect as connectTls } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIvf, parseY4m } from '../../src/container/index.js';
import { DEFAULT_KEY_QUANTIZER_WEIGHT } from '../../src/excamera/chunk.js';
import { runInProcess } from '../../src/excamera/pipeline.js';
import { DEFAULT_MAX_MESSAGE_BYTES, encodeMessage } from '../../src/excamera/protocol.js';
import { imageFromI420 } from '../../src/vp8/index.js';
import { BIN } from '../helpers/cli.js';
import { CLIPS } from '../helpers/fixtures.js';

// CIF at speed 2 on two workers: a job of a few seconds, long enough for every attack to be in place while it runs.
const CLIP = join(CLIPS, 'foreman_cif_352x288_60f.y4m');
const SPEED = 2;
const FRAMES = 32;
const N = 4;
const X = 4;
const CHUNKS = FRAMES / N;
const EXIT_WITHIN_MS = 2000;
const PEAK_RSS_LIMIT_KB = 300 * 1024;
/** How long a test waits for the command after the job's end before it stops it (the old listeners waited up to 120 s). */
const GIVE_UP_MS = 20_000;

let dir = '';
let reference: Uint8Array[] = [];
/**
 * A script preloaded into the command: as it exits it prints its peak RSS
 * and the time, both exact, where watching from this (busy) test process
 * could miss the last moments or see them late.
 */
let peakHook = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'excamera-listeners-'));
  peakHook = join(dir, 'peak-rss.cjs');
  writeFileSync(peakHook, "process.on('exit', () => { const m = /VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8')); require('fs').writeSync(2, `peak-rss-kb ${m ? m[1] : 0} exit-at-ms ${Date.now()}\\n`); });\n");
  const y4m = parseY4m(new Uint8Array(readFileSync(CLIP)));
  const { width, height } = y4m.header;
  const pictures = y4m.frames.slice(0, FRAMES).map((f) => imageFromI420(width, height, Uint8Array.from(f.data)));
  const result = await runInProcess(pictures, {
    framesPerChunk: N, chunksPerBatch: X, chunkEncoder: 'builtin', quality: { mode: 'cq', cqLevel: 30 },
    frameRate: y4m.header.frameRate ?? { numerator: 30, denominator: 1 }, speed: SPEED, keyQuantizerWeight: DEFAULT_KEY_QUANTIZER_WEIGHT,
  });
  reference = [...result.frames];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An attack on one port: its connections, and a promise that they are all in place. */
interface Attack {
  readonly ready: Promise<void>;
  /** Attacker sockets the server closed (or reset) before the end of the test. */
  readonly sockets: readonly Socket[];
}

interface Ports {
  readonly coordinator: number;
  readonly rendezvous: number;
}

interface Outcome {
  readonly status: number | null;
  readonly stderr: string;
  readonly frames: Uint8Array[];
  /** Date.now() when the last output chunk was written to storage, when the command exited, when the attack was in place. */
  readonly jobEndMs: number;
  readonly exitMs: number;
  readonly readyMs: number;
  readonly peakRssKb: number;
}

const poll = async (what: string, condition: () => boolean, timeoutMs: number, everyMs = 10): Promise<void> => {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
};

/** Runs `excamera xc` and, once it says where it listens, `attack` on one of its two ports. */
async function attacked(name: string, target: keyof Ports, attack: (port: number) => Attack): Promise<Outcome> {
  const storage = join(dir, `${name}-storage`);
  const output = join(dir, `${name}.ivf`);
  const child: ChildProcess = spawn(process.execPath, [
    '--require', peakHook, BIN, 'xc', CLIP, '-o', output, '--limit', String(FRAMES), '-n', String(N), '-x', String(X),
    '--cq-level', '30', '--speed', String(SPEED), '--workers', '2', '--storage', storage, '--quiet', '--json',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let ports: Ports | null = null;
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    const m = /coordinator on port (\d+), rendezvous on port (\d+)/.exec(stderr);
    if (ports === null && m !== null) ports = { coordinator: Number(m[1]), rendezvous: Number(m[2]) };
  });
  let exitMs = -1;
  let status: number | null = null;
  const exited = new Promise<void>((resolve) => child.once('exit', (code) => {
    exitMs = Date.now();
    status = code;
    resolve();
  }));
  // Peak RSS, sampled from outside as well, in case the process must be stopped.
  let sampledKb = 0;
  const sampler = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) sampledKb = Math.max(sampledKb, Number(m[1]));
    } catch {
      // The process has just ended.
    }
  }, 20);
  let a: Attack | null = null;
  try {
    await poll('the ports line', () => ports !== null || exitMs >= 0, 60_000);
    expect(ports, stderr).not.toBeNull();
    a = attack(ports![target]);
    let readyMs = -1;
    void a.ready.then(() => (readyMs = Date.now()));
    // The job's end: every output chunk in storage (written atomically, so
    // present means complete), at the time the file system gives the last one.
    const stored = (): string[] => {
      try {
        return readdirSync(join(storage, 'output')).filter((f) => /^\d{6}\.ivf$/.test(f)).map((f) => join(storage, 'output', f));
      } catch {
        return [];
      }
    };
    await poll('the job\'s output chunks', () => stored().length === CHUNKS || exitMs >= 0, 120_000);
    const jobEndMs = Math.max(...stored().map((f) => statSync(f).mtimeMs));
    // Wait for the command, but not forever: the old listeners held it for minutes.
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, GIVE_UP_MS))]);
    if (exitMs < 0) {
      child.kill('SIGKILL');
      await exited;
      exitMs = Number.POSITIVE_INFINITY;
    }
    const hook = /peak-rss-kb (\d+) exit-at-ms (\d+)/.exec(stderr);
    const peakRssKb = Math.max(sampledKb, hook ? Number(hook[1]) : 0);
    if (hook) exitMs = Number(hook[2]);
    console.info(`${name}: exit ${Math.round(exitMs - jobEndMs)} ms after the job's end, peak RSS ${Math.round(peakRssKb / 1024)} MB`);
    const frames = status === 0 ? parseIvf(new Uint8Array(readFileSync(output))).frames.map((f) => f.data) : [];
    return { status, stderr, frames, jobEndMs, exitMs, readyMs, peakRssKb };
  } finally {
    clearInterval(sampler);
    if (exitMs < 0) child.kill('SIGKILL');
    for (const s of a?.sockets ?? []) s.destroy();
  }
}

function check(o: Outcome): void {
  // Soft: every figure is reported, not only the first one out of bounds.
  expect.soft(o.status, o.stderr).toBe(0);
  // The attack was in place while the job ran.
  expect.soft(o.readyMs).toBeGreaterThan(0);
  expect.soft(o.readyMs, 'the attack was not in place before the job ended (is the job too short now?)').toBeLessThan(o.jobEndMs);
  expect.soft(o.frames).toEqual(reference);
  expect.soft(o.exitMs - o.jobEndMs, `exited ${Math.round(o.exitMs - o.jobEndMs)} ms after the job's end`).toBeLessThan(EXIT_WITHIN_MS);
  expect.soft(o.peakRssKb).toBeGreaterThan(0);
  expect.soft(o.peakRssKb, `peak RSS ${o.peakRssKb} kB`).toBeLessThan(PEAK_RSS_LIMIT_KB);
}

// ---- the attacks ----------------------------------------------------------------

const HOST = '127.0.0.1';

/** Plain TCP connections that never send a byte (no TLS ClientHello). */
function idleTcp(count: number) {
  return (port: number): Attack => {
    const sockets: Socket[] = [];
    const waits: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const s = connectTcp(port, HOST);
      s.on('error', () => undefined);
      sockets.push(s);
      // In place once connected (a server that cuts it at once counts too: it was reached).
      waits.push(new Promise((resolve) => {
        s.once('connect', () => resolve());
        s.once('close', () => resolve());
      }));
    }
    return { sockets, ready: Promise.all(waits).then(() => undefined) };
  };
}

/** TLS connections that `then` does something with once the handshake is done (a stranger does not pin the job's certificate). */
function tls(count: number, then: (s: Socket) => void) {
  return (port: number): Attack => {
    const sockets: Socket[] = [];
    const waits: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const s = connectTls({ host: HOST, port, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
      s.on('error', () => undefined);
      sockets.push(s);
      waits.push(new Promise((resolve) => {
        s.once('secureConnect', () => {
          then(s);
          resolve();
        });
        s.once('close', () => resolve());
      }));
    }
    return { sockets, ready: Promise.all(waits).then(() => undefined) };
  };
}

/** A forged hello: nobody outside the job knows a token. */
const forgedHello = (): Uint8Array => encodeMessage({ type: 'hello', job: new Uint8Array(16).fill(1), worker: 0, token: new Uint8Array(32).fill(2) });

/** Writes `bytes` one byte every `everyMs` until they are out or the socket closes. */
function trickle(s: Socket, bytes: Uint8Array, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (s.destroyed || at >= bytes.length) return clearInterval(timer);
    s.write(bytes.subarray(at, ++at));
  }, everyMs);
  s.once('close', () => clearInterval(timer));
}

/**
 * Two peers that send every byte slowly: one completes TLS at once and then
 * dribbles its hello (66 bytes, 16 s); the other dribbles everything from its
 * TLS ClientHello on (a few hundred bytes at one per 25 ms), so it is still
 * in the handshake when the job ends.
 */
function slowHello(port: number): Attack {
  const a = tls(1, (s) => trickle(s, forgedHello(), 250))(port);
  const tcp = connectTcp(port, HOST);
  tcp.on('error', () => undefined);
  const queue: number[] = [];
  const slow = new Duplex({
    write(chunk: Buffer, _encoding, done) {
      queue.push(...chunk);
      done();
    },
    read() {},
  });
  const timer = setInterval(() => {
    if (queue.length > 0 && !tcp.destroyed) tcp.write(Uint8Array.of(queue.shift()!));
  }, 25);
  tcp.on('data', (d: Buffer) => slow.push(d));
  tcp.once('close', () => {
    clearInterval(timer);
    slow.destroy();
  });
  const viaSlow = connectTls({ socket: slow, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
  viaSlow.on('error', () => undefined);
  viaSlow.once('secureConnect', () => viaSlow.write(forgedHello()));
  const connected = new Promise<void>((resolve) => {
    tcp.once('connect', () => resolve());
    tcp.once('close', () => resolve());
  });
  return { sockets: [...a.sockets, tcp], ready: Promise.all([a.ready, connected]).then(() => undefined) };
}

/**
 * A message of the largest size a listener takes after a hello, announced and
 * streamed before any hello, a MiB at a time as the socket takes it (as an
 * attacker would: writing it all at once would only keep this process busy).
 */
function flood64MiB(s: Socket): void {
  const total = 4 + DEFAULT_MAX_MESSAGE_BYTES;
  const piece = Buffer.alloc(1 << 20, 0x5a);
  const first = Buffer.from(piece);
  first.writeUInt32BE(DEFAULT_MAX_MESSAGE_BYTES, 0);
  first[4] = 1; // protocol version
  first[5] = 5; // a state message
  let sent = 0;
  const more = (): void => {
    while (sent < total && !s.destroyed) {
      const n = Math.min(piece.length, total - sent);
      const ok = s.write((sent === 0 ? first : piece).subarray(0, n));
      sent += n;
      if (!ok) return;
    }
  };
  s.on('drain', more);
  more();
}

describe.each(['coordinator', 'rendezvous'] as const)('the %s listener, during a real job', (target) => {
  it('is not held by an idle TCP connection (no ClientHello)', async () => {
    check(await attacked(`${target}-idle-tcp`, target, idleTcp(1)));
  }, 180_000);

  it('is not held by an idle TLS connection (handshake, no hello)', async () => {
    check(await attacked(`${target}-idle-tls`, target, tls(1, () => undefined)));
  }, 180_000);

  it('is not held by peers dribbling their handshake or their hello a byte at a time', async () => {
    check(await attacked(`${target}-slow-hello`, target, slowHello));
  }, 180_000);

  it('does not buffer 64 MiB messages sent before a hello by 16 peers', async () => {
    check(await attacked(`${target}-64mib`, target, tls(16, flood64MiB)));
  }, 180_000);

  it('is not held by 2,000 idle connections, and does not log each one', async () => {
    const o = await attacked(`${target}-flood`, target, idleTcp(2000));
    check(o);
    const drops = o.stderr.split('\n').filter((l) => /dropped|cut/.test(l));
    expect(drops.length, drops.slice(0, 30).join('\n')).toBeLessThan(40);
  }, 180_000);
});
