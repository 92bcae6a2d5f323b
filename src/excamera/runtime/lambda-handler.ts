// The AWS Lambda entry point of a worker. Deploy the package built by
// `excamera lambda package` with the handler
// `dist/src/excamera/runtime/lambda-handler.handler`.
//
// Whoever may invoke the function chooses its event, so the function does
// not trust it (docs/runtime.md, "Security"):
// - Its own environment says what it may touch — the bucket, the S3
//   endpoint and region, the key prefix jobs must lie under, the limits, the
//   coordinator hosts (invocation.ts, `readDeployment`). It is read and
//   checked once per execution environment (a cold start).
// - The event is checked against the payload schema within that
//   (`parseLambdaEvent`) before anything else: no storage client is made and
//   no socket opened for an event that is refused.
//
// A refusal — a misconfigured environment or a refused event — writes
// exactly one structured log line naming the variable or the field and why
// (never a value of the event's strings, so never its token), and returns
// `{ refused }` rather than throwing: Lambda retries a failed asynchronous
// invocation twice, and the same event would be refused again. The
// coordinator sees a worker that never connects, and replaces it.

import { type Deployment, type Invocation, InvalidInvocation, MisconfiguredEnvironment, parseLambdaEvent, readDeployment, refusedContext } from './invocation.js';
import { runWorker } from './worker-process.js';

export interface Refused {
  /** Whether the function's environment or the event was at fault. */
  readonly source: 'environment' | 'event';
  /** The environment variable, or the event's field (a dotted path). */
  readonly field: string;
  readonly reason: string;
}

export type HandlerResult = { readonly worker: number } | { readonly refused: Refused };

/** The deployment, or why the environment does not make one: read on the first invocation, kept after. */
let deployment: Deployment | MisconfiguredEnvironment | undefined;

function deploymentOnce(): Deployment | MisconfiguredEnvironment {
  if (deployment === undefined) {
    try {
      deployment = readDeployment(process.env);
    } catch (e) {
      if (!(e instanceof MisconfiguredEnvironment)) throw e;
      deployment = e;
    }
  }
  return deployment;
}

/** Writes the one log line of a refusal, and the handler's answer. */
function refuse(refused: Refused, more: Readonly<Record<string, unknown>> = {}): { refused: Refused } {
  console.error(JSON.stringify({ level: 'error', message: 'excamera worker: invocation refused', ...refused, ...more }));
  return { refused };
}

export async function handler(event: unknown): Promise<HandlerResult> {
  const d = deploymentOnce();
  if (d instanceof MisconfiguredEnvironment) return refuse({ source: 'environment', field: d.variable, reason: d.reason });
  let invocation: Invocation;
  try {
    invocation = parseLambdaEvent(event, d);
  } catch (e) {
    if (!(e instanceof InvalidInvocation)) throw e;
    return refuse({ source: 'event', field: e.field, reason: e.reason }, { ...(e.got !== '' ? { got: e.got } : {}), ...refusedContext(event) });
  }
  await runWorker(invocation);
  return { worker: invocation.worker };
}
