/**
 * exp: fast path in double-double arithmetic, rounding test, exact fallback.
 *
 * exp(x) = 2^q * 2^(i/64) * 2^(j/4096) * e^r,  k = round(x 4096/ln2) = 4096 q + 64 i + j,
 * r = x - k ln2/4096 (|r| <= 2^-13.5), tables T1[i] = 2^(i/64), T2[j] = 2^(j/4096) as
 * correctly rounded double-doubles computed once from the BigInt kernel.
 *
 * Error bound of expCore (relative, on EH + EL as an approximation of 2^-EQ exp(xh + xl)):
 *  - reduction: ln2/4096 = L1 + L2 + L3 (30 + 30 + 53 bits), k L1 and k L2 exact for |k| < 2^23,
 *    x - k L1 exact (Sterbenz); |k| |ln2/4096 - L1 - L2 - L3| <= 2^-103.9, rounding of k L3 and of
 *    the low sum <= 2^-102.4 (<= 2^-96.3 when |xl| <= 2^-43.5, as for pow);
 *  - e^r = 1 + r + r^2/2 + ... + r^6/720: Taylor remainder <= 2^-106.8; r^2 via an exact product;
 *    the cubic and higher tail in double <= 2^-93.1; neglected rl terms <= 2^-94; low sum <= 2^-94;
 *  - tables 2 * 2^-106, two double-double products 2 * 2^-102.
 *  Total <= 2^-91.5. The rounding test uses 2^-89 (and pow adds its argument error).
 */
import { POW2, ldexp } from './bits.js';
import { ddOf, expApprox, ln2Fix, bitLength } from './big.js';
import { crState } from './state.js';
import { slowExp } from './slow.js';

const SPLIT = 134217729; // 2^27 + 1
export const EXP_TEST_ERR = 2 ** -89;

const T1H = new Float64Array(64);
const T1L = new Float64Array(64);
const T2H = new Float64Array(64);
const T2L = new Float64Array(64);
const INV = 4096 / Math.LN2;
let L1 = 0;
let L2 = 0;
let L3 = 0;
let ready = false;

function init(): void {
  const W = 220;
  const LN2 = ln2Fix(W + 20);
  for (let i = 0; i < 64; i++) {
    // 2^(i/64) = exp(i ln2 / 64), 2^(j/4096) = exp(j ln2 / 4096): arguments at W bits, error < 1
    const a = expApprox((BigInt(i) * LN2) >> 26n, W, 1n);
    [T1H[i], T1L[i]] = ddOf(a.m, -a.e);
    const b = expApprox((BigInt(i) * LN2) >> 32n, W, 1n);
    [T2H[i], T2L[i]] = ddOf(b.m, -b.e);
  }
  // ln2/4096 = L1 + L2 + L3 with 30-bit L1, L2 (products by |k| < 2^23 exact)
  const Wc = 320;
  let v = ln2Fix(Wc) >> 12n; // ln2/4096 at Wc bits
  const parts: number[] = [];
  for (let p = 0; p < 2; p++) {
    const bl = bitLength(v);
    const top = (v >> BigInt(bl - 30)) << BigInt(bl - 30);
    parts.push(ddOf(top, Wc)[0]);
    v -= top;
  }
  L1 = parts[0]!;
  L2 = parts[1]!;
  L3 = ddOf(v, Wc)[0];
  ready = true;
}

/** outputs of expCore: exp(x) ~ 2^EQ (EH + EL), EH in [0.9998, 2.0005] */
export let EH = 0;
export let EL = 0;
export let EQ = 0;

/** exp(xh + xl) for |xh| <= 746, |xl| <= 2^-52 |xh| (see the error bound above) */
export function expCore(xh: number, xl: number): void {
  if (!ready) init();
  const kf = Math.round(xh * INV);
  const k = kf | 0;
  const r1 = xh - kf * L1; // exact
  const p2 = kf * L2; // exact
  const s = r1 - p2; // twoSum(r1, -p2)
  const sb = s - r1;
  const t = (r1 - (s - sb)) - (p2 + sb);
  const lo = t - kf * L3 + xl;
  const rh = s + lo; // twoSum(s, lo)
  const rb = rh - s;
  const rl = (s - (rh - rb)) + (lo - rb);
  const j = k & 4095;
  const i1 = j >> 6;
  const i2 = j & 63;
  EQ = k >> 12;
  // e^r - 1 - r = r^2/2 + r^3/6 + ...: r^2 exact (Dekker), tail in double
  const c = SPLIT * rh;
  const ah = c - (c - rh);
  const al = rh - ah;
  const ph = rh * rh;
  const pl = ah * ah - ph + 2 * ah * al + al * al;
  const q4 = ph * rh * (0.16666666666666666 + rh * (0.041666666666666664 + rh * (0.008333333333333333 + rh * 0.001388888888888889)));
  const hph = 0.5 * ph;
  const s1 = rh + hph;
  const e1 = hph - (s1 - rh);
  const u = 1 + s1;
  const e2 = s1 - (u - 1);
  const low = e2 + (e1 + (rl + (0.5 * pl + (rh * rl + q4))));
  const Ph = u + low;
  const Pl = low - (Ph - u);
  // T = T1[i1] * T2[i2]  (double-double product)
  const ath = T1H[i1]!;
  const atl = T1L[i1]!;
  const bth = T2H[i2]!;
  const btl = T2L[i2]!;
  let ca = SPLIT * ath;
  let xh1 = ca - (ca - ath);
  let xl1 = ath - xh1;
  let cb = SPLIT * bth;
  let yh1 = cb - (cb - bth);
  let yl1 = bth - yh1;
  let p = ath * bth;
  let e = xh1 * yh1 - p + xh1 * yl1 + xl1 * yh1 + xl1 * yl1 + (ath * btl + atl * bth);
  const Th = p + e;
  const Tl = e - (Th - p);
  // result = T * P
  ca = SPLIT * Th;
  xh1 = ca - (ca - Th);
  xl1 = Th - xh1;
  cb = SPLIT * Ph;
  yh1 = cb - (cb - Ph);
  yl1 = Ph - yh1;
  p = Th * Ph;
  e = xh1 * yh1 - p + xh1 * yl1 + xl1 * yh1 + xl1 * yl1 + (Th * Pl + Tl * Ph);
  EH = p + e;
  EL = e - (EH - p);
}

const TWO_M40 = 2 ** -40;
const MIN_SUB = 5e-324;

/**
 * Correct rounding of 2^q (h + l) known to within +-err 2^q (absolute, in the scaled domain),
 * h in [0.99, 2.01]. Returns NaN when the rounding cannot be decided.
 * Normal results: RN(h + (l -+ err)) agree => RN(value) (err is >= 4x the proven bound, which
 * covers the rounding of l -+ err); scaling by 2^q is exact or overflows as RN would.
 * Subnormal results: rounding to the integer grid 2^-1074 via the exact split A = n + frac.
 */
export function finishScaled(h: number, l: number, err: number, q: number): number {
  if (q >= -1021) {
    const a = h + (l - err);
    const b = h + (l + err);
    if (a !== b) return NaN;
    return q <= 1023 ? a * POW2[q + 1074]! : ldexp(a, q);
  }
  const sc = POW2[q + 1074 + 1074]!; // q + 1074 in [-2, 52]
  const A = h * sc; // exact
  const B = l * sc;
  const E = err * sc + TWO_M40; // covers the roundings below (<= 2^-51 each)
  const n = Math.floor(A);
  const f = A - n + B;
  const lo = Math.floor(f - E + 0.5);
  const hi = Math.floor(f + E + 0.5);
  if (lo !== hi) return NaN;
  return (n + lo) * MIN_SUB;
}

export function crExp(x: number): number {
  if (!(x <= 709.79)) return x !== x ? x : Infinity; // NaN, +Inf, overflow (e^709.79 > 2^1024)
  if (x < -745.14) return 0; // e^-745.14 < 2^-1075: rounds to +0 (also -Inf)
  if (Math.abs(x) < 5.551115123125783e-17) return 1; // |x| < 2^-54: e^x within half an ulp of 1
  if (crState.forceSlow) return slowExp(x);
  expCore(x, 0);
  const r = finishScaled(EH, EL, EXP_TEST_ERR * EH, EQ);
  return r === r ? r : slowExp(x);
}
