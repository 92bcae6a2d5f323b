// The listener every job's server end uses — the coordinator's and the
// rendezvous's (docs/runtime.md, "Listeners" and "Security"): the one
// place where connections are accepted, authenticated, bounded and closed.
//
// It takes a TCP connection, speaks TLS on it with the job's certificate, and
// waits for the peer's first message, which must be a `hello` with the job's
// id and a valid worker token. Until then the peer is a stranger, and a
// stranger can cost the job nothing that lasts:
//  - a deadline counted from the TCP accept covers the TLS handshake and the
//    hello together, so a peer that never sends a ClientHello, stalls in the
//    handshake, or dribbles its hello a byte at a time is cut when it runs out;
//  - a message before the hello verifies may be at most 1 KiB (a hello is 66
//    bytes), so nobody can make the listener buffer a 64 MiB "message" first;
//  - only so many strangers are kept at once: past the cap the oldest one goes
//    (see `maxUnauthenticated` for why not the newest);
//  - `close()` destroys every socket, a stranger's or a worker's, mid-handshake
//    or not, and the server, so a finished job ends at once.
// A worker that has said hello has no idle limit by default: it may compute
// for minutes without a word (see `idleTimeoutMs`).
// Only after its hello verifies is a connection handed to its owner (the
// coordinator's shell, the rendezvous), with the normal message bound, as a
// `MessageSocket` that answers pings itself; the owner decides what its other
// messages mean.
//
// Drops are logged one line each, but at most `logBurst` lines per
// `logWindowMs`: the rest of a flood is counted and summed up in one line
// (drop-log.ts).

import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import { ExcameraError } from '../errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES, type Message } from '../protocol.js';
import { DropLog } from './drop-log.js';
import { MessageSocket } from './message-connection.js';
import { type JobCredentials, verifyWorkerToken } from './security.js';

// ---- limits -------------------------------------------------------------------

/** What a listener allows; every field has a default in DEFAULT_LISTENER_LIMITS. */
export interface ListenerLimits {
  /**
   * Milliseconds from the TCP accept until the hello must have verified: the
   * TLS handshake and the hello together. A worker sends its hello right
   * after its handshake, so it needs a round trip or two; 10 s leaves room
   * for a Lambda far away and a busy machine, and bounds what a stranger holds.
   */
  readonly helloTimeoutMs: number;
  /** The largest message before the hello verifies: a hello is 66 bytes; 1 KiB. */
  readonly preAuthMaxMessageBytes: number;
  /** The largest message after it: a decoder state (DEFAULT_MAX_MESSAGE_BYTES, 64 MiB). */
  readonly maxMessageBytes: number;
  /**
   * Connections accepted whose hello has not verified yet, at once (1024;
   * each costs a TLS socket, some tens of kB). Past the cap the *oldest* is
   * destroyed to make room: refusing the newest would let a stranger who
   * keeps 1024 idle connections open lock every worker out of the job for
   * as long as the hello deadline, while evicting the oldest makes it
   * open 1024 connections faster than a worker finishes its handshake.
   * Raise it for jobs that start more workers at once (the shell does).
   */
  readonly maxUnauthenticated: number;
  /**
   * Milliseconds an authenticated connection may go without a byte either way
   * before it is dropped; 0 (the default) for never. A worker encoding a
   * chunk blocks its event loop and sends nothing for minutes, and one
   * waiting for its turn to rebase may wait as long as the job; the
   * coordinator's phase time limit is what catches a hung worker, and
   * `close()` ends every connection with the job. A positive value suits a
   * listener whose peers send something regularly.
   */
  readonly idleTimeoutMs: number;
  /** Drops logged one line each per window; the rest are summed up in one line (10). */
  readonly logBurst: number;
  /** The window of `logBurst` (10 s). */
  readonly logWindowMs: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = Object.freeze({
  helloTimeoutMs: 10_000,
  preAuthMaxMessageBytes: 1024,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxUnauthenticated: 1024,
  idleTimeoutMs: 0,
  logBurst: 10,
  logWindowMs: 10_000,
});

function checkLimits(l: ListenerLimits): void {
  for (const [k, v] of Object.entries(l) as [keyof ListenerLimits, number][]) {
    const min = k === 'idleTimeoutMs' || k === 'logBurst' ? 0 : 1;
    if (!(Number.isInteger(v) && v >= min)) throw new ExcameraError('invalid-argument', `listener limit ${k} must be an integer >= ${min}, got ${v}`);
  }
}

// ---- the listener --------------------------------------------------------------

export interface ListenerOptions extends Partial<ListenerLimits> {
  /** Names the listener in its log lines ("coordinator", "rendezvous"). */
  readonly name: string;
  readonly credentials: Pick<JobCredentials, 'privateKey' | 'certificate' | 'secret' | 'jobId'>;
  /** Address to listen on (127.0.0.1); port 0 (the default) picks a free one. */
  readonly host?: string;
  readonly port?: number;
  readonly log?: (line: string) => void;
  /**
   * A connection whose hello verified, with `worker` set: the owner sets its
   * handlers here (messages that came with the hello follow at once).
   */
  readonly onPeer: (peer: MessageSocket) => void;
}

export interface ListenerStats {
  /** TCP connections accepted. */
  connections: number;
  /** Connections whose hello verified. */
  authenticated: number;
  /** Connections dropped for breaking a rule (a deadline, a bound, the cap, a bad hello or message). */
  dropped: number;
}

/** A connection not yet authenticated: its TCP socket, the TLS connection on it, its deadline. */
interface Stranger {
  readonly raw: Socket;
  readonly link: MessageSocket;
  readonly deadline: NodeJS.Timeout;
}

export class MessageListener {
  readonly stats: ListenerStats = { connections: 0, authenticated: 0, dropped: 0 };
  readonly limits: ListenerLimits;
  /** In order of arrival: the first is the oldest, the one the cap evicts. */
  private readonly strangers = new Set<Stranger>();
  private readonly peers = new Set<MessageSocket>();
  private readonly drops: DropLog;
  private readonly log: (line: string) => void;
  private readonly context: SecureContext;
  private closing: Promise<void> | null = null;
  private boundPort = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: ListenerOptions,
  ) {
    const limits: ListenerLimits = { ...DEFAULT_LISTENER_LIMITS };
    for (const k of Object.keys(limits) as (keyof ListenerLimits)[]) {
      const v = options[k];
      if (v !== undefined) (limits as Record<keyof ListenerLimits, number>)[k] = v;
    }
    checkLimits(limits);
    this.limits = Object.freeze(limits);
    this.log = options.log ?? (() => undefined);
    this.drops = new DropLog(this.log, options.name, limits.logBurst, limits.logWindowMs);
    this.context = createSecureContext({ key: options.credentials.privateKey, cert: options.credentials.certificate, minVersion: 'TLSv1.3' });
  }

  static async start(options: ListenerOptions): Promise<MessageListener> {
    // Plain TCP underneath and TLS on top, by hand: the listener holds each
    // connection from its accept, before any byte of TLS has come.
    const server = createServer();
    const listener = new MessageListener(server, options);
    server.on('connection', (raw: Socket) => listener.accept(raw));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    // Kept, so that the port is still known after close.
    listener.boundPort = (server.address() as AddressInfo).port;
    // Once listening, a failed accept (out of file descriptors) concerns one connection, not the job.
    server.on('error', (e: Error) => listener.drops.drop('failed accepts', `${options.name}: accepting a connection failed: ${e.message}`));
    return listener;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Connections accepted whose hello has not verified yet. */
  get unauthenticated(): number {
    return this.strangers.size;
  }

  /** Every open connection, authenticated or not. */
  get open(): number {
    return this.strangers.size + this.peers.size;
  }

  /**
   * Stops listening and destroys every connection at once — strangers at any
   * stage and authenticated peers alike — then resolves when the server has
   * closed. Nothing a peer does can make it wait.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      const cut = this.strangers.size;
      for (const s of [...this.strangers]) this.cut(this.forget(s));
      for (const p of [...this.peers]) p.destroy();
      this.drops.flush();
      if (cut > 0) this.log(`${this.options.name}: closed with ${cut} unauthenticated connection(s) still open; they were cut`);
      await closed;
    })();
    return this.closing;
  }

  /** Drops an authenticated peer that broke its owner's rules: a log line (or a count), and the connection destroyed. */
  drop(peer: MessageSocket, why: string, kind = 'broke a rule'): void {
    if (peer.closed) return;
    this.logDrop(kind, `worker ${peer.worker}`, peer.address, why);
    peer.destroy(why);
  }

  private accept(raw: Socket): void {
    if (this.closing) {
      raw.destroy();
      return;
    }
    this.stats.connections++;
    const address = `${raw.remoteAddress ?? '?'}:${raw.remotePort ?? '?'}`;
    raw.on('error', () => undefined);
    // Make room under the cap: the oldest stranger goes (ListenerLimits.maxUnauthenticated says why).
    const oldest = this.strangers.size >= this.limits.maxUnauthenticated ? this.strangers.values().next().value : undefined;
    if (oldest !== undefined) this.dropStranger(oldest, 'over the cap', `over the cap of ${this.limits.maxUnauthenticated} unauthenticated connections; the oldest goes`);
    const tls = new TLSSocket(raw, { isServer: true, secureContext: this.context, requestCert: false, rejectUnauthorized: false });
    const link = new MessageSocket(tls, this.limits.preAuthMaxMessageBytes, address);
    const stranger: Stranger = {
      raw,
      link,
      deadline: setTimeout(() => this.dropStranger(stranger, 'no hello in time', `no hello within ${this.limits.helloTimeoutMs} ms of connecting`), this.limits.helloTimeoutMs),
    };
    stranger.deadline.unref();
    this.strangers.add(stranger);
    link.onMessage = (m) => this.hello(stranger, m);
    link.onBadMessage = (e) => this.dropStranger(stranger, 'bad message', e.message);
    tls.on('error', (e: NodeJS.ErrnoException) => {
      // A peer that does not speak TLS 1.3 is dropped; a reset is a peer leaving.
      if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') this.dropStranger(stranger, 'TLS failed', `TLS failed: ${e.message.split('\n')[0]!.trim()}`);
    });
    tls.once('close', () => {
      this.forget(stranger);
      this.peers.delete(link);
      raw.destroy();
    });
  }

  /** A stranger's first message: a valid hello makes it a peer; anything else drops it. */
  private hello(s: Stranger, m: Message): void {
    const { jobId, secret } = this.options.credentials;
    if (m.type !== 'hello') return this.dropStranger(s, 'bad hello', `its first message was a ${m.type}, not a hello`);
    if (!Buffer.from(m.job).equals(Buffer.from(jobId))) return this.dropStranger(s, 'bad hello', 'a hello for another job');
    if (!verifyWorkerToken(secret, jobId, m.worker, m.token)) return this.dropStranger(s, 'bad hello', `a wrong token for worker ${m.worker}`);
    this.forget(s);
    const peer = s.link;
    peer.worker = m.worker;
    // The normal bound from the next message on, even one in the same piece as the hello.
    peer.setMaxMessageBytes(this.limits.maxMessageBytes);
    peer.onBadMessage = (e) => this.drop(peer, e.message, 'bad message');
    if (this.limits.idleTimeoutMs > 0) peer.setIdleTimeout(this.limits.idleTimeoutMs, () => this.drop(peer, `nothing either way for ${this.limits.idleTimeoutMs} ms`, 'idle'));
    peer.answersPings = true;
    peer.onMessage = () => undefined;
    this.peers.add(peer);
    this.stats.authenticated++;
    this.options.onPeer(peer);
  }

  private dropStranger(s: Stranger, kind: string, why: string): void {
    if (!this.strangers.has(s)) return;
    this.forget(s);
    this.logDrop(kind, 'an unauthenticated client', s.link.address, why);
    this.cut(s);
  }

  /** Destroys a stranger's connection: its TLS layer and the TCP socket under it. */
  private cut(s: Stranger): void {
    s.link.destroy();
    s.raw.destroy();
  }

  private logDrop(kind: string, who: string, address: string, why: string): void {
    this.stats.dropped++;
    this.drops.drop(kind, `${this.options.name}: dropped ${who} (${address}): ${why}`);
  }

  private forget(s: Stranger): Stranger {
    clearTimeout(s.deadline);
    this.strangers.delete(s);
    return s;
  }
}
