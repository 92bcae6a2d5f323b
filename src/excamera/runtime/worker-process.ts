// A worker as a process or a Lambda invocation: given its invocation payload
// (invocation.ts), it connects to the coordinator and the rendezvous over TLS
// (pinning the job's certificate), proves who it is with its token, and hands
// messages between the sockets and the worker runtime until told to quit.
//
// The payload holds no private key: only the certificate's fingerprint, the
// job id, the worker's number and its token (security.ts).

import type { TLSSocket } from 'node:tls';
import { encodeMessage, type Message, MessageReader } from '../protocol.js';
import { connectPinned } from './security.js';
import { type Invocation, storageOf } from './invocation.js';
import { type Storage, WorkerRuntime } from './worker.js';

/** A pinned TLS connection that speaks messages. */
async function link(address: { host: string; port: number }, fingerprint: string, onMessage: (m: Message) => void, onClose: () => void): Promise<TLSSocket> {
  const socket = await connectPinned({ ...address, fingerprint });
  const reader = new MessageReader();
  socket.on('data', (d: Buffer) => {
    try {
      for (const m of reader.push(d)) onMessage(m);
    } catch {
      socket.destroy();
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', onClose);
  return socket;
}

/**
 * Runs one worker to its end: resolves when told to quit, rejects when a link
 * fails. Its chunks are read from and written to `storage` (by default the
 * one the invocation names).
 */
export async function runWorker(invocation: Invocation, storage: Storage = storageOf(invocation.storage)): Promise<void> {
  const job = Buffer.from(invocation.jobId, 'hex');
  const token = Buffer.from(invocation.token, 'hex');
  const hello: Message = { type: 'hello', job: new Uint8Array(job), worker: invocation.worker, token: new Uint8Array(token) };
  let runtime: WorkerRuntime | null = null;
  let done: () => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  const lost = (what: string) => (): void => {
    if (runtime?.quit) done();
    else fail(new Error(`the connection to the ${what} closed`));
  };
  const rendezvous = await link(invocation.rendezvous, invocation.fingerprint, (m) => void runtime?.receive(m), lost('rendezvous'));
  const coordinator = await link(
    invocation.coordinator,
    invocation.fingerprint,
    (m) => {
      void runtime!.receive(m).then(() => {
        if (runtime!.quit) {
          coordinator.end();
          rendezvous.end();
          done();
        }
      });
    },
    lost('coordinator'),
  );
  runtime = new WorkerRuntime(invocation.spec, storage, { send: (m) => coordinator.write(encodeMessage(m)) }, { send: (m) => rendezvous.write(encodeMessage(m)) });
  rendezvous.write(encodeMessage(hello));
  coordinator.write(encodeMessage(hello));
  return finished;
}
