#!/usr/bin/env node
// A local worker process: the invocation payload arrives as JSON on stdin
// (never on the command line, where other users could read the token). It
// comes from the coordinator on this machine, and is checked against the
// payload schema all the same (invocation.ts) before any connection is made;
// a refusal is one line on stderr naming the field, and exit status 1.

import { ExcameraError } from '../errors.js';
import { parseInvocation } from './invocation.js';
import { runWorker } from './worker-process.js';

const MAX_PAYLOAD_BYTES = 1 << 20;

async function main(): Promise<number> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += (c as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) throw new ExcameraError('invalid-argument', 'invocation payload over 1 MiB');
    chunks.push(c as Buffer);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    // Not the parser's message: it quotes the text, which holds the token.
    throw new ExcameraError('invalid-argument', 'invocation payload: not JSON');
  }
  await runWorker(parseInvocation(json));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`excamera worker: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
