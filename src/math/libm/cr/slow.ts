/**
 * Exact (slow) paths: Ziv's strategy on the BigInt kernel. Each evaluation returns an
 * approximation m 2^e with a rigorous error bound d 2^e; the result is returned as soon as both
 * ends of [m - d, m + d] 2^e round to the same double, otherwise the precision is doubled.
 * Functions with possible exact or midpoint results (pow only, among these) are detected
 * algebraically first, so the loop always terminates for the remaining (transcendental) values.
 * Arguments reaching these functions are finite, nonzero and inside the non-trivial ranges
 * (special cases are handled by the callers).
 */
import { decompose, decomposeOdd } from './bits.js';
import {
  type Approx,
  abs,
  atanFix,
  bitLength,
  expApprox,
  iSqrt,
  logFix,
  piFix,
  reduceFix,
  roundDyadic,
  roundRational,
  sinCosFix,
} from './big.js';
import { crState } from './state.js';

function ziv(f: (P: number) => Approx): number {
  crState.slow++;
  for (let P = 128; ; P *= 2) {
    const a = f(P);
    const lo = roundDyadic(a.m - a.d, a.e);
    const hi = roundDyadic(a.m + a.d, a.e);
    if (Object.is(lo, hi)) return lo;
    if (P >= 1 << 16) throw new Error('cr libm: Ziv iteration did not converge');
  }
}

/** the double x as a fixed-point BigInt at W bits, with its truncation error (0 or 1 ulp) */
function fixed(x: number, W: number): [bigint, bigint] {
  const [m, e] = decompose(x);
  const s = W + e;
  return s >= 0 ? [m << BigInt(s), 0n] : [m >> BigInt(-s), 1n];
}

export function slowExp(x: number): number {
  return ziv((P) => {
    const W = P + 32;
    const [X, xe] = fixed(x, W);
    return expApprox(X, W, xe);
  });
}

export function slowLog(x: number): number {
  // |log x| >= 2^-53 for x != 1, so P + 128 absolute bits are >= P + 75 relative bits
  return ziv((P) => {
    const L = logFix(x, P + 128);
    return { m: L.v, e: -L.w, d: L.err };
  });
}

/** which: 0 sin, 1 cos, 2 tan */
export function slowTrig(x: number, which: 0 | 1 | 2): number {
  const ax = Math.abs(x);
  const neg = x < 0;
  return ziv((P) => {
    let W: number;
    let k = 0n;
    let R: bigint;
    let errR: bigint;
    if (ax < 0.75) {
      const [, e] = decompose(ax);
      W = P + 64 + Math.max(0, -(e + 52)); // relative precision for tiny x
      [R, errR] = fixed(ax, W);
    } else {
      W = P + 128; // |r| >= 2^-62 for every double: ample, and the loop escalates anyway
      ({ k, R } = reduceFix(ax, 1, W));
      errR = 2n;
    }
    const { s, c, err } = sinCosFix(R, W);
    const e = err + errR + 1n;
    const q = Number(k & 3n);
    if (which === 0) {
      let m = q === 0 ? s : q === 1 ? c : q === 2 ? -s : -c;
      if (neg) m = -m;
      return { m, e: -W, d: e };
    }
    if (which === 1) {
      const m = q === 0 ? c : q === 1 ? -s : q === 2 ? -c : s;
      return { m, e: -W, d: e };
    }
    const num = (q & 1) === 1 ? -c : s;
    const den = (q & 1) === 1 ? s : c;
    const ad = abs(den);
    if (ad <= 2n * e) return { m: 0n, e: -W, d: 1n << BigInt(W + 2000) };
    const Q = (num << BigInt(W)) / den;
    const d = ((e << BigInt(W)) + abs(Q) * e) / (ad - e) + 2n;
    return { m: neg ? -Q : Q, e: -W, d };
  });
}

/** atan2 for finite nonzero y, x */
export function slowAtan2(y: number, x: number): number {
  const swap = Math.abs(y) > Math.abs(x);
  const [mn, en] = decompose(Math.abs(swap ? x : y));
  const [md, ed] = decompose(Math.abs(swap ? y : x));
  const la = bitLength(mn) + en - (bitLength(md) + ed); // log2(a) within 1
  return ziv((P) => {
    const W = P + 64 + Math.max(0, -la);
    const s = W + en - ed;
    const A = s >= 0 ? (mn << BigInt(s)) / md : mn / (md << BigInt(-s));
    const T = atanFix(A, W, 1n);
    let v = T.v;
    let d = T.err;
    if (swap || x < 0) {
      const pi = piFix(W);
      if (swap) {
        v = x < 0 ? (pi >> 1n) + v : (pi >> 1n) - v;
        d += 2n;
      } else {
        v = pi - v;
        d += 2n;
      }
    }
    return { m: y < 0 ? -v : v, e: -W, d };
  });
}

/** acos for 0 < |x| < 1: atan2(sqrt(1 - x^2), x) with an exact 1 - x^2 */
export function slowAcos(x: number): number {
  const [mx, ex] = decompose(Math.abs(x));
  const N = (1n << BigInt(-2 * ex)) - mx * mx; // (1 - x^2) 2^(-2 ex), exact
  return ziv((P) => {
    const W = P + 64;
    const sh = 2 * W + 2 * ex;
    const S = sh >= 0 ? iSqrt(N << BigInt(sh)) : iSqrt(N >> BigInt(-sh)); // sqrt(1-x^2) 2^W, err <= 2
    const s2 = W + ex;
    const X = s2 >= 0 ? mx << BigInt(s2) : mx >> BigInt(-s2); // |x| 2^W, err <= 1
    const swap = S > X;
    const num = swap ? X : S;
    const den = swap ? S : X;
    // den >= 2^W/sqrt2: a = num/den carries <= (2 + 2 a) sqrt2 + 1 <= 7 ulps
    const A = (num << BigInt(W)) / den;
    const T = atanFix(A, W, 7n);
    let v = T.v;
    let d = T.err;
    const pi = piFix(W);
    if (swap) {
      v = x < 0 ? (pi >> 1n) + v : (pi >> 1n) - v;
      d += 2n;
    } else if (x < 0) {
      v = pi - v;
      d += 2n;
    }
    return { m: v, e: -W, d };
  });
}

function isOddInteger(y: number): boolean {
  return Number.isInteger(y) && Math.abs(y) < 9007199254740992 && y % 2 !== 0;
}

/**
 * pow for finite x != 0, +-1 and finite y != 0 with |y log|x|| in the non-trivial range.
 * Exact and midpoint results are found algebraically (|x| = 2^n; integer |y| <= 64 computed
 * exactly; y = odd/2^k, k <= 5, with |x| an exact 2^k-th power); everything else is
 * transcendental or non-dyadic, so the Ziv loop terminates.
 */
export function slowPow(x: number, y: number): number {
  const sign = x < 0 && isOddInteger(y) ? -1 : 1;
  const ax = Math.abs(x);
  const r = powExact(ax, y);
  if (r !== undefined) {
    crState.slow++;
    return sign * r;
  }
  const [my, ey] = decompose(y);
  return (
    sign *
    ziv((P) => {
      const W = P + 96;
      // |y| < 2^64 here, so 70 extra bits on log|x| keep |y| * err(log) below 2^-W
      const L = logFix(ax, W + 70);
      const sh = ey - L.w + W; // y log x = my L.v 2^(ey - L.w)
      const prod = my * L.v;
      const eprod = abs(my) * L.err;
      const X = sh >= 0 ? prod << BigInt(sh) : prod >> BigInt(-sh);
      const xErr = (sh >= 0 ? eprod << BigInt(sh) : eprod >> BigInt(-sh)) + 2n;
      return expApprox(X, W, xErr);
    })
  );
}

function powExact(ax: number, y: number): number | undefined {
  const [mx, ex] = decomposeOdd(ax);
  const [my, ey] = decomposeOdd(y);
  if (mx === 1n) {
    // |x| = 2^ex: |x|^y = 2^(ex y), a power of two when ex*y is an integer
    const n = BigInt(ex) * my;
    let N: bigint | undefined;
    if (ey >= 0) N = n << BigInt(ey);
    else if (n % (1n << BigInt(-ey)) === 0n) N = n >> BigInt(-ey);
    if (N === undefined) return undefined;
    if (N > 2000n) return Infinity;
    if (N < -2000n) return 0;
    return roundDyadic(1n, Number(N));
  }
  if (ey >= 0 && Math.abs(y) <= 64) {
    // integer y: exact rational
    const n = Math.abs(y);
    const p = mx ** BigInt(n);
    const e = ex * n;
    return y > 0 ? roundDyadic(p, e) : roundRational(1n, p, -e);
  }
  if (ey < 0 && ey >= -5 && y > 0) {
    // y = my / 2^k: dyadic result iff mx is a 2^k-th power and 2^k divides ex
    const k = -ey;
    const K = 1 << k;
    if (ex % K !== 0) return undefined;
    const w = iRoot(mx, K);
    if (w ** BigInt(K) !== mx) return undefined;
    if (Number(my) * bitLength(w) > 8000) return undefined; // far outside the range anyway
    return roundDyadic(w ** my, (ex / K) * Number(my));
  }
  return undefined;
}

/** floor(n^(1/K)) for n >= 1 */
function iRoot(n: bigint, K: number): bigint {
  let x = BigInt(Math.floor(Math.pow(Number(n), 1 / K))) + 2n;
  const bK = BigInt(K);
  // Newton from above
  for (;;) {
    const y = ((bK - 1n) * x + n / x ** (bK - 1n)) / bK;
    if (y >= x) break;
    x = y;
  }
  while (x ** bK > n) x -= 1n;
  while ((x + 1n) ** bK <= n) x += 1n;
  return x;
}
