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

const views = [
  // [page, image, frame, overlays, macroblock (row, col), zoom]
  ['flower.html', 'inspector.png', 144, ['modes'], [21, 37], null],
  ['foreman.html', 'inspector-bits.png', 16, ['bits'], [7, 10], '2'],
  ['foreman.html', 'inspector-source-error.png', 30, ['error'], [4, 12], '2'],
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  for (const [html, image, frame, overlays, [row, col], zoom] of views) {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
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
    await page.waitForFunction(`document.getElementById('mb-detail').dataset.mb === '${row},${col}'`);
    await page.screenshot({ path: join(root, 'docs', 'images', image) });
    await page.close();
    process.stdout.write(`docs/images/${image}\n`);
  }
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
