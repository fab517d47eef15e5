/**
 * The exact kernel (src/physics/kernel.ts, wasm/kernel.ts) against the reference loop
 * (render.ts, the C's loop as written, --render reference): the same float32 image bit for
 * bit and the same statistics, on random command lines that reach every branch the kernel
 * has (WebAssembly pairs, JavaScript pixels, -dmin, -mask, thickness, curved detector, Kahn
 * factor, -oversample_* flags with both C-OVERSAMPLE-SUM states, C-PIXEL-FACTORS, HKL files,
 * sources, φ, mosaic, ROI, C thread chunks), float64 and float32. Planted faults show the
 * comparison fails when the kernel is wrong, and that the redo path is exact. No C needed:
 * the reference loop is the engine's own record of the C (tests/engine.reference.test.ts
 * holds it to the C's recorded images).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { simulate, simulateAsync } from '../src/index.js';
import { kernelFaults, errorModel, wasmUnavailable } from '../src/physics/kernel.js';
import { SIN_APPROX_REL_ERROR, sinApprox, sincgFast } from '../src/math/fastsin.js';
import { resolveConfig, parseArgs } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nbkernel-'));
const hklFile = join(dir, 'P1.hkl');
{
  const lines: string[] = [];
  let s = 7;
  for (let h = -4; h <= 4; h++) for (let k = -4; k <= 4; k++) for (let l = -4; l <= 4; l++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    lines.push(`${h} ${k} ${l} ${(10 + (s % 1000) / 10).toFixed(1)}`);
  }
  writeFileSync(hklFile, lines.join('\n') + '\n');
}

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

/** a random command line of the kinds the kernel distinguishes */
function randomArgs(seed: number): string[] {
  const R = lcg(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(R() * xs.length)];
  const n = pick([24, 31, 40]);
  const a: string[] = ['-cell', ...pick([['70', '80', '90', '75', '85', '95'], ['100', '100', '100', '90', '90', '90']]),
    '-misset', String(Math.floor(R() * 40)), String(Math.floor(R() * 40)), String(Math.floor(R() * 40)),
    '-N', pick(['2', '5', '7', '20']), '-lambda', pick(['1.0', '6.2']), '-distance', pick(['60', '100']), '-pixel', pick(['0.1', '0.3']),
    '-detpixels', String(n)];
  if (R() < 0.4) {
    a.push('-hkl', hklFile);
    // tricubic interpolation: the table spans -4..4, so most images also meet the switch-off (and its warning)
    if (R() < 0.5) a.push(R() < 0.5 ? '-interpolate' : '-nointerpolate');
  } else a.push('-default_F', '100');
  if (R() < 0.4) a.push('-phisteps', pick(['2', '3']), '-osc', '0.5', '-phi', pick(['0', '-0.25']));
  if (R() < 0.3) a.push('-mosaic', '0.4', '-mosaic_domains', pick(['2', '3']), '-mosaic_seed', '11');
  if (R() < 0.4) a.push('-oversample', pick(['2', '3']));
  if (R() < 0.3) a.push('-divergence', '0.1', '-divsteps', '2');
  if (R() < 0.2) a.push('-dispersion', '0.2', '-dispsteps', '2');
  if (R() < 0.25) a.push('-polar', pick(['0.5', '0.95']));
  if (R() < 0.15) a.push('-nopolar');
  if (R() < 0.2) a.push('-dmin', '2.5');
  if (R() < 0.15) a.push('-detthick', '0.3', '-detthicksteps', '2', '-detabs', '300');
  if (R() < 0.1) a.push('-curved_det');
  if (R() < 0.15) a.push('-point_pixel');
  for (const f of ['-oversample_thick', '-oversample_polar', '-oversample_omega']) if (R() < 0.12) a.push(f);
  if (R() < 0.2) a.push('-roi', '3', String(n - 5), '2', String(n - 4));
  if (R() < 0.3) a.push('--quirk', `C-OVERSAMPLE-SUM=${pick(['c', 'fixed'])}`);
  if (R() < 0.3) a.push('--quirk', `C-PIXEL-FACTORS=${pick(['c', 'fixed'])}`);
  if (R() < 0.4) a.push('--phi-carryover-mode', 'c-parity', '--c-threads', pick(['1', '2', '3']));
  if (R() < 0.25) a.push('--dtype', 'float32');
  a.push('-nonoise', '-nopgm');
  return a;
}

function render(args: string[]) {
  const r = simulate(args);
  return { image: r.image, stats: r.renderStats, kernel: r.kernel, warnings: r.warnings };
}

function differing(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = 0;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) n++;
  return n;
}

afterEach(() => { kernelFaults.scale = 1; kernelFaults.boundScale = 1; kernelFaults.boundAdd = 0; });

describe('the exact kernel against the reference loop', () => {
  it('the WebAssembly part is built (npm run build) and loads', () => {
    render(['-cell', '100', '100', '100', '90', '90', '90', '-N', '5', '-default_F', '100', '-lambda', '6.2', '-distance', '100', '-detpixels', '8', '-nonoise', '-nopgm']);
    expect(wasmUnavailable).toBeNull();
  });

  it('60 random command lines: the same float32 image bit for bit, the same statistics and warnings', () => {
    const kernels = new Map<string, number>();
    let interpolated = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const args = randomArgs(seed);
      const ref = render([...args, '--render', 'reference']);
      const got = render(args);
      expect(ref.kernel.name).toBe('reference');
      kernels.set(got.kernel.name, (kernels.get(got.kernel.name) ?? 0) + 1);
      expect(differing(got.image, ref.image), `seed ${seed}: ${args.join(' ')}`).toBe(0);
      expect(got.stats, `seed ${seed}`).toEqual(ref.stats);
      expect(got.warnings, `seed ${seed}`).toEqual(ref.warnings);
      if (args.includes('-interpolate') && got.kernel.name === 'exact') interpolated++;
    }
    expect(interpolated).toBeGreaterThan(3);
    // both kernels were exercised: the float64 kernel and the float32 checked sines
    expect(kernels.get('exact')).toBeGreaterThan(30);
    expect(kernels.get('checked')).toBeGreaterThan(5);
  }, 120_000);

  it('12 random command lines on 3 threads (main thread and workers taking row blocks): the image and statistics of the reference loop', async () => {
    for (let seed = 101; seed <= 112; seed++) {
      const args = randomArgs(seed);
      const ref = render([...args, '--render', 'reference']);
      const got = await simulateAsync([...args, '--threads', '3']);
      expect(differing(got.image, ref.image), `seed ${seed}: ${args.join(' ')}`).toBe(0);
      expect({ ...got.renderStats, omegaSum: 0 }, `seed ${seed}`).toEqual({ ...ref.stats, omegaSum: 0 });
    }
  }, 120_000);

  const base = ['-cell', '70', '80', '90', '75', '85', '95', '-misset', '10', '20', '30', '-N', '5', '-default_F', '100', '-lambda', '1.0', '-distance', '100', '-pixel', '0.2', '-detpixels', '48', '-nonoise', '-nopgm'];

  it('a planted error of 1e-7 the bound does not know of changes pixels: the comparison catches it', () => {
    const ref = render([...base, '--render', 'reference']);
    kernelFaults.scale = 1 + 1e-7;
    const got = render(base);
    expect(got.kernel.redone).toBe(0);
    expect(differing(got.image, ref.image)).toBeGreaterThan(100);
  });

  it('the same error inside the bound: undecided pixels go to the reference loop, and the image is exact again', () => {
    const ref = render([...base, '--render', 'reference']);
    kernelFaults.scale = 1 + 1e-7;
    kernelFaults.boundAdd = 2e-7;
    const got = render(base);
    expect(got.kernel.redone).toBeGreaterThan(100);
    expect(differing(got.image, ref.image)).toBe(0);
    expect(got.stats).toEqual(ref.stats);
  });

  it('an infinite bound sends every pixel to the reference loop (JavaScript and WebAssembly paths), exactly', () => {
    // WebAssembly pairs; JavaScript (-dmin); JavaScript with interpolation and its switch-off, restored before each redo
    for (const extra of [[], ['-dmin', '2'], ['-hkl', hklFile, '-interpolate']]) {
      const args = [...base, ...extra];
      const ref = render([...args, '--render', 'reference']);
      kernelFaults.boundAdd = Infinity;
      const got = render(args);
      kernelFaults.boundAdd = 0;
      expect(got.kernel.redone).toBe(48 * 48);
      expect(differing(got.image, ref.image)).toBe(0);
      expect(got.stats).toEqual(ref.stats);
      expect(got.warnings).toEqual(ref.warnings);
    }
  });

  it('the bound is tight enough that redoes are rare (under 1 in 10^4 pixels on a 1024x1024 frame part)', () => {
    const got = render(['-cell', '100', '100', '100', '90', '90', '90', '-misset', '10', '20', '30', '-N', '5', '-default_F', '100', '-lambda', '6.2', '-distance', '100', '-pixel', '0.1', '-detpixels', '1024', '-roi', '0', '1023', '0', '99', '-nonoise', '-nopgm']);
    expect(got.kernel.name).toBe('exact');
    expect(got.kernel.redone).toBeLessThan(11);
  });

  it('errorModel: grows with the evaluations per pixel, 2u per addition', () => {
    const cfg = (extra: string[]) => resolveConfig(parseArgs([...base, ...extra]));
    const e1 = errorModel(cfg([])), e2 = errorModel(cfg(['-phisteps', '10', '-osc', '1']));
    expect(e1.opsPerPixel).toBe(9); // λ 1 Å: the C picks 3×3 sub-pixels
    expect(e2.opsPerPixel).toBe(90);
    expect(e2.relative - e1.relative).toBeCloseTo(81 * 2 * 2 ** -53 * (1 + 2 ** -20), 25);
  });
});

describe('--fast against the reference loop', () => {
  it('12 random command lines: correlation >= 0.999999 and relative difference <= 1e-5 on the pixels above 1% of the maximum', () => {
    let approximated = 0;
    for (let seed = 201; seed <= 212; seed++) {
      const args = randomArgs(seed).filter((a, i, all) => a !== 'float32' && !(a === '--dtype' && all[i + 1] === 'float32'));
      const ref = render([...args, '--render', 'reference']);
      const got = render([...args, '--fast']);
      if (got.kernel.name === 'fast') approximated++;
      const a = ref.image, b = got.image;
      if (differing(a, b) === 0) continue; // identical (an all-zero image has no correlation to compute)
      let max = 0;
      for (const v of a) max = Math.max(max, v);
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, worst = 0;
      for (let i = 0; i < a.length; i++) {
        sa += a[i]; sb += b[i]; saa += a[i] * a[i]; sbb += b[i] * b[i]; sab += a[i] * b[i];
        if (a[i] > 0.01 * max) worst = Math.max(worst, Math.abs(b[i] - a[i]) / a[i]);
      }
      const n = a.length, corr = (n * sab - sa * sb) / Math.sqrt((n * saa - sa * sa) * (n * sbb - sb * sb));
      expect(corr, `seed ${seed}: ${args.join(' ')}`).toBeGreaterThanOrEqual(0.999999);
      expect(worst, `seed ${seed}`).toBeLessThanOrEqual(1e-5);
    }
    expect(approximated).toBeGreaterThan(8);
  }, 60_000);
});

describe('checkedSines (--dtype float32)', () => {
  it('gives the libm\'s float32 for every argument tried, zeros with their sign and NaN included', async () => {
    const { checkedSines } = await import('../src/physics/kernel.js');
    const { precisionFor } = await import('../src/math/precision.js');
    const { V8_LIBM } = await import('../src/math/libm/index.js');
    const P = precisionFor('float32', V8_LIBM);
    const C = checkedSines(P);
    expect(C.sin).not.toBe(P.sin);
    const R = lcg(17);
    const xs = [0, -0, NaN, Infinity, -Infinity, 1e-300, -1e-300, Math.PI, 2 ** 21, 1e6];
    for (let i = 0; i < 200_000; i++) xs.push(Math.fround((R() - 0.5) * (i % 2 ? 20 : 2000)));
    for (const x of xs) expect(Object.is(C.sin(x), P.sin(x)), `x = ${x}`).toBe(true);
  });
});

describe('sinApprox and sincgFast', () => {
  it('sinApprox is within its bound of Math.sin (1 ulp of the true sine) on 10^6 arguments up to 2^20·π/2, NaN beyond', () => {
    const R = lcg(99);
    let worst = 0;
    for (let i = 0; i < 1e6; i++) {
      const x = (R() - 0.5) * 2 * (i % 3 === 0 ? 10 : i % 3 === 1 ? 2000 : 1.6e6);
      const a = sinApprox(x), b = Math.sin(x);
      if (Number.isNaN(a)) { expect(Math.abs(x) >= 2 ** 20 * 1.5707963267948966 || Math.abs(b) < 1e-11).toBe(true); continue; }
      worst = Math.max(worst, Math.abs(a - b) / Math.abs(b));
    }
    expect(worst).toBeLessThan(SIN_APPROX_REL_ERROR + 2 ** -52);
    expect(worst).toBeGreaterThan(0);
    expect(sinApprox(2 ** 21)).toBeNaN();
    expect(sinApprox(Math.PI * 1000)).toBeNaN(); // r below 2^-40: not proven
    expect(sinApprox(1e-300)).toBe(1e-300);
  });

  it('sincgFast agrees with sin(Nπh)/sin(πh) within 1e-9·N² everywhere and 1e-9 relative near the peaks', () => {
    const R = lcg(5);
    for (const N of [2, 5, 10, 16, 17, 40]) {
      for (let i = 0; i < 4000; i++) {
        const h = i % 2 ? (R() - 0.5) * 30 : Math.round((R() - 0.5) * 30) + (R() - 0.5) * 0.2 / N;
        // the reference from the reduced argument (the full one loses digits near the peaks: π·h rounds
        // by an ulp of 40, relative 1e-9 of sin(πδ) there); the sign of the shift by n periods: (−1)^(n(N−1))
        const n = Math.round(h), d = h - n;
        const exact = (((n * (N - 1)) % 2 === 0) ? 1 : -1) * (d === 0 ? N : Math.sin(N * Math.PI * d) / Math.sin(Math.PI * d));
        const got = sincgFast(h, N);
        expect(Math.abs(got - exact), `N ${N} h ${h}`).toBeLessThan(1e-9 * N * N);
        if (Math.abs(exact) > N / 2) expect(Math.abs(got - exact) / Math.abs(exact), `N ${N} h ${h}`).toBeLessThan(1e-9);
      }
    }
  });
});
