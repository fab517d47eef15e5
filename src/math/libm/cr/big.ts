/**
 * Exact arbitrary-precision kernel (BigInt fixed point) for the correctly rounded libm.
 *
 * Conventions: a BigInt V "at W bits" stands for the real V * 2^-W. Every routine returns,
 * next to its value, a bound on its error in units of 2^-W (ulps), tracked as BigInt so that
 * the bounds stay rigorous at any precision. Nothing here is on a fast path.
 */
import { decompose, ldexp } from './bits.js';

/** value ~ m * 2^e with |true value - m * 2^e| <= d * 2^e */
export interface Approx {
  m: bigint;
  e: number;
  d: bigint;
}

export const abs = (a: bigint): bigint => (a < 0n ? -a : a);

/** number of bits of m >= 0 */
export function bitLength(m: bigint): number {
  if (m === 0n) return 0;
  const s = m.toString(16);
  return (s.length - 1) * 4 + (32 - Math.clz32(parseInt(s[0]!, 16)));
}

/** a / 2^n truncated toward zero (so that series of negative terms reach 0) */
export function shr(a: bigint, n: bigint): bigint {
  return a >= 0n ? a >> n : -(-a >> n);
}

/** nearest integer to a/b (b > 0), ties away from zero */
export function roundDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  const r = a - q * b;
  if (2n * abs(r) >= b) return a < 0n ? q - 1n : q + 1n;
  return q;
}

/** floor(sqrt(n)), n >= 0 */
export function iSqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/**
 * Correctly rounded (to nearest, ties to even) conversion of m * 2^e to binary64,
 * including subnormal results, underflow to zero and overflow to infinity.
 */
export function roundDyadic(m: bigint, e: number): number {
  if (m === 0n) return 0;
  const neg = m < 0n;
  if (neg) m = -m;
  const L = bitLength(m);
  const E = L - 1 + e; // m * 2^e lies in [2^E, 2^(E+1))
  if (E > 1023) return neg ? -Infinity : Infinity;
  const keep = E >= -1022 ? 53 : E + 1075; // significant bits available at this exponent
  if (keep <= 0) {
    // below 2^-1074: nearest is 2^-1074 only when strictly above 2^-1075 (the tie goes to even 0)
    const r = keep === 0 && m !== 1n << BigInt(L - 1) ? 5e-324 : 0;
    return neg ? -r : r;
  }
  const sh = L - keep;
  let q: bigint;
  if (sh <= 0) q = m << BigInt(-sh);
  else {
    q = m >> BigInt(sh);
    const rem = m - (q << BigInt(sh));
    const half = 1n << BigInt(sh - 1);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  const r = ldexp(Number(q), e + sh);
  return neg ? -r : r;
}

/** correctly rounded num/den * 2^e for BigInts num, den > 0 */
export function roundRational(num: bigint, den: bigint, e: number): number {
  const S = 60 + bitLength(den) - bitLength(num);
  const n = S >= 0 ? num << BigInt(S) : num;
  const d = S >= 0 ? den : den << BigInt(-S);
  const q = n / d;
  if (q * d === n) return roundDyadic(q, e - S);
  // the quotient has >= 60 bits, so q + 1/2 rounds exactly like the true value in (q, q+1)
  return roundDyadic(2n * q + 1n, e - S - 1);
}

/** the exact double d as a BigInt at W bits (truncated toward -inf if d has bits below 2^-W) */
export function fixOf(d: number, W: number): bigint {
  if (d === 0) return 0n;
  const [m, e] = decompose(d);
  const s = W + e;
  return s >= 0 ? m << BigInt(s) : m >> BigInt(-s);
}

/** DD split of V * 2^-W: hi = RN(value), lo = RN(value - hi) */
export function ddOf(V: bigint, W: number): [number, number] {
  const hi = roundDyadic(V, -W);
  const lo = roundDyadic(V - fixOf(hi, W), -W);
  return [hi, lo];
}

// ---------------------------------------------------------------------------------------------
// Constants: pi (Machin), ln 2 (Machin-like), 1/pi. Each cached at the largest precision asked.
// Guarantee: |xxxFix(W) - const * 2^W| < 2.

/** sum_{k>=0} s^k / ((2k+1) n^(2k+1)) at W bits, s = -1 (atan) or +1 (atanh); error <= 3 per term */
function arcInv(n: bigint, W: number, alternate: boolean): bigint {
  const n2 = n * n;
  let t = (1n << BigInt(W)) / n;
  let s = t;
  let k = 1n;
  let neg = alternate;
  while (t !== 0n) {
    t /= n2;
    k += 2n;
    const u = t / k;
    s = neg ? s - u : s + u;
    if (alternate) neg = !neg;
  }
  return s;
}

const GUARD = 48n;
let piW = 0;
let piV = 0n;
/** pi * 2^W, error < 2 (Machin: pi = 16 atan(1/5) - 4 atan(1/239)) */
export function piFix(W: number): bigint {
  if (W > piW) {
    const Wn = Math.max(W + 64, 2 * piW, 1536);
    const Wg = Wn + Number(GUARD);
    piV = (16n * arcInv(5n, Wg, true) - 4n * arcInv(239n, Wg, true)) >> GUARD;
    piW = Wn;
  }
  return piV >> BigInt(piW - W);
}

let ln2W = 0;
let ln2V = 0n;
/** ln 2 * 2^W, error < 2 (ln 2 = 18 acoth 26 - 2 acoth 4801 + 8 acoth 8749) */
export function ln2Fix(W: number): bigint {
  if (W > ln2W) {
    const Wn = Math.max(W + 64, 2 * ln2W, 768);
    const Wg = Wn + Number(GUARD);
    ln2V = (18n * arcInv(26n, Wg, false) - 2n * arcInv(4801n, Wg, false) + 8n * arcInv(8749n, Wg, false)) >> GUARD;
    ln2W = Wn;
  }
  return ln2V >> BigInt(ln2W - W);
}

let ipW = 0;
let ipV = 0n;
/** 2^W / pi, error < 2 */
export function invPiFix(W: number): bigint {
  if (W > ipW) {
    const Wn = Math.max(W + 64, 2 * ipW, 1536);
    // P = pi 2^(Wn+8) + d, |d| < 2  =>  2^(2Wn+8)/P = 2^Wn/pi + O(2/(256 pi^2)) + floor
    ipV = (1n << BigInt(2 * Wn + 8)) / piFix(Wn + 8);
    ipW = Wn;
  }
  return ipV >> BigInt(ipW - W);
}

// ---------------------------------------------------------------------------------------------
// Elementary functions in fixed point, with dynamically tracked error bounds.

/**
 * e^(X 2^-W) where X carries at most xErr ulps of error. Reduction x = k ln2 + r,
 * r' = r / 2^12, Taylor series for e^r', then 12 squarings (the error bound is squared along).
 */
export function expApprox(X: bigint, W: number, xErr: bigint): Approx {
  const G = 64;
  const s = 12;
  const Wp = W + G;
  const Wq = Wp + s;
  const bWq = BigInt(Wq);
  const L = ln2Fix(Wp);
  const Xp = X << BigInt(G);
  const k = roundDiv(Xp, L);
  const R = Xp - k * L; // r * 2^Wp = r' * 2^Wq
  const errR = (xErr << BigInt(G)) + 2n * abs(k) + 1n;
  const one = 1n << bWq;
  let term = one;
  let sum = one;
  let n = 0n;
  while (term !== 0n) {
    n += 1n;
    term = shr(term * R, bWq) / n;
    sum += term;
  }
  // truncation: <= 2.01 per term + tail; input error: e^(|r'|+d) d <= 1.01 d
  let S = sum;
  let eta = 4n * n + 6n + errR + (errR >> 7n) + 1n;
  for (let i = 0; i < s; i++) {
    eta = ((2n * S * eta + eta * eta) >> bWq) + 2n;
    S = (S * S) >> bWq;
  }
  return { m: S, e: Number(k) - Wq, d: eta };
}

export interface Fix {
  v: bigint;
  w: number;
  err: bigint;
}

/** log(x) for a finite double x > 0: x = m' 2^e, m' in [1/sqrt2, sqrt2], log m' = 2 atanh((m'-1)/(m'+1)) */
export function logFix(x: number, W: number): Fix {
  const [mx, ex] = decompose(x);
  const b = bitLength(mx);
  let j = b - 1;
  let e2 = ex + b - 1;
  if (mx * mx > 1n << BigInt(2 * b - 1)) {
    j = b;
    e2 += 1;
  }
  const Wp = W + 16;
  const bW = BigInt(Wp);
  const pj = 1n << BigInt(j);
  const T = ((mx - pj) << bW) / (mx + pj); // |t| <= 0.1716, error <= 1
  const T2 = (T * T) >> bW;
  let P = T;
  let sum = T;
  let i = 1n;
  while (P !== 0n) {
    P = shr(P * T2, bW);
    sum += P / (2n * i + 1n);
    i += 1n;
  }
  const v = 2n * sum + BigInt(e2) * ln2Fix(Wp);
  // series: <= 2 per term (+1.03 from T, +tail); doubled; ln2: < 2 per unit of e2
  const err = 8n * i + 8n + 2n * BigInt(Math.abs(e2));
  return { v, w: Wp, err };
}

/** sin and cos of R 2^-W (|R 2^-W| <= 1) by Taylor series; err excludes the error of R itself */
export function sinCosFix(R: bigint, W: number): { s: bigint; c: bigint; err: bigint } {
  const bW = BigInt(W);
  const R2 = (R * R) >> bW;
  let t = R;
  let s = R;
  let n = 1n;
  let N = 0n;
  while (t !== 0n) {
    t = -shr(t * R2, bW) / ((n + 1n) * (n + 2n));
    s += t;
    n += 2n;
    N += 1n;
  }
  t = 1n << bW;
  let c = t;
  n = 0n;
  while (t !== 0n) {
    t = -shr(t * R2, bW) / ((n + 1n) * (n + 2n));
    c += t;
    n += 2n;
    N += 1n;
  }
  return { s, c, err: 4n * N + 8n };
}

/**
 * atan(a) for a = A 2^-W in [0, 1] (A carries errA ulps). Halvings a -> a/(1+sqrt(1+a^2))
 * (each a contraction by 1/2 of the incoming error) until a <= 1/32, then the Taylor series.
 */
export function atanFix(A: bigint, W: number, errA: bigint): Fix {
  const bW = BigInt(W);
  const one = 1n << bW;
  let a = A;
  let err = errA;
  let s = 0;
  while (a > one >> 5n) {
    const a2 = (a * a) >> bW;
    const sq = iSqrt((one + a2) << bW);
    a = (a << bW) / (one + sq);
    err = (err >> 1n) + 4n;
    s++;
  }
  const a2 = (a * a) >> bW;
  let p = a;
  let sum = a;
  let i = 1n;
  while (p !== 0n) {
    p = (p * a2) >> bW;
    const t = p / (2n * i + 1n);
    sum = (i & 1n) === 1n ? sum - t : sum + t;
    i += 1n;
  }
  return { v: sum << BigInt(s), w: W, err: (err + 2n * i + 4n) << BigInt(s) };
}

/**
 * Payne-Hanek reduction in exact arithmetic: for a double ax >= 0.5, ax = k (pi / 2^sb) + r
 * with |r| <= pi / 2^(sb+1); returns k >= 0 and R = r 2^W with |error| <= 2.
 * The product with 1/pi is carried to W + 64 fractional bits whatever the exponent of ax
 * (up to ~1100 + W bits of 1/pi for ax near 2^1024).
 */
export function reduceFix(ax: number, sb: number, W: number): { k: bigint; R: bigint } {
  const [mx, ex] = decompose(ax);
  const F = W + 64;
  const V = F + ex + sb;
  const M = mx * invPiFix(V); // ax 2^sb / pi at F fractional bits, error <= 2^53.01 ulps
  const bF = BigInt(F);
  const k = (M + (1n << (bF - 1n))) >> bF;
  const f = M - (k << bF);
  const R = (f * piFix(W + 8)) >> BigInt(F + sb + 8);
  return { k, R };
}

