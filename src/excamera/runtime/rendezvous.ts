// The rendezvous (DESIGN.md section 5): a relay that carries decoder states
// from one worker to the next, so that workers — which cannot accept
// connections, as Lambda functions cannot — reach each other.
//
// Rules:
//  - TLS only, with the job's certificate (workers pin its fingerprint).
//  - A connection's first message must be a `hello` with the job's id and
//    the worker's token, within `helloTimeoutMs`; otherwise it is dropped
//    and logged, and nothing it sent reaches anyone.
//  - A worker `claim`s the chunk it runs; a `state` addressed to a chunk goes
//    to the worker that claimed it. A state for a chunk nobody has claimed is
//    held (at most `holdSeconds`, within a byte budget shared by all held
//    states) and delivered at the claim; a state over the budget is refused
//    with a `refused` message to its sender.
//  - A malformed message, an oversized one, or a message a worker has no
//    business sending drops that connection only; the others go on.
//  - A recipient that does not read its socket is not written to without
//    bound: its states wait, counted against the budget, until it drains.

import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { DEFAULT_MAX_MESSAGE_BYTES, encodeMessage, type Message, MessageReader, ProtocolError } from '../protocol.js';
import type { JobCredentials } from './security.js';
import { verifyWorkerToken } from './security.js';

export interface RendezvousOptions {
  readonly credentials: Pick<JobCredentials, 'privateKey' | 'certificate' | 'secret' | 'jobId'>;
  readonly host?: string;
  readonly port?: number;
  readonly maxMessageBytes?: number;
  /** Bytes of states held for unclaimed chunks or slow readers, all together. */
  readonly heldBytesBudget?: number;
  readonly holdSeconds?: number;
  readonly helloTimeoutMs?: number;
  /** Where to log refusals and drops (one line each). */
  readonly log?: (line: string) => void;
}

export interface RendezvousStats {
  connections: number;
  authenticated: number;
  /** Connections dropped for breaking a rule. */
  dropped: number;
  relayed: number;
  /** States refused for the budget, and states that expired while held. */
  refused: number;
  expired: number;
  heldBytes: number;
}

interface Held {
  readonly bytes: Uint8Array;
  readonly since: number;
  readonly from: number;
}

interface Peer {
  readonly socket: TLSSocket;
  readonly reader: MessageReader;
  worker: number;
  readonly address: string;
}

export class Rendezvous {
  readonly stats: RendezvousStats = { connections: 0, authenticated: 0, dropped: 0, relayed: 0, refused: 0, expired: 0, heldBytes: 0 };
  private readonly route = new Map<number, Peer>();
  private readonly held = new Map<number, Held[]>();
  private readonly peers = new Set<Peer>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly maxMessageBytes: number;
  private readonly budget: number;
  private readonly holdMs: number;
  private readonly log: (line: string) => void;

  private constructor(
    private readonly server: Server,
    private readonly options: RendezvousOptions,
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.budget = options.heldBytesBudget ?? 256 << 20;
    this.holdMs = (options.holdSeconds ?? 300) * 1000;
    this.log = options.log ?? (() => undefined);
    this.sweeper = setInterval(() => this.expire(), Math.min(1000, Math.max(10, this.holdMs / 4)));
    this.sweeper.unref();
  }

  static async start(options: RendezvousOptions): Promise<Rendezvous> {
    const server = createServer({ key: options.credentials.privateKey, cert: options.credentials.certificate, minVersion: 'TLSv1.3' });
    const r = new Rendezvous(server, options);
    server.on('secureConnection', (socket: TLSSocket) => r.accept(socket));
    // A failed handshake (a client that does not speak TLS) concerns only that client.
    server.on('tlsClientError', (e: Error, socket: TLSSocket) => {
      r.stats.dropped++;
      r.log(`dropped ${socket.remoteAddress ?? '?'}: TLS handshake failed (${e.message})`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    return r;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const p of this.peers) p.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: TLSSocket): void {
    this.stats.connections++;
    const peer: Peer = { socket, reader: new MessageReader(this.maxMessageBytes), worker: -1, address: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` };
    this.peers.add(peer);
    const helloTimer = setTimeout(() => this.drop(peer, `no hello within ${this.options.helloTimeoutMs ?? 10_000} ms`), this.options.helloTimeoutMs ?? 10_000);
    helloTimer.unref();
    socket.on('data', (piece: Buffer) => {
      let messages: Message[];
      try {
        messages = peer.reader.push(piece);
      } catch (e) {
        if (e instanceof ProtocolError) {
          this.drop(peer, e.message);
          return;
        }
        throw e;
      }
      for (const m of messages) {
        if (peer.socket.destroyed) return;
        if (peer.worker < 0) {
          clearTimeout(helloTimer);
          this.hello(peer, m);
        } else this.handle(peer, m);
      }
    });
    socket.on('drain', () => {
      for (const [chunk, p] of this.route) if (p === peer) this.flush(chunk);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(helloTimer);
      this.peers.delete(peer);
      for (const [chunk, p] of this.route) if (p === peer) this.route.delete(chunk);
    });
  }

  private drop(peer: Peer, why: string): void {
    if (peer.socket.destroyed) return;
    this.stats.dropped++;
    this.log(`dropped ${peer.worker >= 0 ? `worker ${peer.worker}` : 'an unauthenticated client'} (${peer.address}): ${why}`);
    peer.socket.destroy();
  }

  private hello(peer: Peer, m: Message): void {
    if (m.type !== 'hello') return this.drop(peer, `its first message was a ${m.type}, not a hello`);
    const { jobId, secret } = this.options.credentials;
    if (!Buffer.from(m.job).equals(Buffer.from(jobId))) return this.drop(peer, 'a hello for another job');
    if (!verifyWorkerToken(secret, jobId, m.worker, m.token)) return this.drop(peer, `a wrong token for worker ${m.worker}`);
    peer.worker = m.worker;
    this.stats.authenticated++;
  }

  private handle(peer: Peer, m: Message): void {
    switch (m.type) {
      case 'claim':
        this.route.set(m.chunk, peer);
        this.flush(m.chunk);
        return;
      case 'state': {
        const bytes = encodeMessage(m);
        const list = this.held.get(m.to) ?? [];
        if (this.stats.heldBytes + bytes.length > this.budget && !this.canWrite(m.to)) {
          this.stats.refused++;
          this.log(`refused a state of ${bytes.length} bytes from worker ${peer.worker} for chunk ${m.to}: over the budget of ${this.budget} held bytes`);
          peer.socket.write(encodeMessage({ type: 'refused', reason: `state for chunk ${m.to} refused: the rendezvous holds ${this.stats.heldBytes} of its ${this.budget} bytes` }));
          return;
        }
        list.push({ bytes, since: Date.now(), from: peer.worker });
        this.held.set(m.to, list);
        this.stats.heldBytes += bytes.length;
        this.flush(m.to);
        return;
      }
      case 'ping':
        peer.socket.write(encodeMessage({ type: 'pong', nonce: m.nonce }));
        return;
      default:
        this.drop(peer, `a ${m.type} message, which workers do not send to the rendezvous`);
    }
  }

  /** Whether the worker that claimed `chunk` can take more bytes now. */
  private canWrite(chunk: number): boolean {
    const p = this.route.get(chunk);
    return p !== undefined && !p.socket.destroyed && p.socket.writableLength < this.maxMessageBytes;
  }

  /** Sends the states held for `chunk` to its worker, while it reads them. */
  private flush(chunk: number): void {
    const list = this.held.get(chunk);
    const p = this.route.get(chunk);
    if (list === undefined || p === undefined) return;
    while (list.length > 0 && this.canWrite(chunk)) {
      const h = list.shift()!;
      this.stats.heldBytes -= h.bytes.length;
      this.stats.relayed++;
      p.socket.write(h.bytes);
    }
    if (list.length === 0) this.held.delete(chunk);
  }

  private expire(): void {
    const limit = Date.now() - this.holdMs;
    for (const [chunk, list] of this.held) {
      while (list.length > 0 && list[0]!.since < limit) {
        const h = list.shift()!;
        this.stats.heldBytes -= h.bytes.length;
        this.stats.expired++;
        this.log(`a state from worker ${h.from} for chunk ${chunk} expired unclaimed after ${this.holdMs / 1000} s`);
      }
      if (list.length === 0) this.held.delete(chunk);
    }
  }
}
