/**
 * sin, cos, tan: fast path in double-double arithmetic, rounding test, exact fallback.
 *
 * Reduction x = k pi/1024 + r, |r| <= pi/2048 (1 + 2^-40) < 2^-9.35:
 *  - |x| < 2^17: Cody-Waite with pi/1024 = P1 + P2 + P3 + P4 (27 + 27 + 27 + 53 bits); k P1,
 *    k P2, k P3 exact for |k| < 2^26, x - k P1 exact (Sterbenz), the rest by exact twoSums.
 *    Absolute error E_RED <= |k| |pi/1024 - sum P| + rounding of k P4 and of the low sum
 *    <= 2^-117 + 2^-116.6 + 2 * 2^-114 < 2^-112.7 (0 when k = 0);
 *  - larger |x|: exact Payne-Hanek in BigInt (1/pi to W + 64 + exponent bits), r at 200 bits,
 *    then rounded to a double-double: error <= 2^-196 + 2^-105 |r|.
 * With j = k mod 2048 = 512 q + i, theta = i pi/1024 + r, S = sin(i pi/1024), C = cos(i pi/1024)
 * (correctly rounded double-doubles from an exact BigInt rotation):
 *   sin theta = S cos r + C sin r,  cos theta = C cos r - S sin r,
 *   sin r = r + r^3 (-1/6 + z/120 - z^2/5040 + z^3/9!),  cos r = 1 - z/2 + z^2 (1/24 - ... + z^3/10!)
 * (z = r^2 exact in double-double, -1/6 in double-double, tails in double).
 * Error: sin r relative <= 2^-94 (tail 2^-94.3, products 2^-101, remainder 2^-118);
 * cos r absolute <= 2^-93.3 (tail z^2/24.. in double); sin theta, cos theta: the terms are at most
 * 3 times the result (worst at i = 1), so the relative error is <= 2^-91.6, plus E_RED (slope <= 1).
 * tan = sin theta / cos theta (or -cos/sin): <= 2^-90.5 relative plus E_RED (1 + tan^2).
 * Rounding tests use 2^-89 (sin, cos), 2^-88 (tan) and 2 E_RED.
 */
import { piFix, sinCosFix, ddOf, bitLength, reduceFix } from './big.js';
import { crState } from './state.js';
import { slowTrig } from './slow.js';

const SPLIT = 134217729;
const TRIG_TEST_ERR = 2 ** -89;
const TAN_TEST_ERR = 2 ** -88;
const E_RED = 2 ** -111; // 2x the proven 2^-112.7 bound
const INV = 1024 / Math.PI;
const TWO17 = 131072;

const SH = new Float64Array(512);
const SL = new Float64Array(512);
const CH = new Float64Array(512);
const CL = new Float64Array(512);
let SIXTH_H = 0;
let SIXTH_L = 0;
let P1 = 0;
let P2 = 0;
let P3 = 0;
let P4 = 0;
let ready = false;
let splitDefault: number[] = [];

function init(): void {
  const W = 260;
  const bW = BigInt(W);
  // sin/cos(i pi/1024) by exact rotation: error < 2^11 ulps at 2^-260
  const step = (piFix(W + 10) >> 20n) as bigint; // pi/1024 at W bits, error < 1
  const { s: s1, c: c1 } = sinCosFix(step, W);
  let s = 0n;
  let c = 1n << bW;
  for (let i = 0; i < 512; i++) {
    [SH[i], SL[i]] = ddOf(s, W);
    [CH[i], CL[i]] = ddOf(c, W);
    const sn = (s * c1 + c * s1) >> bW;
    c = (c * c1 - s * s1) >> bW;
    s = sn;
  }
  [SIXTH_H, SIXTH_L] = ddOf((1n << bW) / 6n, W);
  // pi/1024 = P1 + P2 + P3 + P4, 27-bit P1..P3
  let v = piFix(W) >> 10n;
  const parts: number[] = [];
  for (let p = 0; p < 3; p++) {
    const bl = bitLength(v);
    const top = (v >> BigInt(bl - 27)) << BigInt(bl - 27);
    parts.push(ddOf(top, W)[0]);
    v -= top;
  }
  parts.push(ddOf(v, W)[0]);
  splitDefault = parts;
  [P1, P2, P3, P4] = parts as [number, number, number, number];
  ready = true;
}

/** test hook: the four parts of pi/1024 used by the Cody-Waite reduction */
export function getTrigSplit(): number[] {
  if (!ready) init();
  return [P1, P2, P3, P4];
}
export function setTrigSplit(p: readonly number[] | null): void {
  if (!ready) init();
  [P1, P2, P3, P4] = (p ?? splitDefault) as [number, number, number, number];
}

// reduction outputs
let RH = 0;
let RL = 0;
let RK = 0;
let RERR = 0;

function reduce(x: number): void {
  if (x < TWO17 && x > -TWO17) {
    const kf = Math.round(x * INV);
    const t1 = x - kf * P1; // exact
    const p2 = kf * P2;
    const s = t1 - p2;
    let bb = s - t1;
    const e = t1 - (s - bb) - (p2 + bb);
    const p3 = kf * P3;
    const s2 = s - p3;
    bb = s2 - s;
    const e2 = s - (s2 - bb) - (p3 + bb);
    const lo = e + e2 - kf * P4;
    RH = s2 + lo;
    bb = RH - s2;
    RL = s2 - (RH - bb) + (lo - bb);
    RK = kf & 2047;
    RERR = kf === 0 ? 0 : E_RED;
    return;
  }
  crState.huge++;
  const W = 200;
  const { k, R } = reduceFix(Math.abs(x), 10, W);
  const [h, l] = ddOf(R, W);
  let kk = Number(k & 2047n);
  if (x < 0) {
    RH = -h;
    RL = -l;
    kk = (2048 - kk) & 2047;
  } else {
    RH = h;
    RL = l;
  }
  RK = kk;
  RERR = 2 * (2 ** -196 + Math.abs(h) * 2 ** -105);
}

// sin r, cos r as double-doubles
let SRH = 0;
let SRL = 0;
let CRH = 0;
let CRL = 0;

function sinCosR(): void {
  const rh = RH;
  const rl = RL;
  let t = SPLIT * rh;
  const xh = t - (t - rh);
  const xl = rh - xh;
  const zh = rh * rh;
  const zl = xh * xh - zh + 2 * xh * xl + xl * xl + 2 * rh * rl;
  // w = r z
  t = SPLIT * zh;
  const yh = t - (t - zh);
  const yl = zh - yh;
  let p = rh * zh;
  let pe = xh * yh - p + xh * yl + xl * yh + xl * yl + (rh * zl + rl * zh);
  const wh = p + pe;
  const wl = pe - (wh - p);
  // Ps = -1/6 + z/120 - z^2/5040 + z^3/362880
  const tail = zh * (0.008333333333333333 + zh * (-0.0001984126984126984 + zh * 2.7557319223985893e-6));
  const psh = tail - SIXTH_H;
  const psl = -SIXTH_H - psh + tail - SIXTH_L;
  // sm = w Ps
  t = SPLIT * wh;
  const ah = t - (t - wh);
  const al = wh - ah;
  t = SPLIT * psh;
  const bh = t - (t - psh);
  const bl = psh - bh;
  p = wh * psh;
  pe = ah * bh - p + ah * bl + al * bh + al * bl + (wh * psl + wl * psh);
  const smh = p + pe;
  const sml = pe - (smh - p);
  // sin r = r + sm
  let s = rh + smh;
  let e = smh - (s - rh);
  let lo = e + (rl + sml);
  SRH = s + lo;
  SRL = lo - (SRH - s);
  // cos r = 1 - z/2 + z^2 (1/24 - z/720 + z^2/40320 - z^3/3628800)
  const ct = zh * zh * (0.041666666666666664 + zh * (-0.001388888888888889 + zh * (2.48015873015873e-5 - zh * 2.755731922398589e-7)));
  const hz = 0.5 * zh;
  s = 1 - hz;
  e = 1 - s - hz;
  lo = e + (ct - 0.5 * zl);
  CRH = s + lo;
  CRL = lo - (CRH - s);
}

// a*b + c*d in double-double (all operands double-double)
let OH = 0;
let OL = 0;
function dot(ah: number, al: number, bh: number, bl: number, ch: number, cl: number, dh: number, dl: number): void {
  let t = SPLIT * ah;
  let x1 = t - (t - ah);
  let x2 = ah - x1;
  t = SPLIT * bh;
  let y1 = t - (t - bh);
  let y2 = bh - y1;
  const p = ah * bh;
  const pe = x1 * y1 - p + x1 * y2 + x2 * y1 + x2 * y2 + (ah * bl + al * bh);
  t = SPLIT * ch;
  x1 = t - (t - ch);
  x2 = ch - x1;
  t = SPLIT * dh;
  y1 = t - (t - dh);
  y2 = dh - y1;
  const q = ch * dh;
  const qe = x1 * y1 - q + x1 * y2 + x2 * y1 + x2 * y2 + (ch * dl + cl * dh);
  const s = p + q;
  const bb = s - p;
  const lo = p - (s - bb) + (q - bb) + (pe + qe);
  OH = s + lo;
  OL = lo - (OH - s);
}

/** sin(theta) (which = 0) or cos(theta) (which = 1) of the reduced argument into OH, OL */
function theta(which: number, i: number): void {
  if (which === 0) dot(SH[i]!, SL[i]!, CRH, CRL, CH[i]!, CL[i]!, SRH, SRL);
  else dot(CH[i]!, CL[i]!, CRH, CRL, -SH[i]!, -SL[i]!, SRH, SRL);
}

export function crSin(x: number): number {
  if (!(Math.abs(x) >= 1.4901161193847656e-8)) return x !== x ? x : x; // |x| < 2^-26 (and +-0, NaN)
  if (x === Infinity || x === -Infinity) return NaN;
  if (!ready) init();
  if (crState.forceSlow) return slowTrig(x, 0);
  reduce(x);
  sinCosR();
  const q = RK >> 9;
  theta(q & 1, RK & 511);
  let h = OH;
  let l = OL;
  if (q >= 2) {
    h = -h;
    l = -l;
  }
  const err = TRIG_TEST_ERR * Math.abs(h) + 2 * RERR;
  const a = h + (l - err);
  return a === h + (l + err) ? a : slowTrig(x, 0);
}

export function crCos(x: number): number {
  if (!(Math.abs(x) >= 7.450580596923828e-9)) return x !== x ? x : 1; // |x| < 2^-27
  if (x === Infinity || x === -Infinity) return NaN;
  if (!ready) init();
  if (crState.forceSlow) return slowTrig(x, 1);
  reduce(x);
  sinCosR();
  const q = ((RK >> 9) + 1) & 3;
  theta(q & 1, RK & 511);
  let h = OH;
  let l = OL;
  if (q >= 2) {
    h = -h;
    l = -l;
  }
  const err = TRIG_TEST_ERR * Math.abs(h) + 2 * RERR;
  const a = h + (l - err);
  return a === h + (l + err) ? a : slowTrig(x, 1);
}

export function crTan(x: number): number {
  if (!(Math.abs(x) >= 7.450580596923828e-9)) return x; // |x| < 2^-27: tan x rounds to x
  if (x === Infinity || x === -Infinity) return NaN;
  if (!ready) init();
  if (crState.forceSlow) return slowTrig(x, 2);
  reduce(x);
  sinCosR();
  const q = RK >> 9;
  const i = RK & 511;
  theta(0, i);
  const sh = OH;
  const sl = OL;
  theta(1, i);
  // n/d: q even sin/cos, q odd -cos/sin
  let nh: number, nl: number, dh: number, dl: number;
  if ((q & 1) === 0) {
    nh = sh;
    nl = sl;
    dh = OH;
    dl = OL;
  } else {
    nh = -OH;
    nl = -OL;
    dh = sh;
    dl = sl;
  }
  const q1 = nh / dh;
  let t = SPLIT * q1;
  const x1 = t - (t - q1);
  const x2 = q1 - x1;
  t = SPLIT * dh;
  const y1 = t - (t - dh);
  const y2 = dh - y1;
  const p = q1 * dh;
  const pe = x1 * y1 - p + x1 * y2 + x2 * y1 + x2 * y2;
  const q2 = (nh - p - pe + nl - q1 * dl) / dh;
  const h = q1 + q2;
  const l = q2 - (h - q1);
  const err = TAN_TEST_ERR * Math.abs(h) + 2 * RERR * (1 + h * h);
  const a = h + (l - err);
  return a === h + (l + err) ? a : slowTrig(x, 2);
}
