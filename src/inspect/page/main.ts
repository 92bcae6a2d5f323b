// The inspector page: a VP8 stream's frames as a table and a chart, the
// picture with overlays of what the encoder decided, and one macroblock in
// full. Everything is decoded by the worker (worker.ts) with the project's
// decoder; this file only draws. Built into the page by esbuild
// (scripts/bundle-inspector.mjs); the page works from disk with no network.

import { i420Layout } from '../../vp8/i420.js';
import { B_MODE_NAMES, B_PRED, MB_MODE_NAMES as MODE_NAMES, SPLITMV } from '../../vp8/tables.js';
import { blockName, hasY2Block } from '../../vp8/tokens.js';
import type { FrameInfo } from '../../vp8/info.js';
import type { FrameSummary, InspectedFrame } from '../analyze.js';
import { blockFactors } from '../analyze.js';
import type { ChunkInfo } from '../html.js';
import type { FromWorker, StreamHeader, ToWorker } from './protocol.js';
import type { WhatIf } from '../reconstruct.js';
import { renderMacroblockSteps } from './steps.js';
import { clearReferenceTimeline, drawReferenceTimeline, type ReferenceTimeline } from './timeline.js';
import { headerTraceView, traceView, vectorView } from './trace-view.js';
import { describeWhatIf, whatIfControls } from './whatif-view.js';

const RFC = 'https://www.rfc-editor.org/rfc/rfc6386#section-';
const MODE_COLORS = ['#4e79a7', '#59a14f', '#8cd17d', '#b6992d', '#f28e2b', '#76b7b2', '#9c755f', '#bab0ac', '#e15759', '#b07aa1'];
const REF_NAMES = ['intra', 'LAST', 'GOLDEN', 'ALTREF'];
const REF_COLORS = ['#ffffff', '#ff5050', '#40d040', '#4aa3ff'];
const SPLIT_NAMES = ['16x8', '8x16', '8x8', '4x4'];
const SEGMENT_COLORS = ['#e41a1c', '#377eb8', '#4daf4a', '#984ea3'];

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

interface Session {
  worker: Worker;
  header: StreamHeader | null;
  rows: FrameSummary[];
  done: boolean;
  current: number;
  frame: InspectedFrame | null;
  request: number;
  /** The macroblock trace and the replay asked for last. */
  traceRequest: number;
  replayRequest: number;
  /** The change the picture is rebuilt with (what-if), {} for none; it lasts until another frame is shown. */
  whatIf: WhatIf;
  playing: boolean;
}

/** The error against the source (`excamera inspect --source`), for the embedded stream only. */
interface SourceErrors {
  readonly name: string;
  readonly byFrame: Map<number, { readonly psnrY: number; readonly psnr: number; readonly ssimDbY: number; readonly source: number; readonly sse: Float32Array }>;
}

let session: Session | null = null;
let source: SourceErrors | null = null;
/** The chunks of an ExCamera output (`excamera inspect --chunks`), for the embedded stream only. */
let chunks: readonly ChunkInfo[] | null = null;
let timeline: ReferenceTimeline | null = null;
let selectedMb: { row: number; col: number } | null = null;
/** Whether the frame header's trace was left open. */
let headerTraceOpen = false;
let zoom = 1;

// ---- opening a stream --------------------------------------------------------

function open(name: string, bytes: ArrayBuffer, errors: SourceErrors | null = null, chunkList: readonly ChunkInfo[] | null = null): void {
  source = errors;
  chunks = chunkList;
  $('ov-error-label').hidden = errors === null;
  $('psnr-head').hidden = errors === null;
  session?.worker.terminate();
  clearReferenceTimeline($('ref-timeline'));
  timeline = null;
  const code = $<HTMLScriptElement>('worker-src').textContent ?? '';
  const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
  session = { worker, header: null, rows: [], done: false, current: -1, frame: null, request: 0, traceRequest: 0, replayRequest: 0, whatIf: {}, playing: false };
  selectedMb = null;
  $('frames-body').replaceChildren();
  $('mb-detail').replaceChildren(text('p', 'Click a macroblock of the picture to see it in full.'));
  $('mb-detail').dataset.mb = '';
  status(`decoding ${name}…`);
  const s = session;
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    if (session !== s) return;
    receive(s, e.data);
  };
  worker.onerror = (e) => status(`the decoder stopped: ${e.message}`, true);
  post(s, { kind: 'open', name, bytes, chunkStarts: chunkList?.map((c) => c.first) ?? [] }, [bytes]);
}

function post(s: Session, m: ToWorker, transfer: Transferable[] = []): void {
  s.worker.postMessage(m, transfer);
}

function receive(s: Session, m: FromWorker): void {
  switch (m.kind) {
    case 'stream':
      s.header = m;
      $('file').textContent = `${m.name}: ${m.width}x${m.height}, ${m.frames} frames, ${formatBytes(m.fileBytes)}${m.truncatedAt !== null ? ` (cut short at byte ${m.truncatedAt})` : ''}`;
      $<HTMLInputElement>('seek').max = String(Math.max(0, m.frames - 1));
      break;
    case 'summaries':
      for (const row of m.rows) addRow(s, row);
      if (s.current < 0 && s.rows.length > 0) select(s, 0);
      if (s.rows.length % 240 < m.rows.length) drawChart(s);
      break;
    case 'summaries-done': {
      s.done = true;
      drawChart(s);
      const failed = s.rows.find((r) => r.error !== null);
      status(failed ? `frame ${failed.index} cannot be decoded: ${failed.error}` : `${s.rows.length} frames decoded`, failed !== undefined);
      document.body.dataset.ready = 'true';
      break;
    }
    case 'frame':
      if (m.request !== s.request) return;
      s.frame = m.frame;
      showFrame(s);
      if (s.playing) setTimeout(() => step(s, 1, true), frameInterval(s));
      break;
    case 'trace': {
      if (m.request !== s.traceRequest) return;
      const box = document.getElementById('mb-trace');
      if (box === null) return;
      box.replaceChildren(...(m.trace.vector !== null ? vectorView(m.trace.vector) : []), ...traceView(m.trace));
      box.dataset.ready = 'true';
      break;
    }
    case 'replay': {
      if (m.request !== s.replayRequest || s.frame === null) return;
      const box = document.getElementById('mb-steps');
      if (box !== null) {
        renderMacroblockSteps(box, m.steps);
        box.dataset.ready = 'true';
      }
      const cols = s.frame.mbCols;
      const changed = describeWhatIf(m.whatIf, (mb) => `macroblock ${Math.floor(mb / cols)},${mb % cols}`);
      $('whatif-banner').textContent = changed === '' ? '' : `What if: ${changed}. This is not the decoded picture; reset to see it.`;
      $('whatif-banner').dataset.whatif = changed;
      drawPicture(changed === '' ? s.frame.picture! : m.picture, s.frame.width, s.frame.height);
      break;
    }
    case 'error':
      status(m.message, true);
      break;
  }
}

function status(message: string, error = false): void {
  const el = $('status');
  el.textContent = message;
  el.className = error ? 'error' : '';
}

// ---- the frame table and the bits chart ---------------------------------------

function addRow(s: Session, r: FrameSummary): void {
  s.rows.push(r);
  const tr = document.createElement('tr');
  tr.dataset.frame = String(r.index);
  const i = r.info;
  const cells = [
    String(r.index),
    i === null ? (r.bytes === 0 ? 'empty' : '?') : i.type,
    i === null ? '' : i.showFrame ? 'shown' : 'hidden',
    String(r.bytes),
    i === null ? '' : String(i.quantizer.yAcQi),
    i === null ? '' : `${i.loopFilter.type} ${i.loopFilter.level}`,
    i === null ? '' : String(i.partitions.tokens.length),
    i === null ? '' : `${i.coeffProbUpdates}/${i.mvProbUpdates}`,
    i === null ? '' : refreshes(i),
    `${refName(r.references.last)} ${refName(r.references.golden)} ${refName(r.references.altref)}`,
  ];
  if (source !== null) cells.push(source.byFrame.has(r.index) ? source.byFrame.get(r.index)!.psnr.toFixed(2) : '');
  for (const c of cells) tr.append(text('td', c));
  if (r.error !== null) tr.classList.add('error');
  const chunk = chunks?.find((c) => c.first === r.index);
  if (chunk !== undefined) {
    tr.classList.add('chunk-start');
    tr.dataset.chunk = String(chunk.index);
    tr.title = `chunk ${chunk.index} starts here`;
  }
  if (i !== null && i.type === 'key') tr.classList.add('key');
  if (i !== null && !i.showFrame) tr.classList.add('hidden-frame');
  tr.onclick = () => select(s, r.index);
  $('frames-body').append(tr);
}

const refName = (i: number): string => (i < 0 ? '-' : String(i));

function refreshes(i: FrameInfo): string {
  const out: string[] = [];
  if (i.type === 'key') return 'all';
  if (i.refresh.last) out.push('L');
  if (i.refresh.golden) out.push('G');
  if (i.refresh.altref) out.push('A');
  if (i.copy.toGolden !== 'none') out.push(`${i.copy.toGolden}→G`);
  if (i.copy.toAltref !== 'none') out.push(`${i.copy.toAltref}→A`);
  return out.join(' ');
}

function drawChart(s: Session): void {
  const svg = $('bits');
  const n = s.rows.length;
  if (n === 0) return;
  const max = Math.max(...s.rows.map((r) => r.bytes), 1);
  const w = 600;
  const h = 90;
  const bar = w / n;
  const parts = s.rows.map((r) => {
    const bh = (r.bytes / max) * (h - 12);
    const cls = r.info?.type === 'key' ? 'key' : r.info !== null && !r.info.showFrame ? 'hidden-frame' : 'inter';
    return `<rect class="${cls}" data-bar="${r.index}" x="${(r.index * bar).toFixed(2)}" y="${(h - bh).toFixed(2)}" width="${Math.max(bar - 0.3, 0.5).toFixed(2)}" height="${bh.toFixed(2)}"><title>frame ${r.index}: ${r.bytes} bytes (${r.bytes * 8} bits)</title></rect>`;
  });
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.innerHTML = `<text x="2" y="10" class="axis">bits per frame (max ${max * 8})</text>${parts.join('')}<rect id="bits-cursor" x="0" y="0" width="${Math.max(bar, 1)}" height="${h}" />`;
  svg.onclick = (e) => {
    const x = (e.offsetX / svg.clientWidth) * w;
    select(s, Math.min(n - 1, Math.max(0, Math.floor(x / bar))));
  };
  timeline = drawReferenceTimeline($('ref-timeline'), s.rows, { current: Math.max(0, s.current), onPick: (i) => select(s, i), ...(chunks !== null ? { chunks } : {}) });
  moveCursor(s);
}

function moveCursor(s: Session): void {
  const c = document.getElementById('bits-cursor');
  if (c !== null && s.rows.length > 0) c.setAttribute('x', String((s.current * 600) / s.rows.length));
  timeline?.setCurrent(Math.max(0, s.current));
}

// ---- selecting and playing --------------------------------------------------

function select(s: Session, index: number): void {
  if (index < 0 || index >= s.rows.length) return;
  s.current = index;
  s.request++;
  for (const tr of $('frames-body').querySelectorAll('tr.selected')) tr.classList.remove('selected');
  const tr = $('frames-body').querySelector(`tr[data-frame="${index}"]`);
  tr?.classList.add('selected');
  tr?.scrollIntoView({ block: 'nearest' });
  $<HTMLInputElement>('seek').value = String(index);
  $('pos').textContent = `frame ${index} of ${s.header?.frames ?? s.rows.length}`;
  moveCursor(s);
  if (s.rows[index]!.error !== null || s.rows[index]!.info === null) {
    s.frame = null;
    showFrame(s);
    return;
  }
  post(s, { kind: 'frame', index, request: s.request });
}

function step(s: Session, by: number, playing = false): void {
  if (!playing) s.playing = false;
  const next = s.current + by;
  if (next >= s.rows.length || (s.rows[next]?.error ?? null) !== null) {
    s.playing = false;
    updatePlay(s);
    return;
  }
  select(s, next);
}

function frameInterval(s: Session): number {
  const [num, den] = s.header?.timebase ?? [1, 30];
  const seconds = den > 0 && num > 0 ? num / den : 1 / 30;
  return Math.min(1000, Math.max(15, seconds * 1000));
}

function updatePlay(s: Session): void {
  $('play').textContent = s.playing ? 'pause' : 'play';
}

// ---- the picture and its overlays ---------------------------------------------

function showFrame(s: Session): void {
  const f = s.frame;
  const picture = $<HTMLCanvasElement>('picture');
  const overlay = $<HTMLCanvasElement>('overlay');
  $('frame-detail').replaceChildren(...frameDetail(s));
  $('frame-detail').dataset.frame = String(s.current);
  if (f === null || f.picture === null) {
    picture.getContext('2d')!.clearRect(0, 0, picture.width, picture.height);
    overlay.getContext('2d')!.clearRect(0, 0, overlay.width, overlay.height);
    return;
  }
  if (picture.width !== f.width || picture.height !== f.height) {
    picture.width = f.width;
    picture.height = f.height;
    fitZoom(f.width);
  }
  drawPicture(f.picture, f.width, f.height);
  s.whatIf = {};
  $('whatif-banner').textContent = '';
  $('whatif-banner').dataset.whatif = '';
  sizeCanvases(f);
  drawOverlays(f);
  if (selectedMb !== null) {
    if (selectedMb.row < f.mbRows && selectedMb.col < f.mbCols) showMacroblock(f, selectedMb.row, selectedMb.col);
    else selectedMb = null;
  }
}

function drawPicture(i420: Uint8Array, width: number, height: number): void {
  const ctx = $<HTMLCanvasElement>('picture').getContext('2d')!;
  const img = ctx.createImageData(width, height);
  i420ToRgba(i420, width, height, img.data);
  ctx.putImageData(img, 0, 0);
}

function fitZoom(width: number): void {
  const room = Math.max(320, $('picture-pane').clientWidth - 8);
  zoom = Math.max(1, Math.min(8, Math.floor(room / width))) || 1;
  if (width > room) zoom = room / width;
  $<HTMLSelectElement>('zoom').value = zoom >= 1 ? String(Math.round(zoom)) : 'fit';
}

function sizeCanvases(f: InspectedFrame): void {
  const w = Math.round(f.width * zoom);
  const h = Math.round(f.height * zoom);
  for (const id of ['picture', 'overlay']) {
    const c = $<HTMLCanvasElement>(id);
    c.style.width = `${w}px`;
    c.style.height = `${h}px`;
  }
  const overlay = $<HTMLCanvasElement>('overlay');
  const scale = Math.max(1, Math.ceil(zoom * (window.devicePixelRatio || 1)));
  if (overlay.width !== f.width * scale || overlay.height !== f.height * scale) {
    overlay.width = f.width * scale;
    overlay.height = f.height * scale;
  }
  $('canvas-wrap').style.width = `${w}px`;
  $('canvas-wrap').style.height = `${h}px`;
}

/** BT.601 limited range, as players show VP8 (section 9.2: color space 0). */
function i420ToRgba(src: Uint8Array, width: number, height: number, out: Uint8ClampedArray): void {
  const { chromaWidth: cw, uOffset: uOff, vOffset: vOff } = i420Layout(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const Y = 1.164 * (src[y * width + x]! - 16);
      const c = (y >> 1) * cw + (x >> 1);
      const U = src[uOff + c]! - 128;
      const V = src[vOff + c]! - 128;
      const o = (y * width + x) * 4;
      out[o] = Y + 1.596 * V;
      out[o + 1] = Y - 0.392 * U - 0.813 * V;
      out[o + 2] = Y + 2.017 * U;
      out[o + 3] = 255;
    }
  }
}

function overlayOn(name: string): boolean {
  return $<HTMLInputElement>(`ov-${name}`).checked;
}

function drawOverlays(f: InspectedFrame): void {
  const c = $<HTMLCanvasElement>('overlay');
  const ctx = c.getContext('2d')!;
  const s = c.width / f.width;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, c.width, c.height);
  const m = f.modes;
  if (m === null) return;
  ctx.setTransform(s, 0, 0, s, 0, 0);
  const each = (fn: (mb: number, x: number, y: number) => void): void => {
    for (let r = 0; r < f.mbRows; r++) for (let col = 0; col < f.mbCols; col++) fn(r * f.mbCols + col, col * 16, r * 16);
  };
  if (overlayOn('modes')) {
    ctx.globalAlpha = 0.35;
    each((mb, x, y) => {
      ctx.fillStyle = MODE_COLORS[m.yMode[mb]!]!;
      ctx.fillRect(x, y, 16, 16);
    });
    ctx.globalAlpha = 1;
  }
  const err = source?.byFrame.get(f.index);
  const heat = overlayOn('bits') ? macroblockBits(f) : overlayOn('energy') ? residualEnergy(f) : overlayOn('error') && err !== undefined ? { name: 'squared error vs source', unit: '', values: Float64Array.from(err.sse) } : null;
  if (heat !== null) {
    // Log scale from the frame's smallest non-zero value to its largest.
    let lo = Infinity;
    let hi = 0;
    for (const v of heat.values) if (v > 0) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    ctx.globalAlpha = 0.6;
    each((mb, x, y) => {
      const v = heat.values[mb]!;
      ctx.fillStyle = v <= 0 || hi <= lo ? (v > 0 ? ramp(1) : 'rgba(0,0,0,0)') : ramp(Math.log(v / lo) / Math.log(hi / lo));
      ctx.fillRect(x, y, 16, 16);
    });
    ctx.globalAlpha = 1;
    $('heat-legend').textContent = hi > 0 ? `${heat.name}: ${fmt(lo)} to ${fmt(hi)}${heat.unit === '' ? '' : ` ${heat.unit}`} per macroblock (log scale, dark to bright; none: clear)` : `${heat.name}: none in this frame`;
  } else {
    $('heat-legend').textContent = '';
  }
  if (overlayOn('segments') && f.segmentQuant.length > 1) {
    ctx.globalAlpha = 0.35;
    each((mb, x, y) => {
      ctx.fillStyle = SEGMENT_COLORS[m.segmentId[mb]!]!;
      ctx.fillRect(x, y, 16, 16);
    });
    ctx.globalAlpha = 1;
  }
  if (overlayOn('skip')) {
    ctx.strokeStyle = 'rgba(255,255,255,0.8)';
    ctx.lineWidth = 1 / s;
    each((mb, x, y) => {
      if (m.skipCoeff[mb] === 0) return;
      ctx.beginPath();
      ctx.moveTo(x + 3, y + 13);
      ctx.lineTo(x + 13, y + 3);
      ctx.stroke();
    });
  }
  if (overlayOn('grid')) {
    ctx.strokeStyle = 'rgba(255,255,255,0.45)';
    ctx.lineWidth = 1 / s;
    ctx.beginPath();
    for (let x = 0; x <= f.mbCols * 16; x += 16) {
      ctx.moveTo(x, 0);
      ctx.lineTo(x, f.mbRows * 16);
    }
    for (let y = 0; y <= f.mbRows * 16; y += 16) {
      ctx.moveTo(0, y);
      ctx.lineTo(f.mbCols * 16, y);
    }
    ctx.stroke();
  }
  if (overlayOn('vectors')) {
    ctx.lineWidth = Math.max(1 / s, 0.6);
    each((mb, x, y) => {
      const ref = m.refFrame[mb]!;
      if (ref === 0) return;
      ctx.strokeStyle = REF_COLORS[ref]!;
      ctx.fillStyle = REF_COLORS[ref]!;
      if (m.yMode[mb] === SPLITMV) {
        for (let b = 0; b < 16; b++) arrow(ctx, x + (b & 3) * 4 + 2, y + (b >> 2) * 4 + 2, m.bMv[mb * 32 + b * 2 + 1]! / 4, m.bMv[mb * 32 + b * 2]! / 4, s);
      } else {
        arrow(ctx, x + 8, y + 8, m.mv[mb * 2 + 1]! / 4, m.mv[mb * 2]! / 4, s);
      }
    });
  }
  if (selectedMb !== null) {
    ctx.strokeStyle = '#ffff00';
    ctx.lineWidth = 2 / s;
    ctx.strokeRect(selectedMb.col * 16, selectedMb.row * 16, 16, 16);
  }
}

/** Bits each macroblock cost: its header in the first partition and its tokens. */
function macroblockBits(f: InspectedFrame): { name: string; unit: string; values: Float64Array } {
  const b = f.bits!;
  return { name: 'bits', unit: 'bits', values: b.header.map((h, i) => h + b.tokens[i]!) };
}

/** The energy of each macroblock's dequantized residual: the sum of its coefficients' squares (before the inverse transforms). */
function residualEnergy(f: InspectedFrame): { name: string; unit: string; values: Float64Array } {
  const m = f.modes!;
  const levels = f.levels!;
  const out = new Float64Array(f.mbCols * f.mbRows);
  for (let mb = 0; mb < out.length; mb++) {
    const y = m.yMode[mb]!;
    const hasY2 = hasY2Block(y);
    const q = f.segmentQuant[f.segmentQuant.length > 1 ? m.segmentId[mb]! : 0]!;
    let e = 0;
    for (let b = 0; b < 25; b++) {
      const { dc, ac } = blockFactors(b, hasY2, q);
      for (let k = 0; k < 16; k++) {
        const v = levels[mb * 400 + b * 16 + k]! * (k === 0 ? dc : ac);
        e += v * v;
      }
    }
    out[mb] = e;
  }
  return { name: 'residual energy', unit: '', values: out };
}

/** Dark blue to bright yellow, t in [0, 1]. */
function ramp(t: number): string {
  const c = Math.max(0, Math.min(1, t));
  const r = Math.round(40 + 215 * c ** 1.5);
  const g = Math.round(20 + 215 * c);
  const b = Math.round(120 + 100 * Math.sin(Math.PI * c) - 120 * c);
  return `rgb(${r},${g},${Math.max(0, b)})`;
}

const fmt = (v: number): string => (Number.isInteger(v) && v < 1e6 ? String(v) : v >= 1e4 ? v.toExponential(1) : v >= 10 ? v.toFixed(0) : v.toFixed(1));

/** A vector drawn where it points from (dx, dy in samples). */
function arrow(ctx: CanvasRenderingContext2D, x: number, y: number, dx: number, dy: number, s: number): void {
  if (dx === 0 && dy === 0) {
    ctx.fillRect(x - 0.5 / s, y - 0.5 / s, 1 / s, 1 / s);
    return;
  }
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + dx, y + dy);
  ctx.stroke();
}

function legend(): void {
  const el = $('legend');
  el.replaceChildren();
  MODE_NAMES.forEach((name, i) => {
    const span = text('span', name);
    span.style.borderLeft = `12px solid ${MODE_COLORS[i]}`;
    el.append(span);
  });
  REF_NAMES.slice(1).forEach((name, i) => {
    const span = text('span', `vector from ${name}`);
    span.style.borderLeft = `12px solid ${REF_COLORS[i + 1]}`;
    el.append(span);
  });
}

// ---- details: the frame, and one macroblock --------------------------------

function frameDetail(s: Session): HTMLElement[] {
  const r = s.rows[s.current];
  if (r === undefined) return [];
  const i = r.info;
  const out: HTMLElement[] = [text('h2', `Frame ${r.index}${i === null ? '' : `: ${i.type}${i.showFrame ? '' : ', hidden'}`}`)];
  if (r.error !== null) out.push(text('p', `The decoder stopped here: ${r.error}`, 'error'));
  if (i === null) {
    if (r.bytes === 0) out.push(text('p', 'An empty frame: decoders skip it and keep their state.'));
    return out;
  }
  const q = i.quantizer;
  const lf = i.loopFilter;
  const rows: [string, string, string][] = [
    ['size', `${r.bytes} bytes (${r.bytes * 8} bits); first partition ${i.partitions.first} bytes, token partitions ${i.partitions.tokens.join(' + ')}`, '9.5'],
    ...(i.type === 'key' ? [['picture', `${i.width}x${i.height}, scale ${i.horizontalScale}/${i.verticalScale}, colour space ${i.colorSpace}, clamping ${i.clampingType}`, '9.2'] as [string, string, string]] : []),
    ['version', String(i.version), '9.1'],
    ['quantizer', `y_ac_qi ${q.yAcQi}; deltas y_dc ${q.yDcDelta}, y2_dc ${q.y2DcDelta}, y2_ac ${q.y2AcDelta}, uv_dc ${q.uvDcDelta}, uv_ac ${q.uvAcDelta}`, '9.6'],
    ['loop filter', `${lf.type}, level ${lf.level}, sharpness ${lf.sharpness}${lf.deltasEnabled ? `, deltas${lf.deltasUpdated ? ' updated' : ''}` : ''}`, '9.4'],
    ['segmentation', i.segmentation.enabled ? `on${i.segmentation.updateMap ? ', map updated' : ''}${i.segmentation.updateData ? `, ${i.segmentation.absolute ? 'absolute' : 'delta'} values q ${i.segmentation.quantizer.map((v) => v ?? '·').join(' ')}, filter ${i.segmentation.loopFilter.map((v) => v ?? '·').join(' ')}` : ''}` : 'off', '9.3'],
    ['references', i.type === 'key' ? 'a key frame refreshes LAST, GOLDEN and ALTREF' : `refresh ${refreshes(i) || 'none'}; sign bias golden ${i.signBias.golden ? 1 : 0}, altref ${i.signBias.altref ? 1 : 0}`, '9.7'],
    ['buffers after', `LAST = frame ${refName(r.references.last)}, GOLDEN = frame ${refName(r.references.golden)}, ALTREF = frame ${refName(r.references.altref)}`, '9.8'],
    ['probabilities', `${i.refresh.entropyProbs ? 'kept for later frames' : 'this frame only'}; ${i.coeffProbUpdates} coefficient and ${i.mvProbUpdates} vector probabilities updated`, '9.9'],
    ['skip flag', i.mbNoSkipCoeff ? `coded, P(not skipped) ${i.probSkipFalse}/256` : 'not coded: every macroblock codes its tokens', i.type === 'key' ? '9.11' : '9.10'],
  ];
  const f = s.frame;
  if (f !== null && f.index === r.index && f.bits !== null) {
    const sum = (a: Float64Array): number => a.reduce((x, y) => x + y, 0);
    const headers = sum(f.bits.header);
    const tokens = sum(f.bits.tokens);
    rows.splice(1, 0, ['bits', `macroblock headers ${headers}, tokens ${tokens}; the frame header and the partitions' final bytes ${r.bytes * 8 - headers - tokens}`, '7']);
  }
  const err = source?.byFrame.get(r.index);
  if (err !== undefined) rows.push(['vs source', `frame ${err.source} of ${source!.name}: PSNR ${err.psnr.toFixed(2)} dB (Y ${err.psnrY.toFixed(2)} dB), SSIM Y ${err.ssimDbY.toFixed(2)} dB`, '']);
  if (i.type === 'inter') rows.push(['reference probabilities', `intra ${i.probIntra}, last ${i.probLast}, golden ${i.probGf} (of 256)`, '9.10']);
  out.push(table(rows));
  if (f !== null && f.index === r.index && f.headerTrace !== null) {
    const trace = f.headerTrace;
    const d = document.createElement('details');
    d.dataset.view = 'header-trace';
    d.append(text('summary', `Decode trace of the frame header: ${trace.elements.reduce((n, e) => n + e.bools.length, 0)} bools, the first ${trace.bits} bits of the first partition`));
    d.addEventListener('toggle', () => {
      headerTraceOpen = d.open;
      if (d.open && d.childElementCount === 1) d.append(...headerTraceView(trace));
    });
    // Left open, it stays open from frame to frame.
    d.open = headerTraceOpen;
    out.push(d);
  }
  const chunk = chunks?.find((c) => r.index >= c.first && r.index < c.first + c.frames);
  if (chunk !== undefined) out.push(...chunkDetail(chunk, s.rows, f !== null && f.index === r.index ? f : null));
  if (f !== null && f.index === r.index && f.stateAfter !== null) {
    const h = text('h3', 'Decoder state after this frame');
    const state = table([
      ['hash', `${f.stateAfter.hash} (SHA-256 of everything the next frames depend on; the first 8 digits are its tag)`, ''],
      ...(f.stateAfter.changes.length === 0 ? [['changed', 'nothing: a frame that refreshes no buffer and keeps no probability leaves the state as it was', ''] as [string, string, string]] : []),
      ...f.stateAfter.changes.map((c) => [c.part, c.detail, c.section] as [string, string, string]),
    ]);
    state.dataset.view = 'state';
    out.push(h, state);
  }
  return out;
}

/** A chunk of an ExCamera output: its frames, its first frame through the phases, and the state it was coded against, checked. */
function chunkDetail(c: ChunkInfo, rows: readonly FrameSummary[], f: InspectedFrame | null): HTMLElement[] {
  const last = c.first + c.frames - 1;
  const b = c.firstFrameBytes;
  const tag = rows[c.first]?.stateTagBefore;
  const items: [string, string, string][] = [
    ['frames', `${c.first} to ${last} (${c.frames} frames)`, ''],
    ['first frame', c.expects === null
      ? `a key frame of ${b.output} bytes: the chunk depends on nothing before it`
      : `${b.independent !== null ? `a key frame of ${b.independent} bytes when the chunk was encoded alone; ` : ''}${b.givenState !== null ? `${b.givenState} bytes re-encoded as an inter frame given the previous chunk's state; ` : ''}${b.output} bytes as output, rebased onto the true state`, ''],
  ];
  if (c.expects !== null) {
    const check = tag === undefined ? 'the decoder has not reached it' : tag === c.expects ? `the decoder's state before frame ${c.first} has tag ${tag}: the same state` : `but the decoder's state before frame ${c.first} has tag ${tag}: not the state the chunk expects`;
    items.push(['coded against', `the state with tag ${c.expects} (the previous chunk's end); ${check}`, '']);
  }
  if (c.endHash !== null) {
    const atEnd = f !== null && f.index === last && f.stateAfter !== null;
    const check = !atEnd ? '' : f.stateAfter!.hash === c.endHash ? '; the decoder\'s state after this frame is that state' : `; but the decoder's state after this frame is ${f.stateAfter!.hash.slice(0, 8)}…`;
    items.push(['ends in', `the state ${c.endHash.slice(0, 8)}… (its .output.state)${check}`, '']);
  }
  const t = table(items);
  t.dataset.view = 'chunk';
  t.dataset.chunk = String(c.index);
  if (c.expects !== null && tag !== undefined) t.dataset.stateCheck = tag === c.expects ? 'same' : 'different';
  return [text('h3', `ExCamera chunk ${c.index}`), t];
}

function table(rows: readonly (readonly [string, string, string])[]): HTMLTableElement {
  const t = document.createElement('table');
  t.className = 'fields';
  for (const [name, value, section] of rows) {
    const tr = document.createElement('tr');
    tr.append(text('th', name), text('td', value));
    const td = document.createElement('td');
    if (section !== '') {
      const a = document.createElement('a');
      a.href = RFC + section;
      a.target = '_blank';
      a.rel = 'noreferrer';
      a.textContent = `§${section}`;
      td.append(a);
    }
    tr.append(td);
    t.append(tr);
  }
  return t;
}

function showMacroblock(f: InspectedFrame, row: number, col: number): void {
  const el = $('mb-detail');
  el.dataset.mb = `${row},${col}`;
  const m = f.modes!;
  const mb = row * f.mbCols + col;
  const y = m.yMode[mb]!;
  const ref = m.refFrame[mb]!;
  const seg = m.segmentId[mb]!;
  const rows: [string, string, string][] = [
    ['position', `row ${row}, column ${col} (samples ${col * 16}-${col * 16 + 15} x ${row * 16}-${row * 16 + 15})`, '2'],
    ['segment', f.segmentQuant.length > 1 ? String(seg) : 'segmentation off', '9.3'],
    ['skip', m.skipCoeff[mb] ? 'mb_skip_coeff = 1: no coefficients coded' : 'coefficients coded', '9.11'],
    ['bits', `${fmt(f.bits!.header[mb]!)} in its header (first partition), ${fmt(f.bits!.tokens[mb]!)} in its tokens`, '7'],
    ['reference', ref === 0 ? 'intra (predicted from this frame)' : REF_NAMES[ref]!, '16.2'],
    ['luma mode', MODE_NAMES[y]!, f.info?.type === 'key' ? '11.2' : ref === 0 ? '16.1' : '16.3'],
  ];
  const err = source?.byFrame.get(f.index);
  if (err !== undefined) rows.push(['vs source', `squared error ${err.sse[mb]} over its samples`, '']);
  if (ref === 0) rows.push(['chroma mode', MODE_NAMES[m.uvMode[mb]!]!, '11.4']);
  if (ref !== 0 && y !== SPLITMV) rows.push(['vector', `row ${m.mv[mb * 2]}, column ${m.mv[mb * 2 + 1]} (quarter samples) = ${fmtSamples(m.mv[mb * 2]!)}, ${fmtSamples(m.mv[mb * 2 + 1]!)} samples`, '17']);
  if (y === SPLITMV) rows.push(['partitioning', SPLIT_NAMES[m.partitioning[mb]!]!, '16.4']);
  const el2: HTMLElement[] = [text('h2', `Macroblock ${row},${col} of frame ${f.index}`), table(rows)];
  if (y === B_PRED) el2.push(text('h3', 'Subblock modes (section 11.3)'), grid4(Array.from({ length: 16 }, (_, b) => B_MODE_NAMES[m.bModes[mb * 16 + b]!]!.replace('_PRED', ''))));
  if (y === SPLITMV) el2.push(text('h3', 'Subblock vectors, quarter samples (row, column; section 17)'), grid4(Array.from({ length: 16 }, (_, b) => `${m.bMv[mb * 32 + b * 2]},${m.bMv[mb * 32 + b * 2 + 1]}`)));
  el2.push(...coefficients(f, mb, y));
  const trace = document.createElement('div');
  trace.id = 'mb-trace';
  trace.append(text('p', 'Tracing the bools of this macroblock…', 'note'));
  el2.push(text('h2', 'Decode trace'), trace);
  const s = session;
  const steps = document.createElement('div');
  steps.id = 'mb-steps';
  steps.append(text('p', 'Rebuilding this macroblock step by step…', 'note'));
  if (s !== null) {
    el2.push(text('h2', 'What if…'), whatIfControls(f, mb, s.whatIf, (w) => {
      s.whatIf = w;
      replay(s, f, mb);
    }));
  }
  el2.push(text('h2', 'From prediction to pixels'), steps);
  el.replaceChildren(...el2);
  drawOverlays(f);
  if (s !== null) {
    s.traceRequest++;
    post(s, { kind: 'trace', index: f.index, mb, request: s.traceRequest });
    replay(s, f, mb);
  }
}

/** Asks the worker for frame f rebuilt under the session's what-if, with the steps of macroblock mb. */
function replay(s: Session, f: InspectedFrame, mb: number): void {
  s.replayRequest++;
  const box = document.getElementById('mb-steps');
  if (box !== null) box.dataset.ready = 'false';
  post(s, { kind: 'replay', index: f.index, mb, whatIf: s.whatIf, request: s.replayRequest });
}

/** What hovering over a macroblock of the picture says of it. */
function hoverText(f: InspectedFrame, row: number, col: number): string {
  const m = f.modes!;
  const mb = row * f.mbCols + col;
  const y = m.yMode[mb]!;
  const ref = m.refFrame[mb]!;
  const vector = ref === 0 || y === SPLITMV ? '' : `, vector (${m.mv[mb * 2]}, ${m.mv[mb * 2 + 1]}) quarter samples = (${fmtSamples(m.mv[mb * 2]!)}, ${fmtSamples(m.mv[mb * 2 + 1]!)}) samples`;
  return `macroblock ${row},${col}: ${ref === 0 ? 'intra' : REF_NAMES[ref]} ${MODE_NAMES[y]}${vector}${m.skipCoeff[mb] ? ', skipped' : ''}; ${fmt(f.bits!.header[mb]! + f.bits!.tokens[mb]!)} bits`;
}

const fmtSamples = (q: number): string => (q / 4).toFixed(2).replace(/\.?0+$/, '');

function grid4(cells: readonly string[]): HTMLTableElement {
  const t = document.createElement('table');
  t.className = 'grid4';
  for (let r = 0; r < 4; r++) {
    const tr = document.createElement('tr');
    for (let c = 0; c < 4; c++) tr.append(text('td', cells[r * 4 + c]!));
    t.append(tr);
  }
  return t;
}

function coefficients(f: InspectedFrame, mb: number, yMode: number): HTMLElement[] {
  const levels = f.levels!;
  const eobs = f.eobs!;
  const hasY2 = hasY2Block(yMode);
  const q = f.segmentQuant[f.segmentQuant.length > 1 ? f.modes!.segmentId[mb]! : 0]!;
  const out: HTMLElement[] = [text('h3', 'Coefficients: level as coded, and dequantized (sections 13, 14.1)')];
  if (f.modes!.skipCoeff[mb]) {
    out.push(text('p', 'None: the macroblock is skipped.'));
    return out;
  }
  const wrap = document.createElement('div');
  wrap.className = 'blocks';
  for (let b = 0; b < 25; b++) {
    if (b === 24 && !hasY2) continue;
    const { dc, ac } = blockFactors(b, hasY2, q);
    const box = document.createElement('div');
    box.className = 'block';
    box.dataset.block = String(b);
    const eob = eobs[mb * 25 + b]!;
    box.append(text('div', `${blockName(b)}  eob ${eob}  ×${dc}/${ac}`, 'block-title'));
    const t = document.createElement('table');
    for (let r = 0; r < 4; r++) {
      const tr = document.createElement('tr');
      for (let c = 0; c < 4; c++) {
        const k = r * 4 + c;
        const v = levels[mb * 400 + b * 16 + k]!;
        const td = document.createElement('td');
        td.dataset.level = String(v);
        if (v !== 0) td.className = 'nz';
        td.title = `level ${v} × ${k === 0 ? dc : ac} = ${v * (k === 0 ? dc : ac)}`;
        td.append(text('span', String(v)), text('small', String(v * (k === 0 ? dc : ac))));
        tr.append(td);
      }
      t.append(tr);
    }
    box.append(t);
    wrap.append(box);
  }
  out.push(wrap);
  return out;
}

function text(tag: string, content: string, className?: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = content;
  if (className !== undefined) el.className = className;
  return el;
}

function formatBytes(n: number): string {
  return n < 1e4 ? `${n} bytes` : n < 1e7 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
}

// ---- wiring -----------------------------------------------------------------

function decodeBase64(b64: string): ArrayBuffer {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

function embeddedChunks(): ChunkInfo[] | null {
  const json = document.getElementById('chunks')?.textContent?.trim() ?? '';
  return json === '' ? null : (JSON.parse(json) as ChunkInfo[]);
}

function embeddedSourceErrors(): SourceErrors | null {
  const json = document.getElementById('source-error')?.textContent?.trim() ?? '';
  if (json === '') return null;
  const d = JSON.parse(json) as { name: string; frames: { frame: number; source: number; psnrY: number; psnr: number; ssimDbY: number }[]; macroblocks: number; sse: string };
  const sse = new Float32Array(decodeBase64(d.sse));
  return { name: d.name, byFrame: new Map(d.frames.map((f, i) => [f.frame, { ...f, sse: sse.subarray(i * d.macroblocks, (i + 1) * d.macroblocks) }])) };
}

function init(): void {
  legend();
  const embedded = document.getElementById('stream');
  const b64 = embedded?.textContent?.trim() ?? '';
  if (b64 !== '') open(embedded!.dataset.name ?? 'stream.ivf', decodeBase64(b64), embeddedSourceErrors(), embeddedChunks());
  else status('Open a VP8 .ivf or .webm file, or drop one on the page.');
  $<HTMLInputElement>('open').onchange = async (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file !== undefined) open(file.name, await file.arrayBuffer());
  };
  document.body.ondragover = (e) => e.preventDefault();
  document.body.ondrop = async (e) => {
    e.preventDefault();
    const file = e.dataTransfer?.files[0];
    if (file !== undefined) open(file.name, await file.arrayBuffer());
  };
  const withSession = (fn: (s: Session) => void) => () => {
    if (session !== null) fn(session);
  };
  $('first').onclick = withSession((s) => select(s, 0));
  $('prev').onclick = withSession((s) => step(s, -1));
  $('next').onclick = withSession((s) => step(s, 1));
  $('last').onclick = withSession((s) => select(s, s.rows.length - 1));
  $('play').onclick = withSession((s) => {
    s.playing = !s.playing;
    updatePlay(s);
    if (s.playing) step(s, 1, true);
  });
  $<HTMLInputElement>('seek').oninput = withSession((s) => select(s, Number($<HTMLInputElement>('seek').value)));
  const heats = ['bits', 'energy', 'error'];
  for (const a of heats) {
    // One heat map at a time.
    $<HTMLInputElement>(`ov-${a}`).addEventListener('change', () => {
      if ($<HTMLInputElement>(`ov-${a}`).checked) for (const b of heats) if (b !== a) $<HTMLInputElement>(`ov-${b}`).checked = false;
    });
  }
  for (const name of ['grid', 'modes', 'vectors', 'skip', 'segments', 'bits', 'energy', 'error']) $(`ov-${name}`).onchange = withSession((s) => s.frame !== null && drawOverlays(s.frame));
  $<HTMLSelectElement>('zoom').onchange = withSession((s) => {
    const v = $<HTMLSelectElement>('zoom').value;
    if (s.frame === null) return;
    if (v === 'fit') fitZoom(s.frame.width);
    else zoom = Number(v);
    sizeCanvases(s.frame);
    drawOverlays(s.frame);
  });
  /** The frame shown and the macroblock under the pointer, if any. */
  const pointed = (e: MouseEvent): { f: InspectedFrame; row: number; col: number } | null => {
    const f = session?.frame;
    if (f === undefined || f === null || f.modes === null) return null;
    const c = $<HTMLCanvasElement>('overlay');
    const col = Math.floor((e.offsetX / c.clientWidth) * f.width / 16);
    const row = Math.floor((e.offsetY / c.clientHeight) * f.height / 16);
    return row < 0 || col < 0 || row >= f.mbRows || col >= f.mbCols ? null : { f, row, col };
  };
  $('overlay').onclick = (e) => {
    const p = pointed(e);
    if (p === null) return;
    selectedMb = { row: p.row, col: p.col };
    showMacroblock(p.f, p.row, p.col);
  };
  // Hovering names the macroblock under the pointer: its modes, vector and bits.
  $('overlay').onmousemove = (e) => {
    const p = pointed(e);
    $('overlay').title = p === null ? '' : hoverText(p.f, p.row, p.col);
  };
  document.onkeydown = (e) => {
    if (session === null || (e.target as HTMLElement).tagName === 'INPUT') return;
    if (e.key === 'ArrowRight') step(session, 1);
    else if (e.key === 'ArrowLeft') step(session, -1);
  };
}

init();
