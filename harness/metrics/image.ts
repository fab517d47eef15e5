/**
 * Image-level comparison of two float32 images of the same shape: bit identity, float32
 * ulp distance, relative and absolute differences, Pearson correlation, RMSE, sums.
 */
export interface ImageDiff {
  pixels: number;
  identical: number;
  identicalFraction: number;
  /** largest distance in float32 units in the last place */
  maxUlp: number;
  maxAbs: number; maxAbsAt: number;
  maxRel: number; maxRelAt: number;
  /** pixels that are neither within `ulpTol` ulp nor within `relTol` relative */
  outside: number;
  correlation: number;
  rmse: number;
  sumA: number; sumB: number; sumRatio: number;
  /** NaN or infinite pixels in `a` and in `b`, and the first such pixel (-1: none) */
  nonFiniteA: number; nonFiniteB: number; firstNonFiniteAt: number;
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
function ordered(x: number): number {
  f32[0] = x;
  const i = i32[0];
  return i < 0 ? -0x80000000 - i : i; // monotonic integer line through ±0
}

/** Float32 ulp distance between two float32 values (0 for equal values, including +0/-0). */
export function ulpDistance(a: number, b: number): number {
  if (a === b) return 0;
  if (Number.isNaN(a) || Number.isNaN(b)) return Infinity;
  return Math.abs(ordered(a) - ordered(b));
}

/** Compare image `a` (under test) with reference `b`. */
export function diffImages(a: Float32Array, b: Float32Array, opts: { ulpTol?: number; relTol?: number; mask?: (i: number) => boolean } = {}): ImageDiff {
  if (a.length !== b.length) throw new RangeError(`images differ in size: ${a.length} vs ${b.length} pixels`);
  const ulpTol = opts.ulpTol ?? 2, relTol = opts.relTol ?? 1e-6;
  let identical = 0, maxUlp = 0, maxAbs = 0, maxAbsAt = -1, maxRel = 0, maxRelAt = -1, outside = 0, n = 0;
  let nonFiniteA = 0, nonFiniteB = 0, firstNonFiniteAt = -1;
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, sdd = 0;
  for (let i = 0; i < a.length; i++) {
    if (opts.mask && !opts.mask(i)) continue;
    n++;
    const x = a[i], y = b[i];
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (!Number.isFinite(x)) nonFiniteA++;
      if (!Number.isFinite(y)) nonFiniteB++;
      if (firstNonFiniteAt < 0) firstNonFiniteAt = i;
    }
    if (Object.is(x, y) || x === y) identical++;
    const d = Math.abs(x - y);
    const u = ulpDistance(x, y);
    const rel = d === 0 ? 0 : d / Math.abs(y);
    if (u > maxUlp) maxUlp = u;
    if (d > maxAbs) { maxAbs = d; maxAbsAt = i; }
    if (rel > maxRel) { maxRel = rel; maxRelAt = i; }
    if (u > ulpTol && rel > relTol) outside++;
    sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y; sdd += d * d;
  }
  const cov = n * sab - sa * sb, va = n * saa - sa * sa, vb = n * sbb - sb * sb;
  const correlation = va === 0 && vb === 0 ? (maxAbs === 0 ? 1 : NaN) : cov / Math.sqrt(va * vb);
  return {
    pixels: n, identical, identicalFraction: n ? identical / n : 1, maxUlp, maxAbs, maxAbsAt, maxRel, maxRelAt, outside,
    correlation, rmse: Math.sqrt(sdd / Math.max(n, 1)), sumA: sa, sumB: sb, sumRatio: sb === 0 ? (sa === 0 ? 1 : Infinity) : sa / sb,
    nonFiniteA, nonFiniteB, firstNonFiniteAt,
  };
}
