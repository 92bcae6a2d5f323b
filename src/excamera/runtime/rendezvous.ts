// The rendezvous (docs/runtime.md): a relay that carries decoder states
// from one worker to the next, so that workers — which cannot accept
// connections, as Lambda functions cannot — reach each other.
//
// Rules:
//  - TLS only, with the job's certificate (workers pin its fingerprint).
//  - Connections are accepted, authenticated, bounded and closed by the
//    job's shared listener (message-socket.ts): a connection's first message
//    must be a `hello` with the job's id and the worker's token, within
//    `helloTimeoutMs` of its TCP connection, at most 1 KiB; otherwise it is
//    dropped and logged, and nothing it sent reaches anyone. Strangers are
//    capped, pings are answered, and `close()` destroys every connection at
//    once.
//  - A worker `claim`s the chunk it runs; a `state` addressed to a chunk goes
//    to the worker that claimed it. A state for a chunk nobody has claimed is
//    held (at most `holdSeconds`, within a byte budget shared by all held
//    states) and delivered at the claim; a state over the budget is refused
//    with a `refused` message to its sender.
//  - A malformed message, an oversized one, or a message a worker has no
//    business sending drops that connection only; the others go on.
//  - A recipient that does not read its socket is not written to without
//    bound: its states wait, counted against the budget, until it drains.

import { encodeMessage, type Message } from '../protocol.js';
import { type ListenerLimits, MessageListener, type MessageSocket } from './message-socket.js';
import type { JobCredentials } from './security.js';

export interface RendezvousOptions extends Partial<ListenerLimits> {
  readonly credentials: Pick<JobCredentials, 'privateKey' | 'certificate' | 'secret' | 'jobId'>;
  readonly host?: string;
  readonly port?: number;
  /** Bytes of states held for unclaimed chunks or slow readers, all together (256 MiB). */
  readonly heldBytesBudget?: number;
  /** Seconds a state waits for its chunk to be claimed (300). */
  readonly holdSeconds?: number;
  /** Where to log refusals and drops (one line each, summed up under floods). */
  readonly log?: (line: string) => void;
}

export interface RendezvousStats {
  /** TCP connections accepted. */
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

export class Rendezvous {
  private readonly relay = { relayed: 0, refused: 0, expired: 0, heldBytes: 0 };
  private readonly route = new Map<number, MessageSocket>();
  private readonly held = new Map<number, Held[]>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly budget: number;
  private readonly holdMs: number;
  private readonly log: (line: string) => void;

  private constructor(
    private readonly listener: MessageListener,
    options: RendezvousOptions,
  ) {
    this.budget = options.heldBytesBudget ?? 256 << 20;
    this.holdMs = (options.holdSeconds ?? 300) * 1000;
    this.log = options.log ?? (() => undefined);
    this.sweeper = setInterval(() => this.expire(), Math.min(1000, Math.max(10, this.holdMs / 4)));
    this.sweeper.unref();
  }

  static async start(options: RendezvousOptions): Promise<Rendezvous> {
    let r: Rendezvous | null = null;
    // No worker can say hello before `r` is set: connections are handled only after listening resolves.
    const listener = await MessageListener.start({ ...options, name: 'rendezvous', onPeer: (peer) => r!.accept(peer) });
    r = new Rendezvous(listener, options);
    return r;
  }

  get port(): number {
    return this.listener.port;
  }

  /** The listener's counts (connections, authenticated, dropped) and the relay's. */
  get stats(): RendezvousStats {
    return { ...this.listener.stats, ...this.relay };
  }

  /** Destroys every connection, a worker's or a stranger's, and stops listening. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.listener.close();
  }

  /** A worker whose hello verified. */
  private accept(peer: MessageSocket): void {
    peer.onMessage = (m) => this.handle(peer, m);
    peer.onDrain = () => {
      for (const [chunk, p] of this.route) if (p === peer) this.flush(chunk);
    };
    peer.onClose = () => {
      for (const [chunk, p] of this.route) if (p === peer) this.route.delete(chunk);
    };
  }

  private handle(peer: MessageSocket, m: Message): void {
    switch (m.type) {
      case 'claim':
        this.route.set(m.chunk, peer);
        this.flush(m.chunk);
        return;
      case 'state': {
        const bytes = encodeMessage(m);
        const list = this.held.get(m.to) ?? [];
        if (this.relay.heldBytes + bytes.length > this.budget && !this.canWrite(m.to)) {
          this.relay.refused++;
          this.log(`refused a state of ${bytes.length} bytes from worker ${peer.worker} for chunk ${m.to}: over the budget of ${this.budget} held bytes`);
          peer.send({ type: 'refused', reason: `state for chunk ${m.to} refused: the rendezvous holds ${this.relay.heldBytes} of its ${this.budget} bytes` });
          return;
        }
        list.push({ bytes, since: Date.now(), from: peer.worker });
        this.held.set(m.to, list);
        this.relay.heldBytes += bytes.length;
        this.flush(m.to);
        return;
      }
      default:
        this.listener.drop(peer, `a ${m.type} message, which workers do not send to the rendezvous`);
    }
  }

  /** Whether the worker that claimed `chunk` can take more bytes now. */
  private canWrite(chunk: number): boolean {
    const p = this.route.get(chunk);
    return p !== undefined && !p.closed && p.writableLength < this.listener.limits.maxMessageBytes;
  }

  /** Sends the states held for `chunk` to its worker, while it reads them. */
  private flush(chunk: number): void {
    const list = this.held.get(chunk);
    const p = this.route.get(chunk);
    if (list === undefined || p === undefined) return;
    while (list.length > 0 && this.canWrite(chunk)) {
      const h = list.shift()!;
      this.relay.heldBytes -= h.bytes.length;
      this.relay.relayed++;
      p.write(h.bytes);
    }
    if (list.length === 0) this.held.delete(chunk);
  }

  private expire(): void {
    const limit = Date.now() - this.holdMs;
    for (const [chunk, list] of this.held) {
      while (list.length > 0 && list[0]!.since < limit) {
        const h = list.shift()!;
        this.relay.heldBytes -= h.bytes.length;
        this.relay.expired++;
        this.log(`a state from worker ${h.from} for chunk ${chunk} expired unclaimed after ${this.holdMs / 1000} s`);
      }
      if (list.length === 0) this.held.delete(chunk);
    }
  }
}
