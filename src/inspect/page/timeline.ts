// The reference-buffer timeline of the inspector page: what LAST, GOLDEN and
// ALTREF hold over the whole stream, and which frame changed them and how.
//
// A VP8 decoder keeps three reference pictures (RFC 6386 section 9.7-9.8):
//  - LAST, usually the previous frame: every frame may replace it with
//    itself (refresh_last, section 9.8);
//  - GOLDEN and ALTREF, kept longer: a frame may replace either with itself
//    (refresh_golden_frame, refresh_alternate_frame) or, when it does not,
//    copy another buffer into it (copy_buffer_to_golden: from LAST or
//    ALTREF; copy_buffer_to_alternate: from LAST or GOLDEN) — section 9.7;
//  - a key frame replaces all three.
// The copies happen before the refreshes (ALTREF's copy, then GOLDEN's, as
// libvpx does), so "ALTREF ← frame 7 (copied from GOLDEN)" on a frame that
// also refreshes GOLDEN means the golden frame it held before.
// Each inter frame also says, for GOLDEN and ALTREF, its "sign bias": whether
// that buffer lies on the other side in time (an alt-ref is often built from
// future frames). When a macroblock predicts its vector from a neighbour
// whose reference has the other sign bias, the neighbour's vector is negated
// first (sign_bias_golden and sign_bias_alternate, section 9.7; the vector
// candidates, section 16.3). LAST never has the sign bias.
//
// The drawing, left to right in decoding order, one column per frame:
//
//     chunks   | chunk 0          | chunk 1 ...        (ExCamera outputs only)
//     frame    0    5    10 ...                        (frame numbers)
//     type     ■■■■▨■■■■■■■...                         (key / inter / hidden / error)
//     LAST     [0][1][2][3] ...  ▼ = written by this frame
//     GOLDEN   [0          ][12  ...  ▽ + arrow = copied from another buffer
//     ALTREF   [0     ][8  ...     yellow underline = sign bias set
//
// Each lane is a series of bars: one bar per run of frames during which the
// buffer holds the same picture, labelled with the index of the frame that
// picture came from. The data is the worker's FrameSummary rows: `references`
// (which frame each buffer holds after the frame, computed by the decoder
// itself) for the bars, and `info` (the frame's header) for why they changed.
//
// It is plain SVG built as one string, in a box that scrolls horizontally.
// To stay quick for thousands of frames, the marks of one kind (all of LAST's
// refreshes, all hidden frames...) are one <path> each, every frame has just
// one bare element (its column, for hovering and clicking), and the hover
// text is written into a single tooltip for the frame under the pointer.
// Moving the cursor only moves one rectangle, without reading the layout, so
// the page can call setCurrent on every frame it shows.

import type { FrameSummary, ReferenceBuffers } from '../analyze.js';

/** A chunk of an ExCamera output: its first frame and how many frames it has. */
export interface TimelineChunk {
  readonly first: number;
  readonly frames: number;
}

export interface TimelineOptions {
  /** The selected frame: the cursor is drawn on it. */
  current: number;
  /** Called with a frame's index when the user clicks its column. */
  onPick(frame: number): void;
  /** Chunk boundaries to draw (ExCamera outputs), in frame indices. */
  chunks?: readonly TimelineChunk[];
  /** Pixels per frame; by default the stream fills the box's width, between MIN_FRAME_WIDTH and MAX_FRAME_WIDTH. */
  frameWidth?: number;
}

export interface ReferenceTimeline {
  /** Moves the cursor to `frame` (cheap: one attribute) and, unless `reveal` is false, scrolls it into view when it is out of sight. */
  setCurrent(frame: number, reveal?: boolean): void;
  /** The pixels per frame the timeline is drawn with. */
  readonly frameWidth: number;
}

type BufferKey = keyof ReferenceBuffers;

/** The three buffers, top lane first, in the colours the page uses for vectors by reference. */
const BUFFERS: readonly { readonly key: BufferKey; readonly name: string; readonly color: string }[] = [
  { key: 'last', name: 'LAST', color: '#ff5050' },
  { key: 'golden', name: 'GOLDEN', color: '#40d040' },
  { key: 'altref', name: 'ALTREF', color: '#4aa3ff' },
];
const NAME = Object.fromEntries(BUFFERS.map((b) => [b.key, b.name])) as Record<BufferKey, string>;
const COLOR = Object.fromEntries(BUFFERS.map((b) => [b.key, b.color])) as Record<BufferKey, string>;

/** Frame types in the top strip (the same as the page's bits chart). */
const TYPE_COLOR = { key: '#f28e2b', inter: '#6b8fc8', hidden: '#b07aa1', 'hidden-key': '#f28e2b', error: '#ff7b72', empty: '#555a63' };
const BIAS_COLOR = '#ffd24a';
const RFC = 'https://www.rfc-editor.org/rfc/rfc6386#section-';

/** Narrowest and widest column the automatic width gives: narrow enough for long streams, wide enough to click. */
export const MIN_FRAME_WIDTH = 4;
export const MAX_FRAME_WIDTH = 24;

// Vertical layout, in pixels. Each lane: a marker band (refresh / copy
// triangles), the bar, and a thin band underneath for the sign bias.
const LABEL_WIDTH = 62;
const RIGHT_MARGIN = 12;
const CHUNK_ROW = 14;
const AXIS_ROW = 14;
const STRIP_HEIGHT = 12;
const LANE_GAP = 6;
const LANE_HEIGHT = 30;
const MARK_TOP = 1;
const MARK_HEIGHT = 6;
const BAR_TOP = 8;
const BAR_HEIGHT = 14;
const BIAS_TOP = 24;
const BIAS_HEIGHT = 3;
/** About how wide a character of the 10px labels is, to decide whether a label fits. */
const CHAR_WIDTH = 6.2;

// ---- what a frame did to the buffers -------------------------------------------

/** How one buffer got its content in one frame. */
export type BufferChange = { readonly how: 'refresh' } | { readonly how: 'copy'; readonly from: BufferKey } | { readonly how: 'kept' };

/**
 * What frame `row` did to each buffer, from its header (sections 9.7-9.8).
 * An empty frame is skipped by decoders and a frame that could not be
 * decoded changed nothing, so both keep every buffer.
 */
export function bufferChanges(row: FrameSummary): Record<BufferKey, BufferChange> {
  const kept: BufferChange = { how: 'kept' };
  const i = row.info;
  if (i === null || row.error !== null) return { last: kept, golden: kept, altref: kept };
  const refresh: BufferChange = { how: 'refresh' };
  // A key frame refreshes all three (its header carries no flags for them).
  if (i.type === 'key') return { last: refresh, golden: refresh, altref: refresh };
  // The copy fields are only coded when the buffer is not refreshed, and the
  // value 3 ("reserved") copies nothing.
  const golden: BufferChange = i.refresh.golden ? refresh : i.copy.toGolden === 'last' || i.copy.toGolden === 'altref' ? { how: 'copy', from: i.copy.toGolden } : kept;
  const altref: BufferChange = i.refresh.altref ? refresh : i.copy.toAltref === 'last' || i.copy.toAltref === 'golden' ? { how: 'copy', from: i.copy.toAltref } : kept;
  return { last: i.refresh.last ? refresh : kept, golden, altref };
}

/** Whether a frame was decoded but not meant to be displayed (show_frame = 0; typically an alt-ref). */
function isHidden(row: FrameSummary): boolean {
  return row.info !== null && row.error === null && !row.info.showFrame;
}

/** The frame's mark in the type strip. A hidden key frame (rare, but vector 018 starts with one) keeps the key frame's colour, hatched. */
function frameKind(row: FrameSummary): keyof typeof TYPE_COLOR {
  if (row.error !== null) return 'error';
  if (row.info === null) return 'empty';
  if (isHidden(row)) return row.info.type === 'key' ? 'hidden-key' : 'hidden';
  return row.info.type;
}

/** Which buffers have the sign bias set in this frame's header (only inter frames code it). */
function signBiased(row: FrameSummary): BufferKey[] {
  const i = row.info;
  if (i === null || row.error !== null || i.type === 'key') return [];
  return (['golden', 'altref'] as const).filter((b) => i.signBias[b]);
}

const held = (frame: number): string => (frame < 0 ? 'nothing' : `frame ${frame}`);

/**
 * The hover text of a frame, in plain words, e.g.
 * "frame 12 (inter frame, 310 bytes): LAST ← frame 12 (refresh), GOLDEN holds frame 0, ALTREF ← frame 8 (copied from LAST), sign bias ALTREF".
 * "←" marks a buffer this frame wrote; "holds" one it left alone.
 */
export function describeFrame(row: FrameSummary): string {
  const what = row.error !== null
    ? `could not be decoded: ${row.error}; nothing changed`
    : row.info === null
      ? 'empty, skipped by decoders'
      : `${row.info.type} frame${isHidden(row) ? ', hidden' : ''}, ${row.bytes} bytes`;
  const changes = bufferChanges(row);
  const buffers = BUFFERS.map(({ key, name }) => {
    const c = changes[key];
    const frame = row.references[key];
    if (c.how === 'refresh') return `${name} ← ${held(frame)} (refresh)`;
    if (c.how === 'copy') return `${name} ← ${held(frame)} (copied from ${NAME[c.from]})`;
    return `${name} holds ${held(frame)}`;
  });
  const bias = signBiased(row).map((b) => NAME[b]);
  return `frame ${row.index} (${what}): ${buffers.join(', ')}${bias.length > 0 ? `, sign bias ${bias.join(' and ')}` : ''}`;
}

// ---- drawing ---------------------------------------------------------------------

/**
 * What the timeline remembers of a box between redraws (as more rows arrive,
 * or after a zoom): the zoom, the scroll position, the cursor, and the
 * latest drawing, which every handle returned for the box acts on.
 */
interface Remembered {
  zoom: number;
  scrollLeft: number;
  current: number;
  observer?: ResizeObserver;
  drawing?: { readonly frameWidth: number; setCurrent(frame: number, reveal: boolean): void };
}
const remembered = new WeakMap<HTMLElement, Remembered>();
/** Makes the ids of SVG patterns unique when a page has several timelines. */
let instances = 0;

/**
 * Draws the timeline of `rows` (frames in decoding order, row i being frame i)
 * into `container`, replacing what it held. Call it again when rows arrive
 * (it keeps the zoom and scroll position); call setCurrent on the result to
 * move the cursor.
 */
export function drawReferenceTimeline(container: HTMLElement, rows: readonly FrameSummary[], options: TimelineOptions): ReferenceTimeline {
  // On a redraw (more rows, or a zoom) the view stays where the user left it;
  // only the first drawing scrolls to the cursor.
  const redraw = remembered.get(container);
  const state: Remembered = redraw ?? { zoom: 1, scrollLeft: 0, current: options.current };
  remembered.set(container, state);
  const id = `rt${++instances}`;
  const n = rows.length;

  const hasChunks = (options.chunks?.length ?? 0) > 0;
  const geometry = layout(hasChunks);

  // First everything but the frames, to measure the room the frames have.
  const root = document.createElement('div');
  root.className = 'ref-timeline';
  root.dataset.frames = String(n);
  root.innerHTML = `<style>${STYLE}</style>`
    + `<div class="rt-bar"><strong>Reference buffers</strong> <span class="rt-dim">what LAST, GOLDEN and ALTREF hold after each frame — RFC 6386 <a href="${RFC}9.7" target="_blank" rel="noopener">section 9.7</a> (golden and alt-ref: refresh, copy, sign bias) and <a href="${RFC}9.8" target="_blank" rel="noopener">9.8</a> (last)</span>`
    + `<span class="rt-zoom"><button type="button" data-zoom="0.5" title="narrower columns">−</button><button type="button" data-zoom="2" title="wider columns">+</button></span></div>`
    + `<div class="rt-body">${labelColumn(geometry, hasChunks)}<div class="rt-scroll"></div></div>`
    + legend(id, hasChunks)
    + `<div class="rt-tip" role="tooltip" hidden></div>`;
  container.replaceChildren(root);
  const scroll = root.querySelector<HTMLElement>('.rt-scroll')!;
  const tip = root.querySelector<HTMLElement>('.rt-tip')!;

  // Width per frame: what fills the box (at zoom 1), in whole pixels so that
  // columns stay sharp, within the bounds; the zoom buttons multiply it.
  // Labels keep their size: the SVG is drawn at 1:1 (no viewBox scaling),
  // and a label is only drawn where it fits. A box not laid out (hidden) has
  // no width: 8 pixels then.
  let viewWidth = scroll.clientWidth;
  const fitted = n > 0 && viewWidth > RIGHT_MARGIN ? Math.floor((viewWidth - RIGHT_MARGIN) / n) : 8;
  const base = options.frameWidth ?? Math.min(MAX_FRAME_WIDTH, Math.max(MIN_FRAME_WIDTH, fitted));
  const widthAt = (zoom: number): number => Math.min(64, Math.max(2, Math.round(base * zoom)));
  const fw = widthAt(state.zoom);
  // A margin on the right for the last frame number, which is centred on its column.
  const width = n * fw + RIGHT_MARGIN;
  const { top, height } = geometry;

  scroll.innerHTML = `<svg class="rt-main" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`
    + defs(id)
    + (n === 0 ? `<text x="4" y="${geometry.laneY(1) + 16}" class="rt-dim-text">no frames yet</text>` : drawFrames(rows, fw, id, geometry, options.chunks ?? []))
    + `<rect class="rt-cursor" x="0" y="${top}" width="${Math.max(fw, 2)}" height="${height - top}" pointer-events="none"${n === 0 ? ' visibility="hidden"' : ''}/>`
    + `</svg>`;
  const svg = scroll.querySelector<SVGSVGElement>('svg.rt-main')!;
  const cursor = svg.querySelector<SVGRectElement>('.rt-cursor')!;

  // setCurrent must not read the layout (that would make the browser lay the
  // whole drawing out again on every call): the scroll position and the
  // visible width are kept up to date here instead.
  scroll.scrollLeft = state.scrollLeft;
  state.scrollLeft = scroll.scrollLeft;
  scroll.addEventListener('scroll', () => {
    state.scrollLeft = scroll.scrollLeft;
  });
  state.observer?.disconnect();
  state.observer = new ResizeObserver(() => {
    viewWidth = scroll.clientWidth;
  });
  state.observer.observe(scroll);

  // One listener for every column (event delegation), rather than thousands.
  const frameAt = (target: EventTarget | null): number | null => {
    const column = target instanceof Element ? target.closest('[data-timeline-frame]') : null;
    return column === null ? null : Number(column.getAttribute('data-timeline-frame'));
  };
  svg.addEventListener('click', (e) => {
    const frame = frameAt(e.target);
    if (frame !== null) options.onPick(frame);
  });
  // The hover text: one tooltip, filled in for the frame under the pointer
  // (rather than a <title> per column, thousands of strings nobody reads).
  // It is placed once per animation frame, as placing it reads the layout.
  let pointer: { x: number; y: number } | null = null;
  const place = (): void => {
    if (pointer === null) return;
    const box = root.getBoundingClientRect();
    const x = pointer.x - box.left;
    tip.style.left = `${Math.max(0, Math.min(x + 14, root.clientWidth - tip.offsetWidth - 2))}px`;
    tip.style.top = `${pointer.y - box.top + 18}px`;
    pointer = null;
  };
  svg.addEventListener('pointermove', (e) => {
    const frame = frameAt(e.target);
    if (frame === null) {
      tip.hidden = true;
      return;
    }
    if (tip.dataset.frame !== String(frame) || tip.hidden) {
      tip.textContent = describeFrame(rows[frame]!);
      tip.dataset.frame = String(frame);
      tip.hidden = false;
    }
    if (pointer === null) requestAnimationFrame(place);
    pointer = { x: e.clientX, y: e.clientY };
  });
  svg.addEventListener('pointerleave', () => {
    tip.hidden = true;
  });

  for (const button of root.querySelectorAll<HTMLButtonElement>('button[data-zoom]')) {
    button.addEventListener('click', () => {
      // Zoom about the middle of what is visible, then draw again.
      const zoom = state.zoom * Number(button.dataset.zoom);
      if (widthAt(zoom) === fw) return;
      const middle = (scroll.scrollLeft + scroll.clientWidth / 2) / fw;
      state.zoom = zoom;
      const again = drawReferenceTimeline(container, rows, { ...options, current: state.current });
      const s = container.querySelector<HTMLElement>('.rt-scroll')!;
      s.scrollLeft = Math.max(0, middle * again.frameWidth - s.clientWidth / 2);
    });
  }

  const drawing = {
    frameWidth: fw,
    setCurrent(frame: number, reveal: boolean): void {
      state.current = frame;
      root.dataset.current = String(frame);
      const x = frame * fw;
      cursor.setAttribute('x', String(x));
      cursor.setAttribute('visibility', frame >= 0 && frame < n ? 'visible' : 'hidden');
      // Scroll only when the cursor leaves the visible part, so the view does not jump on every step.
      if (reveal && (x < state.scrollLeft || x + fw > state.scrollLeft + viewWidth)) {
        scroll.scrollLeft = Math.max(0, x - viewWidth / 2);
        state.scrollLeft = scroll.scrollLeft;
      }
    },
  };
  state.drawing = drawing;
  drawing.setCurrent(options.current, redraw === undefined);
  // The zoom buttons draw the box again: the handle the page keeps acts on
  // whatever drawing the box holds now.
  return {
    get frameWidth() {
      return state.drawing!.frameWidth;
    },
    setCurrent(frame: number, reveal = true): void {
      state.drawing!.setCurrent(frame, reveal);
    },
  };
}

/** Empties `container` and forgets its zoom and scroll position: for another stream, which starts afresh. */
export function clearReferenceTimeline(container: HTMLElement): void {
  remembered.get(container)?.observer?.disconnect();
  remembered.delete(container);
  container.replaceChildren();
}

/** Where the rows are, top to bottom: chunk labels (when there are chunks), frame numbers, the type strip, the three lanes. */
interface Geometry {
  readonly top: number;
  readonly stripY: number;
  readonly height: number;
  laneY(lane: number): number;
}

function layout(hasChunks: boolean): Geometry {
  const top = hasChunks ? CHUNK_ROW : 0;
  const stripY = top + AXIS_ROW;
  const laneY = (lane: number): number => stripY + STRIP_HEIGHT + LANE_GAP + lane * LANE_HEIGHT;
  return { top, stripY, height: laneY(3) + 2, laneY };
}

/** Numbers for SVG attributes: at most two decimals. */
const num = (v: number): string => String(Math.round(v * 100) / 100);
/** A rectangle as a subpath, to merge many into one <path>. */
const box = (x: number, y: number, w: number, h: number): string => `M${num(x)} ${num(y)}h${num(w)}v${num(h)}h${num(-w)}z`;

/**
 * Marks of one kind (every refresh of LAST, every hidden frame...) are drawn
 * as one <path> with one subpath per frame, not one element each: a stream of
 * thousands of frames stays a few thousand elements, quick to build and lay
 * out. data-frames lists the frames a path marks.
 */
class Marks {
  private readonly frames: number[] = [];
  private d = '';
  constructor(private readonly attributes: string) {}
  add(frame: number, subpath: string): void {
    if (this.frames[this.frames.length - 1] !== frame) this.frames.push(frame);
    this.d += subpath;
  }
  toString(): string {
    return `<path ${this.attributes} data-frames="${this.frames.join(' ')}" d="${this.d}"/>`;
  }
}

/** The SVG of every frame: grid and bars underneath, then the marks, chunk lines, and one bare column per frame on top. */
function drawFrames(rows: readonly FrameSummary[], fw: number, id: string, g: Geometry, chunks: readonly TimelineChunk[]): string {
  const n = rows.length;
  const { top, stripY, height, laneY } = g;
  const out: string[] = [];

  // Lane backgrounds, then faint grid lines at the numbered frames.
  for (let lane = 0; lane < 3; lane++) out.push(`<rect class="rt-lane" x="0" y="${laneY(lane)}" width="${n * fw}" height="${LANE_HEIGHT - 2}"/>`);
  const step = tickStep(fw);
  let grid = '';
  for (let i = 0; i < n; i += step) {
    const x = num(i * fw + fw / 2);
    grid += `M${x} ${stripY - 3}V${height}`;
    out.push(`<text class="rt-axis" x="${x}" y="${stripY - 4}" text-anchor="middle">${i}</text>`);
  }
  out.push(`<path class="rt-grid" d="${grid}"/>`);

  // The bars: for each buffer, runs of consecutive frames after which it
  // holds the same picture. Neighbouring runs alternate in opacity so that a
  // run of one frame is still told apart from the next.
  for (const [lane, { key, color }] of BUFFERS.entries()) {
    const y = laneY(lane) + BAR_TOP;
    const bars = ['', ''];
    let none = '';
    const labels: string[] = [];
    let start = 0;
    let parity = 0;
    for (let i = 1; i <= n; i++) {
      if (i < n && rows[i]!.references[key] === rows[start]!.references[key]) continue;
      const frame = rows[start]!.references[key];
      const x = start * fw;
      const w = (i - start) * fw;
      if (frame < 0) none += box(x + 0.5, y + 0.5, Math.max(w - 1, 0.5), BAR_HEIGHT - 1);
      else bars[parity] += box(x + 0.5, y, Math.max(w - 1, 0.5), BAR_HEIGHT);
      // The label: the held frame's index, when it fits in the bar.
      const label = frame < 0 ? 'none' : String(frame);
      if (w >= label.length * CHAR_WIDTH + 4) labels.push(`<text class="rt-run" x="${num(x + 3)}" y="${y + 11}">${label}</text>`);
      parity ^= 1;
      start = i;
    }
    out.push(`<path class="rt-bars" data-buffer="${key}" fill="${color}" fill-opacity="0.5" d="${bars[0]}"/>`);
    out.push(`<path class="rt-bars" data-buffer="${key}" fill="${color}" fill-opacity="0.32" d="${bars[1]}"/>`);
    out.push(`<path class="rt-none" d="${none}"/>`, ...labels);
  }

  // The frame-type strip (hidden frames hatched, so they stand out from both
  // key and inter frames), and the marks of what each frame did.
  const types = Object.fromEntries((Object.keys(TYPE_COLOR) as (keyof typeof TYPE_COLOR)[]).map((k) => [k, new Marks(`class="rt-type" data-kind="${k}" fill="${k.startsWith('hidden') ? `url(#${id}-${k})` : TYPE_COLOR[k]}"`)])) as Record<keyof typeof TYPE_COLOR, Marks>;
  // An undecodable frame: a cross in the strip and a red wash over the lanes.
  const crosses = new Marks('class="rt-cross" stroke="#fff" stroke-width="1.5" fill="none"');
  const washes = new Marks(`class="rt-wash" fill="${TYPE_COLOR.error}" fill-opacity="0.3"`);
  // Refreshed: a filled triangle in the lane's colour at the top of the lane.
  const refreshes = BUFFERS.map(({ key, color }) => new Marks(`class="rt-refresh" data-buffer="${key}" fill="${color}"`));
  // Copied: a hollow triangle in the source's colour, and an arrow from the source's lane.
  const copies = BUFFERS.map(({ key }) => BUFFERS.filter((b) => b.key !== key).map((from) => new Marks(`class="rt-copy" data-buffer="${key}" data-from="${from.key}" fill="none" stroke="${from.color}" stroke-width="1.2"`)));
  const arrows = BUFFERS.map(({ key, color }) => ({ lines: new Marks(`class="rt-arrow" data-from="${key}" stroke="${color}" stroke-width="1.5" fill="none"`), heads: new Marks(`class="rt-arrowhead" data-from="${key}" fill="${color}"`) }));
  // Sign bias: a yellow underline in the lane of each buffer that has it.
  const biases = BUFFERS.map(({ key }) => new Marks(`class="rt-bias" data-buffer="${key}" fill="${BIAS_COLOR}"`));

  const half = Math.max(1.5, Math.min(4, fw / 2 - 0.5));
  for (const row of rows) {
    const i = row.index;
    const x = i * fw;
    const cx = x + fw / 2;
    const kind = frameKind(row);
    types[kind].add(i, fw >= 4 ? box(x + 0.5, stripY, fw - 1, STRIP_HEIGHT) : box(x, stripY, fw, STRIP_HEIGHT));
    if (kind === 'error') {
      washes.add(i, box(x, laneY(0), fw, 3 * LANE_HEIGHT));
      if (fw >= 6) crosses.add(i, `M${num(x + 1.5)} ${stripY + 2}L${num(x + fw - 1.5)} ${stripY + STRIP_HEIGHT - 2}M${num(x + fw - 1.5)} ${stripY + 2}L${num(x + 1.5)} ${stripY + STRIP_HEIGHT - 2}`);
    }
    const changes = bufferChanges(row);
    for (const [lane, { key }] of BUFFERS.entries()) {
      const y = laneY(lane);
      const c = changes[key];
      const triangle = `M${num(cx - half)} ${y + MARK_TOP}h${num(2 * half)}l${num(-half)} ${MARK_HEIGHT}z`;
      if (c.how === 'refresh') refreshes[lane]!.add(i, triangle);
      if (c.how !== 'copy') continue;
      const from = BUFFERS.findIndex((b) => b.key === c.from);
      copies[lane]![from < lane ? from : from - 1]!.add(i, triangle);
      // The arrow runs from the middle of the source's bar to the edge of this one.
      const y1 = laneY(from) + BAR_TOP + BAR_HEIGHT / 2;
      const down = from < lane;
      const tip = down ? y + BAR_TOP - 1 : y + BAR_TOP + BAR_HEIGHT + 1;
      const back = down ? -5 : 5;
      arrows[from]!.lines.add(i, `M${num(cx)} ${y1}V${tip + back}`);
      arrows[from]!.heads.add(i, `M${num(cx - 3)} ${tip + back}h6L${num(cx)} ${tip}z`);
    }
    for (const b of signBiased(row)) {
      const lane = BUFFERS.findIndex((x) => x.key === b);
      biases[lane]!.add(i, box(x, laneY(lane) + BIAS_TOP, fw, BIAS_HEIGHT));
    }
  }
  out.push(...Object.values(types).map(String), String(washes), String(crosses), ...refreshes.map(String), ...copies.flat().map(String));
  for (const a of arrows) out.push(String(a.lines), String(a.heads));
  out.push(...biases.map(String));

  // Chunk boundaries: a dashed line at each chunk's first frame, labelled where there is room.
  for (const [k, c] of chunks.entries()) {
    const x = c.first * fw;
    const w = c.frames * fw;
    const label = w >= 50 ? `chunk ${k}` : w >= String(k).length * CHAR_WIDTH + 4 ? String(k) : '';
    out.push(`<g class="rt-chunk" data-chunk="${k}"><title>chunk ${k}: frames ${c.first} to ${c.first + c.frames - 1}</title>`
      + `<rect x="${x}" y="0" width="${w}" height="${top}" fill-opacity="0"/>`
      + `<line x1="${x + 0.5}" x2="${x + 0.5}" y1="0" y2="${height}" pointer-events="none"/>`
      + (label === '' ? '' : `<text x="${x + 3}" y="${top - 3}">${label}</text>`)
      + `</g>`);
  }

  // On top, one transparent column per frame, below the chunk labels: what
  // the pointer hovers and clicks. Bare (no children) so that there are as
  // few elements as frames.
  for (let i = 0; i < n; i++) out.push(`<rect class="rt-col" data-timeline-frame="${i}" x="${i * fw}" y="${top}" width="${fw}" height="${height - top}"/>`);
  return out.join('');
}

/** Frame numbers every 1, 2, 5, 10, 20, 50… frames: the smallest step that leaves room for a number. */
function tickStep(fw: number): number {
  for (let step = 1; ; step *= 10) {
    for (const m of [1, 2, 5]) if (step * m * fw >= 34) return step * m;
  }
}

/** The hatches of hidden frames: inter frames in purple (as in the page's bits chart), key frames in the key frames' orange. */
function defs(id: string): string {
  const hatch = (name: string, color: string): string => `<pattern id="${id}-${name}" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="4" height="4" fill="${color}"/><rect width="1.6" height="4" fill="#f3d9ec"/></pattern>`;
  return `<defs>${hatch('hidden', TYPE_COLOR.hidden)}${hatch('hidden-key', TYPE_COLOR.key)}</defs>`;
}

/** The names of the rows, in a column that does not scroll with the frames. */
function labelColumn(g: Geometry, hasChunks: boolean): string {
  const rows = [
    ...(hasChunks ? [`<text x="4" y="${g.top - 3}" class="rt-dim-text">chunks</text>`] : []),
    `<text x="4" y="${g.stripY - 4}" class="rt-dim-text">frame</text>`,
    `<text x="4" y="${g.stripY + 10}" class="rt-dim-text">type</text>`,
    ...BUFFERS.map(({ name, color }, lane) => `<text x="4" y="${g.laneY(lane) + BAR_TOP + 11}" style="fill: ${color}; font-weight: 600">${name}</text>`),
  ];
  return `<svg class="rt-labels" width="${LABEL_WIDTH}" height="${g.height}" xmlns="http://www.w3.org/2000/svg">${rows.join('')}</svg>`;
}

/** A short legend: each mark drawn as in the timeline, and what it means. */
function legend(id: string, hasChunks: boolean): string {
  const icon = (inner: string): string => `<svg width="16" height="12" viewBox="0 0 16 12">${inner}</svg>`;
  const items = [
    [icon(`<rect x="0" y="2" width="7" height="8" fill="${COLOR.last}" fill-opacity="0.5"/><rect x="8" y="2" width="8" height="8" fill="${COLOR.last}" fill-opacity="0.32"/>`), 'bar: the frame a buffer holds (its index as label)'],
    [icon(`<polygon points="4,1 12,1 8,8" fill="${COLOR.golden}"/>`), 'refreshed: the frame wrote itself into the buffer'],
    [icon(`<polygon points="9,1 15,1 12,6" fill="none" stroke="${COLOR.last}" stroke-width="1.2"/><line x1="4" x2="4" y1="0" y2="8" stroke="${COLOR.last}" stroke-width="1.5"/><path d="M1,7L7,7L4,12z" fill="${COLOR.last}"/>`), 'copied from another buffer (in the source\'s colour)'],
    [icon(`<rect x="3" y="1" width="10" height="10" fill="${TYPE_COLOR.key}"/>`), 'key frame: all three refreshed'],
    [icon(`<rect x="3" y="1" width="10" height="10" fill="${TYPE_COLOR.inter}"/>`), 'inter frame'],
    [icon(`<rect x="3" y="1" width="10" height="10" fill="url(#${id}-hidden)"/>`), 'hidden: decoded, never shown (an alt-ref, typically; hatched orange for a key frame)'],
    [icon(`<rect x="3" y="1" width="10" height="10" fill="${TYPE_COLOR.error}"/><path d="M5,3L11,9M11,3L5,9" stroke="#fff" stroke-width="1.5"/>`), 'could not be decoded'],
    [icon(`<rect x="0" y="8" width="16" height="3" fill="${BIAS_COLOR}"/>`), 'sign bias set: the buffer counts as the other side in time, so neighbours\' vectors from a buffer without it are negated'],
    ...(hasChunks ? [[icon('<line x1="8" x2="8" y1="0" y2="12" stroke="#c8ccd4" stroke-dasharray="2 2"/>'), 'chunk boundary (ExCamera)']] : []),
  ];
  return `<div class="rt-legend">${items.map(([i, t]) => `<span>${i}${escapeXml(t!)}</span>`).join('')}</div>`;
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

// Scoped to .ref-timeline; colours follow the page's variables, with the page's values as fallbacks.
const STYLE = `
.ref-timeline { position: relative; color: var(--text, #e4e6ea); font: 12px/1.4 system-ui, sans-serif; }
.ref-timeline .rt-bar { display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; margin-bottom: 4px; }
.ref-timeline .rt-dim, .ref-timeline .rt-legend { color: var(--dim, #9aa0aa); font-size: 11px; }
.ref-timeline a { color: #79b8ff; }
.ref-timeline .rt-zoom { margin-left: auto; display: flex; gap: 4px; }
.ref-timeline .rt-zoom button { background: var(--panel, #1f2228); color: inherit; border: 1px solid var(--line, #343841); border-radius: 4px; padding: 0 8px; cursor: pointer; }
.ref-timeline .rt-body { display: flex; align-items: flex-start; }
.ref-timeline .rt-labels { flex: none; }
.ref-timeline .rt-scroll { overflow-x: auto; overflow-y: hidden; flex: 1; min-width: 0; }
.ref-timeline svg text { font: 10px system-ui, sans-serif; fill: currentColor; }
.ref-timeline svg text.rt-dim-text, .ref-timeline svg text.rt-axis { fill: var(--dim, #9aa0aa); }
.ref-timeline .rt-labels text { font-size: 11px; }
.ref-timeline .rt-main { display: block; cursor: pointer; }
.ref-timeline .rt-lane { fill: #ffffff; fill-opacity: 0.035; }
.ref-timeline .rt-grid { stroke: #ffffff; stroke-opacity: 0.08; fill: none; }
.ref-timeline .rt-none { fill: none; stroke: var(--dim, #9aa0aa); stroke-dasharray: 2 2; }
.ref-timeline text.rt-run { fill: #ffffff; pointer-events: none; }
.ref-timeline .rt-col { fill: #ffffff; fill-opacity: 0; }
.ref-timeline .rt-col:hover { fill-opacity: 0.1; }
.ref-timeline .rt-cursor { fill: var(--accent, #ffd24a); fill-opacity: 0.22; stroke: var(--accent, #ffd24a); stroke-width: 1; }
.ref-timeline .rt-chunk line { stroke: #c8ccd4; stroke-dasharray: 3 3; }
.ref-timeline .rt-chunk text { fill: #c8ccd4; }
.ref-timeline .rt-legend { display: flex; flex-wrap: wrap; gap: 2px 12px; margin-top: 4px; }
.ref-timeline .rt-legend span { display: inline-flex; gap: 4px; align-items: center; }
.ref-timeline .rt-tip { position: absolute; z-index: 10; max-width: 460px; padding: 4px 8px; border: 1px solid var(--line, #343841); border-radius: 4px; background: #0d0f12ee; color: var(--text, #e4e6ea); font-size: 12px; pointer-events: none; }
`;
