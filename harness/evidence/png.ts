/**
 * PNG previews of float images, one image pixel per detector pixel: a perceptual colour map
 * for intensities (log scale up to a high percentile, or linear between percentiles for a flat image), a diverging blue-white-red map for differences, each with a colour
 * bar along the bottom edge. Encoded with pngjs.
 */
import { PNG } from 'pngjs';
import { quantile } from '../metrics/quantile.js';
import { fmt } from '../report/format.js';

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

export interface Scale { kind: 'log' | 'linear' | 'diverging'; min: number; max: number; note: string }

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

/**
 * Intensity heatmap. Over decades (Bragg peaks on a dark background): log1p(value/floor) up to
 * the 99.9th percentile, shared scale `vmax` if given. A nearly flat image (a water
 * background, whose 1st percentile is within a factor 30 of its top) would be one colour on
 * that scale, so it is drawn linear between its 0.5th and 99.5th percentiles instead; the
 * note says which.
 */
export function intensityPng(img: Float32Array, fpixels: number, spixels: number, vmax?: number): { png: Buffer; scale: Scale } {
  const top = vmax ?? Math.max(percentile(img, 0.999), 1e-30);
  const p01 = percentile(img, 0.01);
  if (p01 > 0 && top / p01 <= 30) {
    const lo = percentile(img, 0.005), hi0 = percentile(img, 0.995);
    const hi = hi0 > lo ? hi0 : lo + Math.max(Math.abs(lo) * 1e-6, 1e-30);
    const png = encode(fpixels, spixels, (s, f) => lerpMap(VIRIDIS, (img[s * fpixels + f] - lo) / (hi - lo)), (t) => lerpMap(VIRIDIS, t));
    return { png, scale: { kind: 'linear', min: lo, max: hi, note: `linear from ${fmt(lo, 4)} to ${fmt(hi, 4)} photons/pixel (0.5th to 99.5th percentile of this image: a nearly flat image), viridis` } };
  }
  const floor = top * 1e-3;
  const norm = Math.log1p(top / floor);
  const png = encode(fpixels, spixels, (s, f) => lerpMap(VIRIDIS, Math.log1p(Math.max(0, img[s * fpixels + f]) / floor) / norm), (t) => lerpMap(VIRIDIS, t));
  return { png, scale: { kind: 'log', min: 0, max: top, note: `log1p(I/${fmt(floor)}) from 0 to ${fmt(top)} photons/pixel (99.9th percentile), viridis` } };
}

/** Difference heatmap (a − b), symmetric about zero at max |Δ|. */
export function differencePng(a: Float32Array, b: Float32Array, fpixels: number, spixels: number): { png: Buffer; scale: Scale } {
  let m = 0;
  for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i] - b[i]); if (d > m) m = d; }
  const lim = m > 0 ? m : 1;
  const png = encode(fpixels, spixels, (s, f) => { const i = s * fpixels + f; return lerpMap(DIVERGING, 0.5 + (a[i] - b[i]) / (2 * lim)); }, (t) => lerpMap(DIVERGING, t));
  return { png, scale: { kind: 'diverging', min: -m, max: m, note: m > 0 ? `engine − C (absolute, photons/pixel) from ${fmt(-m)} (blue) to ${fmt(m)} (red), white = 0` : 'identical images: all white' } };
}

/** The intensity scale both previews share, so C and engine look alike when they are. */
export function sharedMax(a: Float32Array, b: Float32Array): number {
  return Math.max(percentile(a, 0.999), percentile(b, 0.999), 1e-30);
}
