// The inspector page's view of one macroblock's decode trace (trace.ts): the
// bools of its header and of its tokens, element by element, each with the
// probability it was read with and what it cost; and for an inter macroblock
// how its vector was predicted from its neighbours (RFC 6386 section 16.3).

import { MB_MODE_NAMES, REF_FRAME_NAMES } from '../../vp8/tables.js';
import { blockName } from '../../vp8/tokens.js';
import type { MacroblockTrace, TracedBool, TracedElement, VectorPrediction } from '../trace.js';

const RFC = 'https://www.rfc-editor.org/rfc/rfc6386#section-';

function el(tag: string, content = '', className?: string): HTMLElement {
  const e = document.createElement(tag);
  e.textContent = content;
  if (className !== undefined) e.className = className;
  return e;
}

function sectionLink(section: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = RFC + section;
  a.target = '_blank';
  a.rel = 'noreferrer';
  a.textContent = `§${section}`;
  return a;
}

const sum = (bools: readonly TracedBool[], f: (b: TracedBool) => number): number => bools.reduce((n, b) => n + f(b), 0);

/** One bool as "bit" over its probability of a 0; the title says the rest. */
function boolChip(b: TracedBool): HTMLElement {
  const chip = el('span', String(b.bit), `bool b${b.bit}`);
  chip.title = `read ${b.bit} with P(0) = ${b.prob}/256: ${b.cost.toFixed(2)} bits of information; the decoder shifted out ${b.shifted}`;
  chip.append(el('sub', String(b.prob)));
  return chip;
}

function elementRow(e: TracedElement): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.element = e.name;
  const name = el('td');
  name.append(el('code', e.name), ' ', sectionLink(e.section));
  const value = el('td', e.value);
  if (e.context !== '') value.append(el('small', e.context));
  const bools = el('td', '', 'bools');
  for (const b of e.bools) bools.append(boolChip(b));
  tr.append(name, value, bools, el('td', sum(e.bools, (b) => b.cost).toFixed(2), 'num'));
  return tr;
}

function elementTable(elements: readonly TracedElement[]): HTMLTableElement {
  const t = document.createElement('table');
  t.className = 'trace';
  const head = document.createElement('tr');
  for (const h of ['element', 'value', 'bools read (value, P(0) of 256)', 'bits']) head.append(el('th', h));
  t.append(head);
  for (const e of elements) t.append(elementRow(e));
  return t;
}

/** The trace: header elements, then tokens block by block, each block folded. */
export function traceView(t: MacroblockTrace): HTMLElement[] {
  const out: HTMLElement[] = [];
  const header = t.elements.filter((e) => e.partition === 0);
  const tokens = t.elements.filter((e) => e.partition > 0);
  const intro = el('p', `Every bool the decoder read for this macroblock (section 7), grouped into syntax elements (section 19.3). A tree-coded element reads one bool per branch of its tree (section 8.1): the bools are its path. Bits: the information in each bool, −log2 of the probability of what was read; they add up to what the arithmetic coder spent (${t.headerBits} bits shifted out for the header, ${t.tokenBits} for the tokens).`, 'note');
  out.push(intro);
  const h = el('h3', `Header, first partition: ${sum(header.flatMap((e) => e.bools), (b) => b.cost).toFixed(1)} bits `);
  h.append(sectionLink('19.3'));
  out.push(h, elementTable(header));
  if (tokens.length === 0) {
    out.push(el('p', 'No tokens: mb_skip_coeff is 1, so the macroblock codes no coefficients and its blocks count as empty in the contexts of the blocks after it (section 13.1).'));
    return out;
  }
  const th = el('h3', `Tokens, partition ${tokens[0]!.partition}: ${sum(tokens.flatMap((e) => e.bools), (b) => b.cost).toFixed(1)} bits `);
  th.append(sectionLink('13'));
  out.push(th);
  // Tokens come block by block (Y2 first when there is one, then Y, U, V).
  const blockOf = (e: TracedElement): string => blockName(e.token!.block);
  const groups: { block: string; elements: TracedElement[] }[] = [];
  for (const e of tokens) {
    const b = blockOf(e);
    if (groups.length === 0 || groups[groups.length - 1]!.block !== b) groups.push({ block: b, elements: [] });
    groups[groups.length - 1]!.elements.push(e);
  }
  for (const g of groups) {
    const d = document.createElement('details');
    d.dataset.block = g.block;
    const values = g.elements.filter((e) => !e.value.startsWith('EOB') && !e.value.startsWith('ZERO')).length;
    d.append(el('summary', `${g.block}: ${g.elements.length} token${g.elements.length === 1 ? '' : 's'}, ${values} nonzero, ${sum(g.elements.flatMap((e) => e.bools), (b) => b.cost).toFixed(1)} bits — ${g.elements[0]!.context}`));
    d.append(elementTable(g.elements));
    out.push(d);
  }
  return out;
}

const pair = (v: readonly [number, number]): string => `(${v[0]}, ${v[1]})`;

/** How the vector was predicted (section 16.3) and coded (section 17), in quarter samples. */
export function vectorView(v: VectorPrediction): HTMLElement[] {
  const h = el('h3', 'Motion vector prediction ');
  h.append(sectionLink('16.3'));
  const out: HTMLElement[] = [h, el('p', 'Vectors are (row, column) in quarter luma samples. The three neighbours coded before this macroblock vote with weights 2, 2 and 1; equal vectors pool their weights; a neighbour predicted from a reference of the other sign bias votes for its vector inverted.', 'note')];
  const t = document.createElement('table');
  t.className = 'trace';
  t.dataset.view = 'neighbours';
  const head = document.createElement('tr');
  for (const c of ['neighbour', 'reference', 'vector', 'weight']) head.append(el('th', c));
  t.append(head);
  for (const n of v.neighbours) {
    const tr = document.createElement('tr');
    tr.dataset.neighbour = n.which;
    const what = !n.inside ? 'outside the frame' : n.ref === 0 ? 'intra: no vote' : `${pair(n.mv)}${n.inverted ? ` inverted to ${pair([-n.mv[0], -n.mv[1]])} (sign bias)` : ''}`;
    tr.append(el('td', n.which), el('td', n.inside ? REF_FRAME_NAMES[n.ref]! : '—'), el('td', what), el('td', n.inside && n.ref !== 0 ? String(n.weight) : '0'));
    t.append(tr);
  }
  out.push(t);
  const rows: [string, string][] = [
    ['candidates', v.candidates.map((c, i) => (i === 0 ? `zero: weight ${c.weight}` : c.weight > 0 ? `${pair(c.mv)}: weight ${c.weight}` : '')).filter((s) => s !== '').join('; ')],
    ['nearest, near', `${pair(v.nearest)}, ${pair(v.near)} (clamped to at most 16 samples beyond the frame)`],
    ['best', `${pair(v.best)}: the base of a new vector`],
    ['mv_mode probabilities', `ZEROMV? ${v.modeProbs[0]}, NEARESTMV? ${v.modeProbs[1]}, NEARMV? ${v.modeProbs[2]}, SPLITMV? ${v.modeProbs[3]} (P(0) of 256, from the weights)`],
    ['mode', MB_MODE_NAMES[v.mode]!],
    ...(v.coded !== null ? [['coded difference', `${pair(v.coded)} + best ${pair(v.best)}`] as [string, string]] : []),
    ['vector', `${pair(v.mv)} = (${v.mv[0] / 4}, ${v.mv[1] / 4}) samples`],
  ];
  const f = document.createElement('table');
  f.className = 'fields';
  f.dataset.view = 'vector';
  for (const [k, val] of rows) {
    const tr = document.createElement('tr');
    tr.append(el('th', k), el('td', val));
    f.append(tr);
  }
  out.push(f);
  return out;
}
