/**
 * From parsed options to the models the renderer consumes (Beam, Detector, Goniometer,
 * Crystal, Sampling), following nanoBragg.c's set-up code in its order: filling blanks,
 * the convention block (which overrides flag-set pivots), the automatic sampling rules,
 * detector geometry, the crystal lattice, structure factors, sources and mosaic domains.
 *
 * All arithmetic goes through the precision kernel, so float32 mode rounds the set-up too.
 */
import { existsSync } from 'node:fs';
import { FlagError, type ConventionName, type NanoBraggOptions, type PhiMode, type PivotName, type XtalShape } from './argv.js';
import { cInt, RTD } from '../math/constants.js';
import { cfmtG } from '../io/cformat.js';
import { budgetOf, BYTES_PER_PIXEL, fmtBytes, need } from './budget.js';
import { precisionFor, type Dtype } from '../math/precision.js';
import { defaultLibm, libmByName, LibmUnavailableError, type Libm, type LibmName } from '../math/libm/index.js';
import type { LibmRecorder } from '../math/libm/record.js';
import { NrRandom, mosaicRotationUmat, umat2misset, type Seed } from '../math/rng.js';
import { cross, dot, rotateAxis, rotateXYZ, unitize, vec, vectorRescale, vectorScale, type Vec } from '../math/vec3.js';
import { readColumns, readFdump, readHklFile, readMatFile, type HklGrid } from '../crystal/hkl.js';

export interface Beam {
  /** unit vector of the beam direction (the C's beam_vector) */
  direction: Vec;
  polarVector: Vec;
  vertVector: Vec;
  wavelength0: number; // m
  kahn: number;
  nopolar: boolean;
  fluence: number; flux: number; exposure: number; beamsize: number;
  /** unit source direction vectors (the C's source_X/Y/Z after unitizing) and wavelengths */
  sourceX: Float64Array; sourceY: Float64Array; sourceZ: Float64Array; sourceLambda: Float64Array;
  hdiv: { range: number; step: number; steps: number }; vdiv: { range: number; step: number; steps: number };
  disp: { range: number; step: number; steps: number };
}

export interface Detector {
  convention: ConventionName; pivot: PivotName;
  fast: Vec; slow: Vec; normal: Vec; origin: Vec; // origin = pix0 (m)
  pixelSize: number; fpixels: number; spixels: number; detsizeF: number; detsizeS: number;
  distance: number; closeDistance: number;
  Xbeam: number; Ybeam: number; Fbeam: number; Sbeam: number; Xclose: number; Yclose: number; Fclose: number; Sclose: number;
  ORGX: number; ORGY: number; dialsOrigin: [number, number, number];
  rotx: number; roty: number; rotz: number; twotheta: number; twothetaAxis: Vec;
  curved: boolean; pointPixel: boolean;
  thick: number; thickstep: number; thicksteps: number; mu: number;
  roi: { xmin: number; xmax: number; ymin: number; ymax: number };
  /** -mask: per pixel, 0 = skipped (not rendered, not counted), as the C's maskimage */
  mask: Uint16Array | null;
}

export interface Goniometer { spindle: Vec; phi0: number; phistep: number; phisteps: number; osc: number; mode: PhiMode; cThreads: number }

export interface Crystal {
  a0: Vec; b0: Vec; c0: Vec; // metres, φ=0
  aStar: Vec; bStar: Vec; cStar: Vec; // Å⁻¹ (unrotated, as the C keeps them)
  Vcell: number; // Å³
  Na: number; Nb: number; Nc: number;
  shape: XtalShape; fudge: number;
  /** structure factors as read (double; float32 mode rounds each value where it is used) */
  hkl: HklGrid | null; defaultF: number; interpolate: boolean;
  mosaicSpread: number; mosaicDomains: number; mosaicUmats: Float64Array;
  cell: [number, number, number, number, number, number]; // final a b c (Å) α β γ (deg), for reports
  missetDeg: [number, number, number] | null;
}

export interface Sampling {
  oversample: number; recommendedOversample: number; subpixelSize: number; steps: number;
  oversampleThick: boolean; oversamplePolar: boolean; oversampleOmega: boolean;
  dmin: number; waterSize: number; Ibg: number; r_e_sqr: number;
}

export interface Outputs {
  floatFile: string; intFile: string; noiseFile: string; pgmFile: string; dumpFile: string;
  writeNoise: boolean; writePgm: boolean; writeFdump: boolean;
  intfileScale: number; pgmScale: number; adc: number; seed: number;
  /** the C's console printout: every pixel (fpixel < 0) or one */
  printout: boolean; printoutFpixel: number; printoutSpixel: number;
}

export interface SimulationConfig {
  dtype: Dtype;
  /** the math functions' provider (src/math/libm) and what exactly answers its calls */
  libm: { name: LibmName; detail: string };
  /** traced runs print each math call (TRACE_TS_LIBM) */
  libmLog: boolean;
  beam: Beam; detector: Detector; goniometer: Goniometer; crystal: Crystal; sampling: Sampling; outputs: Outputs;
  tracePixels: Array<[number, number]>;
  /** what the run will cost: evaluations, estimated bytes of memory, and the limit they were checked against */
  plan: { evaluations: number; memoryBytes: number; memoryLimit: number };
  /** the C's random-number state after set-up (the noise image continues its shared table) */
  rng: NrRandom;
  /** human-readable decisions the C prints (convention, auto-selections, warnings) */
  log: string[];
}

const DBL_MIN = 2.2250738585072014e-308;
const Avogadro = 6.02214179e23;

/** The run's math functions: the one asked for (an error when it cannot load), or the default, saying why it fell back. */
function chooseLibm(name: LibmName | 'auto', log: string[]): Libm {
  if (name === 'auto') {
    const d = defaultLibm();
    if (d.note) log.push(`WARNING: ${d.note}`);
    return d.libm;
  }
  try { return libmByName(name); } catch (e) {
    if (e instanceof LibmUnavailableError) throw new FlagError('--libm', `${name}: ${e.message}`);
    throw e;
  }
}

/** Resolve parsed options into a complete, frozen simulation configuration. */
export function resolveConfig(o: NanoBraggOptions, opts: { now?: () => number; recorder?: LibmRecorder } = {}): SimulationConfig {
  const log: string[] = [...o.notes];
  const libm = chooseLibm(o.libm, log);
  // where the set-up is, for a recorded run's math-call lines
  const at = (where: string) => { if (opts.recorder) opts.recorder.where = where; };
  const P = precisionFor(o.dtype, libm, opts.recorder);
  const r = P.r;
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const budget = budgetOf(o.maxMemory);
  let memory = 0; // the estimate, part by part, checked before each large allocation
  const claim = (flag: string, what: string, bytes: number) => { need(budget, flag, what, bytes); memory += bytes; need(budget, flag, `this run (${what} and the rest)`, memory); };

  // ---- fill in blanks (l.1118-1170)
  let pixelSize = r(o.pixelSize);
  let detsizeF = r(o.detsizeF), detsizeS = r(o.detsizeS);
  if (o.fpixels) detsizeF = r(pixelSize * o.fpixels);
  if (o.spixels) detsizeS = r(pixelSize * o.spixels);
  const fpixels = cInt(Math.ceil(r(r(detsizeF / pixelSize) - 0.5)));
  const spixels = cInt(Math.ceil(r(r(detsizeS / pixelSize) - 0.5)));
  if (!(fpixels > 0) || !(spixels > 0)) throw new FlagError('-detpixels', `detector has no pixels (${fpixels}x${spixels})`);
  if (o.mask && o.mask.pixels.length !== fpixels * spixels) {
    // the C would index its mask with the other detector's pixel numbers (past its end: undefined)
    throw new FlagError('-mask', `${o.mask.file} is ${o.mask.width}x${o.mask.height} pixels, but the detector is ${fpixels}x${spixels}`);
  }
  if (o.mask) log.push(`skipping zero-flagged pixels in ${o.mask.file}`);
  claim(o.fpixels || o.spixels ? '-detpixels' : '-detsize', `a ${fpixels}x${spixels}-pixel detector`, fpixels * spixels * BYTES_PER_PIXEL);

  let fluence = r(o.fluence), flux = r(o.flux);
  const exposure = r(o.exposure), beamsize = r(o.beamsize);
  if (flux !== 0.0 && exposure > 0.0 && beamsize >= 0) fluence = r(r(r(flux * exposure) / beamsize) / beamsize);
  let sampleX = r(o.sampleX), sampleY = r(o.sampleY), sampleZ = r(o.sampleZ);
  if (beamsize >= 0) {
    if (beamsize < sampleY) { log.push(`WARNING: clipping sample (${cfmtG(sampleY)} m high) with beam (${cfmtG(beamsize)} m)`); sampleY = beamsize; }
    if (beamsize < sampleZ) { log.push(`WARNING: clipping sample (${cfmtG(sampleZ)} m wide) with beam (${cfmtG(beamsize)} m)`); sampleZ = beamsize; }
  }
  if (exposure > 0.0) flux = r(r(r(fluence / exposure) * beamsize) * beamsize);

  let Fclose = NaN, Sclose = NaN;
  let Xclose = r(o.Xclose), Yclose = r(o.Yclose), Xbeam = r(o.Xbeam), Ybeam = r(o.Ybeam);
  let Fbeam = NaN, Sbeam = NaN;
  if (!isNaN(o.ORGX)) Fclose = r(r(r(o.ORGX) - 0.5) * pixelSize);
  if (!isNaN(o.ORGY)) Sclose = r(r(r(o.ORGY) - 0.5) * pixelSize);
  if (isNaN(Fclose)) Fclose = r(r(detsizeF - r(0 * pixelSize)) / 2.0);
  if (isNaN(Sclose)) Sclose = r(r(detsizeS + r(0 * pixelSize)) / 2.0);
  if (isNaN(Xclose)) Xclose = Fclose;
  if (isNaN(Yclose)) Yclose = Sclose;
  if (isNaN(Fbeam)) Fbeam = Fclose;
  if (isNaN(Sbeam)) Sbeam = Sclose;
  const roi = {
    xmin: o.roi[0] < 0 ? 0 : o.roi[0], xmax: o.roi[1] < 0 ? fpixels : o.roi[1],
    ymin: o.roi[2] < 0 ? 0 : o.roi[2], ymax: o.roi[3] < 0 ? spixels : o.roi[3],
  };

  // ---- conventions (l.1172-1257): override the flag-set pivot
  const beamV = vec(...o.beamVector.map(r) as [number, number, number]);
  const fdet = vec(...o.fdet.map(r) as [number, number, number]);
  const sdet = vec(...o.sdet.map(r) as [number, number, number]);
  const odet = vec(...o.odet.map(r) as [number, number, number]);
  const polarV = vec(...o.polarVector.map(r) as [number, number, number]);
  const spindle = vec(...o.spindle.map(r) as [number, number, number]);
  const tthAxis = vec(...o.twothetaAxis.map(r) as [number, number, number]);
  const set = (v: Vec, x: number, y: number, z: number) => { v[1] = x; v[2] = y; v[3] = z; };
  let pivot: PivotName = o.pivot;
  const conv = o.convention;
  const half = (x: number) => r(x / 2.0);
  if (conv === 'ADXV') {
    if (isNaN(Xbeam)) Xbeam = half(r(detsizeF + pixelSize));
    if (isNaN(Ybeam)) Ybeam = half(r(detsizeS - pixelSize));
    set(beamV, 0, 0, 1); set(fdet, 1, 0, 0); set(sdet, 0, -1, 0); set(odet, 0, 0, 1);
    set(tthAxis, -1, 0, 0); set(polarV, 1, 0, 0); set(spindle, 1, 0, 0);
    Fbeam = Xbeam; Sbeam = r(detsizeS - Ybeam); pivot = 'BEAM';
  }
  if (conv === 'MOSFLM' || conv === 'DENZO') {
    if (isNaN(Xbeam)) Xbeam = half(r(detsizeS + pixelSize));
    if (isNaN(Ybeam)) Ybeam = half(r(detsizeF + pixelSize));
    set(beamV, 1, 0, 0); set(odet, 1, 0, 0); set(fdet, 0, 0, 1); set(sdet, 0, -1, 0);
    set(tthAxis, 0, 0, -1); set(polarV, 0, 0, 1); set(spindle, 0, 0, 1);
    const k = conv === 'MOSFLM' ? 0.5 : 0.0;
    Fbeam = r(Ybeam + r(k * pixelSize)); Sbeam = r(Xbeam + r(k * pixelSize)); pivot = 'BEAM';
  }
  if (conv === 'XDS' || conv === 'DIALS') {
    if (isNaN(Xbeam)) Xbeam = Xclose;
    if (isNaN(Ybeam)) Ybeam = Yclose;
    set(beamV, 0, 0, 1); set(fdet, 1, 0, 0); set(sdet, 0, 1, 0); set(odet, 0, 0, 1);
    if (conv === 'XDS') { set(tthAxis, 1, 0, 0); set(polarV, 1, 0, 0); set(spindle, 1, 0, 0); }
    else { set(tthAxis, 0, 1, 0); set(polarV, 0, 1, 0); set(spindle, 0, 1, 0); }
    Fbeam = Xbeam; Sbeam = Ybeam; pivot = 'SAMPLE';
  }
  if (conv === 'CUSTOM') {
    if (isNaN(Xbeam)) Xbeam = Xclose;
    if (isNaN(Ybeam)) Ybeam = Yclose;
    Fbeam = Xbeam; Sbeam = Ybeam; Fclose = Xbeam; Sclose = Ybeam;
  }
  log.push(`${conv.toLowerCase()} convention selected.`);

  // ---- straighten up vectors (l.1259-1272)
  unitize(P, beamV, beamV);
  unitize(P, fdet, fdet);
  unitize(P, sdet, sdet);
  if (unitize(P, odet, odet) !== 1.0) {
    log.push('WARNING: auto-generating odet_vector');
    cross(P, fdet, sdet, odet);
    unitize(P, odet, odet);
  }
  unitize(P, polarV, polarV);
  unitize(P, spindle, spindle);
  const vertV = vec();
  cross(P, beamV, polarV, vertV);
  unitize(P, vertV, vertV);

  // ---- structure-factor source must exist (the C's usage exit)
  const hklFile = o.hklFile;
  const dumpExists = hklFile === null && existsSync(o.dumpFile);
  if (hklFile === null && !dumpExists && o.defaultF === 0.0) {
    throw new FlagError('-hkl', `no structure factors: give -hkl FILE or -default_F F (and no ${o.dumpFile} in the working directory)`);
  }
  if (o.matFile === null && !(o.userCell && o.cell[0] !== 0)) {
    throw new FlagError('-cell', 'no crystal lattice: give -cell a b c alpha beta gamma or -mat FILE');
  }

  // ---- automatic sampling rules (l.1380-1690)
  let { phisteps, osc, phistep } = o;
  osc = r(osc); phistep = r(phistep);
  if (phisteps < 0) {
    if (osc < 0.0) {
      if (phistep <= 0.0) { phisteps = 1; osc = 0.0; phistep = 0.0; } else { osc = phistep; phisteps = 2; }
    } else if (phistep <= 0.0) { phisteps = 2; phistep = r(osc / 2.0); } else phisteps = cInt(Math.ceil(r(osc / phistep)));
  } else {
    if (phisteps === 0) phisteps = 1;
    if (osc < 0.0) {
      if (phistep <= 0.0) { osc = r(1.0 / RTD); phistep = r(osc / phisteps); } else { osc = phistep; phisteps = 2; }
    } else if (phistep < 0.0) phistep = r(osc / phisteps);
  }
  const div = (range: number, step: number, steps: number, fullRange: number) => {
    range = r(range); step = r(step);
    if (steps <= 0) {
      if (range < 0.0) {
        if (step <= 0.0) { steps = 1; range = 0.0; step = 0.0; } else { range = step; steps = 2; }
      } else if (step <= 0.0) { step = range; steps = 2; } else steps = cInt(Math.ceil(r(range / step)));
    } else if (range < 0.0) {
      if (step <= 0.0) { range = fullRange; step = r(range / steps); } else { range = step; steps = 2; }
    } else if (step <= 0.0) { if (steps <= 1) steps = 2; step = r(range / (steps - 1)); }
    if (range <= 0.0 || step <= 0.0 || steps <= 0) { steps = 1; range = 0.0; step = 0.0; }
    return { range, step, steps };
  };
  if (phisteps < 1) {
    throw new FlagError('-phistep', `osc/phistep = ${osc / phistep} φ steps does not fit nanoBragg.c's int (it becomes ${phisteps}, and the C then runs no φ step at all)`);
  }
  const hdiv = div(o.hdivrange, o.hdivstep, o.hdivsteps, 1.0);
  const vdiv = div(o.vdivrange, o.vdivstep, o.vdivsteps, 1.0);
  const disp = div(o.dispersion, -1, o.dispsteps, 1.0);
  // detector thickness: its own variant of the rule (step = thick/2 when only the thickness is given)
  let thick = r(o.detectorThick), thickstep = -1.0, thicksteps = o.detectorThicksteps, mu = r(o.detectorMu);
  if (thicksteps <= 0) {
    if (thick < 0.0) { thicksteps = 1; thick = 0.0; thickstep = 0.0; }
    else { thicksteps = 2; thickstep = r(thick / thicksteps); }
  } else if (thick < 0.0) { thick = r(0.5e-6); thickstep = r(thick / thicksteps); }
  else { if (thicksteps <= 1) thicksteps = 2; thickstep = r(thick / (thicksteps - 1)); }
  if (thick > 0.0 && mu < 0.0) { mu = r(1.0 / thick); log.push(`WARNING: setting detector attenuation depth to ${cfmtG(mu)} m`); }
  if (thick <= 0.0 || thickstep <= 0.0 || thicksteps <= 0) { thicksteps = 1; thick = 0.0; thickstep = 0.0; }
  let mosaicDomains = o.mosaicDomains, mosaicSpread = r(o.mosaicSpread);
  if (mosaicDomains <= 0) {
    if (mosaicSpread < 0.0) { mosaicDomains = 1; mosaicSpread = 0.0; }
    else if (mosaicSpread === 0.0) mosaicDomains = 1;
    else { log.push('WARNING: finite mosaicity with only one domain! upping to 10 mosaic domains'); mosaicDomains = 10; }
  } else if (mosaicSpread < 0.0) { log.push('WARNING: no mosaic spread specified.  setting mosaic_domains = 1'); mosaicSpread = 0.0; mosaicDomains = 1; }
  else if (mosaicSpread === 0.0) { log.push('WARNING: zero mosaic spread specified.  setting mosaic_domains = 1'); mosaicDomains = 1; }

  // ---- detector geometry (l.1697-1776)
  at('detector geometry (rotations of the detector vectors)');
  const rotx = r(o.rotx), roty = r(o.roty), rotz = r(o.rotz), twotheta = r(o.twotheta);
  let distance = r(o.distance), closeDistance = r(o.closeDistance);
  const tmp = vec();
  rotateXYZ(P, odet, tmp, rotx, roty, rotz);
  let ratio = dot(P, beamV, tmp);
  if (ratio === 0.0) ratio = DBL_MIN;
  if (isNaN(closeDistance)) closeDistance = Math.abs(r(ratio * distance));
  distance = r(closeDistance / ratio);
  const pix0 = vec();
  if (pivot === 'SAMPLE') {
    log.push('pivoting detector around sample');
    for (let k = 1; k <= 3; k++) pix0[k] = r(r(r(-Fclose * fdet[k]) - r(Sclose * sdet[k])) + r(closeDistance * odet[k]));
    rotateXYZ(P, pix0, pix0, rotx, roty, rotz);
    rotateAxis(P, pix0, pix0, tthAxis, twotheta);
  }
  for (const v of [fdet, sdet, odet]) rotateXYZ(P, v, v, rotx, roty, rotz);
  for (const v of [fdet, sdet, odet]) rotateAxis(P, v, v, tthAxis, twotheta);
  if (pivot === 'BEAM') {
    log.push('pivoting detector around direct beam spot');
    for (let k = 1; k <= 3; k++) pix0[k] = r(r(r(-Fbeam * fdet[k]) - r(Sbeam * sdet[k])) + r(distance * beamV[k]));
  }
  Fclose = -dot(P, pix0, fdet);
  Sclose = -dot(P, pix0, sdet);
  closeDistance = dot(P, pix0, odet);
  const nv = vec();
  for (let k = 1; k <= 3; k++) nv[k] = r(r(r(closeDistance / ratio) * beamV[k]) - pix0[k]);
  Fbeam = dot(P, fdet, nv);
  Sbeam = dot(P, sdet, nv);
  distance = r(closeDistance / ratio);
  const ORGX = r(r(Fclose / pixelSize) + 0.5), ORGY = r(r(Sclose / pixelSize) + 0.5);
  const dialsOrigin: [number, number, number] = [
    r(1000.0 * dot(P, pix0, vec(0, 0, 1))), r(1000.0 * dot(P, pix0, vec(0, 1, 0))), r(1000.0 * dot(P, pix0, vec(-1, 0, 0))),
  ];

  // ---- interpolation choice, on the raw N (l.1778-1789)
  let interpolate = o.interpolate;
  if (interpolate > 1) {
    if (o.Na <= 2 || o.Nb <= 2 || o.Nc <= 2) { log.push('auto-selected tricubic interpolation of structure factors'); interpolate = 1; }
    else { log.push('auto-selected no interpolation'); interpolate = 0; }
  }

  // ---- crystal (l.1792-2062)
  at('cell (reciprocal vectors from the cell angles)');
  const a = vec(), b = vec(), c = vec();
  const aStar = vec(), bStar = vec(), cStar = vec();
  let Vcell = 0, Vstar = 0;
  if (o.userCell) {
    a[0] = r(o.cell[0]); b[0] = r(o.cell[1]); c[0] = r(o.cell[2]);
    let alpha = r(o.cell[3]), beta = r(o.cell[4]), gamma = r(o.cell[5]);
    if (b[0] <= 0.0) b[0] = a[0];
    if (c[0] <= 0.0) c[0] = a[0];
    const halfPi = r(Math.PI / 2);
    if (alpha <= 0.0) alpha = halfPi;
    if (beta <= 0.0) beta = halfPi;
    if (gamma <= 0.0) gamma = halfPi;
    const aavg = r(r(r(alpha + beta) + gamma) / 2);
    let skew = r(r(r(P.sin(aavg) * P.sin(r(aavg - alpha))) * P.sin(r(aavg - beta))) * P.sin(r(aavg - gamma)));
    if (skew < 0.0) skew = -skew;
    Vcell = r(r(r(r(2.0 * a[0]) * b[0]) * c[0]) * P.sqrt(skew));
    if (Vcell <= 0.0) { log.push(`WARNING: impossible unit cell volume: ${cfmtG(Vcell)}`); Vcell = DBL_MIN; }
    Vstar = r(1.0 / Vcell);
    aStar[0] = r(r(r(b[0] * c[0]) * P.sin(alpha)) * Vstar);
    bStar[0] = r(r(r(c[0] * a[0]) * P.sin(beta)) * Vstar);
    cStar[0] = r(r(r(a[0] * b[0]) * P.sin(gamma)) * Vstar);
    if (aStar[0] <= 0.0 || bStar[0] <= 0.0 || cStar[0] <= 0.0) {
      log.push('WARNING: impossible reciprocal cell lengths');
      for (const v of [aStar, bStar, cStar]) { v[0] = Math.abs(v[0]); if (v[0] <= 0.0) v[0] = DBL_MIN; }
    }
    let sinGammaStar = r(r(r(c[0] * Vstar) / aStar[0]) / bStar[0]);
    let cosAlphaStar = r(r(r(P.cos(beta) * P.cos(gamma)) - P.cos(alpha)) / r(P.sin(beta) * P.sin(gamma)));
    let cosBetaStar = r(r(r(P.cos(gamma) * P.cos(alpha)) - P.cos(beta)) / r(P.sin(gamma) * P.sin(alpha)));
    let cosGammaStar = r(r(r(P.cos(alpha) * P.cos(beta)) - P.cos(gamma)) / r(P.sin(alpha) * P.sin(beta)));
    if (sinGammaStar > 1.0) sinGammaStar = 1.0;
    if (sinGammaStar < -1.0) sinGammaStar = -1.0;
    if (r(cosAlphaStar * cosAlphaStar) > 1.0) cosAlphaStar = 1.0;
    if (r(cosBetaStar * cosBetaStar) > 1.0) cosBetaStar = 1.0;
    if (r(cosGammaStar * cosGammaStar) > 1.0) cosGammaStar = 1.0;
    aStar[1] = aStar[0];
    bStar[1] = r(bStar[0] * cosGammaStar);
    cStar[1] = r(cStar[0] * cosBetaStar);
    aStar[2] = 0.0;
    bStar[2] = r(bStar[0] * sinGammaStar);
    cStar[2] = r(r(cStar[0] * r(cosAlphaStar - r(cosBetaStar * cosGammaStar))) / sinGammaStar);
    aStar[3] = 0.0;
    bStar[3] = 0.0;
    // the C's formula, not 1/c: wrong for triclinic cells, reproduced as it is
    cStar[3] = r(r(cStar[0] * Vcell) / r(r(r(a[0] * b[0]) * c[0]) * sinGammaStar));
  }
  const lambda0 = r(o.lambda0);
  if (o.matFile !== null) {
    const m = readMatFile(o.matFile).map(r);
    aStar[1] = m[0]; bStar[1] = m[1]; cStar[1] = m[2];
    aStar[2] = m[3]; bStar[2] = m[4]; cStar[2] = m[5];
    aStar[3] = m[6]; bStar[3] = m[7]; cStar[3] = m[8];
    const s = r(1e-10 / lambda0);
    vectorScale(P, aStar, aStar, s); vectorScale(P, bStar, bStar, s); vectorScale(P, cStar, cStar, s);
  }
  const rng = new NrRandom(P.libm);
  let misset = o.misset.map(r);
  let missetDeg: [number, number, number] | null = null;
  if (o.misset[0] === -1.0) {
    const umat = new Float64Array(9);
    const seed: Seed = { value: o.missetSeed ?? -now() };
    at('random misset (mosaic_rotation_umat, umat2misset)');
    mosaicRotationUmat(rng, 90.0, umat, 0, seed);
    const [mx, my, mz] = umat2misset(umat, P.libm);
    misset = [1.0, r(mx), r(my), r(mz)];
    log.push(`random orientation misset angles: ${(mx * RTD).toFixed(6)} ${(my * RTD).toFixed(6)} ${(mz * RTD).toFixed(6)} deg`);
  }
  if (misset[0] > 0.0) {
    at('misset rotation of a*, b*, c*');
    missetDeg = [misset[1] * RTD, misset[2] * RTD, misset[3] * RTD];
    for (const v of [aStar, bStar, cStar]) rotateXYZ(P, v, v, misset[1], misset[2], misset[3]);
  }
  const axb = vec(), bxc = vec(), cxa = vec();
  cross(P, aStar, bStar, axb);
  cross(P, bStar, cStar, bxc);
  cross(P, cStar, aStar, cxa);
  Vstar = dot(P, aStar, bxc);
  if (o.userCell) {
    vectorRescale(P, bxc, bxc, r(a[0] / Vcell));
    vectorRescale(P, cxa, cxa, r(b[0] / Vcell));
    vectorRescale(P, axb, axb, r(c[0] / Vcell));
    Vstar = r(1.0 / Vcell);
  }
  Vcell = r(1.0 / Vstar);
  vectorScale(P, bxc, a, Vcell);
  vectorScale(P, cxa, b, Vcell);
  vectorScale(P, axb, c, Vcell);
  const rxb = vec(), rbxc = vec(), rcxa = vec();
  cross(P, a, b, rxb);
  cross(P, b, c, rbxc);
  cross(P, c, a, rcxa);
  vectorScale(P, rbxc, aStar, Vstar);
  vectorScale(P, rcxa, bStar, Vstar);
  vectorScale(P, rxb, cStar, Vstar);
  const cellDeg = (u: Vec, v: Vec) => libm.acos(Math.max(-1, Math.min(1, (u[1] * v[1] + u[2] * v[2] + u[3] * v[3]) / u[0] / v[0]))) * RTD;
  const cell: [number, number, number, number, number, number] = [a[0], b[0], c[0], cellDeg(b, c), cellDeg(a, c), cellDeg(a, b)];
  // to metres
  vectorScale(P, a, a, 1e-10);
  vectorScale(P, b, b, 1e-10);
  vectorScale(P, c, c, 1e-10);
  const a0 = vec(), b0 = vec(), c0 = vec();
  vectorScale(P, a, a0, 1.0);
  vectorScale(P, b, b0, 1.0);
  vectorScale(P, c, c0, 1.0);

  let Na = o.Na, Nb = o.Nb, Nc = o.Nc;
  if (sampleX > 0) Na = Math.ceil(r(sampleX / a[0]));
  if (sampleY > 0) Nb = Math.ceil(r(sampleY / b[0]));
  if (sampleZ > 0) Nc = Math.ceil(r(sampleZ / c[0]));
  if (Na <= 1.0) Na = 1.0;
  if (Nb <= 1.0) Nb = 1.0;
  if (Nc <= 1.0) Nc = 1.0;
  let xtalsizeMax = r(a[0] * Na);
  const xb = r(b[0] * Nb), xc = r(c[0] * Nc);
  if (xtalsizeMax < xb) xtalsizeMax = xb;
  if (xtalsizeMax < xc) xtalsizeMax = xc;
  const reciprocalPixelSize = r(r(lambda0 * distance) / pixelSize);
  let recommendedOversample = cInt(Math.ceil(r(r(3.0 * xtalsizeMax) / reciprocalPixelSize)));
  if (recommendedOversample <= 0) recommendedOversample = 1;
  let oversample = o.oversample;
  if (oversample <= 0) { oversample = recommendedOversample; log.push(`auto-selected ${oversample}-fold oversampling`); }
  if (oversample < recommendedOversample) log.push(`WARNING: recommend -oversample ${recommendedOversample}`);

  // ---- structure factors (l.2103-2258)
  let hkl: HklGrid | null = null;
  let writeFdump = false;
  if (hklFile !== null) { hkl = readHklFile(hklFile, o.defaultF, budget); writeFdump = true; }
  else if (dumpExists) { hkl = readFdump(o.dumpFile, budget); log.push(`reading Fs from ${o.dumpFile}`); }
  if (!hkl || hkl.hkls === 0) interpolate = 0;
  if (hkl) memory += hkl.F.byteLength;
  if (o.stolFile !== null) readColumns('-stol', o.stolFile, 2); // read, never used (as in the C)

  // ---- sources (l.2319-2437)
  at('sources');
  let srcX: number[] = [], srcY: number[] = [], srcZ: number[] = [], srcL: number[] = [];
  const sourceDistance = 10.0;
  if (o.sourceFile !== null) {
    for (const row of readColumns('-sourcefile', o.sourceFile, 5)) {
      srcX.push(isNaN(row[0]) ? r(-sourceDistance * beamV[1]) : r(row[0]));
      srcY.push(isNaN(row[1]) ? r(-sourceDistance * beamV[2]) : r(row[1]));
      srcZ.push(isNaN(row[2]) ? r(-sourceDistance * beamV[3]) : r(row[2]));
      srcL.push(isNaN(row[4]) ? lambda0 : r(row[4]));
    }
  } else {
    const upTo = hdiv.steps * vdiv.steps * disp.steps;
    at('divergence sources (rotate_axis)');
    claim('-divsteps/-dispsteps', `${hdiv.steps}x${vdiv.steps} divergence × ${disp.steps} dispersion = ${upTo} sources`, upTo * 7 * 8);
    const v = vec(), nvv = vec();
    for (let hdivTic = 0; hdivTic < hdiv.steps; ++hdivTic) {
      for (let vdivTic = 0; vdivTic < vdiv.steps; ++vdivTic) {
        const hd = r(r(hdiv.step * hdivTic) - r(hdiv.range / 2.0));
        const vd = r(r(vdiv.step * vdivTic) - r(vdiv.range / 2.0));
        let test = r(r(r(hd * hd) - r(r(r(hdiv.step * hdiv.step) / 4.0) * (1 - (hdiv.steps % 2)))) / hdiv.range) / hdiv.range;
        test = r(r(test) + r(r(r(r(vd * vd) - r(r(r(vdiv.step * vdiv.step) / 4.0) * (1 - (vdiv.steps % 2)))) / vdiv.range) / vdiv.range));
        if (o.roundDiv && r(test * 4.0) > 1.1) continue;
        v[1] = r(-sourceDistance * beamV[1]); v[2] = r(-sourceDistance * beamV[2]); v[3] = r(-sourceDistance * beamV[3]);
        rotateAxis(P, v, nvv, polarV, vd);
        rotateAxis(P, nvv, v, vertV, hd);
        for (let dispTic = 0; dispTic < disp.steps; ++dispTic) {
          const lambda = r(lambda0 * r(r(1.0 + r(disp.step * dispTic)) - r(disp.range / 2.0)));
          srcX.push(v[1]); srcY.push(v[2]); srcZ.push(v[3]); srcL.push(lambda);
        }
      }
    }
  }
  const sources = srcX.length;
  const sourceX = new Float64Array(sources), sourceY = new Float64Array(sources), sourceZ = new Float64Array(sources);
  for (let s = 0; s < sources; s++) {
    const v = vec(srcX[s], srcY[s], srcZ[s]);
    unitize(P, v, v);
    sourceX[s] = v[1]; sourceY[s] = v[2]; sourceZ[s] = v[3];
  }
  srcX = srcY = srcZ = [];

  // ---- mosaic domains (l.2439-2452): domain 0 uses its draws, then becomes the identity
  // (the rotation table holds every φ step × mosaic domain: src/physics/lattice.ts)
  // (each worker thread gets its own copy of the table)
  claim('-phisteps/-mosaic_domains', `${phisteps} φ steps × ${mosaicDomains} mosaic domains`,
    mosaicDomains * 72 + (phisteps * mosaicDomains * 72 + phisteps * 16) * (1 + (o.threads > 1 ? o.threads : 0)));
  const mosaicUmats = new Float64Array(mosaicDomains * 9);
  const mosaicSeed: Seed = { value: o.mosaicSeed };
  for (let m = 0; m < mosaicDomains; m++) {
    at(`mosaic domain ${m} (mosaic_rotation_umat)`);
    mosaicRotationUmat(rng, mosaicSpread, mosaicUmats, 9 * m, mosaicSeed);
    if (m === 0) mosaicUmats.set([1, 0, 0, 0, 1, 0, 0, 0, 1], 0);
  }
  if (P.dtype === 'float32') for (let i = 0; i < mosaicUmats.length; i++) mosaicUmats[i] = r(mosaicUmats[i]);

  if (oversample <= 0) oversample = 1;
  const steps = sources * mosaicDomains * phisteps * oversample * oversample;
  const subpixelSize = r(pixelSize / oversample);
  const r_e_sqr = r(7.94079248018965e-30);
  const waterSize = r(o.waterSize);
  const waterF = r(2.57);
  const Ibg = r(r(r(r(r(r(r(r(waterF * waterF) * r_e_sqr) * fluence) * waterSize) * waterSize) * waterSize) * 1e6) * r(Avogadro)) / r(18.0);

  log.push(`${phisteps} phi steps from ${phi0Deg(o.phi0)} to ${(o.phi0 + osc) * RTD} degrees`);
  log.push(`${oversample}x${oversample} pixel oversample steps`);
  log.push(`${sources} sources, ${mosaicDomains} mosaic domains, ${Na}x${Nb}x${Nc} cells`);
  const roiPixels = Math.max(0, Math.min(roi.xmax, fpixels - 1) - Math.max(roi.xmin, 0) + 1) * Math.max(0, Math.min(roi.ymax, spixels - 1) - Math.max(roi.ymin, 0) + 1);
  const plan = { evaluations: roiPixels * oversample * oversample * thicksteps * sources * phisteps * mosaicDomains, memoryBytes: memory, memoryLimit: budget.limit };
  log.push(`work: ${plan.evaluations.toExponential(3)} evaluations (${roiPixels} pixels × ${oversample}² sub-pixels × ${thicksteps} layers × ${sources} sources × ${phisteps} φ × ${mosaicDomains} mosaic), about ${fmtBytes(memory)} of memory`);

  at('set-up');
  return {
    dtype: o.dtype,
    libm: { name: libm.name, detail: libm.detail },
    libmLog: o.libmLog,
    beam: {
      direction: beamV, polarVector: polarV, vertVector: vertV, wavelength0: lambda0,
      kahn: r(o.polarization), nopolar: o.nopolar, fluence, flux, exposure, beamsize,
      sourceX, sourceY, sourceZ, sourceLambda: Float64Array.from(srcL), hdiv, vdiv, disp,
    },
    detector: {
      convention: conv, pivot, fast: fdet, slow: sdet, normal: odet, origin: pix0,
      pixelSize, fpixels, spixels, detsizeF, detsizeS, distance, closeDistance,
      Xbeam, Ybeam, Fbeam, Sbeam, Xclose, Yclose, Fclose, Sclose, ORGX, ORGY, dialsOrigin,
      rotx, roty, rotz, twotheta, twothetaAxis: tthAxis, curved: o.curvedDetector, pointPixel: o.pointPixel,
      thick, thickstep, thicksteps, mu, roi, mask: o.mask?.pixels ?? null,
    },
    goniometer: { spindle, phi0: r(o.phi0), phistep, phisteps, osc, mode: o.phiMode, cThreads: o.cThreads },
    crystal: {
      a0, b0, c0, aStar, bStar, cStar, Vcell, Na, Nb, Nc, shape: o.xtalShape, fudge: r(o.fudge),
      hkl, defaultF: r(o.defaultF), interpolate: interpolate === 1, mosaicSpread, mosaicDomains, mosaicUmats,
      cell, missetDeg,
    },
    sampling: {
      oversample, recommendedOversample, subpixelSize, steps,
      oversampleThick: o.oversampleThick, oversamplePolar: o.oversamplePolar, oversampleOmega: o.oversampleOmega,
      dmin: r(o.dmin), waterSize, Ibg, r_e_sqr,
    },
    outputs: {
      floatFile: o.floatFile, intFile: o.intFile, noiseFile: o.noiseFile, pgmFile: o.pgmFile, dumpFile: o.dumpFile,
      writeNoise: o.calculateNoise, writePgm: o.writePgm, writeFdump,
      printout: o.printout, printoutFpixel: o.printoutFpixel, printoutSpixel: o.printoutSpixel,
      intfileScale: o.intfileScale, pgmScale: o.pgmScale, adc: o.adc, seed: o.seed ?? -now(),
    },
    tracePixels: o.tracePixels,
    plan,
    rng,
    log,
  };
}

function phi0Deg(phi0: number): number { return phi0 * RTD; }
