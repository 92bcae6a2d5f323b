// The inspector page's step view of one macroblock: what macroblockSteps
// (../reconstruct.ts) records, drawn as grids of numbers with shading, one
// step after the other as RFC 6386 orders them: prediction (sections 12,
// 18), coefficients and their dequantization (14.1), the Y2 block's inverse
// WHT (14.3), the residual of each block's inverse DCT (14.4), prediction +
// residual clamped (14.5), and the loop filter (15). Each step's heading
// links to its section of the RFC.
//
// Samples are shaded by value (black 0, white 255); signed values (the
// residual, coefficients) on a scale centred on 0, blue below and red above.
// Samples outside the visible picture (the right and bottom macroblocks of
// an odd-sized picture) are dimmed: they are decoded, but never shown.

import type { BlockStep, Grid, MacroblockPlanes, MacroblockSteps } from '../reconstruct.js';
import { B_MODE_NAMES, MB_MODE_NAMES } from '../../vp8/tables.js';
import { describeWhatIf } from './whatif-view.js';

const RFC = 'https://www.rfc-editor.org/rfc/rfc6386#section-';
const SUBBLOCK_MODE_NAMES = B_MODE_NAMES.map((n) => n.replace('_PRED', ''));
const REF_NAMES = ['intra', 'LAST', 'GOLDEN', 'ALTREF'];

/** The view's own styles, scoped by the `steps-` class prefix, added once per container. */
const STYLE = `
.steps-view { font-size: 12px; }
.steps-view h3 { margin: 12px 0 4px; }
.steps-view p { margin: 2px 0 6px; }
.steps-row { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
.steps-row > div { min-width: 0; max-width: 100%; }
.steps-scroll { overflow-x: auto; max-width: 100%; }
.steps-caption { color: var(--dim, #888); font-size: 11px; margin-bottom: 2px; white-space: pre-wrap; }
table.steps-grid { border-collapse: collapse; font: 9px/1.15 ui-monospace, monospace; font-variant-numeric: tabular-nums; }
table.steps-grid td { min-width: 17px; height: 14px; padding: 0 1px; text-align: right; border: 1px solid rgba(128, 128, 128, 0.25); }
table.steps-grid td.steps-edge { outline: 1px solid var(--accent, #ffd24a); outline-offset: -1px; }
table.steps-grid td.steps-hidden { opacity: 0.35; }
table.steps-grid td.steps-changed { outline: 2px solid var(--accent, #ffd24a); outline-offset: -2px; }
table.steps-grid tr:nth-child(4n + 1):not(:first-child) td, table.steps-grid.steps-edged tr:nth-child(4n + 2):not(:nth-child(2)) td { border-top: 1px solid rgba(200, 200, 200, 0.6); }
table.steps-grid td.steps-col4 { border-left: 1px solid rgba(200, 200, 200, 0.6); }
.steps-blocks { display: grid; grid-template-columns: repeat(auto-fill, minmax(105px, 1fr)); gap: 6px; }
.steps-block { border: 1px solid var(--line, #555); border-radius: 4px; padding: 3px; }
.steps-block.steps-dropped { border-style: dashed; opacity: 0.7; }
`;

/**
 * Draws the steps of one macroblock into `container`, replacing what it
 * held. `title`, when given, heads the view (e.g. which frame it is).
 */
export function renderMacroblockSteps(container: HTMLElement, s: MacroblockSteps, title?: string): void {
  const root = el('div', 'steps-view');
  const style = document.createElement('style');
  style.textContent = STYLE;
  root.append(style);
  root.append(el('h2', '', title ?? `Macroblock ${s.mbRow},${s.mbCol}: its reconstruction step by step`));
  root.append(el('p', 'steps-caption', summary(s)));
  root.append(...predictionStep(s), ...coefficientStep(s), ...y2Step(s), ...residualStep(s), ...reconstructionStep(s), ...loopFilterStep(s));
  container.replaceChildren(root);
}

function summary(s: MacroblockSteps): string {
  const parts = [
    `macroblock ${s.mb} at row ${s.mbRow}, column ${s.mbCol} (luma samples ${s.x}-${s.x + 15} × ${s.y}-${s.y + 15})`,
    `${s.keyFrame ? 'key' : 'inter'} frame, ${REF_NAMES[s.inter?.refFrame ?? 0]}, ${modeName(s.yMode)}${s.yMode !== s.codedYMode ? ` (forced; coded ${modeName(s.codedYMode)})` : ''}`,
    `segment ${s.segmentId}, factors Y ${s.quant.y1Dc}/${s.quant.y1Ac}, Y2 ${s.quant.y2Dc}/${s.quant.y2Ac}, UV ${s.quant.uvDc}/${s.quant.uvAc}${s.skipCoeff ? ', no coefficients coded (mb_skip_coeff)' : ''}`,
  ];
  if (s.visible.width < 16 || s.visible.height < 16) parts.push(`only ${s.visible.width}×${s.visible.height} of its luma samples are inside the picture (the rest are dimmed)`);
  const changes = describeWhatIf(s.whatIf, (mb) => (mb === s.mb ? 'this macroblock' : `macroblock ${mb}`));
  if (changes !== '') parts.push(`what-if: ${changes}`);
  return parts.join('\n');
}

// ---- the steps ----------------------------------------------------------------

function predictionStep(s: MacroblockSteps): HTMLElement[] {
  const intra = s.intraEdges !== null;
  const section = !intra ? '18' : s.subblockModes !== null ? '12.3' : '12.2';
  const out = [heading('Prediction', section)];
  if (intra) {
    out.push(el('p', '', s.subblockModes !== null
      ? 'B_PRED: each 4x4 subblock is predicted in turn from its reconstructed neighbours (so the residual of the ones before it counts), with its own mode. The outlined row and column are the edges from the macroblocks above and to the left; 127 above and 129 to the left stand for samples outside the frame.'
      : `${modeName(s.yMode)} from the edges (outlined): the row above with the corner P, and the column to the left. Chroma: ${modeName(s.uvMode)}.`));
    if (s.subblockModes !== null) {
      const modes = Array.from(s.subblockModes, (m) => SUBBLOCK_MODE_NAMES[m] ?? String(m));
      out.push(labelTable(modes, 4));
    }
  } else {
    const i = s.inter!;
    const mv = (row: number, col: number, unit: number): string => `(${row}, ${col}) = (${fmt(row / unit)}, ${fmt(col / unit)}) samples`;
    out.push(el('p', '', i.subblockMvs === null
      ? `Copied from ${REF_NAMES[i.refFrame]} displaced by ${mv(i.mv[0]!, i.mv[1]!, 4)} in quarter luma samples, interpolated (section 18.3) where the vector has a fraction.`
      : `SPLITMV: each subblock copied from ${REF_NAMES[i.refFrame]} with its own vector (quarter samples, row, column):`));
    if (i.subblockMvs !== null) out.push(labelTable(Array.from({ length: 16 }, (_, b) => `${i.subblockMvs![2 * b]},${i.subblockMvs![2 * b + 1]}`), 4));
    out.push(el('p', 'steps-caption', `chroma vectors (eighths of a chroma sample): ${Array.from({ length: 4 }, (_, k) => `(${i.chromaMvs[2 * k]}, ${i.chromaMvs[2 * k + 1]})`).join(' ')}`));
  }
  const e = s.intraEdges;
  out.push(macroblockPlanes('prediction', s, s.prediction, (g, p, w, h) => sampleGrid(g, w, h, e?.[p])));
  return out;
}

function coefficientStep(s: MacroblockSteps): HTMLElement[] {
  const out = [heading('Coefficients: level as coded × factor = dequantized', '14.1')];
  if (s.blocks.every((b) => b.eob === 0)) {
    out.push(el('p', '', s.skipCoeff ? 'None: the macroblock codes no coefficients.' : 'All blocks are empty (or dropped by the what-if).'));
    return out;
  }
  out.push(el('p', '', `Each cell: the level as coded, and below it the level times the block's factor (DC/AC), kept in 16 bits as decoders do.${s.hasY2 ? ' The luma blocks code no DC: it comes from the Y2 block.' : ''}`));
  const wrap = el('div', 'steps-blocks');
  for (const b of s.blocks) {
    if (!b.present || (b.eob === 0 && !b.dropped)) continue;
    wrap.append(blockBox(b, `${blockName(b)}  eob ${b.eob}  ×${b.factors.dc}/${b.factors.ac}${b.dropped ? '  dropped' : ''}`, b.levels, b.dequantized));
  }
  out.push(wrap);
  const empty = s.blocks.filter((b) => b.present && b.eob === 0 && !b.dropped).map(blockName);
  if (empty.length > 0) out.push(el('p', 'steps-caption', `no coefficients: ${empty.join(' ')}`));
  return out;
}

function y2Step(s: MacroblockSteps): HTMLElement[] {
  if (s.y2 === null) return [];
  const out = [heading('Y2: inverse Walsh-Hadamard transform → the 16 luma DCs', '14.3')];
  out.push(el('p', '', `The dequantized Y2 block (left) is transformed into one value per luma block (right, laid out as the blocks are), which becomes that block's DC coefficient.${s.y2.dcOnly ? ' Only its first coefficient is coded: every output is (DC + 3) >> 3.' : ''}`));
  const row = el('div', 'steps-row');
  row.append(captioned('dequantized Y2', signedGrid({ width: 4, height: 4, values: s.y2.input })));
  row.append(captioned('→ DC of luma block 0-15', signedGrid({ width: 4, height: 4, values: s.y2.output })));
  out.push(row);
  return out;
}

function residualStep(s: MacroblockSteps): HTMLElement[] {
  const out = [heading('Residual: inverse DCT of each block', '14.4')];
  out.push(el('p', '', 'The signed difference each 4x4 block adds to its prediction, before clamping: blue below 0, red above. Thick lines separate the blocks.'));
  if (s.blocks.every((b) => b.residual === null || b.residual.every((v) => v === 0))) out.push(el('p', 'steps-caption', 'All zero: the macroblock is its prediction.'));
  out.push(macroblockPlanes('residual', s, s.residual, (g, _p, w, h) => signedGrid(g, w, h)));
  return out;
}

function reconstructionStep(s: MacroblockSteps): HTMLElement[] {
  const out = [heading('Reconstruction: prediction + residual, clamped to 0..255', '14.5')];
  out.push(el('p', '', 'What later macroblocks of this frame predict from (intra prediction reads samples before the loop filter).'));
  out.push(macroblockPlanes('before-loop-filter', s, s.beforeLoopFilter, (g, _p, w, h) => sampleGrid(g, w, h)));
  return out;
}

function loopFilterStep(s: MacroblockSteps): HTMLElement[] {
  const lf = s.loopFilter;
  const out = [heading('Loop filter', '15')];
  let text: string;
  if (lf.frameLevel === 0) text = 'The frame\'s loop_filter_level is 0: no macroblock is filtered.';
  else if (lf.level === 0) text = `The ${lf.type} filter at frame level ${lf.frameLevel} gives this macroblock level 0 (segment and delta adjustments, section 9.6): it is not filtered.`;
  else {
    const p = lf.params!;
    text = `${lf.type === 'simple' ? 'Simple' : 'Normal'} filter, level ${lf.level} (frame level ${lf.frameLevel}, sharpness ${lf.sharpness}): edge limits ${p.mbEdge} for macroblock edges and ${p.subEdge} for subblock edges, interior limit ${p.interior}, high edge variance threshold ${p.hevThreshold} (section 15.4). ${lf.innerEdges ? 'Its inner subblock edges are filtered too.' : 'Its inner edges are skipped: no coefficients and a mode with a Y2 block (section 15.1).'}${lf.type === 'simple' ? ' The simple filter leaves chroma alone.' : ''}`;
    if (!lf.applied) text += ' The what-if turns the filter off.';
  }
  out.push(el('p', '', text));
  out.push(el('p', 'steps-caption', 'The final samples; outlined where the filter changed them (the filters of the macroblocks to the right and below reach 3 samples into this one).'));
  out.push(macroblockPlanes('after-loop-filter', s, s.afterLoopFilter, (g, p, w, h) => sampleGrid(g, w, h, undefined, s.beforeLoopFilter[p])));
  return out;
}

// ---- grids ----------------------------------------------------------------------

/**
 * A grid of samples 0..255, shaded grey by value. With `edges`, the intra
 * edges framing it: P in the corner, the row above (A) and the left column
 * (L). With `before`, samples that differ from it are outlined.
 */
function sampleGrid(
  g: Grid<Uint8Array>, visibleWidth: number, visibleHeight: number,
  edges?: { readonly above: Uint8Array; readonly left: Uint8Array }, before?: Grid<Uint8Array>,
): HTMLElement {
  const t = document.createElement('table');
  t.className = 'steps-grid';
  if (edges !== undefined) {
    t.classList.add('steps-edged');
    const tr = document.createElement('tr');
    // P, A[0..n-1], and for luma the 4 above-right samples B_PRED uses.
    for (let i = 0; i < (g.width === 16 ? g.width + 5 : g.width + 1); i++) {
      const td = sampleCell(edges.above[i]!);
      td.classList.add('steps-edge');
      td.title = i === 0 ? `P = ${edges.above[0]}` : i <= g.width ? `A[${i - 1}] = ${edges.above[i]}` : `above-right ${i - g.width - 1} = ${edges.above[i]}`;
      tr.append(td);
    }
    t.append(tr);
  }
  for (let r = 0; r < g.height; r++) {
    const tr = document.createElement('tr');
    if (edges !== undefined) {
      const td = sampleCell(edges.left[r]!);
      td.classList.add('steps-edge');
      td.title = `L[${r}] = ${edges.left[r]}`;
      tr.append(td);
    }
    for (let c = 0; c < g.width; c++) {
      const v = g.values[r * g.width + c]!;
      const td = sampleCell(v);
      if (c > 0 && c % 4 === 0) td.classList.add('steps-col4');
      if (c >= visibleWidth || r >= visibleHeight) td.classList.add('steps-hidden');
      if (before !== undefined) {
        const was = before.values[r * g.width + c]!;
        if (was !== v) {
          td.classList.add('steps-changed');
          td.title = `${was} → ${v}`;
        }
      }
      tr.append(td);
    }
    t.append(tr);
  }
  return scroll(t);
}

function sampleCell(v: number): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = String(v);
  td.style.background = `rgb(${v}, ${v}, ${v})`;
  td.style.color = v < 128 ? '#fff' : '#000';
  return td;
}

/** A grid of signed values, shaded on a scale centred on 0 and reaching full colour at the grid's largest magnitude. */
function signedGrid(g: Grid<Int16Array>, visibleWidth = g.width, visibleHeight = g.height): HTMLElement {
  let max = 1;
  for (const v of g.values) max = Math.max(max, Math.abs(v));
  const t = document.createElement('table');
  t.className = 'steps-grid';
  for (let r = 0; r < g.height; r++) {
    const tr = document.createElement('tr');
    for (let c = 0; c < g.width; c++) {
      const td = signedCell(g.values[r * g.width + c]!, max);
      if (c > 0 && c % 4 === 0) td.classList.add('steps-col4');
      if (c >= visibleWidth || r >= visibleHeight) td.classList.add('steps-hidden');
      tr.append(td);
    }
    t.append(tr);
  }
  return scroll(t);
}

function signedCell(v: number, max: number): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = String(v);
  // Square root: small values stay visible next to large ones.
  const a = Math.sqrt(Math.min(1, Math.abs(v) / max));
  td.style.background = v === 0 ? 'transparent' : v > 0 ? `rgba(220, 60, 50, ${a.toFixed(3)})` : `rgba(50, 110, 230, ${a.toFixed(3)})`;
  return td;
}

/** One block's levels with their dequantized values under them. */
function blockBox(b: BlockStep, caption: string, levels: Int16Array, dequantized: Int16Array): HTMLElement {
  const box = el('div', b.dropped ? 'steps-block steps-dropped' : 'steps-block');
  box.dataset.block = String(b.block);
  box.append(el('div', 'steps-caption', caption));
  let max = 1;
  for (const v of dequantized) max = Math.max(max, Math.abs(v));
  const t = document.createElement('table');
  t.className = 'steps-grid';
  for (let r = 0; r < 4; r++) {
    const tr = document.createElement('tr');
    for (let c = 0; c < 4; c++) {
      const k = 4 * r + c;
      const td = signedCell(dequantized[k]!, max);
      td.textContent = '';
      td.title = `level ${levels[k]} × ${k === 0 ? b.factors.dc : b.factors.ac} = ${dequantized[k]}`;
      td.append(el('div', '', String(levels[k])), el('div', 'steps-caption', String(dequantized[k])));
      tr.append(td);
    }
    t.append(tr);
  }
  box.append(t);
  return box;
}

function labelTable(cells: readonly string[], columns: number): HTMLElement {
  const t = document.createElement('table');
  t.className = 'steps-grid';
  for (let r = 0; r < cells.length / columns; r++) {
    const tr = document.createElement('tr');
    for (let c = 0; c < columns; c++) {
      const td = document.createElement('td');
      td.style.width = 'auto';
      td.style.padding = '1px 4px';
      td.textContent = cells[r * columns + c] ?? '';
      tr.append(td);
    }
    t.append(tr);
  }
  return t;
}

// ---- small helpers ------------------------------------------------------------

/** One step's planes side by side; `data-step` and `data-plane` name them for tests and scripts. */
function planes(step: string, items: ReadonlyArray<readonly [string, HTMLElement]>): HTMLElement {
  const row = el('div', 'steps-row');
  row.dataset.step = step;
  for (const [name, grid] of items) {
    const box = captioned(name, grid);
    box.dataset.plane = name;
    row.append(box);
  }
  return row;
}

/** A step's Y, U and V grids side by side, each drawn by `grid` with the part of it inside the picture. */
function macroblockPlanes<T extends Uint8Array | Int16Array>(
  step: string, s: MacroblockSteps, p: MacroblockPlanes<T>,
  grid: (g: Grid<T>, plane: 'y' | 'u' | 'v', visibleWidth: number, visibleHeight: number) => HTMLElement,
): HTMLElement {
  const v = s.visible;
  return planes(step, [
    ['Y', grid(p.y, 'y', v.width, v.height)],
    ['U', grid(p.u, 'u', v.chromaWidth, v.chromaHeight)],
    ['V', grid(p.v, 'v', v.chromaWidth, v.chromaHeight)],
  ]);
}

function captioned(caption: string, content: HTMLElement): HTMLElement {
  const box = el('div');
  box.append(el('div', 'steps-caption', caption), content);
  return box;
}

function scroll(content: HTMLElement): HTMLElement {
  const s = el('div', 'steps-scroll');
  s.append(content);
  return s;
}

function heading(text: string, section: string): HTMLElement {
  const h = el('h3');
  const a = document.createElement('a');
  a.href = RFC + section;
  a.target = '_blank';
  a.rel = 'noreferrer';
  a.textContent = `§${section}`;
  h.append(`${text} `, a);
  return h;
}

function el(tag: string, className = '', text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (className !== '') e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function blockName(b: BlockStep): string {
  return b.plane === 'Y2' ? 'Y2' : `${b.plane}[${b.plane === 'Y' ? b.block : b.plane === 'U' ? b.block - 16 : b.block - 20}]`;
}

function modeName(m: number): string {
  return MB_MODE_NAMES[m] ?? `mode ${m}`;
}

const fmt = (v: number): string => v.toFixed(2).replace(/\.?0+$/, '');
