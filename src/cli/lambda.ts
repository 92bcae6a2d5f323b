// `excamera lambda package`: build the zip to deploy as the workers' AWS
// Lambda function (see src/excamera/runtime/package.ts and the README), and
// say how to deploy it: the runtime, the handler, and the environment the
// function takes what it may touch from (invocation.ts, LAMBDA_ENVIRONMENT).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import { writeFileAtomic } from '../container/index.js';
import { LAMBDA_ENVIRONMENT } from '../excamera/runtime/invocation.js';
import { LAMBDA_RUNTIME, lambdaPackage } from '../excamera/runtime/package.js';
import { type Command, defineCommand, defineGroup } from './command.js';

interface PackageArgs {
  output: string;
  json: boolean;
}

/** The installed project: this file is dist/src/cli/lambda.js. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const LAMBDA_HANDLER = 'dist/src/excamera/runtime/lambda-handler.handler';

/** The function's environment variables: a line for the name and its default, one for its meaning. */
const environmentLines = (indent: string): string[] => LAMBDA_ENVIRONMENT.flatMap((v) => [`${indent}${v.name} (${v.value})`, `${indent}    ${v.describe}`]);

const ENVIRONMENT_HELP = [
  `Deploy the zip with runtime ${LAMBDA_RUNTIME} and handler`,
  `${LAMBDA_HANDLER}.`,
  'The function takes what it may touch from its environment; an',
  'invocation event can only narrow it (to a job\'s key prefix), and an',
  'event outside it is refused before any network request:',
  ...environmentLines('  '),
].join('\n');

export const packageCommand = defineCommand<PackageArgs>({
  command: 'package',
  files: { output: 'output' },
  describe: 'Build the zip of the worker handler, to deploy as the Lambda function',
  builder: (y: Argv<object>) =>
    y
      .option('output', { alias: 'o', type: 'string', default: 'excamera-worker.zip', describe: 'The zip to write' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON' })
      .epilogue(ENVIRONMENT_HELP) as Argv<PackageArgs>,
  handler: async (args) => {
    const p = lambdaPackage(ROOT);
    await writeFileAtomic(args.output, p.zip);
    const summary = {
      output: args.output, files: p.files, bytes: p.bytes, zipBytes: p.zip.length, handler: LAMBDA_HANDLER, runtime: LAMBDA_RUNTIME,
      environment: Object.fromEntries(LAMBDA_ENVIRONMENT.map((v) => [v.name, v.value])),
    };
    if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        [
          `${args.output}: ${p.files} files, ${(p.bytes / 1e6).toFixed(1)} MB, ${(p.zip.length / 1e6).toFixed(1)} MB zipped`,
          `deploy it as a Lambda function with runtime ${LAMBDA_RUNTIME}, handler ${LAMBDA_HANDLER},`,
          '1536 MB of memory, a 300 s timeout, a role that may read and write the job bucket, and this',
          'environment (EXCAMERA_BUCKET is required; the function refuses every event until it is set):',
          ...environmentLines('  '),
          'then run each job under the bucket (and prefix) the function allows:',
          '  npx excamera xc IN.y4m -o OUT.ivf --backend lambda --function-name NAME --storage s3://BUCKET/PREFIX/JOB --public-host ADDRESS',
        ].join('\n') + '\n',
      );
    }
  },
});

export const lambdaCommand = defineGroup('lambda <command>', 'AWS Lambda: package the worker for deployment', [packageCommand] as Command<never>[], 'Name a lambda command: package.');
