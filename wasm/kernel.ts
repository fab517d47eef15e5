// The exact kernel's inner loop in WebAssembly (AssemblyScript), two pixels at a time (f64x2).
//
// This is src/physics/kernel.ts's kernelRow for the common case (flat detector, no detector
// thickness, Kahn factor 0, no -dmin, no -mask), pixel pairs along a row: the same IEEE double
// operations in the same order, lane by lane (WebAssembly has no fused multiply-add and
// Binaryen keeps IEEE semantics), the same sinApprox, the same error bound. It writes, per
// pixel, the double value before the float32 store, its bound, and each sub-pixel's solid
// angle; kernel.ts decides the float32 (or hands the pixel to the reference loop) and keeps
// the statistics in the C's order. Built by `npm run build` (asc) into dist/wasm/kernel.wasm.
//
// Memory: the plan (f64 parameters, then the tables) is written once by kernel.ts; offsets in
// bytes come with setup().

const INV_PI: f64 = 0.318309886183790671538;
const Q1: f64 = 3.14159265346825122833e+00;
const Q2: f64 = 1.21542010126079319532e-10;
const Q3: f64 = 4.04453249759190126308e-21;
const MAGIC: f64 = 6755399441055744.0;
const X_MAX: f64 = 1048576.0 * 1.5707963267948966;
const R_MIN: f64 = 9.094947017729282e-13; // 2^-40
const T3: f64 = -1.0 / 6.0;
const T5: f64 = 1.0 / 120.0;
const T7: f64 = -1.0 / 5040.0;
const T9: f64 = 1.0 / 362880.0;
const T11: f64 = -1.0 / 39916800.0;
const T13: f64 = 1.0 / 6227020800.0;
const T15: f64 = -1.0 / 1307674368000.0;
const T17: f64 = 1.0 / 355687428096000.0;
const T19: f64 = -1.0 / 121645100408832000.0;
const T21: f64 = 1.0 / 51090942171709440000.0;
const C2: f64 = -1.0 / 2.0;
const C4: f64 = 1.0 / 24.0;
const C6: f64 = -1.0 / 720.0;
const C8: f64 = 1.0 / 40320.0;
const C10: f64 = -1.0 / 3628800.0;
const C12: f64 = 1.0 / 479001600.0;
const C14: f64 = -1.0 / 87178291200.0;

/** the memory layout this module shares with src/physics/kernel.ts (WASM_LAYOUT there): change both together */
export function layout(): i32 { return 3; }

// plan indices (f64 slots at offset 0), set by kernel.ts (PLAN_* there)
const I_OS = 0; const I_SUBPIX = 1; const I_HALFSUB = 2;
const I_F = 3; const I_S = 6; const I_O = 9; const I_P = 12;
const I_PIXELSIZE = 15; const I_CLOSE = 16; const I_POINTPIXEL = 17;
const I_THICKSTEPS = 18; const I_THICKSTEP = 19;
const I_NOPOLAR = 20; const I_WPOLAR = 21; const I_WOMEGA = 22; const I_CPOLAR = 23; const I_COMEGA = 24; const I_SPOLAR = 25; const I_SOMEGA = 26;
const I_SOURCES = 27; const I_WATER = 28; const I_IBG = 29;
const I_PHISTEPS = 30; const I_M = 31; const I_NA = 32; const I_NB = 33; const I_NC = 34;
const I_DEFAULTF = 35; const I_HASHKLS = 36;
const I_HMIN = 37; const I_HMAX = 38; const I_KMIN = 39; const I_KMAX = 40; const I_LMIN = 41; const I_LMAX = 42; const I_SH = 43; const I_SK = 44;
const I_SCALE0 = 45; const I_STEPS = 46; const I_E = 47; const I_EABS = 48; const I_APPROX = 49; const I_FAULT = 50;

let pSrc: usize = 0;   // per source: -srcX, -srcY, -srcZ, lambda, unitized incident x, y, z (7 f64)
let pAbc: usize = 0;   // 9 f64 per (phi entry, mosaic domain)
let pMap: usize = 0;   // i32 per φ step: the table entry of a later sweep
let pF: usize = 0;     // the HKL grid, f64
let pOut: usize = 0;   // per pixel of a row: test, delta, then one solid angle per (layer, sub-pixel)
let pRow: usize = 0;   // the row's float32 pixels, as decided by finish()

export function setup(src: usize, abc: usize, map: usize, fgrid: usize, out: usize, rowf32: usize): void {
  pSrc = src; pAbc = abc; pMap = map; pF = fgrid; pOut = out; pRow = rowf32;
}

// the render statistics, accumulated in the C's pixel order, in plan slots S_MAXI … S_OMEGA
// (maxI, maxIx, maxIy, sum, sumsqr, sumn, omegaSum): kernel.ts writes them before a row and reads them after
const S_MAXI = 56; const S_MAXIX = 57; const S_MAXIY = 58; const S_SUM = 59; const S_SUMSQR = 60; const S_SUMN = 61; const S_OMEGA = 62;
@inline function setP(i: i32, v: f64): void { store<f64>(<usize>i << 3, v); }

/** One pixel's value into the statistics, as render.ts's loop takes it (position: its last sub-pixel); finish() does the same on locals. */
function addStat(value: f64, fpixel: i32, spixel: i32): void {
  const os = P(I_OS), subpix = P(I_SUBPIX), halfSub = P(I_HALFSUB);
  if (value > P(S_MAXI)) {
    setP(S_MAXI, value);
    setP(S_MAXIX, subpix * (<f64>fpixel * os + os - 1.0) + halfSub);
    setP(S_MAXIY, subpix * (<f64>spixel * os + os - 1.0) + halfSub);
  }
  setP(S_SUM, P(S_SUM) + value);
  setP(S_SUMSQR, P(S_SUMSQR) + <f64><f32>(value * value));
  setP(S_SUMN, P(S_SUMN) + 1.0);
}

/**
 * Pixels i0 … n−1 of the last row() call, in order: the solid angles into the sum, the float32
 * decision (value ± bound on one float32), the value into pRow and the statistics. Returns the
 * first pixel the bound cannot decide (its solid angles already summed), or n.
 */
export function finish(spixel: i32, f0: i32, i0: i32, n: i32): i32 {
  const omegas = <i32>P(I_THICKSTEPS) * <i32>P(I_OS) * <i32>P(I_OS);
  const stride = <usize>(2 + omegas) << 3;
  const approx = P(I_APPROX) != 0;
  const os = P(I_OS), subpix = P(I_SUBPIX), halfSub = P(I_HALFSUB);
  // the statistics in locals for the loop (the same operations in the same order as addStat)
  let maxI = P(S_MAXI), maxIx = P(S_MAXIX), maxIy = P(S_MAXIY), sum = P(S_SUM), sumsqr = P(S_SUMSQR), sumn = P(S_SUMN), omegaSum = P(S_OMEGA);
  let i = i0;
  for (; i < n; i++) {
    const o = pOut + <usize>i * stride;
    for (let j = 0; j < omegas; j++) omegaSum += load<f64>(o + (<usize>(2 + j) << 3));
    const test = load<f64>(o), delta = load<f64>(o, 8);
    // the C adds the pixel to its calloc'ed float image: (float)(0.0 + test)
    const value = <f64><f32>(0.0 + test);
    if (!approx && !(<f64><f32>(test - delta) == value && <f64><f32>(test + delta) == value)) break;
    store<f32>(pRow + (<usize>i << 2), <f32>value);
    if (value > maxI) {
      maxI = value;
      maxIx = subpix * (<f64>(f0 + i) * os + os - 1.0) + halfSub;
      maxIy = subpix * (<f64>spixel * os + os - 1.0) + halfSub;
    }
    sum += value;
    sumsqr += <f64><f32>(value * value);
    sumn += 1.0;
  }
  setP(S_MAXI, maxI); setP(S_MAXIX, maxIx); setP(S_MAXIY, maxIy); setP(S_SUM, sum); setP(S_SUMSQR, sumsqr); setP(S_SUMN, sumn); setP(S_OMEGA, omegaSum);
  return i;
}

/** A pixel decided elsewhere (the reference loop): its value into pRow and the statistics. */
export function put(i: i32, value: f64, fpixel: i32, spixel: i32): void {
  store<f32>(pRow + (<usize>i << 2), <f32>value);
  addStat(value, fpixel, spixel);
}

@inline function P(i: i32): f64 { return load<f64>(<usize>i << 3); }
@inline function splat(x: f64): v128 { return f64x2.splat(x); }
@inline function sel(a: v128, b: v128, m: v128): v128 { return v128.bitselect(a, b, m); }

// src/math/fastsin.ts's sinApprox, per lane; NaN where its bound is not proven
@inline function sinV(x: v128): v128 {
  const n = f64x2.sub(f64x2.add(f64x2.mul(x, splat(INV_PI)), splat(MAGIC)), splat(MAGIC));
  const r = f64x2.sub(f64x2.sub(f64x2.sub(x, f64x2.mul(n, splat(Q1))), f64x2.mul(n, splat(Q2))), f64x2.mul(n, splat(Q3)));
  const z = f64x2.mul(r, r);
  // Estrin's scheme (fastsin.ts): the same operations as sinApprox, lane by lane
  const z2 = f64x2.mul(z, z), z4 = f64x2.mul(z2, z2), z8 = f64x2.mul(z4, z4);
  const a0 = f64x2.add(splat(T3), f64x2.mul(z, splat(T5)));
  const a1 = f64x2.add(splat(T7), f64x2.mul(z, splat(T9)));
  const a2 = f64x2.add(splat(T11), f64x2.mul(z, splat(T13)));
  const a3 = f64x2.add(splat(T15), f64x2.mul(z, splat(T17)));
  const a4 = f64x2.add(splat(T19), f64x2.mul(z, splat(T21)));
  const p = f64x2.add(f64x2.add(f64x2.add(a0, f64x2.mul(a1, z2)), f64x2.mul(f64x2.add(a2, f64x2.mul(a3, z2)), z4)), f64x2.mul(a4, z8));
  const s = f64x2.add(r, f64x2.mul(f64x2.mul(r, z), p));
  const h = f64x2.mul(n, splat(0.5));
  const v = f64x2.mul(s, f64x2.sub(splat(1.0), f64x2.mul(splat(4.0), f64x2.sub(h, f64x2.floor(h)))));
  const ok = v128.and(f64x2.lt(f64x2.abs(x), splat(X_MAX)), v128.or(f64x2.ge(f64x2.abs(r), splat(R_MIN)), f64x2.eq(n, splat(0.0))));
  return sel(v, splat(NaN), ok);
}

// src/math/fastsin.ts's sincgFast (--fast), per lane
@inline function sincgFastV(h: v128, N: f64): v128 {
  const n = f64x2.sub(f64x2.add(h, splat(MAGIC)), splat(MAGIC));
  const t = f64x2.mul(splat(3.141592653589793), f64x2.sub(h, n));
  const z = f64x2.mul(t, t);
  // cos πδ to degree 14 (remainder ≤ (π/2)¹⁶/16! ≈ 7e-11): far below --fast's bounds
  let c = f64x2.add(splat(C12), f64x2.mul(z, splat(C14)));
  c = f64x2.add(splat(C10), f64x2.mul(z, c));
  c = f64x2.add(splat(C8), f64x2.mul(z, c));
  c = f64x2.add(splat(C6), f64x2.mul(z, c));
  c = f64x2.add(splat(C4), f64x2.mul(z, c));
  c = f64x2.add(splat(C2), f64x2.mul(z, c));
  c = f64x2.add(splat(1.0), f64x2.mul(z, c));
  let u1: v128;
  if (N <= 16) {
    const c2 = f64x2.add(c, c);
    let u0 = splat(1.0);
    u1 = N == 1 ? splat(1.0) : c2;
    const Ni = <i32>N;
    for (let k = 2; k < Ni; k++) { const u2 = f64x2.sub(f64x2.mul(c2, u1), u0); u0 = u1; u1 = u2; }
  } else {
    u1 = f64x2.div(sinV(f64x2.mul(splat(N), t)), sinV(t));
  }
  const m = f64x2.mul(f64x2.mul(n, splat(N - 1.0)), splat(0.5));
  const even = f64x2.eq(m, f64x2.floor(m));
  const u = sel(u1, f64x2.neg(u1), even);
  // t == 0: h is an integer; sincgFast returns ±N there (N at h == 0)
  const atInt = sel(sel(splat(N), splat(-N), even), splat(N), v128.not(f64x2.eq(h, splat(0.0))));
  return sel(atInt, u, f64x2.eq(t, splat(0.0)));
}

@inline function fcellLane(h: f64, k: f64, l: f64, defaultF: f64, hMin: f64, hMax: f64, kMin: f64, kMax: f64, lMin: f64, lMax: f64, sH: f64, sK: f64): f64 {
  const h0 = Math.ceil(h - 0.5), k0 = Math.ceil(k - 0.5), l0 = Math.ceil(l - 0.5);
  if (h0 <= hMax && h0 >= hMin && k0 <= kMax && k0 >= kMin && l0 <= lMax && l0 >= lMin) {
    const idx = (h0 - hMin) * sH + (k0 - kMin) * sK + (l0 - lMin);
    return load<f64>(pF + (<usize><i64>idx << 3));
  }
  return defaultF;
}

// lanes of the current pixel pair that must go to the reference loop (all ones)
let gBad: v128 = f64x2.splat(0.0);

// One evaluation (rotated cell at `ab`) for both lanes: F_cell²·F_latt² with the weights the C
// applies to each contribution, as kernel.ts computes it.
@inline function contribution(ab: usize, q1: v128, q2: v128, q3: v128, approx: bool, Na: f64, Nb: f64, Nc: f64, water: f64,
  hasHkls: bool, defaultF: f64, hMin: f64, hMax: f64, kMin: f64, kMax: f64, lMin: f64, lMax: f64, sH: f64, sK: f64,
  cPolar: bool, cOmega: bool, polar: v128, omega: v128): v128 {
  const zero = splat(0.0);
  const PI = splat(Math.PI);
  const h = f64x2.add(f64x2.add(f64x2.mul(splat(load<f64>(ab)), q1), f64x2.mul(splat(load<f64>(ab, 8)), q2)), f64x2.mul(splat(load<f64>(ab, 16)), q3));
  const k = f64x2.add(f64x2.add(f64x2.mul(splat(load<f64>(ab, 24)), q1), f64x2.mul(splat(load<f64>(ab, 32)), q2)), f64x2.mul(splat(load<f64>(ab, 40)), q3));
  const l = f64x2.add(f64x2.add(f64x2.mul(splat(load<f64>(ab, 48)), q1), f64x2.mul(splat(load<f64>(ab, 56)), q2)), f64x2.mul(splat(load<f64>(ab, 64)), q3));
  let Flatt = splat(1.0);
  if (approx) {
    if (Na > 1) Flatt = f64x2.mul(Flatt, sincgFastV(h, Na));
    if (Nb > 1) Flatt = f64x2.mul(Flatt, sincgFastV(k, Nb));
    if (Nc > 1) Flatt = f64x2.mul(Flatt, sincgFastV(l, Nc));
  } else {
    if (Na > 1) { const vN = splat(Na); const x = f64x2.mul(PI, h); Flatt = f64x2.mul(Flatt, sel(vN, f64x2.div(sinV(f64x2.mul(x, vN)), sinV(x)), f64x2.eq(x, zero))); }
    if (Nb > 1) { const vN = splat(Nb); const x = f64x2.mul(PI, k); Flatt = f64x2.mul(Flatt, sel(vN, f64x2.div(sinV(f64x2.mul(x, vN)), sinV(x)), f64x2.eq(x, zero))); }
    if (Nc > 1) { const vN = splat(Nc); const x = f64x2.mul(PI, l); Flatt = f64x2.mul(Flatt, sel(vN, f64x2.div(sinV(f64x2.mul(x, vN)), sinV(x)), f64x2.eq(x, zero))); }
  }
  // the reference skips an evaluation whose F_latt is 0 (never, short of a sine's zero): such a lane is redone
  if (water == 0.0) gBad = v128.or(gBad, f64x2.eq(Flatt, zero));
  let Fcell = splat(defaultF);
  if (hasHkls) {
    Fcell = f64x2(
      fcellLane(f64x2.extract_lane(h, 0), f64x2.extract_lane(k, 0), f64x2.extract_lane(l, 0), defaultF, hMin, hMax, kMin, kMax, lMin, lMax, sH, sK),
      fcellLane(f64x2.extract_lane(h, 1), f64x2.extract_lane(k, 1), f64x2.extract_lane(l, 1), defaultF, hMin, hMax, kMin, kMax, lMin, lMax, sH, sK));
  }
  let w = f64x2.mul(f64x2.mul(f64x2.mul(Fcell, Fcell), Flatt), Flatt);
  if (cPolar) w = f64x2.mul(w, polar);
  if (cOmega) w = f64x2.mul(w, omega);
  return w;
}

// Pixels f0, f0+1, …, f0+2·pairs−1 of row `spixel` (φ state: later sweeps). Per pixel at pOut + i·stride:
// test, delta, then the solid angle of each (layer, sub-pixel) in loop order.
//
// Two exported copies, exact (rowExact) and --fast (rowFast), each with its `approx` branches
// folded away: V8 optimizes a function of its own when it gets hot, and a row function half the
// size gets there in half the time (38 ms for the two together, in the background, while the
// baseline code runs the first rows).
//
// Each then runs finish() on the row (one call from JavaScript per row, not two) and returns what it returns.
export function rowExact(spixel: i32, f0: i32, pairs: i32): i32 { rowImpl(false, spixel, f0, pairs); return finish(spixel, f0, 0, 2 * pairs); }
export function rowFast(spixel: i32, f0: i32, pairs: i32): i32 { rowImpl(true, spixel, f0, pairs); return finish(spixel, f0, 0, 2 * pairs); }

@inline function rowImpl(approx: bool, spixel: i32, f0: i32, pairs: i32): void {
  const os = <i32>P(I_OS); const subpix = P(I_SUBPIX); const halfSub = P(I_HALFSUB);
  const f1 = splat(P(I_F)), f2 = splat(P(I_F + 1)), f3 = splat(P(I_F + 2));
  const s1 = P(I_S), s2 = P(I_S + 1), s3 = P(I_S + 2);
  const o1 = P(I_O), o2 = P(I_O + 1), o3 = P(I_O + 2);
  const p1 = splat(P(I_P)), p2 = splat(P(I_P + 1)), p3 = splat(P(I_P + 2));
  const pixelSize = P(I_PIXELSIZE), close = P(I_CLOSE), pointPixel = P(I_POINTPIXEL) != 0;
  const thicksteps = <i32>P(I_THICKSTEPS), thickstep = P(I_THICKSTEP);
  const nopolar = P(I_NOPOLAR) != 0, wPolar = P(I_WPOLAR) != 0, wOmega = P(I_WOMEGA) != 0;
  const cPolar = P(I_CPOLAR) != 0, cOmega = P(I_COMEGA) != 0, sPolar = P(I_SPOLAR) != 0, sOmega = P(I_SOMEGA) != 0;
  const sources = <i32>P(I_SOURCES), water = P(I_WATER), Ibg = P(I_IBG);
  const phisteps = <i32>P(I_PHISTEPS), M = <i32>P(I_M);
  const Na = P(I_NA), Nb = P(I_NB), Nc = P(I_NC);
  const defaultF = P(I_DEFAULTF), hasHkls = P(I_HASHKLS) != 0;
  const hMin = P(I_HMIN), hMax = P(I_HMAX), kMin = P(I_KMIN), kMax = P(I_KMAX), lMin = P(I_LMIN), lMax = P(I_LMAX), sH = P(I_SH), sK = P(I_SK);
  const scale0 = P(I_SCALE0), steps = P(I_STEPS), E = P(I_E), Eabs = P(I_EABS), fault = P(I_FAULT);
  const stride = <usize>(2 + thicksteps * os * os) << 3;
  const zero = splat(0.0), one = splat(1.0);
  const ps2 = splat(pixelSize * pixelSize), vClose = splat(close);

  for (let pair = 0; pair < pairs; pair++) {
    const fa = f0 + 2 * pair;
    const fpix = f64x2(<f64>fa, <f64>(fa + 1));
    let I = splat(Ibg);
    let A = f64x2.abs(I);
    let polar = nopolar ? one : zero;
    let omega = zero;
    gBad = zero; // lanes that must go to the reference loop (all ones)
    let sub = 0;
    for (let thickTic = 0; thickTic < thicksteps; ++thickTic) {
      const Odet = <f64>thickTic * thickstep;
      for (let subS = 0; subS < os; ++subS) {
        const Sdet = subpix * <f64>(spixel * os + subS) + halfSub;
        const SO1 = splat(Sdet * s1), SO2 = splat(Sdet * s2), SO3 = splat(Sdet * s3);
        const OO1 = splat(Odet * o1), OO2 = splat(Odet * o2), OO3 = splat(Odet * o3);
        for (let subF = 0; subF < os; ++subF) {
          const Fdet = f64x2.add(f64x2.mul(splat(subpix), f64x2.add(f64x2.mul(fpix, splat(<f64>os)), splat(<f64>subF))), splat(halfSub));
          const x1 = f64x2.add(f64x2.add(f64x2.add(f64x2.mul(Fdet, f1), SO1), OO1), p1);
          const x2 = f64x2.add(f64x2.add(f64x2.add(f64x2.mul(Fdet, f2), SO2), OO2), p2);
          const x3 = f64x2.add(f64x2.add(f64x2.add(f64x2.mul(Fdet, f3), SO3), OO3), p3);
          const air = f64x2.sqrt(f64x2.add(f64x2.add(f64x2.mul(x1, x1), f64x2.mul(x2, x2)), f64x2.mul(x3, x3)));
          gBad = v128.or(gBad, f64x2.eq(air, zero));
          let d1: v128, d2: v128, d3: v128, omegaNew: v128;
          if (approx) {
            // --fast: one division per sub-pixel, products by the reciprocal after it
            const inv = f64x2.div(one, air);
            d1 = f64x2.mul(x1, inv); d2 = f64x2.mul(x2, inv); d3 = f64x2.mul(x3, inv);
            const inv2 = f64x2.mul(inv, inv);
            omegaNew = pointPixel ? inv2 : f64x2.mul(f64x2.mul(ps2, vClose), f64x2.mul(inv2, inv));
          } else {
            d1 = f64x2.div(x1, air); d2 = f64x2.div(x2, air); d3 = f64x2.div(x3, air);
            omegaNew = pointPixel
              ? f64x2.div(f64x2.div(one, air), air)
              : f64x2.div(f64x2.mul(f64x2.div(f64x2.div(ps2, air), air), vClose), air);
          }
          omega = wOmega ? omegaNew : sel(omegaNew, omega, f64x2.eq(omega, zero));
          const o = pOut + <usize>(fa - f0) * stride + (<usize>(2 + sub) << 3);
          store<f64>(o, f64x2.extract_lane(omega, 0));
          store<f64>(o + stride, f64x2.extract_lane(omega, 1));
          ++sub;
          for (let source = 0; source < sources; ++source) {
            const sp = pSrc + (<usize>source * 56);
            const lambda = splat(load<f64>(sp, 24));
            let q1: v128, q2: v128, q3: v128;
            if (approx) {
              const il = f64x2.div(one, lambda);
              q1 = f64x2.mul(f64x2.sub(d1, splat(load<f64>(sp))), il);
              q2 = f64x2.mul(f64x2.sub(d2, splat(load<f64>(sp, 8))), il);
              q3 = f64x2.mul(f64x2.sub(d3, splat(load<f64>(sp, 16))), il);
            } else {
              q1 = f64x2.div(f64x2.sub(d1, splat(load<f64>(sp))), lambda);
              q2 = f64x2.div(f64x2.sub(d2, splat(load<f64>(sp, 8))), lambda);
              q3 = f64x2.div(f64x2.sub(d3, splat(load<f64>(sp, 16))), lambda);
            }
            // polarization_factor() with Kahn 0: diffracted re-unitized in place, incident unitized (precomputed)
            const doPolar = wPolar ? v128.not(zero) : f64x2.eq(polar, zero);
            if (approx && v128.any_true(doPolar)) {
              // --fast: the diffracted vector is already a unit vector; no second unitizing
              const c = f64x2.add(f64x2.add(f64x2.mul(splat(load<f64>(sp, 32)), d1), f64x2.mul(splat(load<f64>(sp, 40)), d2)), f64x2.mul(splat(load<f64>(sp, 48)), d3));
              polar = sel(f64x2.mul(splat(0.5), f64x2.add(one, f64x2.mul(c, c))), polar, doPolar);
            } else if (v128.any_true(doPolar)) {
              const m = f64x2.sqrt(f64x2.add(f64x2.add(f64x2.mul(d1, d1), f64x2.mul(d2, d2)), f64x2.mul(d3, d3)));
              const mz = f64x2.eq(m, zero);
              const u1 = sel(zero, f64x2.div(d1, m), mz), u2 = sel(zero, f64x2.div(d2, m), mz), u3 = sel(zero, f64x2.div(d3, m), mz);
              d1 = sel(u1, d1, doPolar); d2 = sel(u2, d2, doPolar); d3 = sel(u3, d3, doPolar);
              const c = f64x2.add(f64x2.add(f64x2.mul(splat(load<f64>(sp, 32)), d1), f64x2.mul(splat(load<f64>(sp, 40)), d2)), f64x2.mul(splat(load<f64>(sp, 48)), d3));
              const c2 = f64x2.mul(c, c);
              const s2v = f64x2.sub(one, c2);
              const pol = f64x2.mul(splat(0.5), f64x2.sub(f64x2.add(one, c2), f64x2.mul(f64x2.mul(zero, one), s2v)));
              polar = sel(pol, polar, doPolar);
            }
            // the φ × mosaic evaluations two at a time: two independent chains in flight (the sines'
            // latency, not their operations, bounds one at a time); summed in the C's order
            const total = phisteps * M;
            let pt = 0, mt = 0, ent = load<i32>(pMap);
            let e = 0;
            for (; e + 1 < total; e += 2) {
              const ab0 = pAbc + (<usize>(ent * M + mt) * 72);
              if (++mt == M) { mt = 0; ++pt; ent = load<i32>(pMap + (<usize>pt << 2)); }
              const ab1 = pAbc + (<usize>(ent * M + mt) * 72);
              if (++mt == M) { mt = 0; ++pt; if (pt < phisteps) ent = load<i32>(pMap + (<usize>pt << 2)); }
              const w0 = contribution(ab0, q1, q2, q3, approx, Na, Nb, Nc, water, hasHkls, defaultF, hMin, hMax, kMin, kMax, lMin, lMax, sH, sK, cPolar, cOmega, polar, omega);
              const w1 = contribution(ab1, q1, q2, q3, approx, Na, Nb, Nc, water, hasHkls, defaultF, hMin, hMax, kMin, kMax, lMin, lMax, sH, sK, cPolar, cOmega, polar, omega);
              I = f64x2.add(I, w0);
              A = f64x2.add(A, f64x2.abs(w0));
              if (sPolar) { I = f64x2.mul(I, polar); A = f64x2.mul(A, f64x2.abs(polar)); }
              if (sOmega) { I = f64x2.mul(I, omega); A = f64x2.mul(A, f64x2.abs(omega)); }
              I = f64x2.add(I, w1);
              A = f64x2.add(A, f64x2.abs(w1));
              if (sPolar) { I = f64x2.mul(I, polar); A = f64x2.mul(A, f64x2.abs(polar)); }
              if (sOmega) { I = f64x2.mul(I, omega); A = f64x2.mul(A, f64x2.abs(omega)); }
            }
            if (e < total) {
              const w0 = contribution(pAbc + (<usize>(ent * M + mt) * 72), q1, q2, q3, approx, Na, Nb, Nc, water, hasHkls, defaultF, hMin, hMax, kMin, kMax, lMin, lMax, sH, sK, cPolar, cOmega, polar, omega);
              I = f64x2.add(I, w0);
              A = f64x2.add(A, f64x2.abs(w0));
              if (sPolar) { I = f64x2.mul(I, polar); A = f64x2.mul(A, f64x2.abs(polar)); }
              if (sOmega) { I = f64x2.mul(I, omega); A = f64x2.mul(A, f64x2.abs(omega)); }
            }
          }
        }
      }
    }
    let test = f64x2.div(f64x2.mul(splat(scale0), I), splat(steps));
    let bound = f64x2.div(f64x2.mul(splat(scale0), A), splat(steps));
    // no detector thickness here: capture fraction 1, and test*1 is test
    if (!wPolar) { test = f64x2.mul(test, polar); bound = f64x2.mul(bound, f64x2.abs(polar)); }
    if (!wOmega) { test = f64x2.mul(test, omega); bound = f64x2.mul(bound, f64x2.abs(omega)); }
    if (fault != 1.0) test = f64x2.mul(test, splat(fault)); // tests only (kernel.ts kernelFaults)
    const delta = f64x2.add(f64x2.mul(bound, splat(E)), splat(Eabs));
    test = sel(splat(NaN), test, gBad);
    const o = pOut + <usize>(fa - f0) * stride;
    store<f64>(o, f64x2.extract_lane(test, 0));
    store<f64>(o, f64x2.extract_lane(delta, 0), 8);
    store<f64>(o + stride, f64x2.extract_lane(test, 1));
    store<f64>(o + stride, f64x2.extract_lane(delta, 1), 8);
  }
}
