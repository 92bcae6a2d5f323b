// The AWS Lambda entry point of a worker: the invocation payload is the
// event. Deploy the package built by `excamera lambda package` with the
// handler `dist/src/excamera/runtime/lambda-handler.handler`.

import { parseInvocation } from './invocation.js';
import { runWorker } from './worker-process.js';

export async function handler(event: unknown): Promise<{ worker: number }> {
  const invocation = parseInvocation(event);
  await runWorker(invocation);
  return { worker: invocation.worker };
}
