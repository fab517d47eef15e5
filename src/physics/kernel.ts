/**
 * The exact kernel: the pixel loop of render.ts for the common case (float64, square crystal
 * shape, no trace, no printout; tricubic interpolation included), written for speed, with the same
 * float32 image bit for bit.
 *
 * The reference loop spends most of its time in the lattice factor's six libm sines per
 * evaluation. Here they come from sinApprox (src/math/fastsin.ts), whose relative error is
 * proven ≤ SIN_APPROX_REL_ERROR against the true sine; the run's libm is within 1 ulp of it.
 * Everything else is the C's arithmetic, in the C's order, on the same inputs. So the
 * pixel's double value differs from the reference's by at most a bound the loop carries
 * along (see `errorModel`): per evaluation, the lattice factor's relative error; per
 * addition and multiplication of the pixel sum, one rounding on each side, measured
 * against A, the same sum taken over absolute values. When the interval value ± bound holds
 * one float32, that float32 is the reference's, and it is stored. Otherwise (on average a
 * pixel in tens of millions, or a sine outside sinApprox's proven range), the pixel is
 * rendered again by the reference loop (render.ts) from the same state. The result is the
 * reference's image, every bit, proven per pixel rather than hoped for.
 *
 * What does not depend on the sines runs as the reference runs it: geometry, the per-pixel
 * solid angle, polarisation and capture fraction (with the run's libm), the C-PARITY-001
 * carry-over, the C-PIXEL-FACTORS / C-OVERSAMPLE-SUM weighting, -dmin, -mask, -roi.
 *
 * --fast (`approx`): the same loop with the lattice factor from sincgFast (fractional index
 * and Chebyshev recurrence, one polynomial per axis instead of two reduced sines) and no
 * check: faster, not bit-identical; the README and `npm run bench` give its accuracy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Precision } from '../math/precision.js';
import type { SimulationConfig } from '../config/resolve.js';
import { isC } from '../quirks/catalogue.js';
import { SIN_APPROX_REL_ERROR, sinApprox, sincgFast } from '../math/fastsin.js';
import { vec } from '../math/vec3.js';
import type { LatticeTable } from './lattice.js';
import { curvePixel, polarizationFactor, renderRows, structureFactor, structureFactorContext, type ChunkState, type RenderStats, type StructureFactorContext } from './render.js';

const U = 2 ** -53;

/** Why the exact kernel does not apply to this run (null: it applies). */
export function kernelUnsupported(cfg: SimulationConfig, opts: { trace?: boolean; print?: boolean; recorder?: boolean }): string | null {
  if (cfg.render === 'reference') return '--render reference';
  if (cfg.dtype !== 'float64') return '--dtype float32';
  if (cfg.crystal.shape !== 'SQUARE') return `crystal shape ${cfg.crystal.shape}`;
  if (opts.trace && cfg.tracePixels.length) return '-trace_pixel';
  if (opts.print && cfg.outputs.printout) return '-printout';
  if (opts.recorder) return '--libm-log';
  return null;
}

/**
 * --dtype float32: every sine the loop takes is the run's libm's, rounded to float32. sinApprox
 * is within SIN_APPROX_REL_ERROR of the true sine and the libm within 1 ulp (2u), so when
 * s·(1 ± (ε + 4u)) rounds to one float32 on both sides, that float32 is the libm's rounded
 * result: the same bits, decided per call; otherwise (about one call in 10⁸, or NaN) the libm
 * answers. The reference loop runs unchanged around it.
 */
export function checkedSines(P: Precision): Precision {
  const f = Math.fround, libmSin = P.libm.sin;
  if (P.dtype !== 'float32') return P;
  const eps = (SIN_APPROX_REL_ERROR + 4 * U) * (1 + 2 ** -20);
  return Object.freeze({
    ...P,
    sin: (x: number) => {
      // sin(±0) is ±0 in every libm; sinApprox(−0) is +0
      if (x === 0) return x;
      const s = sinApprox(x);
      const e = Math.abs(s) * eps;
      const lo = f(s - e);
      return lo === f(s + e) ? lo : f(libmSin(x));
    },
  });
}

/** Everything the row loop reads, computed once per run: plain numbers, flags and typed arrays. */
interface KernelPlan {
  approx: boolean; fpixels: number; xmin: number; xmax: number; ymin: number; ymax: number;
  os: number; subpix: number; halfSub: number;
  f1: number; f2: number; f3: number; s1: number; s2: number; s3: number; o1: number; o2: number; o3: number; p1: number; p2: number; p3: number;
  pixelSize: number; closeDistance: number; distance: number; pointPixel: boolean; curved: boolean; mask: Uint16Array | null;
  thicksteps: number; thickstep: number; mu: number; detThick: number;
  nopolar: boolean; kahn: number;
  wThick: boolean; wPolar: boolean; wOmega: boolean; cThick: boolean; cPolar: boolean; cOmega: boolean; sThick: boolean; sPolar: boolean; sOmega: boolean;
  sources: number; srcX: Float64Array; srcY: Float64Array; srcZ: Float64Array; srcL: Float64Array;
  dmin: number; waterSize: number; Ibg: number;
  phisteps: number; M: number; abc: Float64Array; first: Int32Array; later: Int32Array;
  N3: Float64Array; defaultF: number; hasHkls: boolean;
  hMin: number; hMax: number; kMin: number; kMax: number; lMin: number; lMax: number; sH: number; sK: number; Fgrid: Float64Array;
  scale0: number; steps: number; E: number; Eabs: number; fault: number;
  /** tricubic interpolation asked for (-interpolate, or chosen by the C's rule): F_cell from render.ts's structureFactor */
  interp: boolean; fc: StructureFactorContext;
}

/** One plan per run (its lattice table) and precision: a parallel render asks for it once per row block. */
const plans = new WeakMap<LatticeTable, { cfg: SimulationConfig; r: (x: number) => number; render: string; K: KernelPlan }>();
function planFor(cfg: SimulationConfig, table: LatticeTable, r: (x: number) => number): KernelPlan {
  const cached = plans.get(table);
  if (cached && cached.cfg === cfg && cached.r === r && cached.render === cfg.render) return cached.K;
  const K = kernelPlan(cfg, table, r);
  plans.set(table, { cfg, r, render: cfg.render, K });
  return K;
}

function kernelPlan(cfg: SimulationConfig, table: LatticeTable, r: (x: number) => number): KernelPlan {
  const { detector: D, beam: B, crystal: X, sampling: S } = cfg;
  const osThick = S.oversampleThick, osPolar = S.oversamplePolar, osOmega = S.oversampleOmega;
  const factorsFixed = !isC(cfg.quirks, 'C-PIXEL-FACTORS');
  const wThick = osThick || (factorsFixed && D.thick > 0.0), wPolar = osPolar || (factorsFixed && !B.nopolar), wOmega = osOmega || factorsFixed;
  const runningSum = isC(cfg.quirks, 'C-OVERSAMPLE-SUM');
  const hkl = X.hkl;
  const errors = errorModel(cfg);
  return {
    approx: cfg.render === 'fast', fpixels: D.fpixels, xmin: D.roi.xmin, xmax: D.roi.xmax, ymin: D.roi.ymin, ymax: D.roi.ymax,
    os: S.oversample, subpix: S.subpixelSize, halfSub: S.subpixelSize / 2.0,
    f1: D.fast[1], f2: D.fast[2], f3: D.fast[3], s1: D.slow[1], s2: D.slow[2], s3: D.slow[3],
    o1: D.normal[1], o2: D.normal[2], o3: D.normal[3], p1: D.origin[1], p2: D.origin[2], p3: D.origin[3],
    pixelSize: D.pixelSize, closeDistance: D.closeDistance, distance: D.distance, pointPixel: D.pointPixel, curved: D.curved, mask: D.mask,
    thicksteps: D.thicksteps, thickstep: D.thickstep, mu: D.mu, detThick: D.thick,
    nopolar: B.nopolar, kahn: B.kahn,
    wThick, wPolar, wOmega,
    cThick: wThick && !(runningSum && osThick), cPolar: wPolar && !(runningSum && osPolar), cOmega: wOmega && !(runningSum && osOmega),
    sThick: runningSum && osThick, sPolar: runningSum && osPolar, sOmega: runningSum && osOmega,
    sources: B.sourceX.length, srcX: B.sourceX, srcY: B.sourceY, srcZ: B.sourceZ, srcL: B.sourceLambda,
    dmin: S.dmin, waterSize: S.waterSize, Ibg: S.Ibg,
    phisteps: table.phisteps, M: table.mosaicDomains, abc: table.abc, first: table.source[0], later: table.source[1],
    N3: Float64Array.of(X.Na, X.Nb, X.Nc), defaultF: X.defaultF, hasHkls: hkl !== null && hkl.hkls !== 0,
    hMin: hkl?.hMin ?? 0, hMax: hkl?.hMax ?? 0, kMin: hkl?.kMin ?? 0, kMax: hkl?.kMax ?? 0, lMin: hkl?.lMin ?? 0, lMax: hkl?.lMax ?? 0,
    sH: hkl?.sH ?? 0, sK: hkl?.sK ?? 0, Fgrid: hkl?.F ?? new Float64Array(1),
    scale0: S.r_e_sqr * B.fluence, steps: S.steps, E: errors.relative * kernelFaults.boundScale + kernelFaults.boundAdd, Eabs: errors.absolute, fault: kernelFaults.scale,
    // the precision kernel's own identity: the reference loop calls structureFactor with it too, so its call sites stay monomorphic
    interp: X.interpolate, fc: structureFactorContext(r, cfg),
  };
}

/**
 * Planted faults, for tests only (no command line reaches them): `scale` multiplies every
 * pixel's double value before the float32 decision, as a numerical error the bound does not
 * know of; `boundScale` and `boundAdd` change the bound (relative). tests/kernel.test.ts uses
 * them to show that a wrong value is caught by the comparison with the reference loop, that a
 * bound covering it sends the undecided pixels to the reference loop, and that the redo is exact.
 */
export const kernelFaults = { scale: 1, boundScale: 1, boundAdd: 0 };

/** What a C thread carries from pixel to pixel, and the scratch the loop writes into (allocated once). */
interface KernelState {
  fresh: boolean; polarVector: Float64Array; savedPolar: Float64Array;
  diffracted: Float64Array; incident: Float64Array; pixelPos: Float64Array; tmpv: Float64Array; tmpn: Float64Array; pscratch: Float64Array[];
  hkl3: Float64Array; scratchStats: RenderStats; redone: number;
  /** the render's interpolation switch and warnings (the C's thread-shared switch-off, C-INTERP-SWITCHOFF) */
  shared: { interpolate: boolean; babble: boolean }; warnings: string[];
}

/**
 * Render rows [rowStart, rowEnd) with the exact kernel (or, with cfg.render 'fast', the fast
 * approximation) into `image`, updating `stats` and the chunk state as the reference loop does.
 * Returns the number of pixels handed to the reference loop.
 */
export function kernelRows(
  P: Precision, cfg: SimulationConfig, table: LatticeTable, rowStart: number, rowEnd: number,
  image: Float32Array, stats: RenderStats, init?: ChunkState,
  shared: { interpolate: boolean; babble: boolean } = { interpolate: cfg.crystal.interpolate, babble: true }, warnings: string[] = [],
): number {
  const K = planFor(cfg, table, P.r);
  // per-pixel functions from the run's libm; cos(±0) is 1 in every libm (the Kahn factor 0 case)
  const Pk: Precision = { ...P, cos: (x: number) => (x === 0 ? 1 : P.cos(x)) };
  const st: KernelState = {
    fresh: init?.fresh ?? true, polarVector: Float64Array.from(init?.polar ?? cfg.beam.polarVector), savedPolar: new Float64Array(4),
    diffracted: vec(), incident: vec(), pixelPos: vec(), tmpv: vec(), tmpn: vec(), pscratch: [vec(), vec()],
    hkl3: new Float64Array(3), scratchStats: { maxI: 0, maxIx: 0, maxIy: 0, sum: 0, sumsqr: 0, sumn: 0, omegaSum: 0 }, redone: 0,
    shared, warnings,
  };
  const W = wasmKernel(K, cfg, table);
  // one call per row: the optimizing compiler takes the row function after a few rows, whole,
  // with every constant in a local (one long loop would wait for on-stack replacement)
  for (let spixel = rowStart; spixel < rowEnd; ++spixel) {
    if (W === null || spixel < K.ymin || spixel > K.ymax) { kernelRow(K, Pk, cfg, table, spixel, 0, K.fpixels, image, stats, st); continue; }
    let f = Math.max(0, K.xmin);
    const fEnd = Math.min(K.fpixels - 1, K.xmax) + 1;
    if (f >= fEnd) continue;
    // a C thread's first sweep uses the first-sweep φ map: that pixel in JavaScript
    if (st.fresh) { kernelRow(K, Pk, cfg, table, spixel, f, f + 1, image, stats, st); ++f; }
    const pairs = (fEnd - f) >> 1;
    if (pairs > 0) { wasmRow(W, K, Pk, cfg, table, spixel, f, pairs, image, stats, st); f += 2 * pairs; }
    if (f < fEnd) kernelRow(K, Pk, cfg, table, spixel, f, fEnd, image, stats, st);
  }
  return st.redone;
}

/** Pixels [fStart, fEnd) of row `spixel`, in JavaScript. */
function kernelRow(K: KernelPlan, P: Precision, cfg: SimulationConfig, table: LatticeTable, spixel: number, fStart: number, fEnd: number, image: Float32Array, stats: RenderStats, st: KernelState): void {
  const approx = K.approx, fpixels = K.fpixels, xmin = K.xmin, xmax = K.xmax;
  if (spixel < K.ymin || spixel > K.ymax) return;
  const os = K.os, subpix = K.subpix, halfSub = K.halfSub;
  const f1 = K.f1, f2 = K.f2, f3 = K.f3, s1 = K.s1, s2 = K.s2, s3 = K.s3, o1 = K.o1, o2 = K.o2, o3 = K.o3, p1 = K.p1, p2 = K.p2, p3 = K.p3;
  const pixelSize = K.pixelSize, closeDistance = K.closeDistance, pointPixel = K.pointPixel, curved = K.curved, mask = K.mask;
  const thicksteps = K.thicksteps, thickstep = K.thickstep, mu = K.mu, detThick = K.detThick;
  const nopolar = K.nopolar, kahn = K.kahn;
  const wThick = K.wThick, wPolar = K.wPolar, wOmega = K.wOmega, cThick = K.cThick, cPolar = K.cPolar, cOmega = K.cOmega;
  const sThick = K.sThick, sPolar = K.sPolar, sOmega = K.sOmega;
  const sources = K.sources, srcX = K.srcX, srcY = K.srcY, srcZ = K.srcZ, srcL = K.srcL;
  const dmin = K.dmin, waterSize = K.waterSize, Ibg = K.Ibg;
  const phisteps = K.phisteps, M = K.M, abc = K.abc, first = K.first, later = K.later;
  const N3 = K.N3, defaultF = K.defaultF, hasHkls = K.hasHkls, interp = K.interp, fc = K.fc;
  const hMin = K.hMin, hMax = K.hMax, kMin = K.kMin, kMax = K.kMax, lMin = K.lMin, lMax = K.lMax, sH = K.sH, sK = K.sK, Fgrid = K.Fgrid;
  const scale0 = K.scale0, steps = K.steps, E = K.E, Eabs = K.Eabs, fault = K.fault;
  const PI = Math.PI;
  const exp = P.exp;
  const polarVector = st.polarVector, savedPolar = st.savedPolar;
  const diffracted = st.diffracted, incident = st.incident, pixelPos = st.pixelPos, hkl3 = st.hkl3;
  let fresh = st.fresh;
  let omegaSum = stats.omegaSum;

  for (let fpixel = fStart; fpixel < fEnd; ++fpixel) {
    if (fpixel < xmin || fpixel > xmax) continue;
    const imgidx = spixel * fpixels + fpixel;
    if (mask !== null && mask[imgidx] === 0) continue;
    // the state this pixel starts from, for the reference loop if the bound cannot decide it
    const freshBefore = fresh;
    const interpBefore = st.shared.interpolate, babbleBefore = st.shared.babble, warningsBefore = st.warnings.length;
    savedPolar[0] = polarVector[0]; savedPolar[1] = polarVector[1]; savedPolar[2] = polarVector[2]; savedPolar[3] = polarVector[3];
    let I = Ibg;
    let A = Math.abs(Ibg);
    let polar = nopolar ? 1.0 : 0.0;
    let omegaPixel = 0.0;
    let captureFraction = 0.0;
    let Fdet = 0, Sdet = 0;
    for (let thickTic = 0; thickTic < thicksteps; ++thickTic) {
      const Odet = thickTic * thickstep;
      captureFraction = detThick === 0.0 ? 1.0 : 0.0;
      for (let subS = 0; subS < os; ++subS) {
        for (let subF = 0; subF < os; ++subF) {
          Fdet = subpix * (fpixel * os + subF) + halfSub;
          Sdet = subpix * (spixel * os + subS) + halfSub;
          pixelPos[1] = Fdet * f1 + Sdet * s1 + Odet * o1 + p1;
          pixelPos[2] = Fdet * f2 + Sdet * s2 + Odet * o2 + p2;
          pixelPos[3] = Fdet * f3 + Sdet * s3 + Odet * o3 + p3;
          if (curved) curvePixel(P, cfg.beam.direction, cfg.detector.slow, cfg.detector.fast, K.distance, pixelPos, st.tmpv, st.tmpn);
          // unitize(pixel_pos, diffracted)
          const px = pixelPos[1], py = pixelPos[2], pz = pixelPos[3];
          const airpath = Math.sqrt(px * px + py * py + pz * pz);
          pixelPos[0] = airpath;
          if (airpath !== 0.0) { diffracted[1] = px / airpath; diffracted[2] = py / airpath; diffracted[3] = pz / airpath; }
          else { diffracted[0] = 0; diffracted[1] = 0; diffracted[2] = 0; diffracted[3] = 0; }
          if (omegaPixel === 0.0 || wOmega) {
            omegaPixel = pixelSize * pixelSize / airpath / airpath * closeDistance / airpath;
            if (pointPixel) omegaPixel = 1.0 / airpath / airpath;
          }
          omegaSum += omegaPixel;
          if (captureFraction === 0.0 || wThick) {
            const parallax = diffracted[1] * o1 + diffracted[2] * o2 + diffracted[3] * o3;
            captureFraction = exp(-thickTic * thickstep * mu / parallax) - exp(-(thickTic + 1) * thickstep * mu / parallax);
          }
          for (let source = 0; source < sources; ++source) {
            incident[1] = -srcX[source]; incident[2] = -srcY[source]; incident[3] = -srcZ[source];
            const lambda = srcL[source];
            const q1 = (diffracted[1] - incident[1]) / lambda;
            const q2 = (diffracted[2] - incident[2]) / lambda;
            const q3 = (diffracted[3] - incident[3]) / lambda;
            if (dmin > 0.0) {
              const stol = 0.5 * Math.sqrt(q1 * q1 + q2 * q2 + q3 * q3);
              if (stol > 0.0 && dmin > 0.5 / stol) continue;
            }
            if (polar === 0.0 || wPolar) {
              if (kahn === 0.0) polar = polarizationNoKahn(incident, diffracted, polarVector);
              else polar = polarizationFactor(P, kahn, incident, diffracted, polarVector, st.pscratch);
            }
            const map = fresh ? first : later;
            fresh = false;
            for (let phiTic = 0; phiTic < phisteps; ++phiTic) {
              const ent = map[phiTic];
              for (let mosTic = 0; mosTic < M; ++mosTic) {
                const o = (ent * M + mosTic) * 9;
                const h = abc[o] * q1 + abc[o + 1] * q2 + abc[o + 2] * q3;
                const k = abc[o + 3] * q1 + abc[o + 4] * q2 + abc[o + 5] * q3;
                const l = abc[o + 6] * q1 + abc[o + 7] * q2 + abc[o + 8] * q3;
                hkl3[0] = h; hkl3[1] = k; hkl3[2] = l;
                let Flatt = 1.0;
                // the three axes in one loop: two sine call sites, which the compiler inlines
                for (let j = 0; j < 3; j++) {
                  const N = N3[j];
                  if (N > 1) {
                    if (approx) Flatt = Flatt * sincgFast(hkl3[j], N);
                    else { const x = PI * hkl3[j]; Flatt = Flatt * (x === 0.0 ? N : sinApprox(x * N) / sinApprox(x)); }
                  }
                }
                // the reference's Flatt is 0 only where one of its sines is: at x == 0, which both take as N
                if (Flatt === 0.0 && waterSize === 0.0) continue;
                let Fcell = defaultF;
                if (interp) {
                  Fcell = structureFactor(fc, st.shared, st.warnings, h, k, l, Math.ceil(h - 0.5), Math.ceil(k - 0.5), Math.ceil(l - 0.5));
                } else if (hasHkls) {
                  const h0 = Math.ceil(h - 0.5), k0 = Math.ceil(k - 0.5), l0 = Math.ceil(l - 0.5);
                  if (h0 <= hMax && h0 >= hMin && k0 <= kMax && k0 >= kMin && l0 <= lMax && l0 >= lMin) {
                    Fcell = Fgrid[(h0 - hMin) * sH + (k0 - kMin) * sK + (l0 - lMin)];
                  }
                }
                let weighted = Fcell * Fcell * Flatt * Flatt;
                if (cThick) weighted = weighted * captureFraction;
                if (cPolar) weighted = weighted * polar;
                if (cOmega) weighted = weighted * omegaPixel;
                I = I + weighted;
                A = A + Math.abs(weighted);
                if (sThick) { I = I * captureFraction; A = A * Math.abs(captureFraction); }
                if (sPolar) { I = I * polar; A = A * Math.abs(polar); }
                if (sOmega) { I = I * omegaPixel; A = A * Math.abs(omegaPixel); }
              }
            }
          }
        }
      }
    }
    let test = scale0 * I / steps;
    let bound = scale0 * A / steps;
    if (!wThick) { test = test * captureFraction; bound = bound * Math.abs(captureFraction); }
    if (!wPolar) { test = test * polar; bound = bound * Math.abs(polar); }
    if (!wOmega) { test = test * omegaPixel; bound = bound * Math.abs(omegaPixel); }
    if (fault !== 1) test = test * fault;
    const delta = bound * E + Eabs;
    // the C adds the pixel to its calloc'ed float image: value = (float)(0.0 + test)
    let value = Math.fround(image[imgidx] + test);
    if (!approx && !(Math.fround(test - delta) === value && Math.fround(test + delta) === value)) {
      // undecided (or NaN): the reference loop renders this pixel again from the state it started
      // from. The state after it (φ carry-over, polar vector, solid-angle sum) does not depend on
      // the sines, so this pass's is kept.
      // the interpolation switch and its warning as they were when the pixel started: the reference loop meets them again
      st.shared.interpolate = interpBefore; st.shared.babble = babbleBefore; st.warnings.length = warningsBefore;
      redoPixel(P, cfg, table, spixel, fpixel, image, st, freshBefore);
      value = image[imgidx];
    } else {
      image[imgidx] = value;
    }
    if (value > stats.maxI) { stats.maxI = value; stats.maxIx = Fdet; stats.maxIy = Sdet; }
    stats.sum += value;
    stats.sumsqr += Math.fround(value * value);
    ++stats.sumn;
  }
  st.fresh = fresh;
  stats.omegaSum = omegaSum;
}

function redoPixel(P: Precision, cfg: SimulationConfig, table: LatticeTable, spixel: number, fpixel: number, image: Float32Array, st: KernelState, freshBefore: boolean): void {
  ++st.redone;
  const one = { ...cfg, detector: { ...cfg.detector, roi: { xmin: fpixel, xmax: fpixel, ymin: spixel, ymax: spixel } } };
  renderRows(P, one, table, spixel, spixel + 1, image, st.scratchStats, st.shared, st.warnings, undefined, { fresh: freshBefore, polar: Float64Array.from(st.savedPolar) });
}

/**
 * polarization_factor() with a Kahn factor of 0, as render.ts's polarizationFactor computes it
 * (it unitizes the incident, diffracted and polar vectors in place, and cos(2ψ) at ψ = 0 is 1):
 * 0.5·((1 + cos²2θ) − (0·1)·sin²2θ).
 */
function polarizationNoKahn(incident: Float64Array, diffracted: Float64Array, axis: Float64Array): number {
  unitize3(incident); unitize3(diffracted); unitize3(axis);
  const cos2theta = incident[1] * diffracted[1] + incident[2] * diffracted[2] + incident[3] * diffracted[3];
  const cos2thetaSqr = cos2theta * cos2theta;
  const sin2thetaSqr = 1 - cos2thetaSqr;
  return 0.5 * ((1.0 + cos2thetaSqr) - (0.0 * 1.0) * sin2thetaSqr);
}

/** vec3.ts's unitize(v, v) in float64: magnitude into v[0], then each component divided by it (a zero vector stays zero) */
function unitize3(v: Float64Array): void {
  const x = v[1], y = v[2], z = v[3];
  const mag = Math.sqrt(x * x + y * y + z * z);
  v[0] = mag;
  if (mag !== 0.0) { v[1] = x / mag; v[2] = y / mag; v[3] = z / mag; }
  else { v[0] = 0; v[1] = 0; v[2] = 0; v[3] = 0; }
}

/** The WebAssembly part (wasm/kernel.ts), instantiated with this run's plan written into its memory. */
interface WasmKernel {
  /** the row's pixel pairs, then finish() on them: returns the first pixel the bound cannot decide, or the row's count */
  row: (spixel: number, f0: number, pairs: number) => number;
  finish: (spixel: number, f0: number, i0: number, n: number) => number;
  put: (i: number, value: number, fpixel: number, spixel: number) => void;
  /** the running statistics in the module's memory (plan slots 56–62): maxI, maxIx, maxIy, sum, sumsqr, sumn, omegaSum */
  stats: Float64Array;
  rowF32: Float32Array;
}

let wasmModule: WebAssembly.Module | null | undefined;
/** why the WebAssembly kernel is not used in this process (null: it is) */
export let wasmUnavailable: string | null = null;

/** A module compiled elsewhere (the main thread's, in a render worker). */
export function setWasmModule(m: WebAssembly.Module): void { wasmModule = m; wasmUnavailable = null; }

/**
 * The interface this code and wasm/kernel.ts share (its `layout()` export): the exported
 * functions, the plan's slots and the regions instantiate() lays out. Changed with either side.
 */
const WASM_LAYOUT = 3;

/**
 * A WebAssembly module of the same build as this code, and only that one: dist/src/physics/*.js
 * and the bundle dist/engine/*.js (scripts/build-bundle.mjs) → dist/wasm/`file`; the TypeScript
 * sources under the tests (src/physics/*.ts) → the checkout's dist/wasm/`file`.
 */
export function wasmPath(here: string, file = 'kernel.wasm'): string {
  if (/[/\\]src[/\\]physics[/\\][^/\\]+\.ts$/.test(here)) return join(dirname(here), '..', '..', 'dist', 'wasm', file);
  if (/[/\\]src[/\\]physics[/\\][^/\\]+\.js$/.test(here)) return join(dirname(here), '..', '..', 'wasm', file);
  return join(dirname(here), '..', 'wasm', file);
}

/**
 * Compile this build's dist/wasm/`file` (wasmPath) and check its `layout()` export against the
 * layout this code was written for (`imports`: what an instance needs, for that check): the
 * module, or why it is not used (missing, unreadable, of another build).
 */
export function compileWasm(file: string, layout: number, imports: WebAssembly.Imports): WebAssembly.Module | string {
  const path = wasmPath(fileURLToPath(import.meta.url), file);
  if (!existsSync(path)) return `${path} is missing (npm run build makes it)`;
  try {
    const mod = new WebAssembly.Module(readFileSync(path));
    // the module and this code share a memory layout: a module of another build is not used
    const got = WebAssembly.Module.exports(mod).some((e) => e.name === 'layout')
      ? (new WebAssembly.Instance(mod, imports).exports.layout as () => number)() : 0;
    return got === layout ? mod : `${path} is from another build (layout ${got}, this engine's is ${layout}; npm run build)`;
  } catch (e) { return `${path}: ${(e as Error).message}`; }
}

export function loadWasmModule(): WebAssembly.Module | null {
  if (wasmModule !== undefined) return wasmModule;
  const got = compileWasm('kernel.wasm', WASM_LAYOUT, { env: { abort: () => {}, seed: () => 0 } });
  if (typeof got === 'string') { wasmUnavailable = got; wasmModule = null; }
  else wasmModule = got;
  return wasmModule;
}

/** Where the WebAssembly kernel applies: what it computes lane by lane is the JavaScript kernel's common case. */
function wasmApplies(K: KernelPlan): boolean {
  return !K.interp && !K.curved && K.mask === null && !(K.dmin > 0.0) && K.detThick === 0.0 && !K.wThick && (K.kahn === 0.0 || (K.nopolar && !K.wPolar));
}

/**
 * The warning for a run the WebAssembly part would have rendered but could not load (a build
 * without dist/wasm/kernel.wasm): the image is the same, only slower, and the run says so.
 */
export function wasmFallbackWarning(cfg: SimulationConfig, table: LatticeTable, kernel: string): string | null {
  if (kernel !== 'exact' && kernel !== 'fast') return null;
  if (loadWasmModule() !== null || !wasmApplies(kernelPlan(cfg, table, (x: number) => x))) return null;
  return `WARNING: the exact kernel's WebAssembly part is unavailable (${wasmUnavailable}); rendered in JavaScript: the same image, slower`;
}

// the plan's f64 slots, in wasm/kernel.ts's order (I_* there)
function planSlots(K: KernelPlan): number[] {
  const b = (x: boolean) => (x ? 1 : 0);
  return [K.os, K.subpix, K.halfSub, K.f1, K.f2, K.f3, K.s1, K.s2, K.s3, K.o1, K.o2, K.o3, K.p1, K.p2, K.p3,
    K.pixelSize, K.closeDistance, b(K.pointPixel), K.thicksteps, K.thickstep,
    b(K.nopolar), b(K.wPolar), b(K.wOmega), b(K.cPolar), b(K.cOmega), b(K.sPolar), b(K.sOmega),
    K.sources, K.waterSize, K.Ibg, K.phisteps, K.M, K.N3[0], K.N3[1], K.N3[2], K.defaultF, b(K.hasHkls),
    K.hMin, K.hMax, K.kMin, K.kMax, K.lMin, K.lMax, K.sH, K.sK, K.scale0, K.steps, K.E, K.Eabs, b(K.approx), K.fault];
}

/** one instance per run's table (a parallel render calls kernelRows once per row block) */
const instances = new WeakMap<LatticeTable, { cfg: SimulationConfig; render: string; W: WasmKernel }>();

function wasmKernel(K: KernelPlan, cfg: SimulationConfig, table: LatticeTable): WasmKernel | null {
  if (!wasmApplies(K)) return null;
  const mod = loadWasmModule();
  if (!mod) return null;
  const cached = instances.get(table);
  // the same run (a block of it): the same instance, its memory already holds the plan (faults are read once per run)
  if (cached && cached.cfg === cfg && cached.render === cfg.render) return cached.W;
  const W = instantiate(mod, K);
  instances.set(table, { cfg, render: cfg.render, W });
  return W;
}

function instantiate(mod: WebAssembly.Module, K: KernelPlan): WasmKernel {
  const inst = new WebAssembly.Instance(mod, { env: { abort: () => { throw new Error('wasm kernel aborted'); }, seed: () => 0 } });
  const ex = inst.exports as unknown as Omit<WasmKernel, 'rowF32'> & { memory: WebAssembly.Memory; setup: (...a: number[]) => void;
    rowExact: WasmKernel['row']; rowFast: WasmKernel['row'] };
  const omegas = K.thicksteps * K.os * K.os;
  const stride = 2 + omegas;
  const align = (n: number) => (n + 15) & ~15;
  const oSrc = 512, oAbc = align(oSrc + K.sources * 56), oMap = align(oAbc + K.abc.length * 8), oF = align(oMap + K.later.length * 4);
  const oOut = align(oF + (K.hasHkls ? K.Fgrid.length * 8 : 8));
  const oRow = align(oOut + K.fpixels * stride * 8);
  const bytes = oRow + K.fpixels * 4 + 64;
  const have = ex.memory.buffer.byteLength;
  if (bytes > have) ex.memory.grow(Math.ceil((bytes - have) / 65536));
  const buf = ex.memory.buffer;
  new Float64Array(buf, 0, 64).set(planSlots(K));
  const src = new Float64Array(buf, oSrc, K.sources * 7);
  const u = new Float64Array(4);
  for (let s = 0; s < K.sources; s++) {
    // the incident vector as the loop sets it (−source), and as polarization_factor() unitizes it
    u[0] = 0; u[1] = -K.srcX[s]; u[2] = -K.srcY[s]; u[3] = -K.srcZ[s];
    src[s * 7] = u[1]; src[s * 7 + 1] = u[2]; src[s * 7 + 2] = u[3]; src[s * 7 + 3] = K.srcL[s];
    unitize3(u);
    src[s * 7 + 4] = u[1]; src[s * 7 + 5] = u[2]; src[s * 7 + 6] = u[3];
  }
  new Float64Array(buf, oAbc, K.abc.length).set(K.abc);
  new Int32Array(buf, oMap, K.later.length).set(K.later);
  if (K.hasHkls) new Float64Array(buf, oF, K.Fgrid.length).set(K.Fgrid);
  ex.setup(oSrc, oAbc, oMap, oF, oOut, oRow);
  // the row function of the run's kind (wasm/kernel.ts: one copy each, so each is optimized on its own)
  const row = K.approx ? ex.rowFast : ex.rowExact;
  return { row, finish: ex.finish, put: ex.put, stats: new Float64Array(buf, 56 * 8, 7), rowF32: new Float32Array(buf, oRow, K.fpixels) };
}

/**
 * Pixel pairs [f0, f0 + 2·pairs) of row `spixel` through the WebAssembly kernel: it computes them,
 * decides their float32 values and keeps the statistics in order; a pixel it cannot decide goes to
 * the reference loop here, and the WebAssembly side goes on after it.
 */
function wasmRow(W: WasmKernel, K: KernelPlan, P: Precision, cfg: SimulationConfig, table: LatticeTable, spixel: number, f0: number, pairs: number, image: Float32Array, stats: RenderStats, st: KernelState): void {
  const n = 2 * pairs, S = W.stats;
  S[0] = stats.maxI; S[1] = stats.maxIx; S[2] = stats.maxIy; S[3] = stats.sum; S[4] = stats.sumsqr; S[5] = stats.sumn; S[6] = stats.omegaSum;
  for (let i = W.row(spixel, f0, pairs); i < n; i = W.finish(spixel, f0, i + 1, n)) {
    // no φ carry-over or polar-vector state reaches these pixels (a later sweep, Kahn factor 0): the state before is the state after
    const fpixel = f0 + i;
    st.savedPolar.set(st.polarVector);
    redoPixel(P, cfg, table, spixel, fpixel, image, st, false);
    W.put(i, image[spixel * K.fpixels + fpixel], fpixel, spixel);
  }
  stats.maxI = S[0]; stats.maxIx = S[1]; stats.maxIy = S[2]; stats.sum = S[3]; stats.sumsqr = S[4]; stats.sumn = S[5]; stats.omegaSum = S[6];
  image.set(W.rowF32.subarray(0, n), spixel * K.fpixels + f0);
}

/**
 * The bound on |pixel − reference pixel| before the float32 store: relative to the pixel's
 * sum of absolute contributions (A, scaled like the pixel), plus an absolute term for
 * underflow. First-order terms, each one rounding per side (2u) per operation on inputs that
 * already differ; the sines as SIN_APPROX_REL_ERROR plus the provider's 1 ulp (2u relative):
 *  - per axis: sin(Nx)/sin(x): 2(ε + 2u) + 2u;
 *  - F_latt, the product of up to three axes: 3·axis + 3·2u;
 *  - the contribution F_cell²·F_latt·F_latt and up to three weights: 2·F_latt + 5·2u;
 *  - the pixel sum: 2u·A per addition and per running-sum multiply (C-OVERSAMPLE-SUM);
 *  - the final scaling (r_e²·fluence, /steps, up to three factors): 5·2u, and as much again
 *    for the rounding of the bound's own arithmetic;
 *  - all of it times (1 + 2⁻²⁰) for second-order terms and the rounding of A.
 */
export function errorModel(cfg: SimulationConfig): { relative: number; absolute: number; opsPerPixel: number } {
  const { detector: D, beam: B, crystal: X, sampling: S, goniometer: G } = cfg;
  const runningSum = isC(cfg.quirks, 'C-OVERSAMPLE-SUM');
  const sMults = runningSum ? Number(S.oversampleThick) + Number(S.oversamplePolar) + Number(S.oversampleOmega) : 0;
  const evals = D.thicksteps * S.oversample * S.oversample * B.sourceX.length * G.phisteps * X.mosaicDomains;
  const opsPerPixel = evals * (1 + sMults);
  const eps = SIN_APPROX_REL_ERROR + 2 * U;
  const axis = 2 * eps + 2 * U;
  const flatt = 3 * axis + 6 * U;
  const term = 2 * flatt + 10 * U;
  const relative = (term + 2 * U * opsPerPixel + 20 * U) * (1 + 2 ** -20);
  // underflow: at most 2^-1074 per operation, ≤ 16 operations per evaluation, scaled by at most max(1, r_e²·fluence)
  const absolute = 16 * (opsPerPixel + 8) * 2 ** -1074 * Math.max(1, Math.abs(S.r_e_sqr * B.fluence)) * 2;
  return { relative, absolute, opsPerPixel };
}
