// The inspector page's view of the decode traces: a frame header's
// (header-trace.ts) bit by bit and bool by bool, and one macroblock's
// (trace.ts), the bools of its header and of its tokens, element by element,
// each with the probability it was read with and what it cost; and for an
// inter macroblock how its vector was predicted from its neighbours
// (RFC 6386 section 16.3).

import { MB_MODE_NAMES, REF_FRAME_NAMES } from '../../vp8/tables.js';
import { blockName } from '../../vp8/tokens.js';
import type { FrameHeaderTrace } from '../header-trace.js';
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

/** An empty trace table with its column headings. */
function traceTable(headings: readonly string[], view?: string): HTMLTableElement {
  const t = document.createElement('table');
  t.className = 'trace';
  if (view !== undefined) t.dataset.view = view;
  const head = document.createElement('tr');
  for (const h of headings) head.append(el('th', h));
  t.append(head);
  return t;
}

/** A heading followed by the link to its section. */
function heading(text: string, section: string): HTMLElement {
  const h = el('h3', text);
  h.append(sectionLink(section));
  return h;
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
  const t = traceTable(['element', 'value', 'bools read (value, P(0) of 256)', 'bits']);
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
  out.push(heading(`Header, first partition: ${sum(header.flatMap((e) => e.bools), (b) => b.cost).toFixed(1)} bits `, '19.3'), elementTable(header));
  if (tokens.length === 0) {
    out.push(el('p', 'No tokens: mb_skip_coeff is 1, so the macroblock codes no coefficients and its blocks count as empty in the contexts of the blocks after it (section 13.1).'));
    return out;
  }
  out.push(heading(`Tokens, partition ${tokens[0]!.partition}: ${sum(tokens.flatMap((e) => e.bools), (b) => b.cost).toFixed(1)} bits `, '13'));
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

/** The loops of the frame header that update probability tables: hundreds of flags, shown folded. */
const TABLE_UPDATES: Record<string, { readonly syntax: string; readonly section: string; readonly flag: string }> = {
  coeff_prob_update_flag: { syntax: 'token_prob_update()', section: '13.4', flag: 'coeff_prob_update_flag' },
  coeff_prob: { syntax: 'token_prob_update()', section: '13.4', flag: 'coeff_prob_update_flag' },
  mv_prob_update_flag: { syntax: 'mv_prob_update()', section: '17.2', flag: 'mv_prob_update_flag' },
  prob: { syntax: 'mv_prob_update()', section: '17.2', flag: 'mv_prob_update_flag' },
};

/** A frame header's trace: the uncompressed chunk's bits, then the first partition's header bools field by field. */
export function headerTraceView(t: FrameHeaderTrace): HTMLElement[] {
  const bools = t.elements.flatMap((e) => e.bools);
  const out: HTMLElement[] = [];
  const h = heading(`Uncompressed data chunk: ${t.chunkBytes} bytes of plain bits `, '9.1');
  const chunk = traceTable(['field', 'where', 'bits', 'value'], 'uncompressed');
  for (const f of t.uncompressed) {
    const tr = document.createElement('tr');
    tr.dataset.element = f.name;
    const name = el('td');
    name.append(el('code', f.name), ' ', sectionLink(f.section));
    const last = f.byte * 8 + f.bit + f.bits - 1;
    const where = f.bits % 8 === 0 && f.bit === 0 ? `bytes ${f.byte}-${f.byte + f.bits / 8 - 1}` : `byte ${f.byte} bit ${f.bit}${f.bits > 1 ? ` to byte ${last >> 3} bit ${last & 7}` : ''}`;
    tr.append(name, el('td', where), el('td', f.value.toString(2).padStart(f.bits, '0'), 'bits'), el('td', f.meaning));
    chunk.append(tr);
  }
  out.push(h, el('p', 'Read as little-endian integers, not through the bool decoder: bit 0 is the least significant bit of its byte.', 'note'), chunk);
  const fh = heading(`Frame header, first partition: ${bools.length} bools, ${sum(bools, (b) => b.cost).toFixed(1)} bits of information, ${t.bits} bits shifted out `, '19.2');
  out.push(fh, el('p', `The first ${t.bits} bits of the ${t.firstPartitionBytes}-byte first partition; the macroblock headers follow. Literal fields are bools at probability one half (128), most significant bit first; the probability updates are bools at fixed probabilities of their own.`, 'note'));
  let plain: TracedElement[] = [];
  const flush = (): void => {
    if (plain.length > 0) out.push(elementTable(plain));
    plain = [];
  };
  for (let i = 0; i < t.elements.length;) {
    const group = TABLE_UPDATES[t.elements[i]!.name];
    if (group === undefined) {
      plain.push(t.elements[i++]!);
      continue;
    }
    flush();
    const members: TracedElement[] = [];
    while (i < t.elements.length && TABLE_UPDATES[t.elements[i]!.name]?.syntax === group.syntax) members.push(t.elements[i++]!);
    const flags = members.filter((e) => e.name === group.flag);
    const updated = flags.filter((e) => e.bools[0]!.bit === 1).length;
    const d = document.createElement('details');
    d.dataset.view = group.syntax.replace('()', '');
    const summary = el('summary', `${group.syntax}: ${flags.length} flags, ${updated} set (a new probability follows each), ${sum(members.flatMap((e) => e.bools), (b) => b.cost).toFixed(1)} bits `);
    summary.append(sectionLink(group.section));
    d.append(summary);
    // Hundreds of rows: built when first opened.
    d.addEventListener('toggle', () => {
      if (d.open && d.childElementCount === 1) d.append(elementTable(members));
    });
    out.push(d);
  }
  flush();
  return out;
}

const pair = (v: readonly [number, number]): string => `(${v[0]}, ${v[1]})`;

/** How the vector was predicted (section 16.3) and coded (section 17), in quarter samples. */
export function vectorView(v: VectorPrediction): HTMLElement[] {
  const out: HTMLElement[] = [heading('Motion vector prediction ', '16.3'), el('p', 'Vectors are (row, column) in quarter luma samples. The three neighbours coded before this macroblock vote with weights 2, 2 and 1; equal vectors pool their weights; a neighbour predicted from a reference of the other sign bias votes for its vector inverted.', 'note')];
  const t = traceTable(['neighbour', 'reference', 'vector', 'weight'], 'neighbours');
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
