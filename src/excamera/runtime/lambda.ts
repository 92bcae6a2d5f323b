// The AWS Lambda backend: each worker is one asynchronous invocation
// (InvocationType Event) of a function whose handler is
// `lambda-handler.handler`. Its event is the coordinator's invocation
// payload (no private key: security.ts) as the function takes it
// (`lambdaEventOf`): the storage names the bucket and the job's key prefix,
// not the S3 endpoint or region, which the function takes from its own
// environment. The function name, and the Lambda API's region and endpoint,
// come from flags or the standard AWS environment.
//
// Throttling (HTTP 429, TooManyRequestsException) is not retried here, nor by
// the SDK (one attempt per call, so no shared retry budget runs dry under a
// burst of thousands of invocations): the invocation is reported as
// throttled, and the coordinator retries it after a capped, jittered backoff.
// A Lambda cannot be killed from outside; a worker given up on is cut off
// (its connections close) and ends at its own time limit.

import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { awsClientDefaults } from './aws.js';
import type { Launcher } from './shell.js';
import { type Invocation, lambdaEventOf } from './invocation.js';

export interface LambdaOptions {
  readonly functionName: string;
  readonly region?: string;
  /** Another Lambda API server (a local stand-in). */
  readonly endpoint?: string;
}

export class LambdaLauncher implements Launcher {
  onExit?: (worker: number, reason: string) => void;
  private readonly client: LambdaClient;
  /** Invocations refused for throttling (a figure for reports and tests). */
  throttled = 0;

  constructor(private readonly options: LambdaOptions) {
    this.client = new LambdaClient({
      ...awsClientDefaults(options.region),
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      maxAttempts: 1,
    });
  }

  async invoke(worker: number, payload: Invocation): Promise<void> {
    // A payload no function would take fails here, before the Invoke API call.
    const event = lambdaEventOf(payload);
    try {
      const r = await this.client.send(new InvokeCommand({ FunctionName: this.options.functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(event)) }));
      if (r.StatusCode !== 202) throw new Error(`Lambda answered the invocation of worker ${worker} with status ${r.StatusCode}`);
    } catch (e) {
      const err = e as Error & { name?: string; $metadata?: { httpStatusCode?: number }; throttled?: boolean };
      if (err.name === 'TooManyRequestsException' || err.$metadata?.httpStatusCode === 429) {
        this.throttled++;
        throw Object.assign(new Error(`Lambda throttled the invocation of worker ${worker} (HTTP 429)`), { throttled: true });
      }
      throw new Error(`cannot invoke ${this.options.functionName} for worker ${worker}: ${err.message}`);
    }
  }

  terminate(): void {
    // Nothing to do: see the file comment.
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
