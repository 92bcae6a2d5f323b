// What every lesson generator shares: where things are, running the built
// CLI, the template filler, markdown tables, and the SVG primitives the
// figures are drawn with (plain text, so a figure's change shows in a diff).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
export const LESSONS_DIR = join(ROOT, 'docs', 'lessons');

/** Runs `excamera ARGS` in `cwd`; fails unless it exits with `status` (0 by default; 'nonzero' for any failure). */
export function excamera(cwd, args, { status = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args.map(String)], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ok = status === 'nonzero' ? code !== 0 : code === status;
      if (!ok) reject(new Error(`excamera ${args.join(' ')} exited with ${code} (expected ${status}):\n${stderr}`));
      else resolve({ status: code, stdout, stderr });
    });
  });
}

/** A command as a lesson shows it. */
export const shown = (args) => `npx excamera ${args.join(' ')}`;

/** A module of the build (dist/src/PATH). */
export const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', 'src', path)).href);

/** A markdown table; `align` per column: 'r' right, 'c' centred, anything else left. */
export function table(head, rows, align) {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  return [row(head), row(align.map((a) => (a === 'r' ? '---:' : a === 'c' ? ':---:' : '---'))), ...rows.map((r) => row(r.map(String)))].join('\n');
}

/** Fills {{a.b.c}} placeholders from `context`; an unknown name or a value that is not text or a number is an error. */
export function fill(template, context) {
  return template.replace(/\{\{([\w.]+)\}\}/g, (_, path) => {
    const v = path.split('.').reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), context);
    if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`the template's {{${path}}} names nothing printable`);
    return String(v);
  });
}

// ---- SVG ----------------------------------------------------------------------------------------

export const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Coordinates to one decimal: short files, and the same text on every machine. */
export const r1 = (v) => Number(v.toFixed(1));
export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
export const MONO = 'DejaVu Sans Mono, Menlo, Consolas, monospace';

/** An arrowhead marker, used as marker-end="url(#ID)". */
export const marker = (id, color, size) =>
  `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="${size}" markerHeight="${size}" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="${color}"/></marker>`;

/** A whole figure on white, with the given markers defined. */
export function svg(width, height, body, markers) {
  const w = r1(width);
  const h = r1(height);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="${FONT}" font-size="12">
<defs>
${markers.join('\n')}
</defs>
<rect width="${w}" height="${h}" fill="#fff"/>
${body.filter((s) => s !== '').join('\n')}
</svg>
`;
}

export const text = (x, y, s, attrs = '') => `<text x="${r1(x)}" y="${r1(y)}"${attrs ? ` ${attrs}` : ''}>${esc(s)}</text>`;
export const rect = (x, y, w, h, attrs) => `<rect x="${r1(x)}" y="${r1(y)}" width="${r1(w)}" height="${r1(h)}" ${attrs}/>`;
export const line = (x1, y1, x2, y2, attrs) => `<line x1="${r1(x1)}" y1="${r1(y1)}" x2="${r1(x2)}" y2="${r1(y2)}" ${attrs}/>`;

// ---- a generator's command line -------------------------------------------------------------------

/**
 * Runs `body` when the module at `moduleUrl` is the script node was started
 * with, given the options every generator takes (scripts/lessons/index.mjs):
 * `out` (default docs/lessons), a run directory `dir` (`--run-dir`, kept; else
 * a temporary one, removed after), `log` (silent with --quiet), and
 * `fixedOnly`/`measured` for lessons that measure seconds.
 */
export function generatorMain(moduleUrl, name, body) {
  if (process.argv[1] === undefined || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  const run = async () => {
    const { values } = parseArgs({
      options: {
        out: { type: 'string' }, 'run-dir': { type: 'string' }, quiet: { type: 'boolean', default: false },
        'fixed-only': { type: 'boolean', default: false }, measured: { type: 'string' },
      },
    });
    const t0 = performance.now();
    const log = values.quiet ? () => {} : (s) => process.stderr.write(`[${name} ${((performance.now() - t0) / 1000).toFixed(1)} s] ${s}\n`);
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    const dir = values['run-dir'] ?? (await mkdtemp(join(tmpdir(), 'lesson-')));
    await mkdir(dir, { recursive: true });
    try {
      await body({ out: values.out ?? LESSONS_DIR, dir, log, fixedOnly: values['fixed-only'], measured: values.measured });
    } finally {
      if (values['run-dir'] === undefined) await rm(dir, { recursive: true, force: true });
    }
  };
  run().catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
  });
}
