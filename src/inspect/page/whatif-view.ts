// The inspector page's what-if controls for one macroblock: the frame is
// rebuilt by the worker (reconstruct.ts replayFrame) with the loop filter
// off, a block's residual dropped, or the macroblock predicted with another
// mode, and shown in place of the decoded picture. Nothing of the stream or
// of the decoder state changes; the next frame shown is decoded as coded.

import { B_PRED, DC_PRED, INTRA_FRAME, MB_MODE_NAMES, NEARESTMV, NEARMV, SPLITMV, TM_PRED, ZEROMV } from '../../vp8/tables.js';
import { blockName, hasY2Block } from '../../vp8/tokens.js';
import type { InspectedFrame } from '../analyze.js';
import type { WhatIf } from '../reconstruct.js';

/** The modes macroblock `mb` may be predicted with instead, keeping its coefficients' layout (see WhatIf.forceMode). */
export function modeChoices(f: InspectedFrame, mb: number): number[] {
  const m = f.modes!;
  const y = m.yMode[mb]!;
  if (m.refFrame[mb] === INTRA_FRAME) return y === B_PRED ? [] : [DC_PRED, 1, 2, TM_PRED].filter((v) => v !== y);
  return y === SPLITMV ? [] : [ZEROMV, NEARESTMV, NEARMV].filter((v) => v !== y);
}

/** A short description of a what-if ('' for none); `at` names a macroblock. */
export function describeWhatIf(w: WhatIf, at: (mb: number) => string): string {
  const parts: string[] = [];
  if (w.loopFilter === false) parts.push('loop filter off');
  if (w.zeroResidual !== undefined) parts.push(`${w.zeroResidual.block === undefined ? 'no residual' : `${blockName(w.zeroResidual.block)}'s residual dropped`} in ${at(w.zeroResidual.mb)}`);
  if (w.forceMode !== undefined) parts.push(`${at(w.forceMode.mb)} predicted with ${MB_MODE_NAMES[w.forceMode.yMode]}`);
  return parts.join('; ');
}

function option(value: string, label: string, selected: boolean): HTMLOptionElement {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  o.selected = selected;
  return o;
}

/** The controls for macroblock `mb` of frame `f`, set to `current`; `change` gets the what-if they now say. */
export function whatIfControls(f: InspectedFrame, mb: number, current: WhatIf, change: (w: WhatIf) => void): HTMLElement {
  const m = f.modes!;
  const box = document.createElement('div');
  box.id = 'whatif';
  const note = document.createElement('p');
  note.className = 'note';
  note.textContent = 'Rebuild this frame with a change and see what it does: the picture shows the result until you reset or move to another frame. Later macroblocks that predict from a changed one change too, as in a decoder.';

  const lf = document.createElement('input');
  lf.type = 'checkbox';
  lf.id = 'wi-loop-filter';
  lf.checked = current.loopFilter === false;
  const lfLabel = document.createElement('label');
  lfLabel.append(lf, ' loop filter off (the whole frame)');

  const zero = document.createElement('select');
  zero.id = 'wi-zero';
  const dropped = current.zeroResidual?.mb === mb ? current.zeroResidual : undefined;
  zero.append(option('', 'nothing', dropped === undefined), option('all', 'the whole macroblock', dropped !== undefined && dropped.block === undefined));
  if (!m.skipCoeff[mb]) {
    const hasY2 = hasY2Block(m.yMode[mb]!);
    for (let b = 0; b < 25; b++) {
      if (b === 24 && !hasY2) continue;
      if (f.eobs![mb * 25 + b] === 0) continue;
      zero.append(option(String(b), blockName(b), dropped?.block === b));
    }
  }
  const zeroLabel = document.createElement('label');
  zeroLabel.append('drop the residual of ', zero);

  const mode = document.createElement('select');
  mode.id = 'wi-mode';
  const forced = current.forceMode?.mb === mb ? current.forceMode.yMode : undefined;
  mode.append(option('', `its own mode, ${MB_MODE_NAMES[m.yMode[mb]!]}`, forced === undefined));
  const choices = modeChoices(f, mb);
  for (const c of choices) mode.append(option(String(c), MB_MODE_NAMES[c]!, forced === c));
  mode.disabled = choices.length === 0;
  const modeLabel = document.createElement('label');
  modeLabel.append('predict with ', mode);
  if (choices.length === 0) modeLabel.title = 'B_PRED and SPLITMV code their luma blocks with their own DC: another mode would need other coefficients';

  const reset = document.createElement('button');
  reset.id = 'wi-reset';
  reset.textContent = 'reset';

  const read = (): WhatIf => ({
    ...(lf.checked ? { loopFilter: false } : {}),
    ...(zero.value === '' ? {} : { zeroResidual: zero.value === 'all' ? { mb } : { mb, block: Number(zero.value) } }),
    ...(mode.value === '' ? {} : { forceMode: { mb, yMode: Number(mode.value) } }),
  });
  for (const c of [lf, zero, mode]) c.onchange = () => change(read());
  reset.onclick = () => {
    lf.checked = false;
    zero.value = '';
    mode.value = '';
    change({});
  };
  box.append(note, lfLabel, zeroLabel, modeLabel, reset);
  return box;
}
