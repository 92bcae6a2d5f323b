// The inspector as one self-contained HTML file: the page's code and its
// worker's (the project's decoder, bundled by scripts/bundle-inspector.mjs at
// build time) inline, and the stream embedded as base64. It opens from disk
// with no server and fetches nothing; opened without a stream, it asks for
// one (file picker or drag and drop).

import { readFileSync } from 'node:fs';
import { ExcameraTsError } from '../errors.js';
import type { FrameError } from './source-error.js';

/** The shown frames' error against the source (`--source`): per frame, and per macroblock as one Float32Array of `macroblocks` values per frame, in the order of `frames`. */
export interface SourceErrors {
  readonly name: string;
  readonly frames: readonly FrameError[];
  readonly macroblocks: number;
  readonly sse: Float32Array;
}

/**
 * One chunk of an ExCamera output (`excamera inspect --chunks DIR`, the
 * directory `excamera xc --keep` writes): where it lies in the stream, the
 * state it was coded against, and its first frame as each phase made it.
 */
export interface ChunkInfo {
  readonly index: number;
  /** Index in the stream of the chunk's first frame, and its number of frames. */
  readonly first: number;
  readonly frames: number;
  /** Tag (8 hex digits of the state hash) of the state the chunk was coded against; null when it starts with a key frame. */
  readonly expects: string | null;
  /** The state hash of its .output.state: the state the chunk ends in. */
  readonly endHash: string | null;
  /** Bytes of the chunk's first frame: encoded alone (a key frame), encoded given the previous chunk's state, and as output (rebased). */
  readonly firstFrameBytes: { readonly independent: number | null; readonly givenState: number | null; readonly output: number };
}

/** The inspector cannot make its page (its bundles are missing: the build did not run). */
export class InspectError extends ExcameraTsError<'not-built'> {
  constructor(detail: string) {
    super('not-built', detail);
    this.name = 'InspectError';
  }
}

/** Where `npm run build` puts the bundles, relative to this module in dist/. */
const BUNDLES = new URL('../../inspect-page/', import.meta.url);

/** The bundled page and worker code. */
export function inspectorBundles(): { readonly page: string; readonly worker: string } {
  try {
    return { page: readFileSync(new URL('page.js', BUNDLES), 'utf8'), worker: readFileSync(new URL('worker.js', BUNDLES), 'utf8') };
  } catch (e) {
    throw new InspectError(`the inspector's page is not built (${e instanceof Error ? e.message : String(e)}); npm run build makes it`);
  }
}

/** Text safe inside a <script> element: no `</script` (nor `<!--`) can end or confuse it. */
function scriptText(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The page, with `ivf` (a whole IVF file) embedded under `name`, or empty. */
export function inspectorPage(
  stream: { readonly name: string; readonly ivf: Uint8Array } | null, bundles = inspectorBundles(), source: SourceErrors | null = null,
  chunks: readonly ChunkInfo[] | null = null,
): string {
  const base64 = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  const embedded = stream === null ? '' : base64(stream.ivf);
  const json = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');
  const sourceJson = source === null ? '' : json({ name: source.name, frames: source.frames, macroblocks: source.macroblocks, sse: base64(source.sse) });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>VP8 inspector${stream === null ? '' : ` — ${escapeAttr(stream.name)}`}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>VP8 inspector</h1>
  <span id="file"></span>
  <label class="button">Open an .ivf or .webm file<input type="file" id="open" accept=".ivf,.webm"></label>
  <span id="status"></span>
</header>
<main>
  <section id="frames-pane">
    <svg id="bits" preserveAspectRatio="none" role="img" aria-label="bits per frame"></svg>
    <div id="ref-timeline"></div>
    <div id="table-wrap">
      <table id="frames">
        <thead><tr><th>#</th><th>type</th><th>show</th><th>bytes</th><th title="y_ac_qi">q</th><th>loop filter</th><th title="token partitions">parts</th><th title="coefficient / vector probabilities updated">prob upd</th><th title="buffers refreshed or copied">refresh</th><th title="frames held in LAST GOLDEN ALTREF after this frame">L G A</th><th id="psnr-head" title="PSNR (Y, U and V) against the source" hidden>PSNR</th></tr></thead>
        <tbody id="frames-body"></tbody>
      </table>
    </div>
  </section>
  <section id="picture-pane">
    <div id="controls">
      <button id="first" title="first frame">|◀</button><button id="prev" title="previous frame (←)">◀</button><button id="play" title="play at the stream's frame rate">play</button><button id="next" title="next frame (→)">▶</button><button id="last" title="last frame">▶|</button>
      <input type="range" id="seek" min="0" max="0" value="0"> <span id="pos"></span>
    </div>
    <div id="overlays">
      <label><input type="checkbox" id="ov-grid" checked> macroblock grid</label>
      <label><input type="checkbox" id="ov-modes"> prediction modes</label>
      <label><input type="checkbox" id="ov-vectors" checked> motion vectors</label>
      <label><input type="checkbox" id="ov-skip"> skipped</label>
      <label><input type="checkbox" id="ov-segments"> segments</label>
      <label title="bits of each macroblock's header and tokens"><input type="checkbox" id="ov-bits"> bits</label>
      <label title="sum of the squares of each macroblock's dequantized coefficients"><input type="checkbox" id="ov-energy"> residual energy</label>
      <label title="squared error of each macroblock against the source (--source)" id="ov-error-label" hidden><input type="checkbox" id="ov-error"> error vs source</label>
      <label>zoom <select id="zoom"><option value="fit">fit</option><option>1</option><option>2</option><option>3</option><option>4</option><option>6</option><option>8</option></select></label>
    </div>
    <div id="legend"></div>
    <div id="heat-legend"></div>
    <div id="whatif-banner" data-whatif=""></div>
    <div id="canvas-wrap"><canvas id="picture" width="16" height="16"></canvas><canvas id="overlay" width="16" height="16"></canvas></div>
    <section id="frame-detail"></section>
  </section>
  <section id="mb-pane"><div id="mb-detail" data-mb=""></div></section>
</main>
<script type="text/plain" id="stream" data-name="${stream === null ? '' : escapeAttr(stream.name)}">${embedded}</script>
<script type="application/json" id="source-error">${sourceJson}</script>
<script type="application/json" id="chunks">${chunks === null ? '' : json(chunks)}</script>
<script type="text/plain" id="worker-src">${scriptText(bundles.worker)}</script>
<script>${scriptText(bundles.page)}</script>
</body>
</html>
`;
}

const STYLE = `
:root { color-scheme: dark; --bg: #16181c; --panel: #1f2228; --line: #343841; --text: #e4e6ea; --dim: #9aa0aa; --accent: #ffd24a; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--text); }
header { display: flex; gap: 16px; align-items: center; padding: 8px 14px; border-bottom: 1px solid var(--line); background: var(--panel); }
h1 { font-size: 16px; margin: 0; }
h2 { font-size: 14px; margin: 10px 0 6px; }
h3 { font-size: 13px; margin: 10px 0 4px; color: var(--dim); }
#status.error, .error { color: #ff7b72; }
.button { border: 1px solid var(--line); padding: 3px 8px; border-radius: 4px; cursor: pointer; }
.button input { display: none; }
main { display: grid; grid-template-columns: minmax(400px, 1.25fr) minmax(360px, 2fr) minmax(330px, 1.25fr); gap: 10px; padding: 10px; height: calc(100vh - 46px); }
section { min-width: 0; }
#frames-pane, #mb-pane { display: flex; flex-direction: column; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 6px; overflow: hidden; }
#mb-pane { overflow: auto; }
#picture-pane { overflow: auto; }
#bits { width: 100%; height: 90px; flex: none; cursor: pointer; }
#ref-timeline { flex: none; width: 100%; margin: 4px 0; }
#bits rect.inter { fill: #6b8fc8; } #bits rect.key { fill: #f28e2b; } #bits rect.hidden-frame { fill: #b07aa1; }
#bits #bits-cursor { fill: rgba(255, 210, 74, 0.35); }
#bits .axis { fill: var(--dim); font-size: 9px; }
#table-wrap { overflow: auto; flex: 1; }
#frames { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
#frames th { position: sticky; top: 0; background: var(--panel); text-align: left; color: var(--dim); font-weight: 500; }
#frames td, #frames th { padding: 1px 4px; border-bottom: 1px solid var(--line); white-space: nowrap; }
#frames tr { cursor: pointer; }
#frames tr.key td:nth-child(2) { color: #f9a65a; }
#frames tr.hidden-frame td:nth-child(3) { color: #d4a6c8; }
#frames tr.selected { background: #3a3420; }
#controls, #overlays { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin-bottom: 6px; }
#controls button { background: var(--panel); color: var(--text); border: 1px solid var(--line); border-radius: 4px; padding: 2px 8px; cursor: pointer; }
#seek { flex: 1; min-width: 120px; }
#legend { display: flex; flex-wrap: wrap; gap: 4px 10px; color: var(--dim); font-size: 11px; margin-bottom: 6px; }
#legend span { padding-left: 4px; }
#heat-legend { color: var(--dim); font-size: 11px; min-height: 14px; margin-bottom: 4px; }
#canvas-wrap { position: relative; }
#whatif-banner { color: #1b1b1b; background: var(--accent); border-radius: 4px; font-weight: 600; }
#whatif-banner:not(:empty) { padding: 3px 8px; margin-bottom: 4px; }
#whatif label { display: block; margin: 3px 0; }
#whatif select, #whatif button { background: var(--panel); color: var(--text); border: 1px solid var(--line); border-radius: 4px; }
#canvas-wrap canvas { position: absolute; left: 0; top: 0; image-rendering: pixelated; }
#overlay { cursor: crosshair; }
table.fields { border-collapse: collapse; width: 100%; }
table.fields th { text-align: left; color: var(--dim); font-weight: 500; padding: 2px 8px 2px 0; vertical-align: top; white-space: nowrap; }
table.fields td { padding: 2px 6px 2px 0; vertical-align: top; overflow-wrap: anywhere; }
table.fields td:last-child { white-space: nowrap; overflow-wrap: normal; }
a { color: #79b8ff; }
table.grid4 { border-collapse: collapse; font-size: 11px; }
table.grid4 td { border: 1px solid var(--line); padding: 2px 5px; text-align: center; }
.blocks { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 6px; }
.block { border: 1px solid var(--line); border-radius: 4px; padding: 3px; }
.block-title { color: var(--dim); font-size: 11px; margin-bottom: 2px; white-space: pre; }
.block table { border-collapse: collapse; width: 100%; font-size: 11px; font-variant-numeric: tabular-nums; }
.block td { border: 1px solid var(--line); text-align: right; padding: 0 3px; }
.block td span { display: block; }
.block td small { display: block; color: var(--dim); font-size: 9px; }
.block td.nz { background: #2c3b52; }
.note { color: var(--dim); font-size: 11px; margin: 4px 0; }
table.trace { border-collapse: collapse; width: 100%; font-size: 11px; margin-bottom: 6px; }
table.trace th { text-align: left; color: var(--dim); font-weight: 500; border-bottom: 1px solid var(--line); }
table.trace td { border-bottom: 1px solid var(--line); padding: 1px 4px; vertical-align: top; }
table.trace td small { display: block; color: var(--dim); }
table.trace td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bools { white-space: normal; }
.bool { display: inline-block; min-width: 22px; margin: 1px; padding: 0 2px; border-radius: 3px; font-family: ui-monospace, monospace; }
.bool.b0 { background: #263a2a; } .bool.b1 { background: #3d2a2a; }
.bool sub { color: var(--dim); font-size: 9px; margin-left: 1px; }
details summary { cursor: pointer; font-size: 11px; padding: 1px 0; }
table.trace td.bits { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
details[data-view="header-trace"] > summary { font-size: 13px; font-weight: 600; margin: 8px 0 2px; }
#frames tr.chunk-start td { border-top: 2px solid var(--accent); }
`;
