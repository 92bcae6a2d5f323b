// `excamera lambda package`: build the zip to deploy as the workers' AWS
// Lambda function (see src/excamera/runtime/package.ts and the README).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { writeFileAtomic } from '../container/index.js';
import { lambdaPackage } from '../excamera/runtime/package.js';

interface PackageArgs {
  output: string;
  json: boolean;
}

/** The installed project: this file is dist/src/cli/lambda.js. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const LAMBDA_HANDLER = 'dist/src/excamera/runtime/lambda-handler.handler';

const packageCommand: CommandModule<object, PackageArgs> = {
  command: 'package',
  describe: 'Build the zip of the worker handler, to deploy as the Lambda function',
  builder: (y: Argv<object>) =>
    y
      .option('output', { alias: 'o', type: 'string', default: 'excamera-worker.zip', describe: 'The zip to write' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON' }) as Argv<PackageArgs>,
  handler: async (args: ArgumentsCamelCase<PackageArgs>) => {
    const p = lambdaPackage(ROOT);
    await writeFileAtomic(args.output, p.zip);
    const summary = { output: args.output, files: p.files, bytes: p.bytes, zipBytes: p.zip.length, handler: LAMBDA_HANDLER, runtime: 'nodejs20.x' };
    if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        [
          `${args.output}: ${p.files} files, ${(p.bytes / 1e6).toFixed(1)} MB, ${(p.zip.length / 1e6).toFixed(1)} MB zipped`,
          `deploy it as a Lambda function with runtime nodejs20.x, handler ${LAMBDA_HANDLER},`,
          '1536 MB of memory, a 300 s timeout, and a role that may read and write the job bucket; then',
          `  npx excamera xc IN.y4m -o OUT.ivf --backend lambda --function-name NAME --storage s3://BUCKET/PREFIX --public-host ADDRESS`,
        ].join('\n') + '\n',
      );
    }
  },
};

export const lambdaCommand: CommandModule = {
  command: 'lambda <command>',
  describe: 'AWS Lambda: package the worker for deployment',
  builder: (y: Argv) => y.command(packageCommand).demandCommand(1, 'Name a lambda command: package.'),
  handler: () => undefined,
};
