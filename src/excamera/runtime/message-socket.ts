// Every connection of a job, both ends (docs/runtime.md, "Listeners" and
// "Security"): the one module the coordinator's shell, the rendezvous and the
// workers make and take their connections with. Its parts:
//  - message-connection.ts: `MessageSocket`, one TLS connection that speaks
//    messages (the protocol's framing, a bound on what it buffers);
//  - message-listener.ts: `MessageListener`, the server end's rules — a
//    deadline from the TCP accept for the handshake and the hello together,
//    1 KiB before the hello verifies, strangers capped with the oldest
//    evicted, pings answered, every socket destroyed at `close()`;
//  - drop-log.ts: its log lines, summed up under floods;
//  - here, a worker's end: `connectMessageSocket` makes TCP and TLS within a
//    deadline, checks the job's certificate against the pinned fingerprint
//    before a byte is sent, then sends its hello.

import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { DEFAULT_MAX_MESSAGE_BYTES, type Message } from '../protocol.js';
import { MessageSocket } from './message-connection.js';
import { PinningError } from './security.js';

export { MessageSocket } from './message-connection.js';
export { DEFAULT_LISTENER_LIMITS, type ListenerLimits, MessageListener, type ListenerOptions, type ListenerStats } from './message-listener.js';

/** Milliseconds a worker gives its TCP connect and TLS handshake together (10 s, like a listener's hello deadline). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * A TLS connection to a server whose certificate must have `fingerprint`,
 * within `timeoutMs` for the TCP connect and the handshake together. No
 * certificate authority is consulted: the pinned fingerprint is the only
 * trust. The socket is handed out only after the check, so nothing is sent
 * to an impostor.
 */
export function connectPinned(options: { host: string; port: number; fingerprint: string; timeoutMs?: number }): Promise<TLSSocket> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const tlsOptions: ConnectionOptions = { host: options.host, port: options.port, rejectUnauthorized: false, minVersion: 'TLSv1.3', servername: 'excamera-job' };
    const socket = connect(tlsOptions);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error(`no TLS connection to ${options.host}:${options.port} within ${timeoutMs} ms`)), timeoutMs);
    const closedEarly = (): void => fail(new Error(`the connection to ${options.host}:${options.port} closed before TLS was set up`));
    socket.once('close', closedEarly);
    // (Left in place after success: a later error destroys the socket, which its user sees as a close.)
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const got = socket.getPeerCertificate().fingerprint256 ?? null;
      if (got !== options.fingerprint) return fail(new PinningError(options.fingerprint, got));
      socket.removeListener('close', closedEarly);
      resolve(socket);
    });
  });
}

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  /** The job certificate's SHA-256 fingerprint (from the invocation payload). */
  readonly fingerprint: string;
  /** Sent as soon as the certificate checks out: the listener's hello deadline is running. */
  readonly hello: Extract<Message, { type: 'hello' }>;
  /** TCP connect plus TLS handshake (DEFAULT_CONNECT_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** The largest message taken from the server (DEFAULT_MAX_MESSAGE_BYTES). */
  readonly maxMessageBytes?: number;
}

/** A worker's link to the coordinator or the rendezvous: connected, pinned, hello sent. */
export async function connectMessageSocket(options: ConnectOptions): Promise<MessageSocket> {
  const socket = await connectPinned(options);
  const link = new MessageSocket(socket, options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, `${options.host}:${options.port}`);
  link.send(options.hello);
  return link;
}
