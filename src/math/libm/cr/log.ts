/**
 * log: fast path in double-double arithmetic, rounding test, exact fallback.
 *
 * x = 2^e m, m in [1, 2) (m in [1-2^-9, 1) with e+1 when m >= 2 - 2^-8). Three multiplicative
 * reductions by short-table reciprocals c (double), each exact in double-double:
 *   z1 = m c1[i] - 1,  |z1| <= 2^-8   (i: nearest multiple of 1/128, c1 = 1 for i in {0, 128})
 *   z2 = (1 + z1) c2[j] - 1 = z1 c2 + (c2 - 1),  |z2| <= 2^-14.99  (j = round(z1 2^14))
 *   z3 = (1 + z2) c3[k] - 1,  |z3| <= 2^-22  (k = round(z2 2^21))
 * log x = e ln2 - log c1 - log c2 - log c3 + log1p(z3), with -log c as correctly rounded
 * double-doubles from the BigInt kernel and log1p(z) = z - z^2/2 + z^3/3 - z^4/4 + z^5/5.
 *
 * Error bound (relative to log x): log1p: remainder 2^-110 |z|, z^2 exact, tail and low sum
 * <= 2^-95 |z|; table entries 2^-106; ln2 in three parts (42 + 42 + 53 bits, e ln2 exact to
 * 2^-137); each of the five double-double additions <= 2^-103 (|a| + |b|). There is no
 * cancellation to fear: e = 0 and c1 = 1 whenever |m - 1| < 2^-9, and |log x| >= 2^-9, 2^-15,
 * 2^-22 whenever e, c1 / c2 / c3 is not trivial. Worst case (e = -1, |log x| >= 2^-9):
 * <= 2^-92.9. The rounding test uses 2^-90.
 */
import { ddOf, logFix, ln2Fix, bitLength } from './big.js';
import { crState } from './state.js';
import { slowLog } from './slow.js';

const SPLIT = 134217729;
export const LOG_PROVEN_ERR = 2 ** -92;
const LOG_TEST_ERR = 2 ** -90;

const C1 = new Float64Array(129);
const N1H = new Float64Array(129);
const N1L = new Float64Array(129);
const C2 = new Float64Array(133);
const N2H = new Float64Array(133);
const N2L = new Float64Array(133);
const C3 = new Float64Array(133);
const N3H = new Float64Array(133);
const N3L = new Float64Array(133);
let LN2H = 0;
let LN2M = 0;
let LN2L = 0;
let ready = false;

function minusLog(c: number): [number, number] {
  if (c === 1) return [0, 0];
  const L = logFix(c, 200);
  return ddOf(-L.v, L.w);
}

function init(): void {
  for (let i = 0; i <= 128; i++) {
    const c = i === 128 ? 1 : 1 / (1 + i / 128);
    C1[i] = c;
    [N1H[i], N1L[i]] = minusLog(c);
  }
  for (let j = -66; j <= 66; j++) {
    const c2 = 1 / (1 + j * 2 ** -14);
    C2[j + 66] = c2;
    [N2H[j + 66], N2L[j + 66]] = minusLog(c2);
    const c3 = 1 / (1 + j * 2 ** -21);
    C3[j + 66] = c3;
    [N3H[j + 66], N3L[j + 66]] = minusLog(c3);
  }
  const W = 300;
  let v = ln2Fix(W);
  const parts: number[] = [];
  for (let p = 0; p < 2; p++) {
    const bl = bitLength(v);
    const top = (v >> BigInt(bl - 42)) << BigInt(bl - 42);
    parts.push(ddOf(top, W)[0]);
    v -= top;
  }
  LN2H = parts[0]!;
  LN2M = parts[1]!;
  LN2L = ddOf(v, W)[0];
  ready = true;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** outputs of logCore: log x ~ LH + LL */
export let LH = 0;
export let LL = 0;

/** log x for finite x > 0 (see the error bound above) */
export function logCore(x: number): void {
  if (!ready) init();
  let e = -1023;
  if (x < 2.2250738585072014e-308) {
    x *= 18446744073709551616; // 2^64
    e -= 64;
  }
  F64[0] = x;
  const hx = U32[1]!;
  e += hx >>> 20;
  const i = (((hx >>> 12) & 0xff) + 1) >> 1;
  U32[1] = (hx & 0xfffff) | 0x3ff00000;
  let m = F64[0]!;
  if (i === 128) {
    m *= 0.5;
    e += 1;
  }
  // stage 1: z1 = m c1 - 1 (Dekker product, p - 1 exact)
  let c = C1[i]!;
  let t = SPLIT * m;
  let xh = t - (t - m);
  let xl = m - xh;
  t = SPLIT * c;
  let yh = t - (t - c);
  let yl = c - yh;
  let p = m * c;
  let pe = xh * yh - p + xh * yl + xl * yh + xl * yl;
  let d = p - 1;
  let zh = d + pe;
  let bb = zh - d;
  let zl = d - (zh - bb) + (pe - bb);
  // stage 2
  let idx = Math.round(zh * 16384) + 66;
  c = C2[idx]!;
  t = SPLIT * zh;
  xh = t - (t - zh);
  xl = zh - xh;
  t = SPLIT * c;
  yh = t - (t - c);
  yl = c - yh;
  p = zh * c;
  pe = xh * yh - p + xh * yl + xl * yh + xl * yl;
  d = c - 1; // exact
  let s = d + p;
  bb = s - d;
  let lo = d - (s - bb) + (p - bb) + pe + zl * c;
  zh = s + lo;
  bb = zh - s;
  zl = s - (zh - bb) + (lo - bb);
  const n2h = N2H[idx]!;
  const n2l = N2L[idx]!;
  // stage 3
  idx = Math.round(zh * 2097152) + 66;
  c = C3[idx]!;
  t = SPLIT * zh;
  xh = t - (t - zh);
  xl = zh - xh;
  t = SPLIT * c;
  yh = t - (t - c);
  yl = c - yh;
  p = zh * c;
  pe = xh * yh - p + xh * yl + xl * yh + xl * yl;
  d = c - 1;
  s = d + p;
  bb = s - d;
  lo = d - (s - bb) + (p - bb) + pe + zl * c;
  zh = s + lo;
  bb = zh - s;
  zl = s - (zh - bb) + (lo - bb);
  // log1p(z) = z - z^2/2 + z^3/3 - z^4/4 + z^5/5, z^2 exact
  t = SPLIT * zh;
  xh = t - (t - zh);
  xl = zh - xh;
  const sh = zh * zh;
  const sl = xh * xh - sh + 2 * xh * xl + xl * xl;
  const q = zh * sh * (0.3333333333333333 + zh * (-0.25 + zh * 0.2));
  const hs = 0.5 * sh;
  let ah = zh - hs;
  let al = zh - ah - hs + (zl + (q - (0.5 * sl + zh * zl)));
  // + N3, + N2, + N1 (double-double additions, renormalized with twoSum)
  let bh = N3H[idx]!;
  let bl = N3L[idx]!;
  s = ah + bh;
  bb = s - ah;
  lo = ah - (s - bb) + (bh - bb) + (al + bl);
  ah = s + lo;
  bb = ah - s;
  al = s - (ah - bb) + (lo - bb);
  s = ah + n2h;
  bb = s - ah;
  lo = ah - (s - bb) + (n2h - bb) + (al + n2l);
  ah = s + lo;
  bb = ah - s;
  al = s - (ah - bb) + (lo - bb);
  bh = N1H[i]!;
  bl = N1L[i]!;
  s = ah + bh;
  bb = s - ah;
  lo = ah - (s - bb) + (bh - bb) + (al + bl);
  ah = s + lo;
  bb = ah - s;
  al = s - (ah - bb) + (lo - bb);
  if (e !== 0) {
    // e ln2 = e LN2H + e LN2M (exact products, exact twoSum) + e LN2L
    const u = e * LN2H;
    const v = e * LN2M;
    bh = u + v;
    bl = v - (bh - u) + e * LN2L;
    s = ah + bh;
    bb = s - ah;
    lo = ah - (s - bb) + (bh - bb) + (al + bl);
    ah = s + lo;
    bb = ah - s;
    al = s - (ah - bb) + (lo - bb);
  }
  LH = ah;
  LL = al;
}

export function crLog(x: number): number {
  if (!(x > 0) || x === Infinity) {
    if (x === 0) return -Infinity; // log(+-0) = -inf
    return x === Infinity ? x : NaN; // log(<0) = NaN, NaN propagates
  }
  if (x === 1) return 0;
  if (crState.forceSlow) return slowLog(x);
  logCore(x);
  const err = LOG_TEST_ERR * Math.abs(LH);
  const a = LH + (LL - err);
  const b = LH + (LL + err);
  return a === b ? a : slowLog(x);
}
