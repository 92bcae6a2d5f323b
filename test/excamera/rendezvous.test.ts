// The rendezvous over real TLS on loopback: states reach the worker that
// claims their chunk, held ones at the claim; strangers, impostors and
// malformed peers are dropped without disturbing the job; budgets hold.
// Tests wait for conditions (with a deadline), never for a fixed time.

import { connect as connectTcp } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMessage, type Message, MessageReader } from '../../src/excamera/protocol.js';
import { Rendezvous, type RendezvousOptions } from '../../src/excamera/runtime/rendezvous.js';
import { connectPinned } from '../../src/excamera/runtime/message-socket.js';
import { createJobCredentials, workerToken } from '../../src/excamera/runtime/security.js';

const job = createJobCredentials();
const other = createJobCredentials();
let running: Rendezvous | null = null;
const logs: string[] = [];

afterEach(async () => {
  await running?.close();
  running = null;
  logs.length = 0;
});

async function start(options: Partial<RendezvousOptions> = {}): Promise<Rendezvous> {
  running = await Rendezvous.start({ credentials: job, log: (l) => logs.push(l), ...options });
  return running;
}

interface Client {
  readonly socket: TLSSocket;
  send(m: Message): void;
  /** Resolves with the next message (or null when the connection closes first). */
  next(timeoutMs?: number): Promise<Message | null>;
  closed: Promise<void>;
}

async function client(r: Rendezvous, hello: { worker: number; token?: Uint8Array; job?: Uint8Array } | null): Promise<Client> {
  const socket = await connectPinned({ host: '127.0.0.1', port: r.port, fingerprint: job.fingerprint });
  const reader = new MessageReader();
  const inbox: Message[] = [];
  const waiting: ((m: Message | null) => void)[] = [];
  let ended = false;
  socket.on('data', (d: Buffer) => {
    for (const m of reader.push(d)) {
      const w = waiting.shift();
      if (w) w(m);
      else inbox.push(m);
    }
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => {
    ended = true;
    for (const w of waiting.splice(0)) w(null);
    resolve();
  }));
  socket.on('error', () => undefined);
  const c: Client = {
    socket,
    send: (m) => socket.write(encodeMessage(m)),
    next: (timeoutMs = 2000) =>
      new Promise((resolve) => {
        if (inbox.length > 0) return resolve(inbox.shift()!);
        if (ended) return resolve(null);
        const t = setTimeout(() => resolve(null), timeoutMs);
        waiting.push((m) => {
          clearTimeout(t);
          resolve(m);
        });
      }),
    closed,
  };
  if (hello) c.send({ type: 'hello', job: hello.job ?? job.jobId, worker: hello.worker, token: hello.token ?? workerToken(job.secret, job.jobId, hello.worker) });
  return c;
}

/** Resolves when `condition` holds; fails after `timeoutMs` (a bound on waiting, not a measure of speed). */
async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** `p`, or a failure naming `what` after `timeoutMs`. */
function within<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const state = (from: number, to: number, fill: number, size = 1000): Message => ({ type: 'state', from, to, state: 'final', bytes: new Uint8Array(size).fill(fill) });

describe('rendezvous', () => {
  it('holds a state until its chunk is claimed, and relays at once after', async () => {
    const r = await start();
    const a = await client(r, { worker: 1 });
    const b = await client(r, { worker: 2 });
    a.send(state(4, 5, 7));
    await until('the state held', () => r.stats.heldBytes > 1000);
    b.send({ type: 'claim', chunk: 5 });
    expect(await b.next()).toEqual(state(4, 5, 7));
    a.send(state(4, 5, 8));
    expect(await b.next()).toEqual(state(4, 5, 8));
    expect(r.stats).toMatchObject({ authenticated: 2, relayed: 2, heldBytes: 0, dropped: 0 });
    b.send({ type: 'ping', nonce: 9 });
    expect(await b.next()).toEqual({ type: 'pong', nonce: 9 });
  });

  it('drops a stranger, an impostor and a peer of another job, and the job goes on', async () => {
    const r = await start();
    const a = await client(r, { worker: 1 });
    const b = await client(r, { worker: 2 });
    b.send({ type: 'claim', chunk: 3 });
    const impostor = await client(r, { worker: 2, token: workerToken(job.secret, job.jobId, 7) });
    const foreign = await client(r, { worker: 2, job: other.jobId, token: workerToken(other.secret, other.jobId, 2) });
    const silent = await client(r, null);
    silent.send(state(0, 3, 1));
    await Promise.all([impostor.closed, foreign.closed, silent.closed]);
    expect(logs.join('\n')).toMatch(/a wrong token for worker 2/);
    expect(logs.join('\n')).toMatch(/a hello for another job/);
    expect(logs.join('\n')).toMatch(/its first message was a state, not a hello/);
    // The stranger's state reached nobody; the worker's does.
    a.send(state(2, 3, 5));
    expect(await b.next()).toEqual(state(2, 3, 5));
    expect(r.stats).toMatchObject({ authenticated: 2, dropped: 3, relayed: 1 });
  });

  it('drops a connection that sends malformed or oversized messages, or none, and keeps the others', async () => {
    const r = await start({ maxMessageBytes: 10_000, helloTimeoutMs: 1000 });
    const a = await client(r, { worker: 1 });
    const b = await client(r, { worker: 2 });
    b.send({ type: 'claim', chunk: 1 });
    const garbage = await client(r, { worker: 3 });
    garbage.socket.write(Uint8Array.from([0, 0, 0, 2, 1, 99]));
    const huge = await client(r, { worker: 4 });
    huge.socket.write(Uint8Array.from([0, 0x10, 0, 0]));
    const mute = await client(r, null);
    const rude = await client(r, { worker: 5 });
    rude.send({ type: 'command', command: { kind: 'quit' } });
    await Promise.all([garbage.closed, huge.closed, mute.closed, rude.closed]);
    const text = logs.join('\n');
    expect(text).toMatch(/worker 3 .*message type 99 is not one of the 10 known/);
    expect(text).toMatch(/worker 4 .*over the bound of 10000/);
    expect(text).toMatch(/rendezvous: dropped an unauthenticated client .*no hello within 1000 ms of connecting/);
    expect(text).toMatch(/worker 5 .*a command message, which workers do not send/);
    a.send(state(0, 1, 3));
    expect(await b.next()).toEqual(state(0, 1, 3));
  });

  it('refuses a state over the held-bytes budget, telling its sender', async () => {
    const r = await start({ heldBytesBudget: 5000 });
    const a = await client(r, { worker: 1 });
    a.send(state(0, 1, 1, 3000));
    a.send(state(1, 2, 2, 3000));
    const reply = await a.next();
    expect(reply?.type).toBe('refused');
    expect(reply?.type === 'refused' && reply.reason).toMatch(/state for chunk 2 refused: the rendezvous holds \d+ of its 5000 bytes/);
    expect(r.stats.refused).toBe(1);
  });

  it('lets held states expire after the hold time', async () => {
    const r = await start({ holdSeconds: 0.1 });
    const a = await client(r, { worker: 1 });
    a.send(state(0, 1, 1));
    await until('the state expired', () => r.stats.expired === 1);
    expect(r.stats.heldBytes).toBe(0);
    const b = await client(r, { worker: 2 });
    b.send({ type: 'claim', chunk: 1 });
    // Messages are handled in order: had the claim brought a state, it would come before the pong.
    b.send({ type: 'ping', nonce: 4 });
    expect(await b.next()).toEqual({ type: 'pong', nonce: 4 });
    expect(logs.join('\n')).toMatch(/a state from worker 1 for chunk 1 expired unclaimed/);
  });

  it('counts the hello deadline from the TCP connection, and refuses a big message before the hello at once', async () => {
    const r = await start({ helloTimeoutMs: 1000 });
    // Silent TCP for 700 ms, then TLS and a hello dribbled over ~700 ms: whole
    // ~1.4 s after connecting, less than 1 s after the handshake. Cut.
    const raw = connectTcp(r.port, '127.0.0.1');
    raw.on('error', () => undefined);
    await new Promise((resolve) => raw.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 700)); // the attack's own pause, not a wait for an event
    const late = connectTls({ socket: raw, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
    late.on('error', () => undefined);
    const lateClosed = new Promise<void>((resolve) => late.once('close', () => resolve()));
    late.once('secureConnect', () => {
      const bytes = encodeMessage({ type: 'hello', job: job.jobId, worker: 6, token: workerToken(job.secret, job.jobId, 6) });
      let at = 0;
      const timer = setInterval(() => (at < bytes.length && !late.destroyed ? late.write(bytes.subarray(at, ++at)) : clearInterval(timer)), 10);
    });
    // A stranger announcing a 64 MiB message before its hello: refused from the length alone.
    const big = await client(r, null);
    big.socket.write(Uint8Array.from([0x04, 0, 0, 0]));
    await within(Promise.all([lateClosed, big.closed]), 10_000, 'both drops');
    const text = logs.join('\n');
    expect(text).toMatch(/no hello within 1000 ms of connecting/);
    expect(text).toMatch(/a message of 67108864 bytes is over the bound of 1024/);
    expect(r.stats).toMatchObject({ authenticated: 0, dropped: 2 });
  });

  it('closes every connection, a worker\'s or a stranger\'s at any stage, when it closes', async () => {
    const r = await start();
    const worker = await client(r, { worker: 1 });
    worker.send({ type: 'claim', chunk: 2 });
    const mute = await client(r, null);
    const raw = connectTcp(r.port, '127.0.0.1');
    raw.on('error', () => undefined);
    const rawClosed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    await new Promise((resolve) => raw.once('connect', resolve));
    await until('all three accepted', () => r.stats.connections === 3 && r.stats.authenticated === 1);
    running = null;
    await within(r.close(), 10_000, 'close()');
    await within(Promise.all([worker.closed, mute.closed, rawClosed]), 10_000, 'every connection closed');
    expect(logs.join('\n')).toMatch(/rendezvous: closed with 2 unauthenticated connection\(s\) still open; they were cut/);
  });
});
