/**
 * The pixel loop of nanoBragg.c, in its order: row → pixel → detector layer → sub-pixel
 * (slow, fast) → source → φ step → mosaic domain, with the C's per-pixel caches
 * (polarisation and solid angle from the first sub-pixel, capture fraction per layer),
 * its in-place re-unitizing side effects, the one-way switch-off of interpolation, the
 * oversample_* running-sum quirks, and the float32 store of each pixel. Three catalogue
 * entries (src/quirks/catalogue.ts) switch here: C-OVERSAMPLE-SUM, C-PIXEL-FACTORS and
 * C-INTERP-SWITCHOFF; as the C has them, the loop is the C's, operation for operation.
 *
 * What does not depend on the pixel (the rotated lattice for every φ step and mosaic
 * domain) comes from a table built once (lattice.ts). The hot loop allocates nothing.
 */
import type { Precision } from '../math/precision.js';
import { rotateAxis, unitize, vec, type Vec } from '../math/vec3.js';
import type { SimulationConfig } from '../config/resolve.js';
import { cInt, RTD } from '../math/constants.js';
import { cfmtD, cfmtF, cfmtG } from '../io/cformat.js';
import { buildLatticeTable, cThreadChunks, type LatticeTable } from './lattice.js';
import { isC } from '../quirks/catalogue.js';
import { checkedSines, kernelRows, kernelUnsupported, wasmFallbackWarning } from './kernel.js';
import { newImage, passesFallbackWarning } from './image.js';

/** The loop for this run: the exact kernel (or --fast) where it applies, else the reference loop, with the reason. */
export function chooseKernel(cfg: SimulationConfig, opts: { trace?: boolean; print?: boolean; recorder?: boolean }): KernelUse {
  const reason = kernelUnsupported(cfg, opts);
  if (reason === null) return { name: cfg.render === 'fast' ? 'fast' : 'exact', reason: null, redone: 0 };
  // float32: every sine decided per call, so traces and printout keep their bits too; a --libm-log run records the libm's own calls
  if (cfg.dtype === 'float32' && cfg.render !== 'reference' && !opts.recorder) return { name: 'checked', reason, redone: 0 };
  return { name: 'reference', reason, redone: 0 };
}

export interface RenderStats {
  maxI: number; maxIx: number; maxIy: number;
  sum: number; sumsqr: number; sumn: number; omegaSum: number;
}

export interface RenderResult {
  image: Float32Array;
  stats: RenderStats;
  warnings: string[];
  /** which loop rendered the image (kernel.ts), why not the exact kernel, and how many pixels it handed to the reference loop */
  kernel: KernelUse;
}

/** exact: kernel.ts (float64); checked: the reference loop with checked float32 sines (kernel.ts checkedSines); fast: --fast; reference: the C's loop as written */
export interface KernelUse { name: 'exact' | 'checked' | 'fast' | 'reference'; reason: string | null; redone: number }

export type TraceSink = (line: string) => void;

/** full-precision (round-trip) number text for traces */
export function fmt(x: number): string {
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

/** polarization_factor(): Kahn factor; unitizes incident, diffracted and axis in place, as the C does. */
export function polarizationFactor(P: Precision, kahn: number, incident: Vec, diffracted: Vec, axis: Vec, scratch: Vec[]): number {
  const r = P.r;
  unitize(P, incident, incident);
  unitize(P, diffracted, diffracted);
  unitize(P, axis, axis);
  const cos2theta = r(r(r(incident[1] * diffracted[1]) + r(incident[2] * diffracted[2])) + r(incident[3] * diffracted[3]));
  const cos2thetaSqr = r(cos2theta * cos2theta);
  const sin2thetaSqr = r(1 - cos2thetaSqr);
  let psi = 0;
  if (kahn !== 0.0) {
    const [Bin, Ein] = scratch;
    // B_in = axis × incident, E_in = incident × B_in
    Bin[1] = r(r(axis[2] * incident[3]) - r(axis[3] * incident[2]));
    Bin[2] = r(r(axis[3] * incident[1]) - r(axis[1] * incident[3]));
    Bin[3] = r(r(axis[1] * incident[2]) - r(axis[2] * incident[1]));
    unitize(P, Bin, Bin);
    Ein[1] = r(r(incident[2] * Bin[3]) - r(incident[3] * Bin[2]));
    Ein[2] = r(r(incident[3] * Bin[1]) - r(incident[1] * Bin[3]));
    Ein[3] = r(r(incident[1] * Bin[2]) - r(incident[2] * Bin[1]));
    unitize(P, Ein, Ein);
    const Eout = r(r(r(diffracted[1] * Ein[1]) + r(diffracted[2] * Ein[2])) + r(diffracted[3] * Ein[3]));
    const Bout = r(r(r(diffracted[1] * Bin[1]) + r(diffracted[2] * Bin[2])) + r(diffracted[3] * Bin[3]));
    psi = -P.atan2(Bout, Eout);
  }
  return r(0.5 * r(r(1.0 + cos2thetaSqr) - r(r(kahn * P.cos(r(2 * psi))) * sin2thetaSqr)));
}

/** polint(): 4-point Lagrange, written out as in the C. */
function polint(r: (x: number) => number, xa: Float64Array, ya: ArrayLike<number>, yo: number, x: number): number {
  const x0 = xa[0], x1 = xa[1], x2 = xa[2], x3 = xa[3];
  const t0 = r(r(r(r(r(x - x1) * r(x - x2)) * r(x - x3)) * ya[yo]) / r(r(r(x0 - x1) * r(x0 - x2)) * r(x0 - x3)));
  const t1 = r(r(r(r(r(x - x0) * r(x - x2)) * r(x - x3)) * ya[yo + 1]) / r(r(r(x1 - x0) * r(x1 - x2)) * r(x1 - x3)));
  const t2 = r(r(r(r(r(x - x0) * r(x - x1)) * r(x - x3)) * ya[yo + 2]) / r(r(r(x2 - x0) * r(x2 - x1)) * r(x2 - x3)));
  const t3 = r(r(r(r(r(x - x0) * r(x - x1)) * r(x - x2)) * ya[yo + 3]) / r(r(r(x3 - x0) * r(x3 - x1)) * r(x3 - x2)));
  return r(r(r(t0 + t1) + t2) + t3);
}

/** What structureFactor() reads: the HKL grid, the C-INTERP-SWITCHOFF state, scratch for the tricubic interpolation. */
export interface StructureFactorContext {
  r: (x: number) => number; defaultF: number; hasHkls: boolean; switchOff: boolean;
  hMin: number; hMax: number; kMin: number; kMax: number; lMin: number; lMax: number;
  hRange: number; kRange: number; lRange: number; sH: number; sK: number; Fgrid: Float64Array;
  hD: Float64Array; kD: Float64Array; lD: Float64Array; sub: Float64Array; ym: Float64Array; yk: Float64Array;
}

export function structureFactorContext(r: (x: number) => number, cfg: SimulationConfig): StructureFactorContext {
  const hkl = cfg.crystal.hkl;
  return {
    r, defaultF: cfg.crystal.defaultF, hasHkls: hkl !== null && hkl.hkls !== 0, switchOff: isC(cfg.quirks, 'C-INTERP-SWITCHOFF'),
    hMin: hkl?.hMin ?? 0, hMax: hkl?.hMax ?? 0, kMin: hkl?.kMin ?? 0, kMax: hkl?.kMax ?? 0, lMin: hkl?.lMin ?? 0, lMax: hkl?.lMax ?? 0,
    hRange: hkl?.hRange ?? 0, kRange: hkl?.kRange ?? 0, lRange: hkl?.lRange ?? 0, sH: hkl?.sH ?? 0, sK: hkl?.sK ?? 0, Fgrid: hkl?.F ?? new Float64Array(1),
    hD: new Float64Array(4), kD: new Float64Array(4), lD: new Float64Array(4), sub: new Float64Array(64), ym: new Float64Array(4), yk: new Float64Array(4),
  };
}

/**
 * F_cell of one evaluation as the C takes it: tricubic interpolation while the (thread-shared)
 * interpolation switch is on and h,k,l is inside the table (the first out-of-range index prints
 * one warning and, as the C has it, switches interpolation off for good), else the nearest
 * grid value, else default_F. The reference loop and the exact kernel both call it.
 */
export function structureFactor(c: StructureFactorContext, shared: { interpolate: boolean; babble: boolean }, warnings: string[],
  h: number, k: number, l: number, h0: number, k0: number, l0: number): number {
  const r = c.r, hMin = c.hMin, kMin = c.kMin, lMin = c.lMin, sH = c.sH, sK = c.sK, Fgrid = c.Fgrid;
  let Fcell = c.defaultF;
  let interpolating = shared.interpolate;
  if (interpolating) {
    if (r(r(h - hMin) + 3) > c.hRange || r(h - 2) < hMin || r(r(k - kMin) + 3) > c.kRange || r(k - 2) < kMin ||
        r(r(l - lMin) + 3) > c.lRange || r(l - 2) < lMin) {
      if (shared.babble) {
        shared.babble = false;
        warnings.push(`WARNING: out of range for three point interpolation: h,k,l,h0,k0,l0: ${h},${k},${l},${h0},${k0},${l0}; ${c.switchOff ? 'interpolation switched off for the rest of the image' : 'nearest structure factor for such points (C-INTERP-SWITCHOFF fixed: interpolation stays on)'}`);
      }
      Fcell = c.defaultF;
      interpolating = false;
      if (c.switchOff) shared.interpolate = false;
    }
  }
  if (interpolating) {
    const hD = c.hD, kD = c.kD, lD = c.lD, sub = c.sub, ym = c.ym, yk = c.yk;
    const hf = Math.floor(h), kf = Math.floor(k), lf = Math.floor(l);
    for (let i = 0; i < 4; i++) { hD[i] = hf - 1 + i; kD[i] = kf - 1 + i; lD[i] = lf - 1 + i; }
    for (let i1 = 0; i1 < 4; i1++)
      for (let i2 = 0; i2 < 4; i2++)
        for (let i3 = 0; i3 < 4; i3++)
          sub[i1 * 16 + i2 * 4 + i3] = r(Fgrid[(hD[i1] - hMin) * sH + (kD[i2] - kMin) * sK + (lD[i3] - lMin)]);
    // polin3: polin2 over each h plane (polint over l for each k, then over k), then polint over h
    for (let i1 = 0; i1 < 4; i1++) {
      for (let i2 = 0; i2 < 4; i2++) yk[i2] = polint(r, lD, sub, i1 * 16 + i2 * 4, l);
      ym[i1] = polint(r, kD, yk, 0, k);
    }
    Fcell = polint(r, hD, ym, 0, h);
  }
  if (!interpolating) {
    if (c.hasHkls && h0 <= c.hMax && h0 >= hMin && k0 <= c.kMax && k0 >= kMin && l0 <= c.lMax && l0 >= lMin) {
      Fcell = r(Fgrid[(h0 - hMin) * sH + (k0 - kMin) * sK + (l0 - lMin)]);
    } else Fcell = c.defaultF;
  }
  return Fcell;
}

/**
 * Render rows [rowStart, rowEnd) into `image`. Rows are grouped into the C's OpenMP
 * thread chunks so the φ carry-over and the per-thread state (re-unitized polar vector)
 * restart where a C thread's would.
 */
export function renderImage(P: Precision, cfg: SimulationConfig, opts: { trace?: TraceSink; table?: LatticeTable; print?: TraceSink } = {}): RenderResult {
  const { detector: D, crystal: X, goniometer: G } = cfg;
  const image = newImage(D.fpixels * D.spixels);
  const stats: RenderStats = { maxI: 0, maxIx: 0, maxIy: 0, sum: 0, sumsqr: 0, sumn: 0, omegaSum: 0 };
  const warnings: string[] = [];
  const table = opts.table ?? buildLatticeTable(P, X, G);
  const state = { interpolate: X.interpolate, babble: true };
  const kernel = chooseKernel(cfg, { trace: opts.trace !== undefined, print: opts.print !== undefined, recorder: P.recorder !== undefined });
  const Pr = kernel.name === 'checked' ? checkedSines(P) : P;
  for (const [r0, r1] of cThreadChunks(D.spixels, G.cThreads)) {
    if (kernel.name === 'reference' || kernel.name === 'checked') renderRows(Pr, cfg, table, r0, r1, image, stats, state, warnings, opts.trace, undefined, opts.print);
    else kernel.redone += kernelRows(P, cfg, table, r0, r1, image, stats, undefined, state, warnings);
  }
  for (const note of [wasmFallbackWarning(cfg, table, kernel.name), passesFallbackWarning()]) if (note) warnings.push(note);
  return { image, stats, warnings, kernel };
}

/** The per-C-thread state at the start of a row range: a thread's first φ sweep is fresh; its polar vector is re-unitized in place. */
export interface ChunkState { fresh: boolean; polar: Float64Array }

export function renderRows(
  P: Precision, cfg: SimulationConfig, table: LatticeTable, rowStart: number, rowEnd: number,
  image: Float32Array, stats: RenderStats, shared: { interpolate: boolean; babble: boolean },
  warnings: string[], trace: TraceSink | undefined, init?: ChunkState, print?: TraceSink,
  /** probe: record, per row, whether any φ sweep starts (swept) and whether polarization_factor() runs (polar); render nothing */
  probe?: { swept: Uint8Array; polar: Uint8Array },
): void {
  const r = P.r, sin = P.sin, exp = P.exp, sqrt = P.sqrt;
  const { detector: D, beam: B, crystal: X, sampling: S } = cfg;
  const fpixels = D.fpixels;
  const { xmin, xmax, ymin, ymax } = D.roi;
  const os = S.oversample, subpix = S.subpixelSize, halfSub = r(subpix / 2.0);
  const f1 = D.fast[1], f2 = D.fast[2], f3 = D.fast[3];
  const s1 = D.slow[1], s2 = D.slow[2], s3 = D.slow[3];
  const o1 = D.normal[1], o2 = D.normal[2], o3 = D.normal[3];
  const p1 = D.origin[1], p2 = D.origin[2], p3 = D.origin[3];
  const pixelSize = D.pixelSize, closeDistance = D.closeDistance, distance = D.distance;
  const pointPixel = D.pointPixel, curved = D.curved, mask = D.mask;
  const thicksteps = D.thicksteps, thickstep = D.thickstep, mu = D.mu, detThick = D.thick;
  const osThick = S.oversampleThick, osPolar = S.oversamplePolar, osOmega = S.oversampleOmega;
  const nopolar = B.nopolar, kahn = B.kahn;
  // C-PIXEL-FACTORS fixed: every sub-pixel (layer, source) gets its own factors, applied to its contribution;
  // w*: the factor is evaluated and applied inside the loops (the C's -oversample_* flags, or the fix)
  const factorsFixed = !isC(cfg.quirks, 'C-PIXEL-FACTORS');
  const wThick = osThick || (factorsFixed && detThick > 0.0), wPolar = osPolar || (factorsFixed && !nopolar), wOmega = osOmega || factorsFixed;
  // C-OVERSAMPLE-SUM as the C has it: -oversample_* multiply the running sum; fixed (or the C-PIXEL-FACTORS fix): each contribution
  const runningSum = isC(cfg.quirks, 'C-OVERSAMPLE-SUM');
  const cThick = wThick && !(runningSum && osThick), cPolar = wPolar && !(runningSum && osPolar), cOmega = wOmega && !(runningSum && osOmega);
  const sThick = runningSum && osThick, sPolar = runningSum && osPolar, sOmega = runningSum && osOmega;
  const sources = B.sourceX.length;
  const srcX = B.sourceX, srcY = B.sourceY, srcZ = B.sourceZ, srcL = B.sourceLambda;
  const dmin = S.dmin, waterSize = S.waterSize, Ibg = S.Ibg;
  const phisteps = table.phisteps, M = table.mosaicDomains, abc = table.abc, phiOf = table.phi;
  const Na = X.Na, Nb = X.Nb, Nc = X.Nc;
  const square = X.shape === 'SQUARE', round = X.shape === 'ROUND', gauss = X.shape === 'GAUSS', tophat = X.shape === 'TOPHAT';
  const fudge = X.fudge;
  const as1 = X.aStar[1], as2 = X.aStar[2], as3 = X.aStar[3];
  const bs1 = X.bStar[1], bs2 = X.bStar[2], bs3 = X.bStar[3];
  const cs1 = X.cStar[1], cs2 = X.cStar[2], cs3 = X.cStar[3];
  const scale0 = r(S.r_e_sqr * B.fluence);
  const steps = S.steps;
  const PI = r(Math.PI);
  const fluence = B.fluence;

  // per-C-thread state: the re-unitized polar vector, the fresh φ state
  const polarVector = Float64Array.from(init?.polar ?? B.polarVector);
  let fresh = init?.fresh ?? true;

  // scratch, allocated once
  const diffracted = vec(), incident = vec(), pixelPos = vec(), tmpv = vec(), tmpn = vec();
  const pscratch = [vec(), vec()];
  const fc = structureFactorContext(r, cfg);
  const tracedIdx = new Set(trace ? cfg.tracePixels.map(([ts, tf]) => ts * fpixels + tf) : []);
  // -printout: the C prints the last evaluation's values (its thread-private variables, which
  // hold over from one pixel to the next; 0 before a thread's first evaluation)
  const O = cfg.outputs, printing = print !== undefined && O.printout;
  let pStol = 0, pH = 0, pK = 0, pL = 0, pH0 = 0, pK0 = 0, pL0 = 0, pFcell = 0, pFlatt = 0, pO = -1;
  const t = trace ?? (() => undefined);
  const rec = P.recorder;

  for (let spixel = rowStart; spixel < rowEnd; ++spixel) {
    for (let fpixel = 0; fpixel < fpixels; ++fpixel) {
      if (fpixel < xmin || fpixel > xmax || spixel < ymin || spixel > ymax) continue;
      const imgidx = spixel * fpixels + fpixel;
      if (mask !== null && mask[imgidx] === 0) continue; // the C skips a zero-flagged pixel entirely
      const traced = tracedIdx.size !== 0 && tracedIdx.has(imgidx);
      if (traced) t(`TRACE_TS_PIXEL spixel=${spixel} fpixel=${fpixel}`);
      if (rec) { rec.on = traced; rec.where = `pixel (${spixel},${fpixel})`; }
      let I = Ibg;
      let polar = nopolar ? 1.0 : 0.0;
      let omegaPixel = 0.0;
      let captureFraction = 0.0;
      let Fdet = 0, Sdet = 0;
      for (let thickTic = 0; thickTic < thicksteps; ++thickTic) {
        const Odet = r(thickTic * thickstep);
        captureFraction = detThick === 0.0 ? 1.0 : 0.0;
        for (let subS = 0; subS < os; ++subS) {
          for (let subF = 0; subF < os; ++subF) {
            Fdet = r(r(subpix * (fpixel * os + subF)) + halfSub);
            Sdet = r(r(subpix * (spixel * os + subS)) + halfSub);
            pixelPos[1] = r(r(r(r(Fdet * f1) + r(Sdet * s1)) + r(Odet * o1)) + p1);
            pixelPos[2] = r(r(r(r(Fdet * f2) + r(Sdet * s2)) + r(Odet * o2)) + p2);
            pixelPos[3] = r(r(r(r(Fdet * f3) + r(Sdet * s3)) + r(Odet * o3)) + p3);
            pixelPos[0] = 0.0;
            if (traced && rec) rec.where = `pixel (${spixel},${fpixel}) thick ${thickTic} sub (${subS},${subF}): curved detector (-curved_det)`;
            if (curved) curvePixel(P, B.direction, D.slow, D.fast, distance, pixelPos, tmpv, tmpn);
            const airpath = unitize(P, pixelPos, diffracted);
            if (omegaPixel === 0.0 || wOmega) {
              omegaPixel = r(r(r(r(r(pixelSize * pixelSize) / airpath) / airpath) * closeDistance) / airpath);
              if (pointPixel) omegaPixel = r(r(1.0 / airpath) / airpath);
            }
            stats.omegaSum += omegaPixel;
            if (captureFraction === 0.0 || wThick) {
              if (traced && rec) rec.where = `pixel (${spixel},${fpixel}) thick ${thickTic} sub (${subS},${subF}): capture fraction`;
              const parallax = r(r(r(diffracted[1] * o1) + r(diffracted[2] * o2)) + r(diffracted[3] * o3));
              captureFraction = r(exp(r(r(r(-thickTic * thickstep) * mu) / parallax)) - exp(r(r(r(-(thickTic + 1) * thickstep) * mu) / parallax)));
            }
            for (let source = 0; source < sources; ++source) {
              incident[1] = -srcX[source]; incident[2] = -srcY[source]; incident[3] = -srcZ[source];
              const lambda = srcL[source];
              const q1 = r(r(diffracted[1] - incident[1]) / lambda);
              const q2 = r(r(diffracted[2] - incident[2]) / lambda);
              const q3 = r(r(diffracted[3] - incident[3]) / lambda);
              if (traced && source === 0) {
                t(`TRACE_TS: pix0_vector_meters ${fmt(p1)} ${fmt(p2)} ${fmt(p3)}`);
                t(`TRACE_TS: fdet_vec ${fmt(f1)} ${fmt(f2)} ${fmt(f3)}`);
                t(`TRACE_TS: sdet_vec ${fmt(s1)} ${fmt(s2)} ${fmt(s3)}`);
                t(`TRACE_TS: pixel_pos_meters ${fmt(pixelPos[1])} ${fmt(pixelPos[2])} ${fmt(pixelPos[3])}`);
                t(`TRACE_TS: R_distance_meters ${fmt(airpath)}`);
                t(`TRACE_TS: omega_pixel_sr ${fmt(omegaPixel)}`);
                t(`TRACE_TS: close_distance_meters ${fmt(closeDistance)}`);
                t(`TRACE_TS: obliquity_factor ${fmt(r(closeDistance / airpath))}`);
                t(`TRACE_TS: diffracted_vec ${fmt(diffracted[1])} ${fmt(diffracted[2])} ${fmt(diffracted[3])}`);
                t(`TRACE_TS: incident_vec ${fmt(incident[1])} ${fmt(incident[2])} ${fmt(incident[3])}`);
                t(`TRACE_TS: lambda_meters ${fmt(lambda)}`);
                t(`TRACE_TS: lambda_angstroms ${fmt(r(lambda * 1e10))}`);
                t(`TRACE_TS: scattering_vec_A_inv ${fmt(q1)} ${fmt(q2)} ${fmt(q3)}`);
              }
              if (printing) pStol = r(0.5 * sqrt(r(r(r(q1 * q1) + r(q2 * q2)) + r(q3 * q3))));
              if (dmin > 0.0) {
                const stol = r(0.5 * sqrt(r(r(r(q1 * q1) + r(q2 * q2)) + r(q3 * q3))));
                if (stol > 0.0 && dmin > r(0.5 / stol)) {
                  if (traced) t(`TRACE_TS_SKIP thick_tic=${thickTic} subS=${subS} subF=${subF} source=${source} reason=dmin`);
                  continue;
                }
              }
              if (polar === 0.0 || wPolar) {
                if (traced && rec) rec.where = `pixel (${spixel},${fpixel}) thick ${thickTic} sub (${subS},${subF}) source ${source}: polarization`;
                polar = polarizationFactor(P, kahn, incident, diffracted, polarVector, pscratch);
                if (probe) probe.polar[spixel] = 1;
              }
              if (probe) { probe.swept[spixel] = 1; continue; }
              const map = table.source[fresh ? 0 : 1];
              fresh = false;
              for (let phiTic = 0; phiTic < phisteps; ++phiTic) {
                const ent = map[phiTic];
                for (let mosTic = 0; mosTic < M; ++mosTic) {
                  const o = (ent * M + mosTic) * 9;
                  if (traced && rec) rec.where = `pixel (${spixel},${fpixel}) thick ${thickTic} sub (${subS},${subF}) source ${source} φ step ${phiTic} mosaic ${mosTic}: lattice factor`;
                  const h = r(r(r(abc[o] * q1) + r(abc[o + 1] * q2)) + r(abc[o + 2] * q3));
                  const k = r(r(r(abc[o + 3] * q1) + r(abc[o + 4] * q2)) + r(abc[o + 5] * q3));
                  const l = r(r(r(abc[o + 6] * q1) + r(abc[o + 7] * q2)) + r(abc[o + 8] * q3));
                  const h0 = Math.ceil(r(h - 0.5)), k0 = Math.ceil(r(k - 0.5)), l0 = Math.ceil(r(l - 0.5));
                  if (printing) { pH = h; pK = k; pL = l; pH0 = h0; pK0 = k0; pL0 = l0; pO = o; }
                  let Flatt = 1.0, Fa = 1.0, Fb = 1.0, Fc = 1.0;
                  if (square) {
                    if (Na > 1) { const x = r(PI * h); Fa = x === 0.0 ? Na : r(sin(r(x * Na)) / sin(x)); Flatt = r(Flatt * Fa); }
                    if (Nb > 1) { const x = r(PI * k); Fb = x === 0.0 ? Nb : r(sin(r(x * Nb)) / sin(x)); Flatt = r(Flatt * Fb); }
                    if (Nc > 1) { const x = r(PI * l); Fc = x === 0.0 ? Nc : r(sin(r(x * Nc)) / sin(x)); Flatt = r(Flatt * Fc); }
                  } else {
                    const dh = r(h - h0), dk = r(k - k0), dl = r(l - l0);
                    const dx = r(r(r(dh * as1) + r(dk * bs1)) + r(dl * cs1));
                    const dy = r(r(r(dh * as2) + r(dk * bs2)) + r(dl * cs2));
                    const dz = r(r(r(dh * as3) + r(dk * bs3)) + r(dl * cs3));
                    const radStarSqr = r(r(r(r(r(r(r(r(r(dx * dx) + r(dy * dy)) + r(dz * dz)) * Na) * Na) * Nb) * Nb) * Nc) * Nc);
                    const NNN = r(r(Na * Nb) * Nc);
                    if (round) {
                      const hradSqr = r(r(r(r(r(dh * dh) * Na) * Na) + r(r(r(dk * dk) * Nb) * Nb)) + r(r(r(dl * dl) * Nc) * Nc));
                      const x = r(PI * sqrt(r(hradSqr * fudge)));
                      const s3 = x === 0.0 ? 1.0 : r(r(3.0 * r(r(sin(x) / x) - P.cos(x))) / r(x * x));
                      Flatt = r(r(NNN * r(0.723601254558268)) * s3);
                    } else if (gauss) {
                      Flatt = r(NNN * exp(r(-r(r(radStarSqr / 0.63) * fudge))));
                    } else if (tophat) {
                      Flatt = r(NNN * (r(radStarSqr * fudge) < 0.3969 ? 1 : 0));
                    }
                  }
                  if (traced && source === 0 && mosTic === 0 && phiTic === 0) {
                    const ax = r(abc[o] * 1e10), ay = r(abc[o + 1] * 1e10), az = r(abc[o + 2] * 1e10);
                    t(`TRACE_TS: rot_a_angstroms ${fmt(ax)} ${fmt(ay)} ${fmt(az)}`);
                    t(`TRACE_TS: rot_b_angstroms ${fmt(r(abc[o + 3] * 1e10))} ${fmt(r(abc[o + 4] * 1e10))} ${fmt(r(abc[o + 5] * 1e10))}`);
                    t(`TRACE_TS: rot_c_angstroms ${fmt(r(abc[o + 6] * 1e10))} ${fmt(r(abc[o + 7] * 1e10))} ${fmt(r(abc[o + 8] * 1e10))}`);
                    t(`TRACE_TS: rot_a_star_A_inv ${fmt(as1)} ${fmt(as2)} ${fmt(as3)}`);
                    t(`TRACE_TS: rot_b_star_A_inv ${fmt(bs1)} ${fmt(bs2)} ${fmt(bs3)}`);
                    t(`TRACE_TS: rot_c_star_A_inv ${fmt(cs1)} ${fmt(cs2)} ${fmt(cs3)}`);
                    t(`TRACE_TS: hkl_frac ${fmt(h)} ${fmt(k)} ${fmt(l)}`);
                    t(`TRACE_TS: hkl_rounded ${h0} ${k0} ${l0}`);
                    if (square) {
                      t(`TRACE_TS: F_latt_a ${fmt(Fa)}`);
                      t(`TRACE_TS: F_latt_b ${fmt(Fb)}`);
                      t(`TRACE_TS: F_latt_c ${fmt(Fc)}`);
                      t(`TRACE_TS: F_latt ${fmt(Flatt)}`);
                    }
                  }
                  if (printing) pFlatt = Flatt;
                  if (Flatt === 0.0 && waterSize === 0.0) {
                    if (traced) tracePhi(t, r, abc, o, X.Vcell, phiOf[phiTic], thickTic, subS, subF, source, mosTic, phiTic, h, k, l, Fa, Fb, Fc, Flatt, NaN, 0);
                    continue;
                  }
                  const Fcell = structureFactor(fc, shared, warnings, h, k, l, h0, k0, l0);
                  if (traced && source === 0 && mosTic === 0 && phiTic === 0) t(`TRACE_TS: F_cell ${fmt(Fcell)}`);
                  if (printing) pFcell = Fcell;
                  const contribution = r(r(r(Fcell * Fcell) * Flatt) * Flatt);
                  if (traced) tracePhi(t, r, abc, o, X.Vcell, phiOf[phiTic], thickTic, subS, subF, source, mosTic, phiTic, h, k, l, Fa, Fb, Fc, Flatt, Fcell, contribution);
                  let weighted = contribution;
                  if (cThick) weighted = r(weighted * captureFraction);
                  if (cPolar) weighted = r(weighted * polar);
                  if (cOmega) weighted = r(weighted * omegaPixel);
                  I = r(I + weighted);
                  if (sThick) I = r(I * captureFraction);
                  if (sPolar) I = r(I * polar);
                  if (sOmega) I = r(I * omegaPixel);
                }
              }
            }
          }
        }
      }
      if (probe) continue;
      let test = r(r(scale0 * I) / steps);
      if (!wThick) test = r(test * captureFraction);
      if (!wPolar) test = r(test * polar);
      if (!wOmega) test = r(test * omegaPixel);
      const value = Math.fround(image[imgidx] + test);
      image[imgidx] = value;
      if (traced) {
        t(`TRACE_TS: I_before_scaling ${fmt(I)}`);
        t(`TRACE_TS: r_e_meters ${fmt(sqrt(S.r_e_sqr))}`);
        t(`TRACE_TS: r_e_sqr ${fmt(S.r_e_sqr)}`);
        t(`TRACE_TS: fluence_photons_per_m2 ${fmt(fluence)}`);
        t(`TRACE_TS: steps ${steps}`);
        t(`TRACE_TS: oversample_thick ${osThick ? 1 : 0}`);
        t(`TRACE_TS: oversample_polar ${osPolar ? 1 : 0}`);
        t(`TRACE_TS: oversample_omega ${osOmega ? 1 : 0}`);
        t(`TRACE_TS: capture_fraction ${fmt(captureFraction)}`);
        t(`TRACE_TS: polar ${fmt(polar)}`);
        t(`TRACE_TS: omega_pixel ${fmt(omegaPixel)}`);
        t(`TRACE_TS: cos_2theta ${fmt(r(r(r(incident[1] * diffracted[1]) + r(incident[2] * diffracted[2])) + r(incident[3] * diffracted[3])))}`);
        t(`TRACE_TS: I_pixel_final ${fmt(test)}`);
        t(`TRACE_TS: floatimage_accumulated ${fmt(value)}`);
      }
      if (value > stats.maxI) { stats.maxI = value; stats.maxIx = Fdet; stats.maxIy = Sdet; }
      stats.sum += value;
      stats.sumsqr += Math.fround(value * value);
      ++stats.sumn;
      if (printing && ((fpixel === O.printoutFpixel && spixel === O.printoutSpixel) || O.printoutFpixel < 0)) {
        const twotheta = r(P.atan2(sqrt(r(r(pixelPos[2] * pixelPos[2]) + r(pixelPos[3] * pixelPos[3]))), pixelPos[1]));
        const v = (j: number) => (pO < 0 ? 0 : r(abc[pO + j] * 1e10));
        const row = (name: string, j: number) => `${name}: ${cfmtF(v(j), 8, 11)} ${cfmtF(v(3 + j), 8, 11)} ${cfmtF(v(6 + j), 8, 11)}`;
        print!(`${cfmtD(fpixel, 4)} ${cfmtD(spixel, 4)} : stol = ${cfmtG(pStol)} or ${cfmtG(r(sin(r(twotheta / 2.0)) / r(B.wavelength0 * 1e10)))}`);
        print!(`at ${cfmtG(pixelPos[1])} ${cfmtG(pixelPos[2])} ${cfmtG(pixelPos[3])}`);
        print!(`hkl= ${cfmtF(pH)} ${cfmtF(pK)} ${cfmtF(pL)}  hkl0= ${cInt(pH0)} ${cInt(pK0)} ${cInt(pL0)}`);
        print!(` F_cell=${cfmtG(pFcell)}  F_latt=${cfmtG(pFlatt)}   I = ${cfmtG(I)}`);
        print!(`I/steps ${cfmtG(r(I / steps), 10, 15)}`);
        print!(`polar   ${cfmtG(polar, 10, 15)}`);
        print!(`omega   ${cfmtG(omegaPixel, 10, 15)}`);
        print!(`capfrac ${cfmtG(captureFraction, 10, 15)}`);
        print!(`pixel   ${cfmtG(value, 10, 15)}`);
        print!('real-space cell vectors (Angstrom):');
        print!(`     ${'a'.padEnd(10)}  ${'b'.padEnd(10)}  ${'c'.padEnd(10)}`);
        print!(row('X', 0)); print!(row('Y', 1)); print!(row('Z', 2));
      }
    }
  }
  if (rec) rec.on = false;
}

/** One TRACE_TS_PHI line: every quantity of one (layer, sub-pixel, source, φ, mosaic) evaluation. */
function tracePhi(
  t: TraceSink, r: (x: number) => number, abc: Float64Array, o: number, Vcell: number, phi: number,
  thickTic: number, subS: number, subF: number, source: number, mosTic: number, phiTic: number,
  h: number, k: number, l: number, Fa: number, Fb: number, Fc: number, Flatt: number, Fcell: number, contribution: number,
): void {
  const A = (i: number) => r(abc[o + i] * 1e10);
  const ax = A(0), ay = A(1), az = A(2), bx = A(3), by = A(4), bz = A(5), cx = A(6), cy = A(7), cz = A(8);
  // reciprocal vectors of the rotated cell, in Å⁻¹: a* = (b × c)/V_cell and cyclically
  const star = (ux: number, uy: number, uz: number, vx: number, vy: number, vz: number) => [
    r(r(r(uy * vz) - r(uz * vy)) / Vcell), r(r(r(uz * vx) - r(ux * vz)) / Vcell), r(r(r(ux * vy) - r(uy * vx)) / Vcell)];
  const as = star(bx, by, bz, cx, cy, cz), bs = star(cx, cy, cz, ax, ay, az), cs = star(ax, ay, az, bx, by, bz);
  const phiDeg = r(phi * r(RTD));
  t(`TRACE_TS_PHI thick_tic=${thickTic} subS=${subS} subF=${subF} source=${source} mos_tic=${mosTic} phi_tic=${phiTic} phi_deg=${fmt(phiDeg)}` +
    ` rot_a=${fmt(ax)},${fmt(ay)},${fmt(az)} rot_b=${fmt(bx)},${fmt(by)},${fmt(bz)} rot_c=${fmt(cx)},${fmt(cy)},${fmt(cz)}` +
    ` rot_a_star=${as.map(fmt).join(',')} rot_b_star=${bs.map(fmt).join(',')} rot_c_star=${cs.map(fmt).join(',')}` +
    ` h_frac=${fmt(h)} k_frac=${fmt(k)} l_frac=${fmt(l)} F_latt_a=${fmt(Fa)} F_latt_b=${fmt(Fb)} F_latt_c=${fmt(Fc)} F_latt=${fmt(Flatt)}` +
    ` F_cell=${fmt(Fcell)} I_contribution=${fmt(contribution)}`);
}

/** -curved_det: every pixel at `distance` from the sample, using the lab y/z of the flat position as angles. */
export function curvePixel(P: Precision, beam: Vec, sdet: Vec, fdet: Vec, distance: number, pos: Vec, v: Vec, nv: Vec): void {
  const r = P.r;
  v[1] = r(distance * beam[1]); v[2] = r(distance * beam[2]); v[3] = r(distance * beam[3]);
  const ay = r(pos[2] / distance), az = r(pos[3] / distance);
  rotateAxis(P, v, nv, sdet, ay);
  rotateAxis(P, nv, pos, fdet, az);
}

