// A worker as a process or a Lambda invocation: given its invocation payload
// (invocation.ts), it connects to the coordinator and the rendezvous over TLS
// (pinning the job's certificate), proves who it is with its token, and hands
// messages between the sockets and the worker runtime until told to quit.
// Connecting, the hello and reading messages are message-socket.ts's, the
// same module the coordinator and the rendezvous listen with.
//
// The payload holds no private key: only the certificate's fingerprint, the
// job id, the worker's number and its token (security.ts).

import type { Message } from '../protocol.js';
import { connectMessageSocket, type MessageSocket } from './message-socket.js';
import { type Invocation, storageOf } from './invocation.js';
import { type Storage, WorkerRuntime } from './worker.js';

/**
 * Runs one worker to its end: resolves when told to quit, rejects when a link
 * fails. Its chunks are read from and written to `storage` (by default the
 * one the invocation names).
 */
export async function runWorker(invocation: Invocation, storage: Storage = storageOf(invocation.storage)): Promise<void> {
  const hello: Extract<Message, { type: 'hello' }> = {
    type: 'hello',
    job: new Uint8Array(Buffer.from(invocation.jobId, 'hex')),
    worker: invocation.worker,
    token: new Uint8Array(Buffer.from(invocation.token, 'hex')),
  };
  let done: () => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  // The links are made one after the other; the runtime sends through them once they exist.
  let coordinator: MessageSocket | null = null;
  let rendezvous: MessageSocket | null = null;
  const runtime = new WorkerRuntime(invocation.spec, storage, { send: (m) => coordinator?.send(m) }, { send: (m) => rendezvous?.send(m) });
  const lost = (what: string) => (why: string | null): void => {
    if (runtime.quit) done();
    else fail(new Error(`the connection to the ${what} closed${why !== null ? `: ${why}` : ''}`));
  };

  rendezvous = await connectMessageSocket({ ...invocation.rendezvous, fingerprint: invocation.fingerprint, hello });
  rendezvous.onMessage = (m) => void runtime.receive(m);
  rendezvous.onClose = lost('rendezvous');
  coordinator = await connectMessageSocket({ ...invocation.coordinator, fingerprint: invocation.fingerprint, hello }).catch((e: unknown) => {
    rendezvous?.destroy();
    throw e;
  });
  const link = coordinator;
  link.onMessage = (m) => {
    void runtime.receive(m).then(() => {
      if (runtime.quit) {
        link.end();
        rendezvous?.end();
        done();
      }
    });
  };
  link.onClose = lost('coordinator');
  return finished;
}
