/**
 * The suite report in a real headless browser (Debian's chromium, driven by playwright-core):
 * index.html opens from disk, its table lists every test and sorts, and a test's page shows
 * its C, engine, difference and per-φ images. Skipped, saying why, without chromium.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSuite } from '../harness/suite/run.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const has = existsSync(CHROMIUM);
if (!has) console.log(`no chromium at ${CHROMIUM} (apt-get install chromium): headless report test skipped`);

describe.skipIf(!has)('suite report in headless chromium', () => {
  it('renders the sortable table and the images of a test page', async () => {
    const { chromium } = await import('playwright-core');
    const r = await runSuite({ suite: join(process.cwd(), 'harness', 'suites', 'smoke.csv'), mode: 'replay', reportsRoot: mkdtempSync(join(tmpdir(), 'nbparity-html-')) });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(join(r.dir, 'index.html')).href);
      const rows = await page.locator('#cases tbody tr').count();
      expect(rows).toBe(r.summary.counts.total);
      expect(await page.locator('#counts').innerText()).toContain(`${r.summary.counts.total} tests`);
      // sorting: click "test" twice, the first row changes to the last name
      const first = () => page.locator('#cases tbody tr:first-child td:first-child').innerText();
      await page.locator('#cases th', { hasText: 'test' }).first().click();
      const asc = await first();
      await page.locator('#cases th', { hasText: 'test' }).first().click();
      const desc = await first();
      expect(asc).not.toBe(desc);
      expect([asc, desc].sort()).toEqual([asc, desc]);
      // a test page: every image loads
      await page.locator('#cases a', { hasText: 'phi10[c-parity]' }).click();
      await page.waitForLoadState('load');
      const imgs = await page.locator('img').evaluateAll((els) => els.map((e) => ({ src: (e as HTMLImageElement).getAttribute('src'), w: (e as HTMLImageElement).naturalWidth })));
      expect(imgs.length).toBe(4);
      for (const i of imgs) expect(i.w, i.src ?? '').toBeGreaterThan(0);
      expect(await page.locator('h1').innerText()).toContain('phi10[c-parity]');
    } finally {
      await browser.close();
    }
  });
});
