// The shared listener answers an admitted worker's pings itself, in order
// with what its owner sends, so the coordinator and the rendezvous answer
// alike; a ping is no hello, so a stranger's ping gets it dropped, and a
// worker's own link does not answer pings for it.

import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/excamera/protocol.js';
import { connectMessageSocket, MessageListener, type MessageSocket } from '../../src/excamera/runtime/message-socket.js';
import { createJobCredentials, workerToken } from '../../src/excamera/runtime/security.js';

const job = createJobCredentials();
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

const hello = (worker: number): Extract<Message, { type: 'hello' }> => ({ type: 'hello', job: job.jobId, worker, token: workerToken(job.secret, job.jobId, worker) });

/** The messages `link` receives, as a queue to wait on. */
function inbox(link: MessageSocket): () => Promise<Message> {
  const got: Message[] = [];
  let wake: (() => void) | null = null;
  link.onMessage = (m) => {
    got.push(m);
    wake?.();
  };
  return async () => {
    while (got.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return got.shift()!;
  };
}

describe('pings', () => {
  it('are answered by the listener for an admitted worker, in order, and not handed to the owner', async () => {
    const seen: Message[] = [];
    const listener = await MessageListener.start({
      name: 'test',
      credentials: job,
      onPeer: (p) => {
        p.onMessage = (m) => {
          seen.push(m);
          if (m.type === 'claim') p.send({ type: 'refused', reason: `claim ${m.chunk}` });
        };
      },
    });
    open.push(listener);
    const link = await connectMessageSocket({ host: '127.0.0.1', port: listener.port, fingerprint: job.fingerprint, hello: hello(2) });
    open.push({ close: () => link.destroy() });
    const next = inbox(link);
    link.send({ type: 'ping', nonce: 1 });
    link.send({ type: 'claim', chunk: 5 });
    link.send({ type: 'ping', nonce: 2 });
    expect(await next()).toEqual({ type: 'pong', nonce: 1 });
    expect(await next()).toEqual({ type: 'refused', reason: 'claim 5' });
    expect(await next()).toEqual({ type: 'pong', nonce: 2 });
    expect(seen).toEqual([{ type: 'claim', chunk: 5 }]);
  });

  it('are no hello: a stranger whose first message is a ping is dropped', async () => {
    const logs: string[] = [];
    const listener = await MessageListener.start({ name: 'test', credentials: job, log: (l) => logs.push(l), onPeer: () => undefined });
    open.push(listener);
    const link = await connectMessageSocket({ host: '127.0.0.1', port: listener.port, fingerprint: job.fingerprint, hello: { type: 'ping', nonce: 3 } as unknown as Extract<Message, { type: 'hello' }> });
    const closed = new Promise<void>((resolve) => (link.onClose = () => resolve()));
    await closed;
    expect(logs.join('\n')).toMatch(/its first message was a ping, not a hello/);
    expect(listener.stats.authenticated).toBe(0);
  });

  it('reach the owner of a worker\'s own link: only a listener answers them', async () => {
    let peer: MessageSocket | null = null;
    const listener = await MessageListener.start({ name: 'test', credentials: job, onPeer: (p) => (peer = p) });
    open.push(listener);
    const link = await connectMessageSocket({ host: '127.0.0.1', port: listener.port, fingerprint: job.fingerprint, hello: hello(0) });
    open.push({ close: () => link.destroy() });
    const next = inbox(link);
    while (peer === null) await new Promise((resolve) => setTimeout(resolve, 5));
    (peer as MessageSocket).send({ type: 'ping', nonce: 8 });
    expect(await next()).toEqual({ type: 'ping', nonce: 8 });
  });
});
