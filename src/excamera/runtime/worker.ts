// The worker runtime: what a worker does with the coordinator's commands,
// shared by every way a worker is started (a local process, a Lambda
// invocation, or in this process for tests and the in-process shell).
//
// It is given two links — to the coordinator and to the rendezvous — and a
// storage, and it carries out one command at a time (types.ts lists them),
// reporting `phase-done` after each and `state-received` when a state for
// its chunk arrives. It keeps, for each finished chunk, the states it sent
// (its outbox) until told to drop them, so that it can send them again.
//
// Everything a worker computes is a pure function of its inputs (chunks are
// deterministic), so a chunk re-run anywhere gives the same bytes — which is
// what lets the coordinator replace a failed worker without changing the
// output.

import type { Rational } from '../../container/index.js';
import type { DecoderState, Image } from '../../vp8/index.js';
import { i420Size, imageFromI420 } from '../../vp8/index.js';
import { type Chunk, decodeChunk, encodeGivenState, rebaseChunk } from '../chunk.js';
import { type ChunkEncoderName, encodeChunk } from '../chunk-encoder.js';
import type { Command, StateKind } from '../coordinator/types.js';
import { ExcameraError } from '../errors.js';
import { chunkToIvf } from '../files.js';
import type { Message } from '../protocol.js';
import { originOf } from '../schedule.js';
import { deserializeState, serializeState } from '../state-file.js';
import type { ChunkQuality } from '../vpxenc.js';

/** What every worker of a job must know: the picture format and the coding settings. */
export interface JobSpec {
  readonly width: number;
  readonly height: number;
  readonly frameRate: Rational;
  readonly framesPerChunk: number;
  readonly chunksPerBatch: number;
  readonly chunkEncoder: ChunkEncoderName;
  readonly quality: ChunkQuality;
  readonly speed?: number;
  readonly keyQuantizerWeight?: number;
}

/** Where raw chunks come from and output chunks go (a directory, S3, memory). */
export interface Storage {
  get(key: string): Promise<Uint8Array>;
  /** Writes `bytes` under `key` atomically: readers see the old value or the new, never part. */
  put(key: string, bytes: Uint8Array): Promise<void>;
}

/** The keys a job uses in its storage. */
export const rawChunkKey = (chunk: number): string => `input/${String(chunk).padStart(6, '0')}.yuv`;
export const outputChunkKey = (chunk: number): string => `output/${String(chunk).padStart(6, '0')}.ivf`;

export interface Link {
  send(m: Message): void;
}

interface Work {
  readonly chunk: number;
  readonly firstFrame: number;
  pictures: Image[];
  independent: Chunk | null;
  independentEnd: DecoderState | null;
  given: { chunk: Chunk; state: DecoderState } | null;
  output: Chunk | null;
  outputEnd: DecoderState | null;
  /** States of the chunk before, as they arrive. */
  readonly received: Map<StateKind, DecoderState>;
}

export class WorkerRuntime {
  private work: Work | null = null;
  /** Finished chunks' states, serialized, by chunk and kind. */
  private readonly outbox = new Map<number, Map<StateKind, Uint8Array>>();
  /** States that arrived for a chunk before this worker was told to fetch it. */
  private readonly early = new Map<number, Map<StateKind, Uint8Array>>();
  private queue: Promise<void> = Promise.resolve();
  quit = false;

  constructor(
    private readonly spec: JobSpec,
    private readonly storage: Storage,
    private readonly coordinator: Link,
    private readonly rendezvous: Link,
  ) {}

  /** A message from the coordinator or the rendezvous. Commands run one after another. */
  receive(m: Message): Promise<void> {
    if (m.type === 'command') {
      this.queue = this.queue.then(() => this.run(m.command));
      return this.queue;
    }
    if (m.type === 'state') this.stateArrived(m.to, m.state, m.bytes);
    return Promise.resolve();
  }

  private stateArrived(chunk: number, kind: StateKind, bytes: Uint8Array): void {
    const w = this.work;
    if (w === null || w.chunk !== chunk) {
      const map = this.early.get(chunk) ?? new Map<StateKind, Uint8Array>();
      map.set(kind, bytes);
      this.early.set(chunk, map);
      return;
    }
    if (w.received.has(kind)) return;
    w.received.set(kind, deserializeState(bytes));
    this.coordinator.send({ type: 'state-received', chunk, state: kind });
  }

  private async run(c: Command): Promise<void> {
    if (this.quit) return;
    const t0 = performance.now();
    try {
      switch (c.kind) {
        case 'quit':
          this.quit = true;
          return;
        case 'drop':
          this.outbox.delete(c.chunk);
          return;
        case 'resend': {
          const box = this.outbox.get(c.chunk);
          for (const kind of c.states) {
            const bytes = box?.get(kind);
            if (bytes !== undefined) this.rendezvous.send({ type: 'state', from: c.chunk, to: c.to, state: kind, bytes });
          }
          return;
        }
        case 'fetch':
          await this.fetch(c.chunk, c.firstFrame, c.frames);
          break;
        case 'encode': {
          const w = this.current(c.chunk);
          w.independent = await encodeChunk(w.pictures, { encoder: this.spec.chunkEncoder, quality: this.spec.quality, frameRate: this.spec.frameRate, speed: this.spec.speed, chunkIndex: c.chunk });
          break;
        }
        case 'send-state': {
          const w = this.current(c.chunk);
          w.independentEnd = decodeChunk(this.need(w.independent, 'independent chunk', c.chunk), undefined, c.chunk).state;
          const bytes = serializeState(w.independentEnd);
          this.keep(c.chunk, 'independent', bytes);
          this.rendezvous.send({ type: 'state', from: c.chunk, to: c.to, state: 'independent', bytes });
          break;
        }
        case 'given-state': {
          const w = this.current(c.chunk);
          const before = this.need(w.received.get('independent') ?? null, "the previous chunk's state", c.chunk);
          w.given = encodeGivenState(this.need(w.independent, 'independent chunk', c.chunk), before, w.pictures, { speed: this.spec.speed, chunkIndex: c.chunk, keyQuantizerWeight: this.spec.keyQuantizerWeight });
          if (originOf(c.chunk, this.spec.chunksPerBatch) === 'given-state') {
            // The chunk before is unchanged, so the state it was given is the true one.
            w.output = w.given.chunk;
            w.outputEnd = w.given.state;
          }
          break;
        }
        case 'rebase': {
          const w = this.current(c.chunk);
          const from = this.need(w.received.get('independent') ?? null, "the previous chunk's state", c.chunk);
          const to = this.need(w.received.get('final') ?? null, "the previous chunk's final state", c.chunk);
          const r = rebaseChunk(this.need(w.given, 'chunk encoded given state', c.chunk).chunk, from, to, w.pictures, { speed: this.spec.speed, chunkIndex: c.chunk });
          w.output = r.chunk;
          w.outputEnd = r.state;
          break;
        }
        case 'send-final': {
          const w = this.current(c.chunk);
          const bytes = serializeState(this.need(w.outputEnd, 'final state', c.chunk));
          this.keep(c.chunk, 'final', bytes);
          this.rendezvous.send({ type: 'state', from: c.chunk, to: c.to, state: 'final', bytes });
          break;
        }
        case 'upload': {
          const w = this.current(c.chunk);
          const output = w.output ?? this.need(w.independent, 'chunk', c.chunk);
          await this.storage.put(outputChunkKey(c.chunk), chunkToIvf(output, this.spec.frameRate, w.firstFrame));
          break;
        }
      }
      this.coordinator.send({ type: 'phase-done', chunk: c.chunk, phase: c.kind, seconds: (performance.now() - t0) / 1000 });
    } catch (e) {
      this.coordinator.send({ type: 'failed', reason: e instanceof Error ? e.message : String(e) });
      this.quit = true;
    }
  }

  private async fetch(chunk: number, firstFrame: number, frames: number): Promise<void> {
    // A new chunk: the previous one's states stay in the outbox.
    const { width, height } = this.spec;
    const bytes = await this.storage.get(rawChunkKey(chunk));
    const size = i420Size(width, height);
    if (bytes.length !== size * frames) {
      throw new ExcameraError('bad-chunk', `raw chunk holds ${bytes.length} bytes, ${frames} frames of ${width}x${height} are ${size * frames}`, { chunk });
    }
    const pictures = Array.from({ length: frames }, (_, i) => imageFromI420(width, height, bytes.subarray(i * size, (i + 1) * size)));
    this.work = { chunk, firstFrame, pictures, independent: null, independentEnd: null, given: null, output: null, outputEnd: null, received: new Map() };
    this.rendezvous.send({ type: 'claim', chunk });
    const early = this.early.get(chunk);
    this.early.delete(chunk);
    for (const [kind, b] of early ?? []) this.stateArrived(chunk, kind, b);
  }

  private current(chunk: number): Work {
    if (this.work === null || this.work.chunk !== chunk) throw new ExcameraError('invalid-argument', `told to work on chunk ${chunk}, which this worker has not fetched`, { chunk });
    return this.work;
  }

  private need<T>(v: T | null, what: string, chunk: number): T {
    if (v === null) throw new ExcameraError('invalid-argument', `no ${what} yet: the commands came out of order`, { chunk });
    return v;
  }

  private keep(chunk: number, kind: StateKind, bytes: Uint8Array): void {
    const box = this.outbox.get(chunk) ?? new Map<StateKind, Uint8Array>();
    box.set(kind, bytes);
    this.outbox.set(chunk, box);
  }
}
