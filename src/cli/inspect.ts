// `excamera inspect IN -o OUT.html`: a VP8 stream in a self-contained web
// page — every frame's headers, the picture with what the encoder decided
// drawn over it, any macroblock in full (src/inspect).

import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Argv } from 'yargs';
import { detectContainerFile, writeFileAtomic, writeIvf } from '../container/index.js';
import { inspectorPage } from '../inspect/html.js';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { openVp8Input } from './input.js';

interface InspectArgs {
  input: string;
  output: string;
}

/** The page holds the whole stream in memory, as base64 in the file. */
const MAX_STREAM_BYTES = 256 << 20;

export const inspectCommand = defineCommand<InspectArgs>({
  command: 'inspect <input>',
  files: { input: 'input', output: 'output' },
  describe: 'Write a web page that shows a VP8 stream (.ivf or .webm) frame by frame and macroblock by macroblock',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'Compressed VP8 input (.ivf or .webm)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'The page to write (HTML, self-contained: it opens from disk with no network)' })
      .example('$0 inspect in.ivf -o in.html', 'then open in.html in a browser')
      .example('$0 inspect out.webm -o out.html', 'a WebM stream (embedded as IVF)') as Argv<InspectArgs>,
  handler: async (args) => {
    const size = (await stat(args.input)).size;
    if (size > MAX_STREAM_BYTES) throw new CliError(`${args.input}: ${size} bytes; the inspector embeds the stream in the page and takes up to ${MAX_STREAM_BYTES} bytes`);
    const name = basename(args.input);
    let ivf: Uint8Array;
    if ((await detectContainerFile(args.input)) === 'ivf') {
      ivf = new Uint8Array(await readFile(args.input));
    } else {
      // The page reads IVF: a WebM stream's frames go in as they are.
      const input = await openVp8Input(args.input);
      const frames: Uint8Array[] = [];
      try {
        for await (const f of input.frames) frames.push(f);
      } finally {
        await input.close();
      }
      const rate = input.frameRate ?? 30;
      ivf = writeIvf({ width: input.width, height: input.height, timebaseDenominator: Math.round(rate * 1000), timebaseNumerator: 1000 }, frames.map((data) => ({ data })));
    }
    await writeFileAtomic(args.output, new TextEncoder().encode(inspectorPage({ name, ivf })));
    process.stderr.write(`wrote ${args.output}: open it in a browser\n`);
  },
});
