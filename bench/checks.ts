/**
 * The pure parts of npm run bench: run-time statistics and the image checks every benchmark
 * run passes through. No I/O here (tests/bench.test.ts plants faults in small images).
 *
 * Exact variants (`exact`, `reference`) must write the C's float image byte for byte.
 * The fast variant is bounded against a reference image (the C's, and the exact variant's):
 *   - correlation: Pearson, over every pixel, computed in float64 with the means removed
 *     first; must be >= 0.999999;
 *   - max relative difference |fast − ref| / |ref| over the pixels where either image is at
 *     least 1 % of the reference maximum (a reference zero under a bright fast pixel is an
 *     infinite difference); must be <= 1e-5;
 *   - peak positions: a peak is a pixel at least 10 % of the reference maximum that is the
 *     maximum of its 3×3 neighbourhood (on a plateau, the first pixel in row-major order);
 *     both images' peaks are found with the same threshold (10 % of the reference maximum)
 *     and must sit on the same pixels. A peak present in one image only is excused when the
 *     reference itself cannot decide it within the relative bound: the reference value is
 *     within 2 × 1e-5 (relative) of the threshold, or of one of its 8 neighbours. Any other
 *     peak in one image only is a moved peak: FAIL;
 *   - every pixel finite (a NaN or an infinity is a FAIL).
 */

import { fmtTol } from '../harness/report/format.js';

export interface Summary { n: number; median: number; min: number; max: number }

/** Median (the mean of the middle two for an even count), min and max; NaN for no values. */
export function summarize(xs: readonly number[]): Summary {
  if (xs.length === 0) return { n: 0, median: NaN, min: NaN, max: NaN };
  return { n: xs.length, median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const FAST_BOUNDS = {
  /** Pearson correlation with the reference, at least */
  minCorrelation: 0.999999,
  /** largest relative difference on the bright pixels, at most */
  maxRelDiff: 1e-5,
  /** a pixel is bright when it is at least this fraction of the reference maximum */
  brightFraction: 0.01,
  /** a peak is at least this fraction of the reference maximum */
  peakFraction: 0.1,
} as const;
export type FastBounds = { -readonly [K in keyof typeof FAST_BOUNDS]: number };

export interface Pixel { slow: number; fast: number }
export interface PeakCheck {
  /** the peak threshold (photons/pixel): peakFraction × the reference maximum */
  threshold: number;
  /** peaks in the reference, in the candidate, on the same pixel in both */
  reference: number; candidate: number; matched: number;
  /** peaks in one image only that the reference cannot decide within the relative bound */
  excused: number;
  /** peaks in one image only that the bound cannot explain (at most 10 listed) */
  moved: Array<Pixel & { in: 'reference' | 'candidate' }>;
  movedCount: number;
  pass: boolean;
}
export interface FastCheck {
  pass: boolean;
  /** one line per violated bound */
  reasons: string[];
  pixels: number;
  /** non-finite pixels in the candidate and in the reference */
  nonFinite: number; nonFiniteReference: number;
  correlation: number;
  /** the largest relative difference on the bright pixels, where it is, how many pixels were bright */
  maxRel: number; maxRelAt: Pixel | null; brightPixels: number;
  peaks: PeakCheck;
}

/**
 * Peaks of `img` (width `w`): pixels >= `threshold` that are the maximum of their 3×3
 * neighbourhood (ties: the first pixel in row-major order), as flat indices, ascending.
 */
export function localMaxima(img: Float32Array, w: number, threshold: number): number[] {
  const h = Math.floor(img.length / w);
  const out: number[] = [];
  for (let s = 0; s < h; s++) for (let f = 0; f < w; f++) {
    const i = s * w + f, v = img[i];
    if (!(v >= threshold)) continue;
    let isMax = true;
    for (let ds = -1; ds <= 1 && isMax; ds++) for (let df = -1; df <= 1; df++) {
      if (!ds && !df) continue;
      const ss = s + ds, ff = f + df;
      if (ss < 0 || ff < 0 || ss >= h || ff >= w) continue;
      const u = img[ss * w + ff];
      if (u > v || (u === v && (ds < 0 || (ds === 0 && df < 0)))) { isMax = false; break; }
    }
    if (isMax) out.push(i);
  }
  return out;
}

/** Can the reference decide whether pixel `i` is a peak, when each value may move by `rel` (relative)? */
function undecided(ref: Float32Array, w: number, i: number, threshold: number, rel: number): boolean {
  const v = ref[i];
  if (Math.abs(v - threshold) <= 2 * rel * Math.abs(threshold)) return true;
  const h = Math.floor(ref.length / w), s = Math.floor(i / w), f = i % w;
  for (let ds = -1; ds <= 1; ds++) for (let df = -1; df <= 1; df++) {
    if (!ds && !df) continue;
    const ss = s + ds, ff = f + df;
    if (ss < 0 || ff < 0 || ss >= h || ff >= w) continue;
    const u = ref[ss * w + ff];
    if (Math.abs(u - v) <= 2 * rel * Math.max(Math.abs(u), Math.abs(v))) return true;
  }
  return false;
}

/** Compare the peak positions of `cand` and `ref` (see the file's comment for the definition). */
export function comparePeaks(cand: Float32Array, ref: Float32Array, w: number, refMax: number, b: FastBounds = FAST_BOUNDS): PeakCheck {
  const threshold = b.peakFraction * refMax;
  const pr = localMaxima(ref, w, threshold), pc = localMaxima(cand, w, threshold);
  const inC = new Set(pc), inR = new Set(pr);
  let matched = 0, excused = 0;
  const moved: PeakCheck['moved'] = [];
  let movedCount = 0;
  const one = (i: number, where: 'reference' | 'candidate') => {
    if (undecided(ref, w, i, threshold, b.maxRelDiff)) { excused++; return; }
    movedCount++;
    if (moved.length < 10) moved.push({ slow: Math.floor(i / w), fast: i % w, in: where });
  };
  for (const i of pr) { if (inC.has(i)) matched++; else one(i, 'reference'); }
  for (const i of pc) if (!inR.has(i)) one(i, 'candidate');
  return { threshold, reference: pr.length, candidate: pc.length, matched, excused, moved, movedCount, pass: movedCount === 0 };
}

/** Check a fast image `cand` against a reference image `ref` of width `w` (see the file's comment). */
export function checkFast(cand: Float32Array, ref: Float32Array, w: number, b: FastBounds = FAST_BOUNDS): FastCheck {
  const at = (i: number): Pixel => ({ slow: Math.floor(i / w), fast: i % w });
  const empty: PeakCheck = { threshold: NaN, reference: 0, candidate: 0, matched: 0, excused: 0, moved: [], movedCount: 0, pass: false };
  if (cand.length !== ref.length) {
    return { pass: false, reasons: [`image sizes differ: ${cand.length} vs ${ref.length} pixels`], pixels: cand.length, nonFinite: 0, nonFiniteReference: 0, correlation: NaN, maxRel: NaN, maxRelAt: null, brightPixels: 0, peaks: empty };
  }
  const n = ref.length;
  let nonFinite = 0, nonFiniteReference = 0, refMax = 0, sa = 0, sb = 0;
  for (let i = 0; i < n; i++) {
    const x = cand[i], y = ref[i];
    if (!Number.isFinite(x)) nonFinite++;
    if (!Number.isFinite(y)) nonFiniteReference++;
    else if (Math.abs(y) > refMax) refMax = Math.abs(y);
    sa += x; sb += y;
  }
  // correlation, means removed first (a one-pass sum loses the digits a 1e-6 bound needs)
  const ma = sa / n, mb = sb / n;
  let saa = 0, sbb = 0, sab = 0, maxRel = 0, maxRelAt = -1, bright = 0;
  const floor = b.brightFraction * refMax;
  for (let i = 0; i < n; i++) {
    const x = cand[i], y = ref[i];
    const dx = x - ma, dy = y - mb;
    saa += dx * dx; sbb += dy * dy; sab += dx * dy;
    if (Math.abs(y) >= floor || Math.abs(x) >= floor) {
      bright++;
      const d = Math.abs(x - y);
      const rel = d === 0 ? 0 : y === 0 ? Infinity : d / Math.abs(y);
      if (!(rel <= maxRel)) { maxRel = rel; maxRelAt = i; } // a NaN difference is the largest
    }
  }
  // rounding can put a perfect correlation a few ulp above 1: at most 1
  const correlation = saa === 0 && sbb === 0 ? (cand.every((x, i) => x === ref[i]) ? 1 : NaN) : Math.min(1, sab / Math.sqrt(saa * sbb));
  const peaks = nonFinite || nonFiniteReference ? empty : comparePeaks(cand, ref, w, refMax, b);
  const reasons: string[] = [];
  if (nonFinite) reasons.push(`${nonFinite} non-finite pixel${nonFinite > 1 ? 's' : ''} (NaN or infinity)`);
  if (nonFiniteReference) reasons.push(`the reference has ${nonFiniteReference} non-finite pixel${nonFiniteReference > 1 ? 's' : ''}`);
  if (!(correlation >= b.minCorrelation)) reasons.push(`correlation ${correlation} < ${fmtTol(b.minCorrelation)}`);
  if (!(maxRel <= b.maxRelDiff)) reasons.push(`max relative difference ${Number.isNaN(maxRel) ? 'NaN' : maxRel.toExponential(2)} > ${fmtTol(b.maxRelDiff)} on the pixels above ${fmtTol(b.brightFraction * 100)}% of the maximum`);
  if (!nonFinite && !nonFiniteReference && !peaks.pass) {
    const m = peaks.moved[0];
    reasons.push(`${peaks.movedCount} peak${peaks.movedCount > 1 ? 's' : ''} moved (e.g. slow ${m.slow} fast ${m.fast}, in the ${m.in} only)`);
  }
  return {
    pass: reasons.length === 0, reasons, pixels: n, nonFinite, nonFiniteReference, correlation,
    maxRel, maxRelAt: maxRelAt >= 0 ? at(maxRelAt) : null, brightPixels: bright, peaks,
  };
}

/** Which of two fast checks is worse: a failing one, else the larger relative difference, else the lower correlation. */
export function worseFast(a: FastCheck | null, b: FastCheck): FastCheck {
  if (!a) return b;
  if (a.pass !== b.pass) return a.pass ? b : a;
  if (!(b.maxRel <= a.maxRel)) return b;
  if (b.maxRel === a.maxRel && b.correlation < a.correlation) return b;
  return a;
}

export interface ExactCheck {
  identical: boolean;
  pixels: number;
  /** pixels whose bits differ, the first of them, the largest float32 ulp distance */
  differing: number; firstDifferenceAt: Pixel | null; maxUlp: number;
}

const f32 = new Float32Array(1), i32 = new Int32Array(f32.buffer);
function ordered(x: number): number { f32[0] = x; const i = i32[0]; return i < 0 ? -0x80000000 - i : i; }

/** Byte-for-byte comparison of two float32 image files (width `w`), with what differs when they do. */
export function checkExact(cand: Uint8Array, ref: Uint8Array, w: number): ExactCheck {
  const pixels = ref.length >> 2;
  if (cand.length === ref.length && Buffer.from(cand.buffer, cand.byteOffset, cand.byteLength).equals(Buffer.from(ref.buffer, ref.byteOffset, ref.byteLength))) {
    return { identical: true, pixels, differing: 0, firstDifferenceAt: null, maxUlp: 0 };
  }
  if (cand.length !== ref.length) return { identical: false, pixels, differing: Math.max(pixels, cand.length >> 2), firstDifferenceAt: null, maxUlp: Infinity };
  const a = asFloat32(cand), r = asFloat32(ref);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ur = new Uint32Array(r.buffer, r.byteOffset, r.length);
  let differing = 0, first = -1, maxUlp = 0;
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] === ur[i]) continue;
    differing++;
    if (first < 0) first = i;
    const u = Number.isNaN(a[i]) || Number.isNaN(r[i]) ? Infinity : Math.abs(ordered(a[i]) - ordered(r[i]));
    if (u > maxUlp) maxUlp = u;
  }
  return { identical: false, pixels, differing, firstDifferenceAt: first >= 0 ? { slow: Math.floor(first / w), fast: first % w } : null, maxUlp };
}

/** The bytes of a float32 image file as a Float32Array (copied when not aligned). */
export function asFloat32(bytes: Uint8Array): Float32Array {
  if (bytes.byteOffset % 4 === 0 && bytes.byteLength % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const copy = new Uint8Array(bytes.byteLength - (bytes.byteLength % 4));
  copy.set(bytes.subarray(0, copy.length));
  return new Float32Array(copy.buffer);
}
