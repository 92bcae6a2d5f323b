// The wire protocol: every message survives encode -> decode, in pieces of
// any size; malformed, foreign and oversized input is refused with a clear
// error, without buffering more than the bound; the bound can rise between
// two messages of one piece (a listener's hello, then the rest).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHUNK_PHASES, type Command } from '../../src/excamera/coordinator/types.js';
import { decodeMessage, encodeMessage, type Message, MessageReader, PROTOCOL_VERSION, ProtocolError } from '../../src/excamera/protocol.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const stateKind = fc.constantFrom('independent' as const, 'final' as const);
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('fetch' as const), chunk: u32, firstFrame: u32, frames: u32 }),
  fc.record({ kind: fc.constantFrom('encode' as const, 'given-state' as const, 'rebase' as const, 'upload' as const, 'drop' as const), chunk: u32 }),
  fc.record({ kind: fc.constantFrom('send-state' as const, 'send-final' as const), chunk: u32, to: u32 }),
  fc.record({ kind: fc.constant('resend' as const), chunk: u32, to: u32, states: fc.constantFrom<('independent' | 'final')[]>(['independent'], ['final'], ['independent', 'final']) }),
  fc.constant({ kind: 'quit' as const }),
);
const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant('hello' as const), job: fc.uint8Array({ minLength: 16, maxLength: 16 }), worker: u32, token: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
  fc.record({ type: fc.constant('command' as const), command }),
  fc.record({ type: fc.constant('phase-done' as const), chunk: u32, phase: fc.constantFrom(...CHUNK_PHASES), seconds: fc.double({ min: 0, max: 1e6, noNaN: true }) }),
  fc.record({ type: fc.constant('state-received' as const), chunk: u32, state: stateKind }),
  fc.record({ type: fc.constant('failed' as const), reason: fc.string({ maxLength: 200 }) }),
  fc.record({ type: fc.constant('state' as const), from: u32, to: u32, state: stateKind, bytes: fc.uint8Array({ maxLength: 5000 }) }),
  fc.record({ type: fc.constantFrom('ping' as const, 'pong' as const), nonce: u32 }),
  fc.record({ type: fc.constant('claim' as const), chunk: u32 }),
  fc.record({ type: fc.constant('refused' as const), reason: fc.string({ maxLength: 200 }) }),
);

describe('protocol', () => {
  it('round-trips every message, whole and in pieces of any size (property)', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }), (messages, cuts) => {
        for (const m of messages) expect(decodeMessage(encodeMessage(m))).toEqual(m);
        const stream = Buffer.concat(messages.map(encodeMessage));
        const reader = new MessageReader();
        const out: Message[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const n = cuts[i % cuts.length]!;
          out.push(...reader.push(stream.subarray(at, at + n)));
          at += n;
        }
        expect(out).toEqual(messages);
        expect(reader.buffered).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('lays a message out as documented', () => {
    const bytes = encodeMessage({ type: 'ping', nonce: 0x01020304 });
    expect([...bytes]).toEqual([0, 0, 0, 6, PROTOCOL_VERSION, 6, 1, 2, 3, 4]);
  });

  it('waits for the rest of a message cut anywhere, and never returns part of one', () => {
    const bytes = encodeMessage({ type: 'state', from: 3, to: 4, state: 'final', bytes: new Uint8Array(100).fill(9) });
    for (let cut = 0; cut < bytes.length; cut++) {
      const reader = new MessageReader();
      expect(reader.push(bytes.subarray(0, cut))).toEqual([]);
      expect(reader.buffered).toBe(cut);
      expect(reader.push(bytes.subarray(cut))).toHaveLength(1);
    }
  });

  it('refuses foreign versions, unknown types, bad fields and leftovers, naming them', () => {
    const ping = encodeMessage({ type: 'ping', nonce: 1 });
    const cases: [Uint8Array, string, RegExp][] = [
      [Uint8Array.from([0, 0, 0, 2, 9, 6]), 'version', /protocol version 9 \(this build speaks 1\)/],
      [Uint8Array.from([0, 0, 0, 2, 1, 200]), 'unknown-type', /message type 200 is not one of the 10 known/],
      [Uint8Array.from([0, 0, 0, 1, 1]), 'malformed', /no version and type/],
      [Uint8Array.from([...ping.subarray(0, 3), 7, ...ping.subarray(4), 0]), 'malformed', /ping message: 1 bytes left over/],
      [Uint8Array.from([0, 0, 0, 3, 1, 1, 10]), 'malformed', /command message: command kind 10 is not one of the 10 known/],
      [Uint8Array.from([0, 0, 0, 5, 1, 6, 0, 0, 0]), 'malformed', /ping message: ends inside nonce/],
      [encodeMessage({ type: 'state-received', chunk: 1, state: 'final' }).map((b, i) => (i === 10 ? 7 : b)), 'malformed', /state kind 7 is not one of the 2 known/],
      [encodeMessage({ type: 'command', command: { kind: 'resend', chunk: 1, to: 2, states: ['final'] } }).map((b, i) => (i === 15 ? 0 : b)), 'malformed', /command message: state set 0 names no state or an unknown one/],
      [Uint8Array.from([0, 0, 0, 10, 1, 0, 0, 0, 0, 15, ...new Array(4).fill(0)]), 'malformed', /hello message: job id must be 16 bytes, not 15/],
      [Uint8Array.from([0, 0, 0, 7, 1, 4, 0, 0, 0, 1, 0xff]), 'malformed', /failed message: the reason is not UTF-8/],
    ];
    for (const [bytes, code, message] of cases) {
      let error: unknown = null;
      try {
        new MessageReader().push(bytes);
      } catch (e) {
        error = e;
      }
      expect(error, message.source).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).code).toBe(code);
      expect((error as ProtocolError).message).toMatch(message);
    }
  });

  it('refuses an oversized message from its length alone, before buffering it', () => {
    const reader = new MessageReader(1000);
    expect(() => reader.push(Uint8Array.from([0, 0x10, 0, 0]))).toThrow(/a message of 1048576 bytes is over the bound of 1000/);
    // The stream stays refused.
    expect(() => reader.push(encodeMessage({ type: 'ping', nonce: 1 }))).toThrow(ProtocolError);
    // A large length announced and then starved buffers only what came.
    const slow = new MessageReader();
    slow.push(Uint8Array.from([0, 0x40, 0, 0, 1, 5]));
    expect(slow.buffered).toBe(6);
  });

  it('names the stream offset of a bad message after good ones', () => {
    const good = encodeMessage({ type: 'pong', nonce: 5 });
    const reader = new MessageReader();
    expect(() => reader.push(Uint8Array.from([...good, ...good, 0, 0, 0, 2, 3, 0]))).toThrow(/message at byte 20 of the stream/);
  });

  it('survives random bytes: a message or a ProtocolError, nothing else (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const reader = new MessageReader(4096);
        try {
          reader.push(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
        expect(reader.buffered).toBeLessThanOrEqual(4096 + 20);
      }),
      { numRuns: 2000 },
    );
  });

  it('lets the bound rise between two messages of one piece, as a listener does after a hello', () => {
    const hello = encodeMessage({ type: 'hello', job: new Uint8Array(16), worker: 3, token: new Uint8Array(32) });
    const state = encodeMessage({ type: 'state', from: 1, to: 2, state: 'final', bytes: new Uint8Array(5000).fill(7) });
    expect(hello.length).toBe(66);
    const piece = Uint8Array.from([...hello, ...state]);
    // Under the pre-hello bound the state is refused from its length...
    expect(() => new MessageReader(1024).push(piece)).toThrow(/a message of 5015 bytes is over the bound of 1024/);
    // ...unless the bound rises once the hello is out.
    const reader = new MessageReader(1024);
    const seen: string[] = [];
    reader.feed(piece, (m) => {
      seen.push(m.type);
      if (m.type === 'hello') reader.setMaxMessageBytes(10_000);
    });
    expect(seen).toEqual(['hello', 'state']);
    expect(reader.maxMessageBytes).toBe(10_000);
    expect(() => reader.setMaxMessageBytes(-1)).toThrow(RangeError);
  });

  it('stops reading when told to, and takes nothing more', () => {
    const ping = (nonce: number): Uint8Array => encodeMessage({ type: 'ping', nonce });
    const reader = new MessageReader();
    const seen: number[] = [];
    reader.feed(Uint8Array.from([...ping(1), ...ping(2), ...ping(3)]), (m) => {
      if (m.type === 'ping') seen.push(m.nonce);
      return false;
    });
    expect(seen).toEqual([1]);
    expect(reader.push(ping(4))).toEqual([]);
    expect(reader.buffered).toBe(0);
  });

  it('under a raised bound still buffers only the bytes that came, not the length announced', () => {
    const reader = new MessageReader(16);
    reader.setMaxMessageBytes(64 << 20);
    reader.push(Uint8Array.from([0x04, 0, 0, 0, 1, 5, 0, 0]));
    expect(reader.buffered).toBe(8);
  });
});
