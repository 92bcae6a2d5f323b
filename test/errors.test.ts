// The one error family (src/errors.ts): every layer's error is an
// ExcameraTsError with a code, a detail and a location, its message is the
// detail followed by the location, and the command line prints any of them in
// one line. A scan keeps a second family from appearing.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError, UsageError } from '../src/cli/errors.js';
import { ContainerError } from '../src/container/errors.js';
import { parseIvf } from '../src/container/index.js';
import { describeLocation, ExcameraTsError } from '../src/errors.js';
import { ExcameraError } from '../src/excamera/errors.js';
import { ProtocolError } from '../src/excamera/protocol.js';
import { deserializeState } from '../src/excamera/state-file.js';
import { SimError } from '../src/sim/errors.js';
import { decodeFrame, createDecoderState, Vp8Error } from '../src/vp8/index.js';
import { excamera } from './helpers/cli.js';
import { ROOT } from './helpers/fixtures.js';

describe('one error family', () => {
  it('every layer extends ExcameraTsError, with a code, a detail and a location that the message states', () => {
    const cases: [ExcameraTsError, string, object, string][] = [
      [new Vp8Error('truncated', 'partition 2 is cut short', { frameIndex: 4, byteOffset: 90 }), 'truncated', { frame: 4, byte: 90 }, 'partition 2 is cut short (frame 4, byte 90)'],
      [new ContainerError('bad-header', 'ivf', 'header length 31', 6), 'bad-header', { byte: 6 }, 'IVF: header length 31 (byte 6)'],
      [new ContainerError('truncated', 'y4m', 'frame has 3 of its 6 bytes', 80, 2), 'truncated', { frame: 2, byte: 80 }, 'Y4M: frame has 3 of its 6 bytes (frame 2, byte 80)'],
      [new ExcameraError('bad-chunk', 'no frames', { file: 'c.ivf', chunk: 3 }), 'bad-chunk', { file: 'c.ivf', chunk: 3 }, 'no frames (c.ivf, chunk 3)'],
      [new ProtocolError('malformed', 'bytes left over', 12), 'malformed', { byte: 12 }, 'bytes left over (message at byte 12 of the stream)'],
      [new SimError('bad-profile', 'p.json: phases.encode is missing'), 'bad-profile', {}, 'p.json: phases.encode is missing'],
      [new CliError('no frames to compare'), 'bad-input', {}, 'no frames to compare'],
      [new UsageError('--speed must be 0..5'), 'usage', {}, '--speed must be 0..5'],
    ];
    for (const [error, code, location, message] of cases) {
      expect(error).toBeInstanceOf(ExcameraTsError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
      expect(error.location).toEqual(location);
      expect(error.message).toBe(message);
      expect(message.startsWith(error.detail) || message.includes(`: ${error.detail}`)).toBe(true);
    }
    expect(new UsageError('x').exitStatus).toBe(2);
    expect(new CliError('x').exitStatus).toBe(1);
    expect(new Vp8Error('unsupported', 'x').exitStatus).toBe(1);
  });

  it('names the location in one fixed order, and only the parts it has', () => {
    expect(describeLocation({ field: 'width', byte: 8, file: 'a.ivf', frame: 2, chunk: 1 })).toBe('a.ivf, chunk 1, frame 2, byte 8, field width');
    expect(describeLocation({})).toBe('');
    expect(new ExcameraError('bad-chunk', 'x', { frame: undefined }).location).toEqual({});
  });

  it('is what the layers really throw for bad input', () => {
    const caught = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      throw new Error('expected a throw');
    };
    const vp8 = caught(() => decodeFrame(createDecoderState(), new Uint8Array([0x10, 0x02, 0x00, 0x9d, 0x01]), { frameIndex: 7 }));
    expect(vp8).toBeInstanceOf(Vp8Error);
    expect((vp8 as Vp8Error).location.frame).toBe(7);
    const container = caught(() => parseIvf(new Uint8Array([0x44, 0x4b, 0x49, 0x46])));
    expect(container).toBeInstanceOf(ContainerError);
    expect(container).toBeInstanceOf(ExcameraTsError);
    const state = caught(() => deserializeState(new Uint8Array(10)));
    expect(state).toBeInstanceOf(ExcameraError);
    expect(state).toBeInstanceOf(ExcameraTsError);
  });

  it('is reported by the command line in one line, whatever the layer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'errors-'));
    const bad = join(dir, 'bad.ivf');
    // An IVF header announcing a frame that is not there: a ContainerError.
    const header = new Uint8Array(32);
    header.set([0x44, 0x4b, 0x49, 0x46, 0, 0, 32, 0, 0x56, 0x50, 0x38, 0x30, 16, 0, 16, 0, 30, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    writeFileSync(bad, Buffer.concat([header, Buffer.from([100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3])]));
    const state = join(dir, 'bad.state');
    writeFileSync(state, Buffer.alloc(40, 7));
    for (const args of [['decode', bad, '--md5', '-q'], ['state', 'dump', state]]) {
      const r = excamera(...args);
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^excamera: .+/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('has no second family: no class in src extends Error except the base', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.name.endsWith('.ts') && /\bclass\s+\w+(<[^>]*>)?\s+extends\s+(Error|RangeError|TypeError)\b/.test(readFileSync(path, 'utf8'))) {
          offenders.push(relative(ROOT, path));
        }
      }
    };
    walk(join(ROOT, 'src'));
    expect(offenders).toEqual(['src/errors.ts']);
  });
});
