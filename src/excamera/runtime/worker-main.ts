#!/usr/bin/env node
// A local worker process: the invocation payload arrives as JSON on stdin
// (never on the command line, where other users could read the token).

import { parseInvocation } from './invocation.js';
import { runWorker } from './worker-process.js';

async function main(): Promise<number> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += (c as Buffer).length;
    if (size > 1 << 20) throw new Error('invocation payload over 1 MiB');
    chunks.push(c as Buffer);
  }
  const invocation = parseInvocation(JSON.parse(Buffer.concat(chunks).toString('utf8')));
  await runWorker(invocation);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`excamera worker: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
