// `excamera info IN`: one JSON line per frame with its headers (RFC 6386
// section 9), for scripts. Inter frames carry the size of the last key frame.

import type { Argv } from 'yargs';
import { frameInfo, Vp8Error } from '../vp8/index.js';
import { defineCommand } from './command.js';
import { openVp8Input } from './input.js';

interface InfoArgs {
  input: string;
}

export const infoCommand = defineCommand<InfoArgs>({
  command: 'info <input>',
  files: { input: 'input' },
  describe: 'Print the headers of every frame of a VP8 stream (.ivf or .webm), one JSON line per frame',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'Compressed VP8 input (.ivf or .webm)' })
      .example('$0 info in.ivf | head -1', 'the first key frame')
      .example("$0 info in.ivf | jq -c 'select(.type == \"key\")'", 'all key frames') as Argv<InfoArgs>,
  handler: async (args) => {
    const input = await openVp8Input(args.input);
    let width = input.width;
    let height = input.height;
    let index = 0;
    let failed = false;
    try {
      for await (const frame of input.frames) {
        const base = { frame: index, bytes: frame.length };
        let line: object;
        if (frame.length === 0) {
          line = { ...base, type: 'empty' };
        } else {
          try {
            const info = frameInfo(frame);
            if (info.type === 'key' && info.width !== undefined && info.height !== undefined) {
              width = info.width;
              height = info.height;
            }
            const { type, ...rest } = info;
            line = { ...base, type, width, height, ...rest };
          } catch (e) {
            if (!(e instanceof Vp8Error)) throw e;
            failed = true;
            line = { ...base, error: { code: e.code, message: e.detail, byteOffset: e.byteOffset ?? null } };
          }
        }
        process.stdout.write(`${JSON.stringify(line)}\n`);
        index++;
      }
    } finally {
      await input.close();
    }
    if (failed) process.exitCode = 1;
  },
});
