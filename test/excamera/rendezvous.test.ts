// The rendezvous over real TLS on loopback: states reach the worker that
// claims their chunk, held ones at the claim; strangers, impostors and
// malformed peers are dropped without disturbing the job; budgets hold.

import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMessage, type Message, MessageReader } from '../../src/excamera/protocol.js';
import { Rendezvous, type RendezvousOptions } from '../../src/excamera/runtime/rendezvous.js';
import { connectPinned, createJobCredentials, workerToken } from '../../src/excamera/runtime/security.js';

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

const state = (from: number, to: number, fill: number, size = 1000): Message => ({ type: 'state', from, to, state: 'final', bytes: new Uint8Array(size).fill(fill) });

describe('rendezvous', () => {
  it('holds a state until its chunk is claimed, and relays at once after', async () => {
    const r = await start();
    const a = await client(r, { worker: 1 });
    const b = await client(r, { worker: 2 });
    a.send(state(4, 5, 7));
    await new Promise((res) => setTimeout(res, 50));
    expect(r.stats.heldBytes).toBeGreaterThan(1000);
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
    expect(text).toMatch(/no hello within 1000 ms/);
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
    await new Promise((res) => setTimeout(res, 400));
    expect(r.stats.expired).toBe(1);
    expect(r.stats.heldBytes).toBe(0);
    const b = await client(r, { worker: 2 });
    b.send({ type: 'claim', chunk: 1 });
    expect(await b.next(200)).toBeNull();
    expect(logs.join('\n')).toMatch(/a state from worker 1 for chunk 1 expired unclaimed/);
  });
});
