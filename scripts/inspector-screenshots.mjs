// Regenerates the inspector's screenshots in docs/images (docs/inspector.md):
// `node scripts/inspector-screenshots.mjs` after `npm run build`, with the
// system's Chromium (apt-get install -y chromium). Each view is made from a
// fixture, through the command line, as a user would.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'inspector-shots-'));
const run = (...args) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`excamera ${args.join(' ')}: ${r.stderr}`);
};

const foremanY4m = join(root, 'fixtures', 'clips', 'foreman_cif_352x288_60f.y4m');
const foreman = join(dir, 'foreman.ivf');
run('encode', foremanY4m, '-o', foreman, '--speed', '4', '--quiet');
run('inspect', join(root, 'fixtures', 'streams', 'flower_720p_300f_2mbps.ivf'), '-o', join(dir, 'flower.html'));
run('inspect', foreman, '--source', foremanY4m, '-o', join(dir, 'foreman.html'));
// An ExCamera[6,2] output of the first 24 frames of carphone, with the directory of its chunks and states.
const kept = join(dir, 'kept');
run('xc', join(root, 'fixtures', 'clips', 'carphone_qcif_176x144_120f.y4m'), '-o', join(dir, 'xc.ivf'), '-n', '6', '-x', '2', '--limit', '24', '--backend', 'inprocess', '--keep', kept, '--quiet');
run('inspect', join(dir, 'xc.ivf'), '--chunks', kept, '-o', join(dir, 'xc.html'));

// page, image, frame, overlays, macroblock (row, col), zoom; and optionally
// the element to photograph (else the window), a taller window, and what to
// do before (a what-if, opening the frame header's trace).
const views = [
  { html: 'flower.html', image: 'inspector.png', frame: 144, overlays: ['modes'], mb: [21, 37], zoom: null },
  { html: 'foreman.html', image: 'inspector-bits.png', frame: 16, overlays: ['bits'], mb: [7, 10], zoom: '2' },
  { html: 'foreman.html', image: 'inspector-source-error.png', frame: 30, overlays: ['error'], mb: [4, 12], zoom: '2' },
  { html: 'foreman.html', image: 'inspector-trace.png', frame: 16, overlays: [], mb: [7, 10], zoom: '2', element: '#mb-trace', height: 2600 },
  { html: 'foreman.html', image: 'inspector-steps.png', frame: 0, overlays: [], mb: [9, 11], zoom: '2', element: '#mb-steps', height: 4200 },
  { html: 'foreman.html', image: 'inspector-whatif.png', frame: 30, overlays: [], mb: [9, 11], zoom: '2', element: '#picture-pane', whatIf: '#wi-loop-filter' },
  { html: 'foreman.html', image: 'inspector-header-trace.png', frame: 16, overlays: [], mb: [7, 10], zoom: '2', element: '#frame-detail', height: 3000, headerTrace: true },
  { html: 'xc.html', image: 'inspector-chunks.png', frame: 13, overlays: ['vectors'], mb: [4, 5], zoom: '3' },
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  for (const { html, image, frame, overlays, mb: [row, col], zoom, element, height, whatIf, headerTrace } of views) {
    const page = await browser.newPage({ viewport: { width: 1600, height: height ?? 1000 } });
    await page.goto(pathToFileURL(join(dir, html)).href);
    await page.waitForFunction("document.body.dataset.ready === 'true'", null, { timeout: 120_000 });
    await page.locator(`#frames-body tr[data-frame="${frame}"]`).click();
    await page.waitForFunction(`document.getElementById('frame-detail').dataset.frame === '${frame}'`);
    if (zoom !== null) await page.locator('#zoom').selectOption(zoom);
    for (const o of overlays) await page.locator(`#ov-${o}`).check();
    const box = await page.locator('#overlay').boundingBox();
    const width = Number(await page.$eval('#picture', (c) => c.getAttribute('width')));
    const s = box.width / width;
    await page.mouse.click(box.x + (col * 16 + 8) * s, box.y + (row * 16 + 8) * s);
    await page.waitForFunction(`document.getElementById('mb-detail').dataset.mb === '${row},${col}' && document.getElementById('mb-trace')?.dataset.ready === 'true' && document.getElementById('mb-steps')?.dataset.ready === 'true'`);
    if (whatIf !== undefined) {
      await page.locator(whatIf).check();
      await page.waitForFunction("document.getElementById('whatif-banner').dataset.whatif !== '' && document.getElementById('mb-steps')?.dataset.ready === 'true'");
    }
    if (headerTrace) {
      await page.locator('[data-view="header-trace"] > summary').click();
      await page.locator('[data-view="uncompressed"]').waitFor();
    }
    const path = join(root, 'docs', 'images', image);
    if (element === undefined) await page.screenshot({ path });
    else await page.locator(element).screenshot({ path });
    await page.close();
    process.stdout.write(`docs/images/${image}\n`);
  }
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
