/**
 * atan2 and acos: fast path in double-double arithmetic, rounding test, exact fallback.
 *
 * Both reduce to atan(a), a = min/max in [0, 1] as a double-double (quotient with an exact
 * Dekker remainder, relative error <= 2^-101; acos uses a = sqrt(1-x^2)/|x| or its inverse with
 * 1 - x^2 = (1-|x|)(1+|x|) exact factors and a double-double square root).
 * atan(a) = atan(c) + atan(u), c = i/128 nearest to a, u = (a - c)/(1 + a c), |u| <= 2^-8,
 * atan(c) from a table of correctly rounded double-doubles (BigInt kernel), and
 * atan(u) = u + u w P(w), w = u^2 exact, P = -1/3 + w/5 - w^2/7 + w^3/9 - w^4/11 (-1/3 in
 * double-double, the tail in double). Remainder u^13/13: 2^-99.7 |u|. Tail in double:
 * 2^-50 * 2^-18.3 * 2^-16 = 2^-84.3 |u|; double-double products/sums <= 2^-99 |u|.
 * For i >= 1, atan(a) >= atan(1/256) >= |u| and the two terms are at most 3x the sum, so the
 * relative error of atan(a) is <= 2^-84.1; adding pi/2 or pi (double-double, 2^-106) for the
 * other octants only shrinks it (the result is then >= pi/4 >= atan(a)).
 * The rounding test uses 2^-82.
 */
import { atanFix, piFix, ddOf, roundDyadic } from './big.js';
import { POW2 } from './bits.js';
import { crState } from './state.js';
import { slowAtan2, slowAcos } from './slow.js';

const SPLIT = 134217729;
const ATAN_TEST_ERR = 2 ** -82;
const PI_RN = Math.PI;
const PIO2_RN = Math.PI / 2;
const PIO4_RN = Math.PI / 4;
let PI3O4_RN = 0;

const ATH = new Float64Array(129);
const ATL = new Float64Array(129);
let THIRD_H = 0;
let THIRD_L = 0;
let PIH = 0;
let PIL = 0;
let PIO2H = 0;
let PIO2L = 0;
let ready = false;

function init(): void {
  const W = 220;
  for (let i = 0; i <= 128; i++) {
    const T = atanFix((1n << BigInt(W - 7)) * BigInt(i), W, 0n);
    [ATH[i], ATL[i]] = ddOf(T.v, W);
  }
  [THIRD_H, THIRD_L] = ddOf((1n << BigInt(W)) / 3n, W);
  const pi = piFix(W);
  [PIH, PIL] = ddOf(pi, W);
  [PIO2H, PIO2L] = ddOf(pi, W + 1);
  PI3O4_RN = roundDyadic(3n * pi, -W - 2);
  ready = true;
}

/** 3 pi / 4 rounded to nearest (used by atan2(+-inf, -inf)) */
export function pi3o4(): number {
  if (!ready) init();
  return PI3O4_RN;
}

let QH = 0;
let QL = 0;

/** atan(ah + al) for ah in [0, 1], |al| <= 2^-52 ah, into QH, QL */
function atanCore(ah: number, al: number): void {
  const i = Math.round(ah * 128);
  let uh: number;
  let ul: number;
  let t: number;
  let x1: number;
  let x2: number;
  let y1: number;
  let y2: number;
  if (i === 0) {
    uh = ah;
    ul = al;
  } else {
    const c = i * 0.0078125;
    const d0 = ah - c; // exact (Sterbenz)
    const nh = d0 + al;
    const bb = nh - d0;
    const nl = d0 - (nh - bb) + (al - bb);
    // 1 + a c
    t = SPLIT * ah;
    x1 = t - (t - ah);
    x2 = ah - x1;
    t = SPLIT * c;
    y1 = t - (t - c);
    y2 = c - y1;
    const p = ah * c;
    const pe = x1 * y1 - p + x1 * y2 + x2 * y1 + x2 * y2 + al * c;
    const Dh = 1 + p;
    const Dl = p - (Dh - 1) + pe;
    // u = n / D
    const q1 = nh / Dh;
    t = SPLIT * q1;
    x1 = t - (t - q1);
    x2 = q1 - x1;
    t = SPLIT * Dh;
    y1 = t - (t - Dh);
    y2 = Dh - y1;
    const pp = q1 * Dh;
    const ppe = x1 * y1 - pp + x1 * y2 + x2 * y1 + x2 * y2;
    const q2 = (nh - pp - ppe + nl - q1 * Dl) / Dh;
    uh = q1 + q2;
    ul = q2 - (uh - q1);
  }
  // w = u^2
  t = SPLIT * uh;
  x1 = t - (t - uh);
  x2 = uh - x1;
  const wh = uh * uh;
  const wl = x1 * x1 - wh + 2 * x1 * x2 + x2 * x2 + 2 * uh * ul;
  // P = -1/3 + tail
  const tail = wh * (0.2 + wh * (-0.14285714285714285 + wh * (0.1111111111111111 - wh * 0.09090909090909091)));
  const ph = tail - THIRD_H;
  const pl = -THIRD_H - ph + tail - THIRD_L;
  // wp = w P
  t = SPLIT * wh;
  x1 = t - (t - wh);
  x2 = wh - x1;
  t = SPLIT * ph;
  y1 = t - (t - ph);
  y2 = ph - y1;
  let p = wh * ph;
  let pe = x1 * y1 - p + x1 * y2 + x2 * y1 + x2 * y2 + (wh * pl + wl * ph);
  const vh = p + pe;
  const vl = pe - (vh - p);
  // uv = u wp
  t = SPLIT * uh;
  x1 = t - (t - uh);
  x2 = uh - x1;
  t = SPLIT * vh;
  y1 = t - (t - vh);
  y2 = vh - y1;
  p = uh * vh;
  pe = x1 * y1 - p + x1 * y2 + x2 * y1 + x2 * y2 + (uh * vl + ul * vh);
  // atan(u) = u + uv
  let s = uh + p;
  let e = p - (s - uh);
  let lo = e + (ul + pe);
  const th = s + lo;
  const tl = lo - (th - s);
  // + atan(c)
  const ch = ATH[i]!;
  s = ch + th;
  const bb = s - ch;
  lo = ch - (s - bb) + (th - bb) + (ATL[i]! + tl);
  QH = s + lo;
  QL = lo - (QH - s);
}

/** octant fix-up and rounding test; NaN when undecided */
function finish(swap: boolean, xneg: boolean, yneg: boolean): number {
  let h = QH;
  let l = QL;
  if (swap || xneg) {
    const bh = swap ? PIO2H : PIH;
    const bl = swap ? PIO2L : PIL;
    const sg = swap && xneg ? 1 : -1;
    const qh = sg * h;
    const s = bh + qh;
    const bb = s - bh;
    const lo = bh - (s - bb) + (qh - bb) + (bl + sg * l);
    h = s + lo;
    l = lo - (h - s);
  }
  const err = ATAN_TEST_ERR * Math.abs(h);
  const a = h + (l - err);
  if (a !== h + (l + err)) return NaN;
  return yneg ? -a : a;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

export function crAtan2(y: number, x: number): number {
  if (x !== x || y !== y) return NaN;
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  const yneg = y < 0 || Object.is(y, -0);
  const xneg = x < 0 || Object.is(x, -0);
  if (y === 0) {
    const r = xneg ? PI_RN : 0;
    return yneg ? -r : r;
  }
  if (x === 0) return yneg ? -PIO2_RN : PIO2_RN;
  if (ay === Infinity) {
    const r = ax === Infinity ? (xneg ? pi3o4() : PIO4_RN) : PIO2_RN;
    return yneg ? -r : r;
  }
  if (ax === Infinity) {
    const r = xneg ? PI_RN : 0;
    return yneg ? -r : r;
  }
  if (!ready) init();
  if (crState.forceSlow) return slowAtan2(y, x);
  const swap = ay > ax;
  let n = swap ? ax : ay;
  let d = swap ? ay : ax;
  // scale so that d is in [1, 2) (exact unless n underflows, which the tiny-ratio branch covers)
  if (d < 2.2250738585072014e-308) {
    n *= 18446744073709551616;
    d *= 18446744073709551616;
  }
  F64[0] = d;
  const E = (U32[1]! >>> 20) - 1023;
  const sc = POW2[1074 - E]!; // 2^-E
  const n0 = n;
  n *= sc;
  d *= sc;
  let ah = n / d;
  let tiny = 0; // 1: a 2^600 (normal result), 2: a 2^1074 (subnormal grid)
  if (ah < 1e-270) {
    // |a| < 2^-896: atan2 = pi/2 -+ a or pi - a round like pi/2, pi; otherwise atan(a) = a (1 - a^2/3 ..)
    // with a^2 < 2^-1792, which rounds like a unless a is within the bound of a rounding boundary.
    if (swap || xneg) {
      const r = swap ? PIO2_RN : PI_RN;
      return yneg ? -r : r;
    }
    // n0 2^600 2^-E (2^474): exact scalings, the scaled ratio is normal
    if (ah >= 4.450147717014403e-308) {
      n = n0 * 4.149515568880993e180 * sc;
      tiny = 1;
    } else {
      n = n0 * 4.149515568880993e180 * sc * 4.877732109868738e+142;
      tiny = 2;
    }
    ah = n / d;
  }
  let t = SPLIT * ah;
  const x1 = t - (t - ah);
  const x2 = ah - x1;
  t = SPLIT * d;
  const y1 = t - (t - d);
  const y2 = d - y1;
  const p = ah * d;
  const pe = x1 * y1 - p + x1 * y2 + x2 * y1 + x2 * y2;
  const al = (n - p - pe) / d;
  if (tiny !== 0) {
    // a 2^600 or a 2^1074 in double-double: relative error <= 2^-101 (plus a^2/3 < 2^-1790)
    const err = 2 ** -96 * ah;
    if (tiny === 1) {
      // normal result: rounding commutes with the exact scaling by 2^-600
      const a = ah + (al - err);
      if (a !== ah + (al + err)) return slowAtan2(y, x);
      return (yneg ? -a : a) * 2.409919865102884e-181;
    }
    // subnormal or zero result: round a 2^1074 to an integer (the interval must avoid half-integers)
    const i = Math.floor(ah);
    const f = ah - i + al;
    const E2 = err + 2 ** -40;
    const lo = Math.floor(f - E2 + 0.5);
    if (lo !== Math.floor(f + E2 + 0.5)) return slowAtan2(y, x);
    const a = (i + lo) * 5e-324;
    return yneg ? -a : a;
  }
  atanCore(ah, al);
  const r = finish(swap, xneg, yneg);
  return r === r ? r : slowAtan2(y, x);
}

export function crAcos(x: number): number {
  const ax = Math.abs(x);
  if (!(ax <= 1)) return NaN; // NaN or |x| > 1
  if (x === 1) return 0;
  if (x === -1) return PI_RN;
  if (ax < 8.673617379884035e-19) return PIO2_RN; // |x| < 2^-60: pi/2 -+ x rounds to pi/2
  if (!ready) init();
  if (crState.forceSlow) return slowAcos(x);
  // 1 - x^2 = (1 - ax)(1 + ax), both factors exact double-doubles
  let ah = 1 - ax;
  let bb = ah - 1;
  let al = 1 - (ah - bb) + (-ax - bb);
  const bh = 1 + ax;
  bb = bh - 1;
  const bl = 1 - (bh - bb) + (ax - bb);
  let t = SPLIT * ah;
  let x1 = t - (t - ah);
  let x2 = ah - x1;
  t = SPLIT * bh;
  let y1 = t - (t - bh);
  let y2 = bh - y1;
  let p = ah * bh;
  let pe = x1 * y1 - p + x1 * y2 + x2 * y1 + x2 * y2 + (ah * bl + al * bh);
  const mh = p + pe;
  const ml = pe - (mh - p);
  // s = sqrt(m)
  const sh = Math.sqrt(mh);
  t = SPLIT * sh;
  x1 = t - (t - sh);
  x2 = sh - x1;
  p = sh * sh;
  pe = x1 * x1 - p + 2 * x1 * x2 + x2 * x2;
  const sl = (mh - p - pe + ml) / (2 * sh);
  // a = min / max
  const swap = sh > ax;
  let nh: number, nl: number, dh: number, dl: number;
  if (swap) {
    nh = ax;
    nl = 0;
    dh = sh;
    dl = sl;
  } else {
    nh = sh;
    nl = sl;
    dh = ax;
    dl = 0;
  }
  const q1 = nh / dh;
  t = SPLIT * q1;
  x1 = t - (t - q1);
  x2 = q1 - x1;
  t = SPLIT * dh;
  y1 = t - (t - dh);
  y2 = dh - y1;
  p = q1 * dh;
  pe = x1 * y1 - p + x1 * y2 + x2 * y1 + x2 * y2;
  const q2 = (nh - p - pe + nl - q1 * dl) / dh;
  ah = q1 + q2;
  al = q2 - (ah - q1);
  atanCore(ah, al);
  const r = finish(swap, x < 0, false);
  return r === r ? r : slowAcos(x);
}
