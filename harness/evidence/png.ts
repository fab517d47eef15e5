/**
 * PNG previews of float images: a perceptual colour map for intensities (log scale up to a
 * high percentile), a diverging blue-white-red map for differences, each with a colour
 * bar along the bottom edge. Encoded with pngjs.
 */
import { PNG } from 'pngjs';
import { quantile } from '../metrics/quantile.js';

type RGB = [number, number, number];

// viridis, sampled at 9 points
const VIRIDIS: RGB[] = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];
const DIVERGING: RGB[] = [[5, 48, 97], [67, 147, 195], [209, 229, 240], [255, 255, 255], [253, 219, 199], [214, 96, 77], [103, 0, 31]];

function lerpMap(map: RGB[], t: number): RGB {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (map.length - 1);
  const i = Math.min(map.length - 2, Math.floor(x)), f = x - i;
  return [0, 1, 2].map((k) => Math.round(map[i][k] + (map[i + 1][k] - map[i][k]) * f)) as RGB;
}

const percentile = quantile;

export interface Scale { kind: 'log' | 'diverging'; min: number; max: number; note: string }

function encode(width: number, height: number, pixel: (s: number, f: number) => RGB, bar: (t: number) => RGB): Buffer {
  const barH = Math.max(4, Math.round(height / 24));
  const png = new PNG({ width, height: height + barH + 2 });
  for (let s = 0; s < height + barH + 2; s++) {
    for (let f = 0; f < width; f++) {
      const rgb: RGB = s < height ? pixel(s, f) : s < height + 2 ? [255, 255, 255] : bar(width > 1 ? f / (width - 1) : 0);
      const o = (s * width + f) * 4;
      png.data[o] = rgb[0]; png.data[o + 1] = rgb[1]; png.data[o + 2] = rgb[2]; png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** Intensity heatmap: log1p(value/floor) scaled to the 99.9th percentile, shared scale `vmax` if given. */
export function intensityPng(img: Float32Array, fpixels: number, spixels: number, vmax?: number): { png: Buffer; scale: Scale } {
  const top = vmax ?? Math.max(percentile(img, 0.999), 1e-30);
  const floor = top * 1e-3;
  const norm = Math.log1p(top / floor);
  const png = encode(fpixels, spixels, (s, f) => lerpMap(VIRIDIS, Math.log1p(Math.max(0, img[s * fpixels + f]) / floor) / norm), (t) => lerpMap(VIRIDIS, t));
  return { png, scale: { kind: 'log', min: 0, max: top, note: `log1p(I/${floor.toExponential(2)}) from 0 to ${top.toExponential(3)} (99.9th percentile), viridis` } };
}

/** Difference heatmap (a − b), symmetric about zero at max |Δ|. */
export function differencePng(a: Float32Array, b: Float32Array, fpixels: number, spixels: number): { png: Buffer; scale: Scale } {
  let m = 0;
  for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i] - b[i]); if (d > m) m = d; }
  const lim = m > 0 ? m : 1;
  const png = encode(fpixels, spixels, (s, f) => { const i = s * fpixels + f; return lerpMap(DIVERGING, 0.5 + (a[i] - b[i]) / (2 * lim)); }, (t) => lerpMap(DIVERGING, t));
  return { png, scale: { kind: 'diverging', min: -m, max: m, note: m > 0 ? `engine − C from ${(-m).toExponential(3)} (blue) to ${m.toExponential(3)} (red), white = 0` : 'identical images: all white' } };
}

/** The intensity scale both previews share, so C and engine look alike when they are. */
export function sharedMax(a: Float32Array, b: Float32Array): number {
  return Math.max(percentile(a, 0.999), percentile(b, 0.999), 1e-30);
}
