// One connection that speaks messages (the framing of protocol.ts over a TLS
// socket): what a listener's admitted peers and a worker's two links all are.
// It reads messages within a bound that its owner may raise, writes them, and
// says once when it has closed and why. Who may connect and what a message
// means are its owners' (message-listener.ts, the shell, the rendezvous, the
// worker process).

import type { TLSSocket } from 'node:tls';
import { encodeMessage, type Message, MessageReader, ProtocolError } from '../protocol.js';

/**
 * A TLS connection that speaks messages: it reads them (within its reader's
 * bound) and hands each to `onMessage`, writes them, and says once when it
 * has closed. A listener's authenticated peers and a worker's two links are
 * all MessageSockets.
 */
export class MessageSocket {
  /** Each message, in order. Replace it to take the messages. */
  onMessage: (m: Message) => void = () => undefined;
  /** Called once when the connection is gone, with why when this end knows (a bad message, a drop). */
  onClose: (why: string | null) => void = () => undefined;
  /** Called when writes that were queued have gone out (see `writableLength`). */
  onDrain: () => void = () => undefined;
  /** A message broke the protocol (the stream is unusable): by default the connection closes with its reason. */
  onBadMessage: (e: ProtocolError) => void = (e) => this.destroy(e.message);
  /**
   * Whether a `ping` is answered here with its `pong` rather than handed to
   * `onMessage`: a listener sets it for the peers it admits, so that the
   * coordinator and the rendezvous answer pings alike.
   */
  answersPings = false;
  /** The worker on the other end (a listener's peers); -1 when unknown. */
  worker = -1;
  /** host:port of the other end, for log lines. */
  readonly address: string;
  private readonly reader: MessageReader;
  private why: string | null = null;
  private onIdle: (() => void) | null = null;

  constructor(private readonly socket: TLSSocket, maxMessageBytes: number, address?: string) {
    this.reader = new MessageReader(maxMessageBytes);
    this.address = address ?? `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.on('data', (piece: Buffer) => {
      try {
        // Stop reading as soon as a handler closes the connection.
        this.reader.feed(piece, (m) => {
          if (m.type === 'ping' && this.answersPings) this.send({ type: 'pong', nonce: m.nonce });
          else this.onMessage(m);
          return !this.closed;
        });
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.onBadMessage(e);
      }
    });
    socket.on('drain', () => this.onDrain());
    socket.on('error', (e: Error) => {
      this.why ??= e.message;
    });
    socket.once('close', () => this.onClose(this.why));
  }

  /** Whether the connection is closed or closing: nothing more is read or written. */
  get closed(): boolean {
    return this.socket.destroyed;
  }

  /** Bytes written but not yet sent (a reader that does not read makes it grow). */
  get writableLength(): number {
    return this.socket.writableLength;
  }

  /** The bound on the next message read. */
  get maxMessageBytes(): number {
    return this.reader.maxMessageBytes;
  }

  setMaxMessageBytes(n: number): void {
    this.reader.setMaxMessageBytes(n);
  }

  /** Milliseconds without a byte either way before `onIdle` is called; 0 for never. */
  setIdleTimeout(ms: number, onIdle: () => void): void {
    if (this.onIdle !== null) this.socket.removeListener('timeout', this.onIdle);
    this.onIdle = ms > 0 ? onIdle : null;
    this.socket.setTimeout(ms);
    if (this.onIdle !== null) this.socket.on('timeout', this.onIdle);
  }

  send(m: Message): void {
    this.write(encodeMessage(m));
  }

  /** Writes a message already encoded (the rendezvous relays states as they came). */
  write(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Closes after what was written has gone out (a worker that quits). */
  end(): void {
    this.socket.end();
  }

  /** Closes now, dropping whatever is queued; `why` reaches `onClose`. */
  destroy(why?: string): void {
    if (why !== undefined) this.why ??= why;
    this.socket.destroy();
  }
}
