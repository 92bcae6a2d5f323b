// The wire protocol between the coordinator, the rendezvous and the workers
// (docs/runtime.md, "The protocol"): typed, versioned, length-prefixed binary messages,
// one discriminated union, never strings matched by prefix.
//
// A message on the wire:
//
//   offset  bytes
//   0       4      length of what follows (big-endian), at most maxMessageBytes
//   4       1      protocol version (PROTOCOL_VERSION)
//   5       1      message type (MESSAGE_TYPES)
//   6       ...    the fields of that type, in order: u8, u32 (big-endian),
//                  f64 (big-endian), byte strings (u32 length + bytes),
//                  text (a byte string of UTF-8)
//
// A reader takes bytes as they arrive, in pieces of any size, and hands out
// whole messages. Everything is checked before it is trusted: the length
// against a bound (before anything is buffered for it), the version, the
// type, every field's range, and that the fields fill the message exactly.
// A peer that breaks a rule gets a ProtocolError naming what and where, and
// is dropped; nothing it sent can make the reader allocate without bound.

import { ExcameraTsError } from '../errors.js';
import type { ChunkPhase, Command, StateKind } from './coordinator/types.js';
import { CHUNK_PHASES, STATE_KINDS } from './coordinator/types.js';

export const PROTOCOL_VERSION = 1;
/** The default bound on one message: a 4K state (~11 MB) with room to spare; a 16K one would not fit. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 << 20;

export type Message =
  /** A worker introduces itself: the job, its number, and its token (HMAC of the job secret). */
  | { readonly type: 'hello'; readonly job: Uint8Array; readonly worker: number; readonly token: Uint8Array }
  /** The coordinator tells a worker what to do. */
  | { readonly type: 'command'; readonly command: Command }
  | { readonly type: 'phase-done'; readonly chunk: number; readonly phase: ChunkPhase; readonly seconds: number }
  | { readonly type: 'state-received'; readonly chunk: number; readonly state: StateKind }
  /** A worker reports an error it cannot recover from. */
  | { readonly type: 'failed'; readonly reason: string }
  /** A decoder state for chunk `to`, from chunk `from` (through the rendezvous). */
  | { readonly type: 'state'; readonly from: number; readonly to: number; readonly state: StateKind; readonly bytes: Uint8Array }
  /** Keep-alive, answered by a pong with the same nonce. */
  | { readonly type: 'ping'; readonly nonce: number }
  | { readonly type: 'pong'; readonly nonce: number }
  /** A worker tells the rendezvous it now runs `chunk`: states for that chunk go to it. */
  | { readonly type: 'claim'; readonly chunk: number }
  /** The rendezvous refuses something a worker sent, and says why (the connection stays open). */
  | { readonly type: 'refused'; readonly reason: string };

export type MessageType = Message['type'];
export const MESSAGE_TYPES: readonly MessageType[] = ['hello', 'command', 'phase-done', 'state-received', 'failed', 'state', 'ping', 'pong', 'claim', 'refused'];
const COMMAND_KINDS: readonly Command['kind'][] = ['fetch', 'encode', 'send-state', 'given-state', 'rebase', 'send-final', 'resend', 'upload', 'drop', 'quit'];
/** Bounds of small fields: a job id and a token are 16 and 32 bytes; a reason is a line of text. */
const JOB_ID_BYTES = 16;
const TOKEN_BYTES = 32;
const MAX_REASON_BYTES = 4096;

export type ProtocolErrorCode = 'too-large' | 'version' | 'unknown-type' | 'malformed';

export class ProtocolError extends ExcameraTsError<ProtocolErrorCode> {
  constructor(
    code: ProtocolErrorCode,
    detail: string,
    /** Offset in the stream of the message's first byte. */
    readonly streamOffset: number,
  ) {
    super(code, detail, { byte: streamOffset }, { message: `${detail} (message at byte ${streamOffset} of the stream)` });
    this.name = 'ProtocolError';
  }
}

// ---- writing ----------------------------------------------------------------

class Writer {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }

  u32(v: number): void {
    if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new RangeError(`a u32 field cannot hold ${v}`);
    this.room(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.length, v);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  done(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function writeCommand(w: Writer, c: Command): void {
  w.u8(COMMAND_KINDS.indexOf(c.kind));
  switch (c.kind) {
    case 'fetch':
      w.u32(c.chunk);
      w.u32(c.firstFrame);
      w.u32(c.frames);
      return;
    case 'send-state':
    case 'send-final':
      w.u32(c.chunk);
      w.u32(c.to);
      return;
    case 'resend':
      w.u32(c.chunk);
      w.u32(c.to);
      w.u8(c.states.reduce((m, s) => m | (1 << STATE_KINDS.indexOf(s)), 0));
      return;
    case 'quit':
      return;
    default:
      w.u32(c.chunk);
  }
}

/** The bytes of one message, length prefix included. */
export function encodeMessage(m: Message): Uint8Array {
  const w = new Writer();
  w.u32(0); // the length, filled in below
  w.u8(PROTOCOL_VERSION);
  w.u8(MESSAGE_TYPES.indexOf(m.type));
  switch (m.type) {
    case 'hello':
      if (m.job.length !== JOB_ID_BYTES || m.token.length !== TOKEN_BYTES) throw new RangeError(`a hello carries a ${JOB_ID_BYTES}-byte job id and a ${TOKEN_BYTES}-byte token`);
      w.bytes(m.job);
      w.u32(m.worker);
      w.bytes(m.token);
      break;
    case 'command':
      writeCommand(w, m.command);
      break;
    case 'phase-done':
      w.u32(m.chunk);
      w.u8(CHUNK_PHASES.indexOf(m.phase));
      w.f64(m.seconds);
      break;
    case 'state-received':
      w.u32(m.chunk);
      w.u8(STATE_KINDS.indexOf(m.state));
      break;
    case 'failed':
    case 'refused': {
      const text = new TextEncoder().encode(m.reason.slice(0, MAX_REASON_BYTES / 4));
      w.bytes(text);
      break;
    }
    case 'claim':
      w.u32(m.chunk);
      break;
    case 'state':
      w.u32(m.from);
      w.u32(m.to);
      w.u8(STATE_KINDS.indexOf(m.state));
      w.bytes(m.bytes);
      break;
    case 'ping':
    case 'pong':
      w.u32(m.nonce);
      break;
  }
  const out = w.done();
  new DataView(out.buffer, out.byteOffset).setUint32(0, out.length - 4);
  return out;
}

// ---- reading ----------------------------------------------------------------

/** Reads the fields of one message body, refusing anything out of place. */
class Fields {
  private at = 0;
  private readonly view: DataView;

  constructor(
    private readonly body: Uint8Array,
    private readonly offset: number,
    private readonly type: MessageType,
  ) {
    this.view = new DataView(body.buffer, body.byteOffset, body.length);
  }

  fail(what: string): never {
    throw new ProtocolError('malformed', `${this.type} message: ${what}`, this.offset);
  }

  private need(n: number, what: string): void {
    if (this.at + n > this.body.length) this.fail(`ends inside ${what}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.body[this.at++]!;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.at);
    this.at += 4;
    return v;
  }

  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.at);
    this.at += 8;
    return v;
  }

  bytes(what: string, max: number, exact?: number): Uint8Array {
    const n = this.u32(`the length of ${what}`);
    if (exact !== undefined && n !== exact) this.fail(`${what} must be ${exact} bytes, not ${n}`);
    if (n > max) this.fail(`${what} of ${n} bytes is over its bound of ${max}`);
    this.need(n, what);
    // A copy: the reader's buffer is reused.
    const b = this.body.slice(this.at, this.at + n);
    this.at += n;
    return b;
  }

  pick<T>(list: readonly T[], what: string): T {
    const i = this.u8(what);
    if (i >= list.length) this.fail(`${what} ${i} is not one of the ${list.length} known`);
    return list[i]!;
  }

  end(): void {
    if (this.at !== this.body.length) this.fail(`${this.body.length - this.at} bytes left over after the last field`);
  }
}

function readCommand(f: Fields): Command {
  const kind = f.pick(COMMAND_KINDS, 'command kind');
  switch (kind) {
    case 'fetch':
      return { kind, chunk: f.u32('chunk'), firstFrame: f.u32('first frame'), frames: f.u32('frame count') };
    case 'send-state':
    case 'send-final':
      return { kind, chunk: f.u32('chunk'), to: f.u32('recipient chunk') };
    case 'resend': {
      const chunk = f.u32('chunk');
      const to = f.u32('recipient chunk');
      const mask = f.u8('state set');
      if (mask === 0 || mask > 3) f.fail(`state set ${mask} names no state or an unknown one`);
      return { kind, chunk, to, states: STATE_KINDS.filter((_, i) => (mask & (1 << i)) !== 0) };
    }
    case 'quit':
      return { kind };
    default:
      return { kind, chunk: f.u32('chunk') };
  }
}

/** Decodes one message body (version and type bytes included, the length prefix not). */
function decodeBody(body: Uint8Array, offset: number, maxMessageBytes: number): Message {
  if (body.length < 2) throw new ProtocolError('malformed', `a message of ${body.length} bytes has no version and type`, offset);
  if (body[0] !== PROTOCOL_VERSION) throw new ProtocolError('version', `protocol version ${body[0]} (this build speaks ${PROTOCOL_VERSION})`, offset);
  const type = MESSAGE_TYPES[body[1]!];
  if (type === undefined) throw new ProtocolError('unknown-type', `message type ${body[1]} is not one of the ${MESSAGE_TYPES.length} known`, offset);
  const f = new Fields(body.subarray(2), offset, type);
  let m: Message;
  switch (type) {
    case 'hello':
      m = { type, job: f.bytes('job id', JOB_ID_BYTES, JOB_ID_BYTES), worker: f.u32('worker'), token: f.bytes('token', TOKEN_BYTES, TOKEN_BYTES) };
      break;
    case 'command':
      m = { type, command: readCommand(f) };
      break;
    case 'phase-done': {
      const chunk = f.u32('chunk');
      const phase = f.pick(CHUNK_PHASES, 'phase');
      const seconds = f.f64('seconds');
      if (!(Number.isFinite(seconds) && seconds >= 0)) f.fail(`seconds must be a finite number >= 0, got ${seconds}`);
      m = { type, chunk, phase, seconds };
      break;
    }
    case 'state-received':
      m = { type, chunk: f.u32('chunk'), state: f.pick(STATE_KINDS, 'state kind') };
      break;
    case 'claim':
      m = { type, chunk: f.u32('chunk') };
      break;
    case 'failed':
    case 'refused': {
      const text = f.bytes('reason', MAX_REASON_BYTES);
      let reason = '';
      try {
        reason = new TextDecoder('utf-8', { fatal: true }).decode(text);
      } catch {
        f.fail('the reason is not UTF-8');
      }
      m = { type, reason };
      break;
    }
    case 'state':
      m = { type, from: f.u32('sender chunk'), to: f.u32('recipient chunk'), state: f.pick(STATE_KINDS, 'state kind'), bytes: f.bytes('state', maxMessageBytes) };
      break;
    case 'ping':
    case 'pong':
      m = { type, nonce: f.u32('nonce') };
      break;
  }
  f.end();
  return m;
}

/** Decodes exactly one whole message (length prefix included). */
export function decodeMessage(bytes: Uint8Array, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): Message {
  const reader = new MessageReader(maxMessageBytes);
  const out = reader.push(bytes);
  if (out.length !== 1 || reader.buffered !== 0) throw new ProtocolError('malformed', `expected one whole message, got ${out.length} and ${reader.buffered} bytes more`, 0);
  return out[0]!;
}

/**
 * Turns a byte stream into messages. `push` takes the next piece (any size)
 * and returns the messages it completes; bytes of an unfinished message wait
 * for the next piece. After a ProtocolError the stream is unusable: the
 * connection must be closed.
 *
 * The bound on one message can change as the stream goes on: a listener
 * reads a peer's first message (its hello, ~66 bytes) under a tiny bound and
 * raises it only once the hello has verified (message-socket.ts). `feed` hands
 * out each message as soon as it is whole, so the bound can change between
 * two messages of the same piece.
 */
export class MessageReader {
  private buf = new Uint8Array(0);
  private have = 0;
  /** Bytes of the stream consumed by whole messages. */
  private consumed = 0;
  private broken: ProtocolError | null = null;
  private stopped = false;
  private limit: number;

  constructor(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    this.limit = maxMessageBytes;
  }

  /** The bound on one message, as it is now. */
  get maxMessageBytes(): number {
    return this.limit;
  }

  /**
   * Changes the bound from the next byte on; a message already begun is
   * checked again against the new bound when its next bytes arrive.
   */
  setMaxMessageBytes(maxMessageBytes: number): void {
    if (!(Number.isInteger(maxMessageBytes) && maxMessageBytes >= 0)) throw new RangeError(`a message bound must be a non-negative integer, got ${maxMessageBytes}`);
    this.limit = maxMessageBytes;
  }

  /** Bytes held for a message not yet whole (never more than 4 + maxMessageBytes). */
  get buffered(): number {
    return this.have;
  }

  push(piece: Uint8Array): Message[] {
    const out: Message[] = [];
    this.feed(piece, (m) => {
      out.push(m);
    });
    return out;
  }

  /**
   * Like `push`, but gives each message to `each` as soon as it is whole,
   * before reading on. `each` may change the bound for what follows, or
   * return false to stop: the rest of the piece is thrown away and the reader
   * takes nothing more (its connection is being closed).
   */
  feed(piece: Uint8Array, each: (m: Message) => boolean | void): void {
    if (this.broken) throw this.broken;
    if (this.stopped) return;
    let p = 0;
    try {
      while (p < piece.length || this.have >= 4) {
        // The length prefix first, then the body it announces.
        if (this.have < 4) {
          const n = Math.min(4 - this.have, piece.length - p);
          this.ensure(4);
          this.buf.set(piece.subarray(p, p + n), this.have);
          this.have += n;
          p += n;
          if (this.have < 4) break;
        }
        const length = new DataView(this.buf.buffer, this.buf.byteOffset).getUint32(0);
        if (length > this.limit + 16) throw new ProtocolError('too-large', `a message of ${length} bytes is over the bound of ${this.limit}`, this.consumed);
        const total = 4 + length;
        const n = Math.min(total - this.have, piece.length - p);
        // Grow with the bytes that came, not with the length announced: a
        // peer that announces 64 MiB and sends nothing costs nothing.
        this.ensure(this.have + n);
        this.buf.set(piece.subarray(p, p + n), this.have);
        this.have += n;
        p += n;
        if (this.have < total) break;
        const m = decodeBody(this.buf.subarray(4, total), this.consumed, this.limit);
        this.consumed += total;
        this.have = 0;
        // Let a large buffer go once its message is out.
        if (this.buf.length > 1 << 20) this.buf = new Uint8Array(0);
        if (each(m) === false) {
          this.stopped = true;
          this.buf = new Uint8Array(0);
          return;
        }
      }
    } catch (e) {
      if (e instanceof ProtocolError) this.broken = e;
      throw e;
    }
  }

  private ensure(n: number): void {
    if (this.buf.length >= n) return;
    const bigger = new Uint8Array(Math.max(n, Math.min(this.buf.length * 2, 4 + this.limit + 16), 256));
    // (Doubling, capped at the largest message, keeps the copies linear.)
    bigger.set(this.buf.subarray(0, this.have));
    this.buf = bigger;
  }
}
