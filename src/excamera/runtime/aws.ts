// What every AWS SDK client of the runtime shares — S3 storage (s3-storage.ts)
// and the Lambda launcher (lambda.ts) — in one place.
//
// The region: an explicit one, else the standard AWS variables, else
// us-east-1 (the SDK's own default would be an error).
//
// The SDK's Node.js version notice: SDK releases from 2026 print, on the first
// client made under Node.js 20, a 9-line NodeVersionSupportWarning ("versions
// published after the first week of January 2027 will require node >=22").
// It says nothing about this run, and in a Lambda function it would be
// printed on every cold start. The SDK documents one switch for it, the
// environment variable AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
// (aws/aws-sdk-js-v3 issue 7983); it is read when a client is made, so it is
// set here, before any client, unless the user has set it either way.

/** The environment switch the AWS SDK documents for its Node.js version notice. */
export const SDK_NODE_NOTICE_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/** The settings every client starts from; call it for each client made. */
export function awsClientDefaults(region?: string): { region: string } {
  process.env[SDK_NODE_NOTICE_SWITCH] ??= 'true';
  return { region: region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1' };
}
