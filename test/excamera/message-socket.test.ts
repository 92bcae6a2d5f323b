// The shared listener and the worker's connection (message-socket.ts), over
// real TLS on loopback, with short limits: a worker's hello makes it a peer
// with the full message bound; strangers are cut at a deadline counted from
// their TCP connection, at their first oversized byte, or past the cap (the
// oldest first); close() ends every connection at once; a flood of drops
// writes a few log lines; a worker refuses a server that is not the job's
// and gives up on one that never finishes TLS.

import { type AddressInfo, connect as connectTcp, createServer, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMessage, type Message } from '../../src/excamera/protocol.js';
import { connectMessageSocket, DEFAULT_LISTENER_LIMITS, type ListenerOptions, MessageListener, type MessageSocket } from '../../src/excamera/runtime/message-socket.js';
import { createJobCredentials, PinningError, workerToken } from '../../src/excamera/runtime/security.js';

const job = createJobCredentials();
const other = createJobCredentials();
const HOST = '127.0.0.1';
const open: { close(): unknown }[] = [];

afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

interface Started {
  readonly listener: MessageListener;
  readonly logs: string[];
  readonly peers: MessageSocket[];
  /** Messages the peers received, after their hellos. */
  readonly received: Message[];
}

async function listen(options: Partial<ListenerOptions> = {}): Promise<Started> {
  const logs: string[] = [];
  const peers: MessageSocket[] = [];
  const received: Message[] = [];
  const listener = await MessageListener.start({
    name: 'test',
    credentials: job,
    log: (l) => logs.push(l),
    onPeer: (p) => {
      peers.push(p);
      p.onMessage = (m) => received.push(m);
    },
    ...options,
  });
  open.push(listener);
  return { listener, logs, peers, received };
}

const hello = (worker: number): Extract<Message, { type: 'hello' }> => ({ type: 'hello', job: job.jobId, worker, token: workerToken(job.secret, job.jobId, worker) });

/** Resolves when `condition` holds; fails after `timeoutMs` (a generous bound: these wait on events, not on speed). */
async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A client socket and whether it has closed. */
function watched<S extends Socket>(s: S): { socket: S; closed: () => boolean } {
  let closed = false;
  s.on('error', () => undefined);
  s.once('close', () => (closed = true));
  return { socket: s, closed: () => closed };
}

const tcp = (port: number) => watched(connectTcp(port, HOST));
const tlsClient = (port: number, socket?: Socket) => watched(connectTls({ host: HOST, port, socket, rejectUnauthorized: false, minVersion: 'TLSv1.3' }));
const secured = (s: Socket): Promise<void> => new Promise((resolve) => s.once('secureConnect', () => resolve()));

describe('listener', () => {
  it('admits a worker with a valid hello, with the full message bound from the next message on', async () => {
    const { listener, peers, received } = await listen({ maxMessageBytes: 200_000 });
    const big: Message = { type: 'state', from: 0, to: 1, state: 'final', bytes: new Uint8Array(100_000).fill(3) };
    // The hello and a message far over the pre-hello bound in one write: the bound rises between them.
    const s = tlsClient(listener.port);
    await secured(s.socket);
    s.socket.write(Buffer.concat([encodeMessage(hello(7)), encodeMessage(big)]));
    await until('the state', () => received.length === 1);
    expect(received[0]).toEqual(big);
    expect(peers.map((p) => p.worker)).toEqual([7]);
    expect(peers[0]!.maxMessageBytes).toBe(200_000);
    expect(listener.stats).toEqual({ connections: 1, authenticated: 1, dropped: 0 });
    expect(listener.unauthenticated).toBe(0);
  });

  it('drops a wrong token, another job\'s hello and a first message that is no hello, saying why', async () => {
    const { listener, logs, peers } = await listen();
    const clients = [
      encodeMessage({ ...hello(2), token: workerToken(job.secret, job.jobId, 3) }),
      encodeMessage({ type: 'hello', job: other.jobId, worker: 2, token: workerToken(other.secret, other.jobId, 2) }),
      encodeMessage({ type: 'claim', chunk: 1 }),
    ].map((bytes) => {
      const c = tlsClient(listener.port);
      c.socket.once('secureConnect', () => c.socket.write(bytes));
      return c;
    });
    await until('the drops', () => clients.every((c) => c.closed()));
    const text = logs.join('\n');
    expect(text).toMatch(/test: dropped an unauthenticated client \(127\.0\.0\.1:\d+\): a wrong token for worker 2/);
    expect(text).toMatch(/a hello for another job/);
    expect(text).toMatch(/its first message was a claim, not a hello/);
    expect(peers).toEqual([]);
    expect(listener.stats).toMatchObject({ authenticated: 0, dropped: 3 });
  });

  it('cuts an idle TCP connection, an idle TLS one and a dribbled hello at the hello deadline', async () => {
    const { listener, logs, peers } = await listen({ helloTimeoutMs: 300 });
    const t0 = performance.now();
    const idle = tcp(listener.port);
    const quiet = tlsClient(listener.port);
    const slow = tlsClient(listener.port);
    slow.socket.once('secureConnect', () => {
      const bytes = encodeMessage(hello(1));
      let at = 0;
      const timer = setInterval(() => (at < bytes.length && !slow.socket.destroyed ? slow.socket.write(bytes.subarray(at, ++at)) : clearInterval(timer)), 20);
    });
    await until('the three cut', () => idle.closed() && quiet.closed() && slow.closed());
    // Not before the deadline (a lower bound holds on any machine).
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(logs.filter((l) => /no hello within 300 ms of connecting/.test(l))).toHaveLength(3);
    expect(peers).toEqual([]);
    expect(listener.stats.dropped).toBe(3);
  });

  it('counts the deadline from the TCP accept: a late handshake does not buy a later hello', async () => {
    const { listener, logs, peers } = await listen({ helloTimeoutMs: 1000 });
    // 700 ms of silence on TCP, then TLS, then a hello over ~700 ms more: whole
    // only ~1.4 s after the accept, although it takes < 1 s after the handshake.
    const raw = connectTcp(listener.port, HOST);
    raw.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const late = tlsClient(listener.port, raw);
    late.socket.once('secureConnect', () => {
      const bytes = encodeMessage(hello(1));
      let at = 0;
      const timer = setInterval(() => (at < bytes.length && !late.socket.destroyed ? late.socket.write(bytes.subarray(at, ++at)) : clearInterval(timer)), 10);
    });
    await until('the cut', () => late.closed());
    expect(peers).toEqual([]);
    expect(logs.join('\n')).toMatch(/no hello within 1000 ms of connecting/);
  });

  it('refuses a message over 1 KiB before the hello from its length alone, buffering nothing', async () => {
    const { listener, logs } = await listen();
    expect(listener.limits.preAuthMaxMessageBytes).toBe(1024);
    // Only the 4-byte length of a 64 MiB message: the listener must not wait for the rest.
    const c = tlsClient(listener.port);
    await secured(c.socket);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(DEFAULT_LISTENER_LIMITS.maxMessageBytes);
    c.socket.write(prefix);
    await until('the drop', () => c.closed());
    expect(logs.join('\n')).toMatch(/dropped an unauthenticated client .*a message of 67108864 bytes is over the bound of 1024/);
  });

  it('keeps at most maxUnauthenticated strangers, evicting the oldest, and still admits a worker', async () => {
    const { listener, logs, peers } = await listen({ maxUnauthenticated: 5, logBurst: 2 });
    const idle: ReturnType<typeof tcp>[] = [];
    for (let i = 0; i < 8; i++) {
      idle.push(tcp(listener.port));
      // One at a time, so that "oldest" is well defined.
      await until('the accept', () => listener.stats.connections === i + 1);
    }
    await until('the evictions', () => idle.slice(0, 3).every((c) => c.closed()));
    expect(idle.slice(3).map((c) => c.closed())).toEqual([false, false, false, false, false]);
    expect(listener.unauthenticated).toBe(5);
    // A worker arriving now takes the place of the oldest stranger left.
    const w = await connectMessageSocket({ host: HOST, port: listener.port, fingerprint: job.fingerprint, hello: hello(4) });
    await until('the worker', () => peers.length === 1);
    await until('the fourth eviction', () => idle[3]!.closed());
    expect(w.closed).toBe(false);
    expect(listener.unauthenticated).toBe(4);
    expect(listener.stats).toEqual({ connections: 9, authenticated: 1, dropped: 4 });
    // Two drops logged one by one, the other two summed up (at the latest when the listener closes).
    await listener.close();
    const drops = logs.filter((l) => /dropped/.test(l));
    expect(drops.slice(0, 2).every((l) => /over the cap of 5 unauthenticated connections; the oldest goes/.test(l))).toBe(true);
    expect(drops[2]).toBe('test: dropped 2 more connection(s) without a line each (2 over the cap)');
    expect(drops).toHaveLength(3);
    expect(logs.join('\n')).toMatch(/closed with 4 unauthenticated connection\(s\) still open; they were cut/);
  });

  it('sums a flood of drops up in a few lines', async () => {
    const { listener, logs } = await listen({ maxUnauthenticated: 10, logBurst: 5 });
    const flood = Array.from({ length: 300 }, () => tcp(listener.port));
    await until('the flood', () => listener.stats.connections === 300);
    await until('the evictions', () => flood.filter((c) => c.closed()).length === 290);
    await listener.close();
    await until('every close', () => flood.every((c) => c.closed()));
    expect(listener.stats.dropped).toBe(290);
    expect(logs.length).toBeLessThanOrEqual(5 + 1 + 1);
    expect(logs.join('\n')).toMatch(/dropped 285 more connection\(s\) without a line each \(285 over the cap\)/);
  });

  it('close() ends every connection at once, at any stage, and tells a worker\'s link it closed', async () => {
    const { listener, peers } = await listen();
    const idle = tcp(listener.port);
    // Stuck inside the handshake: a ClientHello's first bytes only.
    const stuck = tcp(listener.port);
    stuck.socket.write(Uint8Array.of(0x16, 0x03, 0x01, 0x01, 0x00, 0x01));
    const quiet = tlsClient(listener.port);
    await secured(quiet.socket);
    let closedWhy: string | null | undefined;
    const w = await connectMessageSocket({ host: HOST, port: listener.port, fingerprint: job.fingerprint, hello: hello(9) });
    w.onClose = (why) => (closedWhy = why);
    await until('the worker', () => peers.length === 1);
    expect(listener.open).toBe(4);
    const closing = listener.close();
    // Nothing the peers do can hold it: it resolves, and every one of them is closed.
    await Promise.race([closing, new Promise((_, reject) => setTimeout(() => reject(new Error('close() did not resolve within 5 s')), 5000))]);
    await until('every client closed', () => idle.closed() && stuck.closed() && quiet.closed() && w.closed);
    expect(closedWhy).not.toBeUndefined();
    expect(listener.open).toBe(0);
    // And it no longer listens.
    const late = tcp(listener.port);
    await until('the refusal', () => late.closed());
  });

  it('drops an authenticated peer silent for idleTimeoutMs, and by default never does', async () => {
    const quiet = await listen({ idleTimeoutMs: 300 });
    const w1 = await connectMessageSocket({ host: HOST, port: quiet.listener.port, fingerprint: job.fingerprint, hello: hello(1) });
    await until('the idle drop', () => w1.closed);
    expect(quiet.logs.join('\n')).toMatch(/test: dropped worker 1 \(127\.0\.0\.1:\d+\): nothing either way for 300 ms/);

    const patient = await listen();
    expect(patient.listener.limits.idleTimeoutMs).toBe(0);
    const w2 = await connectMessageSocket({ host: HOST, port: patient.listener.port, fingerprint: job.fingerprint, hello: hello(2) });
    await until('the peer', () => patient.peers.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(w2.closed).toBe(false);
    w2.send({ type: 'claim', chunk: 3 });
    await until('the claim', () => patient.received.length === 1);
    w2.destroy();
  });

  it('lets the owner drop a peer for its own rules, counted and logged like the listener\'s drops', async () => {
    const { listener, logs, peers } = await listen();
    const w = await connectMessageSocket({ host: HOST, port: listener.port, fingerprint: job.fingerprint, hello: hello(5) });
    await until('the peer', () => peers.length === 1);
    listener.drop(peers[0]!, 'a command message, which workers do not send here');
    await until('the drop', () => w.closed);
    expect(logs).toEqual([expect.stringMatching(/^test: dropped worker 5 \(127\.0\.0\.1:\d+\): a command message, which workers do not send here$/)]);
    expect(listener.stats.dropped).toBe(1);
  });

  it('refuses limits that make no sense', async () => {
    await expect(listen({ helloTimeoutMs: 0 })).rejects.toThrow(/helloTimeoutMs must be an integer >= 1/);
    await expect(listen({ maxUnauthenticated: 1.5 })).rejects.toThrow(/maxUnauthenticated/);
  });
});

describe('a worker\'s connection', () => {
  it('refuses a server whose certificate is not the pinned one, before sending its hello', async () => {
    const { listener } = await listen({ credentials: other });
    await expect(connectMessageSocket({ host: HOST, port: listener.port, fingerprint: job.fingerprint, hello: hello(1) })).rejects.toBeInstanceOf(PinningError);
    await until('the listener notices', () => listener.unauthenticated === 0);
    // It never got as far as a message: no drop for a bad hello, nobody authenticated.
    expect(listener.stats).toMatchObject({ connections: 1, authenticated: 0 });
  });

  it('gives up on a server that never finishes TLS, at its connect deadline', async () => {
    // A TCP server that accepts and says nothing.
    const held: Socket[] = [];
    const mute = createServer((s) => held.push(s));
    await new Promise<void>((resolve) => mute.listen(0, HOST, () => resolve()));
    open.push({ close: () => new Promise<void>((resolve) => { for (const s of held) s.destroy(); mute.close(() => resolve()); }) });
    const port = (mute.address() as AddressInfo).port;
    await expect(connectMessageSocket({ host: HOST, port, fingerprint: job.fingerprint, hello: hello(1), timeoutMs: 300 })).rejects.toThrow(/no TLS connection to 127\.0\.0\.1:\d+ within 300 ms/);
  });

  it('closes on a malformed message from the server, saying why', async () => {
    const { listener, peers } = await listen();
    const w = await connectMessageSocket({ host: HOST, port: listener.port, fingerprint: job.fingerprint, hello: hello(1) });
    let why: string | null = null;
    w.onClose = (reason) => (why = reason);
    await until('the peer', () => peers.length === 1);
    peers[0]!.write(Uint8Array.from([0, 0, 0, 2, 1, 99]));
    await until('the close', () => w.closed && why !== null);
    expect(why).toMatch(/message type 99 is not one of the 10 known/);
  });
});
