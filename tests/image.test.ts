/**
 * The image passes in WebAssembly (src/physics/image.ts, wasm/passes.ts) against loops written
 * here from the C's formulas, on planted images: NaN, ±Infinity, −0, subnormals, the largest
 * floats, negative pixels, values that land on .5 after scaling and on the 65535 clamp, inside a
 * region of interest. Every number must be the same double (Object.is), every pixel the same
 * integer; the same image on a plain buffer (the JavaScript loops) must give the same.
 */
import { describe, expect, it } from 'vitest';
import { newImage, statsRows } from '../src/physics/image.js';
import { imageStatistics, intImage, pgmParts } from '../src/io/outputs.js';
import type { SimulationConfig } from '../src/config/resolve.js';

const W = 37, H = 23;
const ROI = { xmin: 3, xmax: 33, ymin: 2, ymax: 19 }; // 31 columns: the four-at-a-time loops and their tails

/** pixels of many magnitudes and signs, every 7th a special value (NaN and infinities only when `nonFinite`: they make every sum NaN) */
function planted(seed: number, nonFinite: boolean): number[] {
  const finite = [-0, 0, 1.4e-45, -1.4e-45, 1.1754942e-38, 1e19, -1e19, 0.5, 1.5, 2.5, 65535, 65534.5, 65536, 1e-7, 7, 183.5];
  const special = nonFinite ? [NaN, Infinity, -Infinity, 3.4028234e38, -3.4028234e38, ...finite] : finite;
  const out: number[] = [];
  let x = seed;
  for (let i = 0; i < W * H; i++) {
    x = (x * 16807) % 2147483647;
    const u = x / 2147483647;
    out.push(i % 7 === 3 ? special[(x >>> 3) % special.length] : Math.fround((u - 0.1) * 10 ** ((x % 13) - 4)));
  }
  return out;
}

const cfgFor = (adc: number) => ({ detector: { fpixels: W, spixels: H, roi: ROI, mask: null }, outputs: { adc } }) as unknown as SimulationConfig;

/** the ROI's pixels in row order (the C's loops) */
function* roiPixels(): Generator<number> {
  for (let s = ROI.ymin; s <= ROI.ymax; s++) for (let f = ROI.xmin; f <= ROI.xmax; f++) yield s * W + f;
}

describe('image passes in WebAssembly', () => {
  for (const [seed, nonFinite] of [[1, false], [2, false], [3, true], [99, true]] as const) {
    const values = planted(seed, nonFinite);
    const image = newImage(W * H);
    image.set(values);
    const plain = Float32Array.from(values);

    it(`the image lives on a shared WebAssembly memory, zeroed, its length the pixels' (seed ${seed})`, () => {
      expect(newImage(W * H).every((v) => v === 0)).toBe(true);
      expect(image.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(image.length).toBe(W * H);
    });

    it(`statistics in row order: maxI, where, sum, sumsqr, count (seed ${seed})`, () => {
      if (!nonFinite) expect(values.every(Number.isFinite)).toBe(true);
      let maxI = 0, at = -1, sum = 0, sumsqr = 0, n = 0;
      for (const i of roiPixels()) {
        const v = image[i];
        if (v > maxI) { maxI = v; at = i; }
        sum += v; sumsqr += Math.fround(v * v); n++;
      }
      const rows = statsRows(image, null)!;
      expect(rows).not.toBeNull();
      for (let s = ROI.ymin; s <= ROI.ymax; s++) rows.row(s * W + ROI.xmin, s * W + ROI.xmax + 1);
      const got = rows.values();
      for (const [k, want] of [maxI, at, sum, sumsqr, n].entries()) expect(Object.is(got[k], want), `value ${k}: ${got[k]} vs ${want}`).toBe(true);
      // a mask: the JavaScript loop (it skips masked pixels)
      expect(statsRows(image, new Uint16Array(W * H))).toBeNull();
      // an image not made by newImage, or a view into one: the JavaScript loop
      expect(statsRows(plain, null)).toBeNull();
      expect(statsRows(image.subarray(1), null)).toBeNull();
    });

    it(`rmsd: Σ(pixel − mean)² over the ROI, the same on both paths (seed ${seed})`, () => {
      const s = { maxI: 0, maxIx: 0, maxIy: 0, sum: 12.5, sumsqr: 1e6, sumn: 40, omegaSum: 0 };
      const avg = s.sum / s.sumn;
      let sq = 0, n = 0;
      for (const i of roiPixels()) { const t = image[i] - avg; sq += t * t; n++; }
      const want = Math.sqrt(sq / (n - 1));
      const wasm = imageStatistics(cfgFor(40), image, s), js = imageStatistics(cfgFor(40), plain, s);
      expect(Object.is(wasm.rmsd, want), `${wasm.rmsd} vs ${want}`).toBe(true);
      expect(Object.is(js.rmsd, want)).toBe(true);
    });

    it(`the int and PGM images, the same on both paths; a second one is made afresh (seed ${seed})`, () => {
      const scale = 355.6354, adc = 40;
      const want = new Uint16Array(W * H), pgmWant = new Uint8Array(W * H);
      for (const i of roiPixels()) {
        let t = image[i] * scale + adc;
        if (t > 65535.0) t = 65535.0;
        if (t < 0.0) t = 0.0;
        const r = Math.floor(Math.fround(t + 0.5));
        want[i] = Number.isNaN(r) ? 0 : r;
        let p = image[i] * 10.5;
        if (p > 255.0) p = 255.0;
        pgmWant[i] = p > 0 ? Math.trunc(p) : 0;
      }
      const own = newImage(W * H);
      own.set(values);
      const first = intImage(cfgFor(adc), own, scale);
      expect(first.buffer).toBe(own.buffer); // made where the image is
      expect(Buffer.compare(Buffer.from(first.buffer, first.byteOffset, first.byteLength), Buffer.from(want.buffer))).toBe(0);
      expect(Buffer.compare(Buffer.from(intImage(cfgFor(adc), plain, scale).buffer), Buffer.from(want.buffer))).toBe(0);
      // a second int image of the same image (another scale): made in JavaScript; the first is not written again
      const kept = Uint16Array.from(first);
      const second = intImage(cfgFor(adc), own, 2 * scale);
      expect(second.buffer).not.toBe(own.buffer);
      expect(Buffer.compare(Buffer.from(first.buffer, first.byteOffset, first.byteLength), Buffer.from(kept.buffer))).toBe(0);
      expect(second.some((v, i) => v !== first[i])).toBe(true);
      const pgm = pgmParts(cfgFor(adc), own, 10.5)[1];
      expect(pgm.buffer).toBe(own.buffer);
      expect(Buffer.compare(Buffer.from(pgm), Buffer.from(pgmWant))).toBe(0);
      expect(Buffer.compare(Buffer.from(pgmParts(cfgFor(adc), plain, 10.5)[1]), Buffer.from(pgmWant))).toBe(0);
    });
  }
});
