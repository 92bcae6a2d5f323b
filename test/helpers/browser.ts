// For tests that open a page in the system's Chromium (playwright-core).

import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

/**
 * What a page reports that a test should see empty: console errors and
 * warnings, uncaught exceptions, and any request whose URL does not match
 * `allowed` (by default the page's own file only).
 */
export function pageProblems(page: Page, allowed: RegExp = /^file:/): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => {
    if (!allowed.test(r.url())) problems.push(`fetched ${r.url()}`);
  });
  return problems;
}

/** Starts the system's Chromium at `executable` (findChromium's answer); when it is missing, says how to install it. */
export async function launchChromium(executable: string | null): Promise<Browser> {
  if (executable === null) throw new Error('chromium is not installed, and this run requires it (EXCAMERA_REQUIRE_TOOLS=1); apt-get install -y chromium');
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: executable, args: ['--no-sandbox'] });
}

/**
 * Opens an inspector page (a file `excamera inspect` wrote) in a new tab and
 * waits until every frame is decoded, collecting its errors, warnings and
 * any request beyond the file and its worker.
 */
export async function openInspector(browser: Browser, path: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems = pageProblems(page, /^(file|blob):/);
  await page.goto(pathToFileURL(path).href);
  await page.waitForFunction("document.body.dataset.ready === 'true'", null, { timeout: 60_000 });
  return { page, problems };
}

/**
 * One Chromium for the tests of the enclosing describe block: started before
 * them, closed after. Returns the running browser.
 */
export function sharedChromium(executable: string | null): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium(executable);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (browser === undefined) throw new Error('the browser is not started: call the returned function inside a test');
    return browser;
  };
}
