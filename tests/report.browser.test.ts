/**
 * The reports in a real headless browser (Debian's chromium, driven by playwright-core), all
 * replayed from the recorded references so no C is needed: a suite index with a regression
 * (problems first, counts, neutral zero badges, sorting, filters by outcome and tag, no
 * horizontal overflow at 1280 px), a test page (every image loads, axis labels in the
 * heatmap SVGs), the compare page of an evidence folder and the sweep page. Skipped, saying
 * why, without chromium. With NBPARITY_SHOTS=DIR it also leaves screenshots there.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSuite } from '../harness/suite/run.js';
import { runSweep } from '../harness/sweep/run.js';
import { fmt, fmtRatio, fmtTol } from '../harness/report/format.js';
import { clipWords } from '../harness/suite/html.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const has = existsSync(CHROMIUM);
if (!has) console.log(`no chromium at ${CHROMIUM} (apt-get install chromium): headless report test skipped`);
const SHOTS = process.env.NBPARITY_SHOTS;

describe('number formatting (one helper everywhere)', () => {
  it('prints the digits that matter', () => {
    expect(fmt(4.3612e-5)).toBe('4.36e-5');
    expect(fmt(0.25)).toBe('0.25');
    expect(fmt(0)).toBe('0');
    expect(fmtRatio(1.0013)).toBe('1.0013');
    expect(fmtRatio(1)).toBe('1');
    expect(fmtTol(1e-6)).toBe('1e-6');
    expect(clipWords('max rel 1.2345e-5 and more words here', 14)).toEqual({ text: 'max rel…', clipped: true });
  });
});

const SIMPLE = '-cell 100 100 100 90 90 90 -default_F 100 -N 5 -lambda 1 -distance 100 -detpixels 64 -pixel 0.1';
const PHI10 = '-cell 100 100 100 90 90 90 -default_F 100 -N 5 -phisteps 10 -osc 1 -oversample 1 -lambda 1 -distance 100 -pixel 0.1 -detpixels 128';

describe.skipIf(!has)('reports in headless chromium', () => {
  it('suite index with a regression, a test page, the compare page and the sweep page', async () => {
    const { chromium } = await import('playwright-core');
    // a failing suite, replayed: a float32 engine against the recorded float64 C must regress
    const dir = mkdtempSync(join(tmpdir(), 'nbparity-html-'));
    const csv = join(dir, 'failing.csv');
    writeFileSync(csv, [
      'id,args,tags,pixels,modes,dtype,expect,reason,ref',
      `simple_f32,${SIMPLE},cell float32,"33,43",spec,float32,pass,,simple_cubic`,
      `simple,${SIMPLE},cell,"33,43",c-parity,,pass,,simple_cubic`,
      `phi10,${PHI10},phi carryover,"54,54",c-parity;spec,,spec:known-diff,C-PARITY-001,phi10`,
      `unrecorded,${SIMPLE},cell,"33,43",spec,,pass,,`,
    ].join('\n') + '\n');
    const r = await runSuite({ suite: csv, mode: 'replay', reportsRoot: join(dir, 'reports'), ledger: join(dir, 'ledger.csv') });
    const c = r.summary.counts;
    expect(c.regressed).toBe(1);
    expect(c.skipped).toBe(1);
    const sweep = await runSweep({ args: [], replayCase: 'phi10', reportsRoot: join(dir, 'reports'), initiative: 'sweep' });

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const noOverflow = async () => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
      const imagesLoad = async (min: number) => {
        const imgs = await page.locator('img').evaluateAll((els) => els.map((e) => ({ src: (e as HTMLImageElement).getAttribute('src'), w: (e as HTMLImageElement).naturalWidth })));
        expect(imgs.length).toBeGreaterThanOrEqual(min);
        for (const i of imgs) expect(i.w, i.src ?? '').toBeGreaterThan(0);
        return imgs;
      };
      const shot = async (name: string) => { if (SHOTS) { mkdirSync(SHOTS, { recursive: true }); await page.screenshot({ path: join(SHOTS, name), fullPage: true }); } };

      // the index: counts, problems first, zero badges neutral, no overflow
      await page.goto(pathToFileURL(join(r.dir, 'index.html')).href);
      const rows = page.locator('#cases tbody tr');
      expect(await rows.count()).toBe(c.total);
      expect(await page.locator('#counts').innerText()).toContain(`${c.total} tests`);
      expect(await page.locator('#cases tbody tr:first-child').getAttribute('data-outcome')).toBe('regressed');
      const outcomes = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-outcome')));
      expect(outcomes.at(-1)).toBe('ok');
      expect(await page.locator('#counts .badge.zero[data-outcome="error"]').count()).toBe(1);
      expect(await page.locator('#counts .badge.nonzero.problem[data-outcome="regressed"]').count()).toBe(1);
      // the failed image gate is explained in relative terms, not by a correlation
      expect(await page.locator('#cases tbody tr:first-child .why').innerText()).toMatch(/max rel \S+ at .*sum ratio − 1 = /);
      await noOverflow();
      await shot('suite-index-failing.png');

      // filters: by outcome (badge and select), by tag
      await page.locator('#counts .badge[data-outcome="ok"]').click();
      expect(await page.locator('#cases tbody tr:not(.hidden)').count()).toBe(c.ok);
      await page.locator('#counts .badge[data-outcome="ok"]').click();
      expect(await page.locator('#cases tbody tr:not(.hidden)').count()).toBe(c.total);
      await page.selectOption('#tag-filter', 'float32');
      expect(await page.locator('#cases tbody tr:not(.hidden)').count()).toBe(1);
      await page.selectOption('#tag-filter', '');
      await page.selectOption('#outcome-filter', 'skipped');
      expect(await page.locator('#cases tbody tr:not(.hidden)').count()).toBe(c.skipped);
      await page.selectOption('#outcome-filter', '');

      // sorting: click "test" twice, the first row changes to the last name
      const first = () => page.locator('#cases tbody tr:first-child td:first-child').innerText();
      await page.locator('#cases th', { hasText: 'test' }).first().click();
      const asc = await first();
      await page.locator('#cases th', { hasText: 'test' }).first().click();
      const desc = await first();
      expect(asc).not.toBe(desc);
      expect([asc, desc].sort()).toEqual([asc, desc]);

      // the regression's test page: heatmaps (with zoom), raw previews, the one-φ bar chart
      await page.locator('#cases a', { hasText: 'simple_f32[spec]' }).click();
      await page.waitForLoadState('load');
      expect(await page.locator('h1').innerText()).toContain('regressed');
      await imagesLoad(8);
      expect(await page.locator('img[src$="heatmap_zoom.svg"]').count()).toBe(1);
      await noOverflow();
      await shot('test-page-regression.png');
      const f32 = r.summary.results.find((x: { test: string }) => x.test === 'simple_f32[spec]');
      const ev = join(r.dir, f32.evidence);
      for (const f of ['heatmap_c.svg', 'heatmap_diff.svg', 'heatmap_zoom.svg']) {
        const svg = readFileSync(join(ev, f), 'utf8');
        expect(svg, f).toContain('slow pixel index');
        expect(svg, f).toContain('fast pixel index');
        expect(svg, f).toContain('photons/pixel');
      }
      expect(readFileSync(join(ev, 'heatmap_c.svg'), 'utf8')).toContain('traced (33, 43)');
      const bars = readFileSync(join(ev, 'delta_per_phi.svg'), 'utf8');
      expect(bars).toContain('tolerance 1e-6');
      expect(bars).toContain('one φ step');

      // a one-φ passing test page
      await page.goto(pathToFileURL(join(r.dir, 'pages', 'simple_c-parity_.html')).href);
      await imagesLoad(7);
      await noOverflow();
      await shot('test-page-one-phi.png');

      // the compare page of the regression's evidence folder: verdict, against, quirks, gates, heatmaps; a 10-φ case's plot draws lines and tolerances
      await page.goto(pathToFileURL(join(ev, 'index.html')).href);
      expect(await page.locator('h1').innerText()).toContain('FAIL');
      expect(await page.locator('#against').innerText()).toContain('replay');
      expect(await page.locator('#quirks').innerText()).not.toBe('');
      expect(await page.locator('#gates tbody tr').count()).toBeGreaterThanOrEqual(4);
      expect(await page.locator('#first-divergence').innerText()).toContain('φ step 0');
      await imagesLoad(8);
      await noOverflow();
      const phi10 = r.summary.results.find((x: { test: string }) => x.test === 'phi10[c-parity]');
      const lines = readFileSync(join(r.dir, phi10.evidence, 'delta_per_phi.svg'), 'utf8');
      expect(lines).toContain('φ step');
      expect(lines).toContain('tolerance k_frac: 1e-6');
      await shot('compare-page.png');

      // the sweep page: every traced pixel's plots, float32 − float64 heatmaps with a colour bar
      await page.goto(pathToFileURL(join(sweep.dir, 'index.html')).href);
      expect(await page.locator('h1').innerText()).toContain('dtype sweep');
      expect(await page.locator('#cells tbody tr').count()).toBe(4);
      const simgs = await imagesLoad(4 * 1 + 1 + 1 + 2);
      expect(simgs.some((i) => /heatmap_float32_minus_float64_spec\.svg$/.test(i.src ?? ''))).toBe(true);
      expect(readFileSync(join(sweep.dir, 'plots', 'heatmap_float32_minus_float64_spec.svg'), 'utf8')).toContain('Δ photons/pixel');
      await noOverflow();
      await shot('sweep-page.png');
    } finally {
      await browser.close();
    }
  }, 240_000);
});
