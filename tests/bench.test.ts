/**
 * npm run bench (issue #12): the pure parts, without a C and without timing anything: the
 * statistics, the fast path's bounds with planted faults, the bit-identity check, the C's
 * printout read for the loop sizes, /usr/bin/time's report, and the command line's errors.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BenchUsageError, parseBenchArgs } from '../bench/args.js';
import { main, resolveEngine } from '../bench/bench.js';
import { checkExact, checkFast, localMaxima, median, summarize, worseFast } from '../bench/checks.js';
import { countsFromCOutput, evaluations, MATRIX, scalingPoints, type BenchCase } from '../bench/matrix.js';
import { measureCell } from '../bench/measure.js';
import { matrixSpec, scalingSpec } from '../bench/plot.js';
import { parseTimeReport } from '../bench/run.js';
import { exitCodeFor } from '../harness/contract.js';
import { compile, type TopLevelSpec } from 'vega-lite';

describe('statistics', () => {
  it('median of odd and even counts, min and max, nothing for no runs', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(summarize([7, 2, 9, 4, 3])).toEqual({ n: 5, median: 4, min: 2, max: 9 });
    expect(Number.isNaN(summarize([]).median)).toBe(true);
  });
});

/** a W×W image: a weak background and Gaussian spots at `spots` (slow, fast, height) */
const W = 64;
function image(spots: Array<[number, number, number]>): Float32Array {
  const img = new Float32Array(W * W);
  for (let s = 0; s < W; s++) for (let f = 0; f < W; f++) {
    let v = 0.5 + 0.001 * (s + 2 * f);
    for (const [ps, pf, h] of spots) v += h * Math.exp(-((s - ps) ** 2 + (f - pf) ** 2) / 3);
    img[s * W + f] = v;
  }
  return img;
}
const SPOTS: Array<[number, number, number]> = [[10, 12, 1000], [30, 40, 700], [50, 20, 400], [45, 55, 150]];

describe('the fast path bounds (correlation >= 0.999999, max rel <= 1e-5 on bright pixels, same peaks, finite)', () => {
  const ref = image(SPOTS);
  it('identical images pass, with correlation 1 and no difference', () => {
    const c = checkFast(ref.slice(), ref, W);
    expect(c.pass).toBe(true);
    expect(c.correlation).toBe(1);
    expect(c.maxRel).toBe(0);
    expect(c.peaks.reference).toBe(SPOTS.length);
    expect(c.peaks.matched).toBe(SPOTS.length);
  });
  it('every bright pixel 5e-6 off passes', () => {
    const cand = ref.map((x) => Math.fround(x * (1 + 5e-6)));
    const c = checkFast(cand, ref, W);
    expect(c.maxRel).toBeLessThan(1e-5);
    expect(c.pass).toBe(true);
  });
  it('one bright pixel 2e-5 off fails, and names it', () => {
    const cand = ref.slice();
    const i = 11 * W + 12; // next to the strongest spot: well above 1% of the maximum
    cand[i] = Math.fround(ref[i] * (1 + 2e-5));
    const c = checkFast(cand, ref, W);
    expect(c.pass).toBe(false);
    expect(c.maxRel).toBeGreaterThan(1e-5);
    expect(c.maxRelAt).toEqual({ slow: 11, fast: 12 });
    expect(c.correlation).toBeGreaterThan(0.999999); // only the relative bound sees it
    expect(c.reasons.join(' ')).toMatch(/max relative difference/);
  });
  it('a dark pixel far off (below 1% of the maximum) is not a relative-difference failure', () => {
    const cand = ref.slice();
    cand[60 * W + 2] *= 1.001;
    const c = checkFast(cand, ref, W);
    expect(c.maxRel).toBe(0);
    expect(c.pass).toBe(true);
  });
  it('a peak shifted by 3 pixels fails the peak check', () => {
    const cand = image([[10, 12, 1000], [30, 40, 700], [53, 20, 400], [45, 55, 150]]);
    const c = checkFast(cand, ref, W);
    expect(c.pass).toBe(false);
    expect(c.peaks.pass).toBe(false);
    expect(c.peaks.moved).toEqual(expect.arrayContaining([{ slow: 50, fast: 20, in: 'reference' }, { slow: 53, fast: 20, in: 'candidate' }]));
    expect(c.reasons.join(' ')).toMatch(/peaks? moved/);
  });
  it('a NaN pixel fails (and an infinity)', () => {
    for (const bad of [NaN, Infinity]) {
      const cand = ref.slice();
      cand[5 * W + 5] = bad;
      const c = checkFast(cand, ref, W);
      expect(c.pass).toBe(false);
      expect(c.nonFinite).toBe(1);
      expect(c.reasons[0]).toMatch(/non-finite/);
    }
  });
  it('a low correlation fails', () => {
    const cand = ref.map((x, i) => (i % 2 ? x : 0.5));
    const c = checkFast(cand, ref, W);
    expect(c.correlation).toBeLessThan(0.999999);
    expect(c.pass).toBe(false);
  });
  it('a peak that swaps with an equal neighbour within the bound is excused, not moved', () => {
    const r = new Float32Array(W * W).fill(1);
    r[20 * W + 20] = 1000; r[20 * W + 21] = Math.fround(1000 * (1 - 4e-6));
    const cand = r.slice();
    cand[20 * W + 20] = r[20 * W + 21]; cand[20 * W + 21] = r[20 * W + 20];
    const c = checkFast(cand, r, W);
    expect(c.peaks.pass).toBe(true);
    expect(c.peaks.excused).toBe(2);
    expect(c.pass).toBe(true);
  });
  it('images of different sizes fail', () => {
    expect(checkFast(new Float32Array(10), new Float32Array(12), 2).pass).toBe(false);
  });
  it('the worse of two checks is the failing one, else the larger difference', () => {
    const good = checkFast(ref.slice(), ref, W);
    const bad = checkFast(ref.map((x, i) => (i === 11 * W + 12 ? x * (1 + 1e-4) : x)), ref, W);
    expect(worseFast(good, bad)).toBe(bad);
    expect(worseFast(bad, good)).toBe(bad);
    expect(worseFast(null, good)).toBe(good);
  });
  it('local maxima: plateau gives one peak (the first in row-major order), threshold respected', () => {
    const img = new Float32Array(16);
    img[5] = 3; img[6] = 3; img[15] = 1;
    expect(localMaxima(img, 4, 2)).toEqual([5]);
    expect(localMaxima(img, 4, 0.5)).toEqual([5, 15]);
  });
});

describe('bit identity', () => {
  const bytes = (xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);
  it('equal bytes are identical', () => {
    expect(checkExact(bytes([1, 2, 3, 4]), bytes([1, 2, 3, 4]), 2)).toMatchObject({ identical: true, differing: 0 });
  });
  it('one ulp off is not, and says where and how far', () => {
    const a = new Float32Array([1, 2, 3, 4]);
    const u = new Uint32Array(a.buffer); u[3] += 1;
    const c = checkExact(new Uint8Array(a.buffer), bytes([1, 2, 3, 4]), 2);
    expect(c).toMatchObject({ identical: false, differing: 1, maxUlp: 1, firstDifferenceAt: { slow: 1, fast: 1 } });
  });
  it('-0 and +0 differ in bits, so they differ here', () => {
    expect(checkExact(bytes([-0]), bytes([0]), 1).identical).toBe(false);
  });
});

describe('the matrix and the C printout', () => {
  it('has the five cases of issue #12 with their evaluations', () => {
    expect(MATRIX.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(MATRIX.map(evaluations)).toEqual([1024 ** 2, 10 * 1024 ** 2, 10 * 512 ** 2, 9 * 512 ** 2, 9 * 512 ** 2]);
    expect(MATRIX[4].args).toContain('-square_div'); // 3×3 sources: the C trims the corners otherwise
  });
  it('the scaling sweeps stay within a few tens of millions of evaluations', () => {
    const pts = scalingPoints();
    expect(new Set(pts.map((p) => p.sweep))).toEqual(new Set(['detector', 'phi', 'mosaic']));
    expect(Math.max(...pts.map(evaluations))).toBeLessThanOrEqual(100 * 512 ** 2);
    expect(pts.find((p) => p.id === 'mos1')!.args).not.toContain('-mosaic'); // one domain: no mosaic spread
  });
  it('reads the loop sizes from the C printout', () => {
    const text = 'auto-selected 1-fold oversampling\nphi0 = 0\n  created a total of 9 sources:\n  created a total of 10 mosaic domains\n' +
      '  distance=0.1 detsize=0.0512x0.0512  pixel=0.0001 meters (512x512 pixels)\n  10 phi steps from 0 to 0.9 degrees\n';
    expect(countsFromCOutput(text)).toEqual({ sources: 9, mosaic: 10, phisteps: 10, fpixels: 512, spixels: 512, oversample: 1 });
    expect(countsFromCOutput('')).toEqual({ sources: null, mosaic: null, phisteps: null, fpixels: null, spixels: null, oversample: null });
  });
  it('reads /usr/bin/time -f "%e %M %U %S", also after a non-zero status line', () => {
    expect(parseTimeReport('0.17 8848 0.15 0.01\n')).toEqual({ max_rss_kb: 8848, user_s: 0.15, sys_s: 0.01 });
    expect(parseTimeReport('Command exited with non-zero status 1\n0.01 2000 0.00 0.00\n')).toEqual({ max_rss_kb: 2000, user_s: 0, sys_s: 0 });
    expect(parseTimeReport('garbage')).toBeNull();
  });
  it('the plots compile to Vega', () => {
    const m = matrixSpec([{ case: '(a) 1024², one φ step', variant: 'exact', threads: 1, ratio: 2.2, failed: false }, { case: '(a) 1024², one φ step', variant: 'fast', threads: 2, ratio: 0.3, failed: true }], ['x']);
    expect(() => compile(m)).not.toThrow();
    const s = scalingSpec([{ sweep: 'detector', sweepTitle: 'detector', point: '256²', variant: 'C', threads: 1, evaluations: 65536, wall_ms: 14 }, { sweep: 'phi', sweepTitle: 'phi', point: '1', variant: 'exact', threads: 1, evaluations: 262144, wall_ms: 200 }], ['x']);
    expect(() => compile(s as TopLevelSpec)).not.toThrow();
  });
});

describe('the command line', () => {
  const err = (argv: string[]) => { try { parseBenchArgs(argv); } catch (e) { expect(e).toBeInstanceOf(BenchUsageError); expect(exitCodeFor(e)).toBe(2); return (e as Error).message; } throw new Error(`no error for ${argv.join(' ')}`); };
  it('defaults: every case, exact and fast, 1 and 2 threads, 5 runs, no scaling', () => {
    expect(parseBenchArgs([])).toMatchObject({ help: false, cases: ['a', 'b', 'c', 'd', 'e'], variants: ['exact', 'fast'], threads: [1, 2], runs: 5, scaling: false, matrix: true, idleWait: 30, json: false });
  });
  it('reads lists, repeats and every option', () => {
    const o = parseBenchArgs(['--case', 'e,a', '--case', 'c', '--variants', 'exact,reference', '--threads', '2', '--runs', '3', '--scaling', '--sweep', 'phi', '--scaling-threads', '1,2', '--idle-wait', '0', '--timeout', '60', '--engine', 'x/main.js', '--out', 'o', '--json', '--libm', 'v8', '--c-source', 'n.c']);
    expect(o).toMatchObject({ cases: ['a', 'c', 'e'], variants: ['exact', 'reference'], threads: [2], runs: 3, scaling: true, sweeps: ['phi'], scalingThreads: [1, 2], idleWait: 0, timeout: 60, engine: 'x/main.js', out: 'o', json: true, libm: 'v8', cSource: 'n.c' });
    expect(parseBenchArgs(['--case', 'all']).cases).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(parseBenchArgs(['--help']).help).toBe(true);
  });
  it('says what is wrong in one line', () => {
    expect(err(['--runz', '3'])).toMatch(/unknown option '--runz'; did you mean '--runs'\?/);
    expect(err(['--runs', '0'])).toMatch(/--runs needs a positive integer, got '0'/);
    expect(err(['--runs', '2.5'])).toMatch(/--runs needs a positive integer/);
    expect(err(['--runs'])).toMatch(/--runs needs a value/);
    expect(err(['--runs', '--json'])).toMatch(/--runs needs a value/);
    expect(err(['--runs=3'])).toMatch(/write --runs 3 \(a space, not =\)/);
    expect(err(['--threads', '1,,2'])).toMatch(/empty item/);
    expect(err(['--threads', '0'])).toMatch(/positive integers/);
    expect(err(['--case', 'z'])).toMatch(/unknown case 'z' \(cases: a, b, c, d, e, all\)/);
    expect(err(['--variants', 'fats'])).toMatch(/unknown variant 'fats'; did you mean 'fast'\?/);
    expect(err(['--libm', 'glibc'])).toMatch(/--libm expects/);
    expect(err(['--no-matrix'])).toMatch(/nothing to run/);
    expect(err(['--sweep', 'phi'])).toMatch(/add --scaling/);
    expect(err(['--scaling', '--sweep', 'size'])).toMatch(/unknown sweep 'size'/);
    expect(err(['--idle-wait', '-1'])).toMatch(/seconds >= 0/);
    expect(err(['--timeout', '0'])).toMatch(/positive number of seconds/);
    expect(err(['stray'])).toMatch(/unexpected argument 'stray'/);
    for (const m of [err(['--runz', '3']), err(['--case', 'z'])]) expect(m).not.toContain('\n');
  });
  it('main: a usage error is one line on stderr and exit 2; --help prints the usage and exits 0', async () => {
    const errs: string[] = [], outs: string[] = [];
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { errs.push(String(s)); return true; });
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { outs.push(String(s)); return true; });
    try {
      expect(await main(['--bogus'])).toBe(2);
      expect(errs.join('')).toMatch(/^bench: unknown option '--bogus'.*\n$/);
      expect(errs.join('').split('\n').filter(Boolean)).toHaveLength(1);
      expect(await main(['--help'])).toBe(0);
      expect(outs.join('')).toMatch(/^usage: npm run bench/);
    } finally { e.mockRestore(); o.mockRestore(); }
  });
});

describe('--engine: which engine is timed', () => {
  it('this build\'s bin by default; a checkout\'s bin, or its ES-module entry for a build from before the bin; a file as given; nothing else', () => {
    expect(resolveEngine(undefined)).toBe(resolve('dist/engine/main.js'));
    const d = mkdtempSync(join(tmpdir(), 'nbbench-engine-'));
    const withBin = join(d, 'new'), old = join(d, 'old'), none = join(d, 'none');
    mkdirSync(join(withBin, 'dist', 'engine'), { recursive: true });
    mkdirSync(join(withBin, 'dist', 'src', 'cli'), { recursive: true });
    writeFileSync(join(withBin, 'dist', 'engine', 'main.js'), '');
    writeFileSync(join(withBin, 'dist', 'src', 'cli', 'main.js'), '');
    mkdirSync(join(old, 'dist', 'src', 'cli'), { recursive: true });
    writeFileSync(join(old, 'dist', 'src', 'cli', 'main.js'), '');
    mkdirSync(none);
    expect(resolveEngine(withBin)).toBe(join(withBin, 'dist', 'engine', 'main.js'));
    expect(resolveEngine(old)).toBe(join(old, 'dist', 'src', 'cli', 'main.js'));
    expect(resolveEngine(join(old, 'dist', 'src', 'cli', 'main.js'))).toBe(join(old, 'dist', 'src', 'cli', 'main.js'));
    expect(() => resolveEngine(none)).toThrow(BenchUsageError);
    expect(() => resolveEngine(none)).toThrow(/without dist\/engine\/main\.js or dist\/src\/cli\/main\.js/);
    expect(() => resolveEngine(join(d, 'missing'))).toThrow(/no such file/);
  });
});

describe('a timed run is checked on the image it wrote (planted: a side that exits 0 and writes nothing)', () => {
  // fake sides: "C" always writes the same 4×4 float image; the engine writes it, or (FAKE_SKIP_AFTER=n) stops writing after n runs
  const dir = mkdtempSync(join(tmpdir(), 'nbbench-fake-'));
  const writer = join(dir, 'writer.mjs');
  writeFileSync(writer, `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const a = process.argv.slice(2), out = a[a.indexOf('-floatfile') + 1];
const skipAfter = Number(process.env.FAKE_SKIP_AFTER ?? 'Infinity');
const count = existsSync('calls.txt') ? Number(readFileSync('calls.txt', 'utf8')) : 0;
writeFileSync('calls.txt', String(count + 1));
if (count < skipAfter) writeFileSync(out, Buffer.from(new Float32Array(16).fill(1.5).buffer));
`);
  const fakeC = join(dir, 'fake-c.sh');
  writeFileSync(fakeC, `#!/bin/sh\nexec "${process.execPath}" "${writer}" "$@"\n`);
  chmodSync(fakeC, 0o755);
  const def: BenchCase = { id: 't', label: 'test', args: [], detpixels: 4, oversample: 1, sources: 1, phisteps: 1, mosaic: 1 };
  const cell = (skipAfter?: number) => {
    const before = process.env.FAKE_SKIP_AFTER;
    if (skipAfter === undefined) delete process.env.FAKE_SKIP_AFTER; else process.env.FAKE_SKIP_AFTER = String(skipAfter);
    return measureCell(def, { cBinary: fakeC, engine: writer, variants: ['exact'], threads: 1, runs: 3, startup: false, json: false, timeoutMs: 20_000, launcher: null, progress: () => undefined })
      .finally(() => { if (before === undefined) delete process.env.FAKE_SKIP_AFTER; else process.env.FAKE_SKIP_AFTER = before; });
  };

  it('an engine that writes its image every time: no failure', async () => {
    const r = await cell();
    expect(r.failures).toEqual([]);
  });

  it('an engine that exits 0 without writing after its first runs: a failed run, never a pass on the earlier file', async () => {
    // C and engine share calls.txt in the cell's folder: calls 1-3 write (C warm-up, engine warm-up, C run 1), the engine's timed run does not
    const r = await cell(3);
    expect(r.failures.some((f) => f.kind === 'run' && /without writing its float image/.test(f.message))).toBe(true);
  });
});
