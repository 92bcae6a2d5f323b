// The inspector page opens WebM as well as IVF (src/inspect/page/demux.ts,
// run by the page's worker): in Node, openContainer gives a WebM's frames
// exactly as the same stream's IVF, whichever program wrote the WebM; a file
// cut short gives its whole frames and where it was cut; anything else is
// refused with a message that names the file. In Chromium, an empty
// inspector page takes a .webm from its file picker and by drag and drop, and
// its frame table shows the stream's frames, with nothing fetched and no
// error logged.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIvf, readWebmVp8, writeIvf, writeWebmVp8 } from '../../src/container/index.js';
import { inspectorPage } from '../../src/inspect/html.js';
import { openContainer } from '../../src/inspect/page/demux.js';
import { pageProblems, sharedChromium } from '../helpers/browser.js';
import { excamera } from '../helpers/cli.js';
import { ivfFrames, ROOT, VECTOR_NAMES, VECTORS, writeClipPrefix } from '../helpers/fixtures.js';
import { findChromium, requireTools, skipWithout, TOOLS_REQUIRED } from '../helpers/tools.js';

const vector = (name: string): string => join(VECTORS, `${name}.ivf`);

/** Key frames are flagged by bit 0 of the VP8 frame tag being clear (RFC 6386 section 9.1). */
const isKey = (frame: Uint8Array): boolean => (frame[0]! & 1) === 0;

/** A vector's stream in a WebM written by the project's own writer (mediabunny's muxer). */
async function vectorWebm(name: string): Promise<Uint8Array> {
  const { header, frames } = parseIvf(new Uint8Array(readFileSync(vector(name))));
  return writeWebmVp8({ width: header.width, height: header.height, frameRate: 30 }, frames.map((f) => ({ data: f.data, keyFrame: isKey(f.data) })));
}

/**
 * The frames as one hex string each: compared in one step, where comparing
 * typed arrays element by element (toEqual) takes a minute over all the cuts.
 */
const hex = (frames: readonly Uint8Array[]): string[] => frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('hex'));

/** Runs ffmpeg quietly, failing the test with its error output. */
function ffmpeg(...args: string[]): Buffer {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args], { maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/**
 * Where each frame's bytes end in `file`: the frames of an IVF or a WebM
 * file lie in it whole and in order, so each is found after the previous one.
 */
function frameEnds(file: Uint8Array, frames: readonly Uint8Array[]): { starts: number[]; ends: number[] } {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const starts: number[] = [];
  const ends: number[] = [];
  let from = 0;
  for (const f of frames) {
    const at = bytes.indexOf(Buffer.from(f.buffer, f.byteOffset, f.byteLength), from);
    expect(at, 'a frame is not in the file').toBeGreaterThanOrEqual(from);
    starts.push(at);
    ends.push(at + f.length);
    from = at + f.length;
  }
  return { starts, ends };
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'excamera-webm-page-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openContainer (the page worker\'s reader)', () => {
  it('gives the frames of every test vector from IVF, and from the same stream in WebM', async () => {
    for (const name of VECTOR_NAMES) {
      const ivfBytes = new Uint8Array(readFileSync(vector(name)));
      const ivf = await openContainer(ivfBytes, `${name}.ivf`);
      const webm = await openContainer(await vectorWebm(name), `${name}.webm`);
      expect(ivf.container).toBe('ivf');
      expect(webm.container).toBe('webm');
      expect(hex(ivf.frames)).toEqual(hex(ivfFrames(vector(name))));
      expect(hex(webm.frames), name).toEqual(hex(ivf.frames));
      const h = parseIvf(ivfBytes).header;
      expect(ivf.header).toEqual({ width: h.width, height: h.height, fourcc: h.fourcc, timebase: [h.timebaseNumerator, h.timebaseDenominator] });
      expect(webm.header).toEqual({ width: h.width, height: h.height, fourcc: 'VP80', timebase: [1000, 30000] });
      expect([ivf.truncatedAt, webm.truncatedAt]).toEqual([null, null]);
    }
  });

  it('opens a WebM written by excamera encode as excamera inspect embeds it, and as the IVF the encoder writes', async () => {
    const y4m = join(dir, 'enc.y4m');
    writeClipPrefix(y4m, 'carphone_qcif_176x144_120f.y4m', 12);
    for (const out of ['enc.ivf', 'enc.webm']) expect(excamera('encode', y4m, '-o', join(dir, out), '--speed', '5', '--quiet').status).toBe(0);
    const opened = await openContainer(new Uint8Array(readFileSync(join(dir, 'enc.webm'))), 'enc.webm');
    expect(hex(opened.frames)).toEqual(hex(ivfFrames(join(dir, 'enc.ivf'))));
    // The page given the WebM shows what `excamera inspect enc.webm` embeds: the same frames, size and time base.
    expect(excamera('inspect', join(dir, 'enc.webm'), '-o', join(dir, 'enc.html')).status).toBe(0);
    const b64 = /id="stream" data-name="enc\.webm">([^<]*)</.exec(readFileSync(join(dir, 'enc.html'), 'utf8'))![1]!;
    const embedded = parseIvf(new Uint8Array(Buffer.from(b64, 'base64')));
    expect(hex(opened.frames)).toEqual(hex(embedded.frames.map((f) => f.data)));
    const h = embedded.header;
    expect(opened.header).toEqual({ width: h.width, height: h.height, fourcc: h.fourcc, timebase: [h.timebaseNumerator, h.timebaseDenominator] });
  });

  it('cut short anywhere after the first frame began: the whole frames before the cut, and where it was cut', async () => {
    const frames = ivfFrames(vector('vp80-00-comprehensive-001'));
    const webm = await vectorWebm('vp80-00-comprehensive-001');
    const { starts, ends } = frameEnds(webm, frames);
    let kept = 0;
    for (let cut = 0; cut < webm.length; cut += 5) {
      const opened = await openContainer(webm.subarray(0, cut), 'cut.webm').catch((e: unknown) => e as Error);
      if (opened instanceof Error) {
        // Cut in the headers that say what the file holds, before any frame: nothing to show.
        expect(cut).toBeLessThan(starts[0]!);
        expect(opened.message).toMatch(cut < 4 ? /^cut\.webm is neither IVF nor WebM/ : /^cut\.webm: WEBM: .*(file ends|Segment declares)/);
        continue;
      }
      const whole = ends.filter((end) => end <= cut).length;
      expect(hex(opened.frames), `cut at ${cut}`).toEqual(hex(frames.slice(0, whole)));
      // Cut at the element the file ends inside: after the last whole frame, before the first lost one's bytes.
      expect(opened.truncatedAt).toBeGreaterThanOrEqual(whole === 0 ? 0 : ends[whole - 1]!);
      expect(opened.truncatedAt).toBeLessThanOrEqual(whole === frames.length ? cut : starts[whole]!);
      kept = Math.max(kept, whole);
    }
    expect(kept).toBe(frames.length); // cuts after the last frame (in the Cues) keep them all
    // IVF, likewise (parseIvf's allowTruncated): the cut frame's header is where it was cut.
    const ivfBytes = new Uint8Array(readFileSync(vector('vp80-00-comprehensive-001')));
    const ivf = parseIvf(ivfBytes);
    const cutIvf = await openContainer(ivfBytes.subarray(0, ivf.frames[5]!.byteOffset + 20), 'cut.ivf');
    expect(hex(cutIvf.frames)).toEqual(hex(frames.slice(0, 5)));
    expect(cutIvf.truncatedAt).toBe(ivf.frames[5]!.byteOffset);
  });

  it('refuses what is neither IVF nor WebM, naming the file', async () => {
    const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
    const y4m = join(dir, 'raw.y4m');
    writeClipPrefix(y4m, 'carphone_qcif_176x144_120f.y4m', 1);
    for (const [bytes, name] of [[random, 'noise.bin'], [new Uint8Array(0), 'empty.webm'], [new TextEncoder().encode('<!doctype html>'), 'page.ivf']] as const) {
      await expect(openContainer(bytes, name)).rejects.toThrow(new RegExp(`^${name.replace('.', '\\.')} is neither IVF nor WebM`));
    }
    await expect(openContainer(new Uint8Array(readFileSync(y4m)), 'raw.y4m')).rejects.toThrow(/^raw\.y4m is raw YUV4MPEG2 video, not a compressed VP8 stream: neither IVF nor WebM/);
    // An IVF whose header is cut short is no stream either.
    await expect(openContainer(new Uint8Array(readFileSync(vector('vp80-00-comprehensive-001'))).subarray(0, 20), 'short.ivf')).rejects.toThrow(/^short\.ivf: IVF: /);
  });

  describe.skipIf(skipWithout('ffmpeg'))('with WebM files written by ffmpeg (needs ffmpeg)', () => {
    it('reads ffmpeg\'s WebM, seekable or streamed (sizes left unknown), one Cluster or many, whole or cut short', async () => {
      requireTools('ffmpeg');
      const name = 'vp80-00-comprehensive-018'; // has a hidden frame
      const frames = ivfFrames(vector(name));
      const variants: [string, string[]][] = [
        ['seekable', []], ['streamed', ['-f', 'webm']], ['many clusters, streamed', ['-cluster_time_limit', '150', '-f', 'webm']],
      ];
      for (const [what, options] of variants) {
        const path = join(dir, 'ff.webm');
        // Written to a pipe, ffmpeg cannot go back to fill in the Segment's size: it stays unknown.
        const piped = options.includes('-f');
        const out = ffmpeg('-i', vector(name), '-c', 'copy', ...options, piped ? 'pipe:1' : path);
        const webm = piped ? new Uint8Array(out) : new Uint8Array(readFileSync(path));
        const clusters = Buffer.from(webm).toString('hex').split('1f43b675').length - 1; // Cluster IDs
        expect(clusters > 1, what).toBe(what.startsWith('many'));
        const opened = await openContainer(webm, 'ff.webm');
        expect(hex(opened.frames), what).toEqual(hex(frames));
        expect(opened.truncatedAt).toBeNull();
        const { ends } = frameEnds(webm, frames);
        for (let cut = ends[0]!; cut < webm.length; cut += 97) {
          const whole = ends.filter((end) => end <= cut).length;
          const cutShort = await openContainer(webm.subarray(0, cut), 'ff.webm');
          expect(hex(cutShort.frames), `${what}, cut at ${cut}`).toEqual(hex(frames.slice(0, whole)));
        }
        // Without allowTruncated, the reader says the file is cut short, even when the Segment's size is unknown.
        await expect(readWebmVp8(webm.subarray(0, ends[3]! - 1)), what).rejects.toMatchObject({ code: 'truncated' });
      }
    });

    it('refuses a WebM whose video is not VP8, saying what it holds', async () => {
      requireTools('ffmpeg');
      const path = join(dir, 'vp9.webm');
      ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10', '-frames:v', '3', '-c:v', 'libvpx-vp9', path);
      await expect(openContainer(new Uint8Array(readFileSync(path)), 'vp9.webm')).rejects.toThrow(/^vp9\.webm: WEBM: no VP8 video track \(video tracks: vp9\)/);
    });
  });
});

const CHROMIUM = findChromium('the WebM page test');

describe.skipIf(CHROMIUM === null && !TOOLS_REQUIRED)('an empty inspector page opening WebM in a browser (needs chromium)', () => {
  type Page = import('playwright-core').Page;
  const browser = sharedChromium(CHROMIUM);
  /** The page as the command writes it, but with no stream: it asks for one. */
  let emptyPage = '';

  beforeAll(async () => {
    // The bundles the build made (vitest's global setup builds them); html.ts
    // looks for them beside its compiled module in dist/, not beside its source.
    const bundle = (file: string): string => readFileSync(join(ROOT, 'dist', 'inspect-page', file), 'utf8');
    emptyPage = join(dir, 'empty.html');
    writeFileSync(emptyPage, inspectorPage(null, { page: bundle('page.js'), worker: bundle('worker.js') }));
  });

  /** The empty page, opened from disk, collecting its errors, warnings and any request beyond the file and its worker. */
  async function openEmpty(): Promise<{ page: Page; problems: string[] }> {
    const page = await browser().newPage({ viewport: { width: 1400, height: 900 } });
    const problems = pageProblems(page, /^(file|blob):/);
    await page.goto(pathToFileURL(emptyPage).href);
    expect(await page.locator('#status').textContent()).toBe('Open a VP8 .ivf or .webm file, or drop one on the page.');
    expect(await page.locator('#open').getAttribute('accept')).toBe('.ivf,.webm');
    return { page, problems };
  }

  /** The frame table once every frame is decoded: per row its data-frame, type and shown or hidden. */
  async function frameTable(page: Page): Promise<string[][]> {
    await page.waitForFunction("document.body.dataset.ready === 'true'", null, { timeout: 60_000 });
    return page.$$eval('#frames-body tr', (trs) => trs.map((tr) => [tr.getAttribute('data-frame')!, tr.children[1]!.textContent!, tr.children[2]!.textContent!]));
  }

  /** What the table should say of `frames`, read from each frame's tag (RFC 6386 section 9.1: bit 0 key, bit 4 show_frame). */
  const expectedTable = (frames: readonly Uint8Array[]): string[][] =>
    frames.map((f, i) => [String(i), isKey(f) ? 'key' : 'inter', (f[0]! >> 4) & 1 ? 'shown' : 'hidden']);

  /** Drops a file on the page as a user's drag and drop does: a drop event whose DataTransfer holds it. */
  async function dropFile(page: Page, name: string, bytes: Uint8Array): Promise<void> {
    // Page code as a string: the tests are compiled without the DOM's types.
    await page.evaluate(`(() => {
      const data = Uint8Array.from(atob(${JSON.stringify(Buffer.from(bytes).toString('base64'))}), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], ${JSON.stringify(name)}));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    })()`);
  }

  it('takes a .webm from its file picker: the table has the stream\'s frames, as for its .ivf', async () => {
    const name = 'vp80-00-comprehensive-018'; // a hidden frame, and golden and alt-ref refreshes
    const frames = ivfFrames(vector(name));
    const webmPath = join(dir, `${name}.webm`);
    writeFileSync(webmPath, await vectorWebm(name));
    for (const path of [webmPath, vector(name)]) {
      const { page, problems } = await openEmpty();
      await page.setInputFiles('#open', path);
      expect(await frameTable(page), path).toEqual(expectedTable(frames));
      expect(await page.locator('#file').textContent()).toMatch(new RegExp(`^${name}\\.(webm|ivf): 176x144, ${frames.length} frames, `));
      expect(await page.locator('#status').textContent()).toBe(`${frames.length} frames decoded`);
      expect(problems).toEqual([]);
      await page.close();
    }
  }, 120_000);

  it('takes a .webm dropped on the page; one cut short shows its whole frames and where it was cut', async () => {
    // A stream of the encoder's, with inter frames that refer to golden and alt-ref.
    const y4m = join(dir, 'drop.y4m');
    const ivfPath = join(dir, 'drop.ivf');
    writeClipPrefix(y4m, 'foreman_cif_352x288_60f.y4m', 10);
    expect(excamera('encode', y4m, '-o', ivfPath, '--speed', '5', '--quiet').status).toBe(0);
    const frames = ivfFrames(ivfPath);
    const webm = await writeWebmVp8({ width: 352, height: 288, frameRate: 30 }, frames.map((data) => ({ data, keyFrame: isKey(data) })));

    const whole = await openEmpty();
    await dropFile(whole.page, 'drop.webm', webm);
    expect(await frameTable(whole.page)).toEqual(expectedTable(frames));
    expect(whole.problems).toEqual([]);
    await whole.page.close();

    // Cut in the middle of frame 6.
    const { starts } = frameEnds(webm, frames);
    const cut = webm.subarray(0, starts[6]! + 100);
    const truncatedAt = (await openContainer(cut, 'cut.webm')).truncatedAt;
    expect(truncatedAt).not.toBeNull();
    const cutShort = await openEmpty();
    await dropFile(cutShort.page, 'cut.webm', cut);
    expect(await frameTable(cutShort.page)).toEqual(expectedTable(frames.slice(0, 6)));
    expect(await cutShort.page.locator('#file').textContent()).toMatch(new RegExp(`^cut\\.webm: 352x288, 6 frames, [^,]+ \\(cut short at byte ${truncatedAt}\\)$`));
    expect(cutShort.problems).toEqual([]);
    await cutShort.page.close();
  }, 120_000);

  it('says so, naming the file, when what is dropped is neither IVF nor WebM', async () => {
    const { page, problems } = await openEmpty();
    // An IVF with its signature spoiled: the name does not make it one.
    const notIvf = writeIvf({ width: 16, height: 16, timebaseDenominator: 30, timebaseNumerator: 1 }, []);
    notIvf[0] = 0x58;
    await dropFile(page, 'spoiled.ivf', notIvf);
    await page.waitForSelector('#status.error');
    expect(await page.locator('#status').textContent()).toMatch(/^spoiled\.ivf is neither IVF nor WebM/);
    expect(await page.locator('#frames-body tr').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
