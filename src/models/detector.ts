/**
 * The detector (dxtbx's Detector) as nanoBragg.c sets it up: its size in pixels and the
 * beam centre filled in where the flags left blanks (l.1118-1170), the convention block that
 * fixes the lab vectors and overrides the flag-set pivot (l.1172-1257), the straightened unit
 * vectors (l.1259-1272), the detector thickness layers, and the rotated geometry with pix0
 * (l.1697-1776).
 *
 * The lab vectors are the C's arrays: the steps rotate and unitize them in place, as it does.
 */
import { FlagError, type ConventionName, type NanoBraggOptions, type PivotName } from '../config/argv.js';
import { BYTES_PER_PIXEL } from '../config/budget.js';
import { cfmtG } from '../io/cformat.js';
import { cInt } from '../math/constants.js';
import type { Precision } from '../math/precision.js';
import { cross, dot, rotateAxis, rotateXYZ, unitize, vec, type Vec } from '../math/vec3.js';
import { DBL_MIN, type At, type Claim } from './setup.js';
import { isC } from '../quirks/catalogue.js';

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

export interface DetectorSize { pixelSize: number; detsizeF: number; detsizeS: number; fpixels: number; spixels: number }

/**
 * The pixels p in 0..n-1 that the C's test `p < lo || p > hi` keeps, as a loop range
 * [from, to]: the same pixels in the same order, without visiting the rest (a 1-pixel ROI on a
 * 1024² detector is 1 iteration, not a million). NaN bounds exclude nothing, as in the test.
 */
export function roiSpan(lo: number, hi: number, n: number): [number, number] {
  return [lo > 0 ? Math.ceil(lo) : 0, hi < n - 1 ? Math.floor(hi) : n - 1];
}

/** The detector's size (pixels from -detpixels or from its size), checked against -mask and the memory budget. */
export function detectorSize(o: NanoBraggOptions, P: Precision, log: string[], claim: Claim): DetectorSize {
  const r = P.r;
  const pixelSize = r(o.pixelSize);
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
  return { pixelSize, detsizeF, detsizeS, fpixels, spixels };
}

/** The beam centre (Xbeam, Ybeam; Fbeam, Sbeam) and the near point (Xclose, Yclose; Fclose, Sclose), m; NaN = not known yet. */
export interface BeamCentre {
  Xbeam: number; Ybeam: number; Fbeam: number; Sbeam: number;
  Xclose: number; Yclose: number; Fclose: number; Sclose: number;
}

/** The near point from -ORGX/-ORGY or the detector's middle; the beam centre stays blank (the convention fills it). */
export function beamCentreBlanks(o: NanoBraggOptions, P: Precision, size: DetectorSize): BeamCentre {
  const r = P.r;
  const { pixelSize, detsizeF, detsizeS } = size;
  let Fclose = NaN, Sclose = NaN;
  let Xclose = r(o.Xclose), Yclose = r(o.Yclose);
  const Xbeam = r(o.Xbeam), Ybeam = r(o.Ybeam);
  let Fbeam = NaN, Sbeam = NaN;
  if (!isNaN(o.ORGX)) Fclose = r(r(r(o.ORGX) - 0.5) * pixelSize);
  if (!isNaN(o.ORGY)) Sclose = r(r(r(o.ORGY) - 0.5) * pixelSize);
  if (isNaN(Fclose)) Fclose = r(r(detsizeF - r(0 * pixelSize)) / 2.0);
  if (isNaN(Sclose)) Sclose = r(r(detsizeS + r(0 * pixelSize)) / 2.0);
  if (isNaN(Xclose)) Xclose = Fclose;
  if (isNaN(Yclose)) Yclose = Sclose;
  if (isNaN(Fbeam)) Fbeam = Fclose;
  if (isNaN(Sbeam)) Sbeam = Sclose;
  return { Xbeam, Ybeam, Fbeam, Sbeam, Xclose, Yclose, Fclose, Sclose };
}

/** The region of interest, pixels; -1 (not given) is the detector's edge. */
export function detectorRoi(o: NanoBraggOptions, size: DetectorSize): Detector['roi'] {
  return {
    xmin: o.roi[0] < 0 ? 0 : o.roi[0], xmax: o.roi[1] < 0 ? size.fpixels : o.roi[1],
    ymin: o.roi[2] < 0 ? 0 : o.roi[2], ymax: o.roi[3] < 0 ? size.spixels : o.roi[3],
  };
}

/** The lab-frame vectors the convention block sets: the detector's, and the beam's and spindle's with them. */
export interface LabVectors { beam: Vec; fdet: Vec; sdet: Vec; odet: Vec; polar: Vec; spindle: Vec; twothetaAxis: Vec }

/**
 * The convention block (l.1172-1257): each convention sets the lab vectors, fills the beam
 * centre it was not given, and overrides the flag-set pivot (CUSTOM keeps the flags').
 */
export function applyConvention(o: NanoBraggOptions, P: Precision, size: DetectorSize, centre: BeamCentre, log: string[]): { pivot: PivotName; centre: BeamCentre; vectors: LabVectors } {
  const r = P.r;
  const { pixelSize, detsizeF, detsizeS } = size;
  let { Xbeam, Ybeam, Fbeam, Sbeam, Fclose, Sclose } = centre;
  const { Xclose, Yclose } = centre;
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
  return {
    pivot,
    centre: { Xbeam, Ybeam, Fbeam, Sbeam, Xclose, Yclose, Fclose, Sclose },
    vectors: { beam: beamV, fdet, sdet, odet, polar: polarV, spindle, twothetaAxis: tthAxis },
  };
}

/**
 * Straighten up the vectors (l.1259-1272), in place: unit beam, detector, polarization and
 * spindle vectors (odet made from fdet × sdet when it is not a unit vector), and the beam's
 * vertical, beam × polarization, which this returns.
 */
export function straightenVectors(P: Precision, v: LabVectors, log: string[]): Vec {
  unitize(P, v.beam, v.beam);
  unitize(P, v.fdet, v.fdet);
  unitize(P, v.sdet, v.sdet);
  if (unitize(P, v.odet, v.odet) !== 1.0) {
    log.push('WARNING: auto-generating odet_vector');
    cross(P, v.fdet, v.sdet, v.odet);
    unitize(P, v.odet, v.odet);
  }
  unitize(P, v.polar, v.polar);
  unitize(P, v.spindle, v.spindle);
  const vertV = vec();
  cross(P, v.beam, v.polar, vertV);
  unitize(P, vertV, vertV);
  return vertV;
}

export interface DetectorThickness { thick: number; thickstep: number; thicksteps: number; mu: number }

/** The detector's thickness layers: the C's sampling rule in its own variant (step = thick/2 when only the thickness is given). */
export function detectorThickness(o: NanoBraggOptions, P: Precision, log: string[]): DetectorThickness {
  const r = P.r;
  let thick = r(o.detectorThick), thickstep = -1.0, thicksteps = o.detectorThicksteps, mu = r(o.detectorMu);
  if (thicksteps <= 0) {
    if (thick < 0.0) { thicksteps = 1; thick = 0.0; thickstep = 0.0; }
    else { thicksteps = 2; thickstep = r(thick / thicksteps); }
  } else if (thick < 0.0) { thick = r(0.5e-6); thickstep = r(thick / thicksteps); }
  else { if (thicksteps <= 1) thicksteps = 2; thickstep = r(thick / (thicksteps - 1)); }
  if (thick > 0.0 && mu < 0.0) { mu = r(1.0 / thick); log.push(`WARNING: setting detector attenuation depth to ${cfmtG(mu)} m`); }
  if (thick <= 0.0 || thickstep <= 0.0 || thicksteps <= 0) { thicksteps = 1; thick = 0.0; thickstep = 0.0; }
  return { thick, thickstep, thicksteps, mu };
}

export interface DetectorGeometry {
  rotx: number; roty: number; rotz: number; twotheta: number;
  distance: number; closeDistance: number;
  /** pix0, m */
  origin: Vec;
  Fbeam: number; Sbeam: number; Fclose: number; Sclose: number;
  ORGX: number; ORGY: number; dialsOrigin: [number, number, number];
}

/**
 * The detector geometry (l.1697-1776): rotate the detector vectors (in place), place pix0 by
 * the pivot, and derive the near point, beam centre, distance and the XDS/DIALS origins from it.
 */
export function detectorGeometry(
  o: NanoBraggOptions, P: Precision, at: At, log: string[],
  pivot: PivotName, v: LabVectors, centre: BeamCentre, pixelSize: number,
): DetectorGeometry {
  const r = P.r;
  const { beam: beamV, fdet, sdet, odet, twothetaAxis: tthAxis } = v;
  let { Fbeam, Sbeam, Fclose, Sclose } = centre;
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
  for (const u of [fdet, sdet, odet]) rotateXYZ(P, u, u, rotx, roty, rotz);
  for (const u of [fdet, sdet, odet]) rotateAxis(P, u, u, tthAxis, twotheta);
  if (pivot === 'BEAM') {
    log.push('pivoting detector around direct beam spot');
    for (let k = 1; k <= 3; k++) pix0[k] = r(r(r(-Fbeam * fdet[k]) - r(Sbeam * sdet[k])) + r(distance * beamV[k]));
  }
  // C-DESIGN-FLAW-003: the C overwrites the -pix0_vector(_mm) given (above); fixed, it is the detector's origin (lab frame, metres)
  if (o.pix0User && !isC(o.quirks, 'C-DESIGN-FLAW-003')) {
    const unit = o.pix0Mm ? 1000.0 : 1.0;
    for (let k = 1; k <= 3; k++) pix0[k] = r(r(o.pix0User[k - 1]) / unit);
    log.push(`detector origin from ${o.pix0Mm ? '-pix0_vector_mm' : '-pix0_vector'} (C-DESIGN-FLAW-003 fixed)`);
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
  return { rotx, roty, rotz, twotheta, distance, closeDistance, origin: pix0, Fbeam, Sbeam, Fclose, Sclose, ORGX, ORGY, dialsOrigin };
}

/** The Detector model from its set-up steps' results. */
export function detectorModel(
  o: NanoBraggOptions, pivot: PivotName, v: LabVectors, size: DetectorSize, centre: BeamCentre,
  g: DetectorGeometry, t: DetectorThickness, roi: Detector['roi'],
): Detector {
  return {
    convention: o.convention, pivot, fast: v.fdet, slow: v.sdet, normal: v.odet, origin: g.origin,
    pixelSize: size.pixelSize, fpixels: size.fpixels, spixels: size.spixels, detsizeF: size.detsizeF, detsizeS: size.detsizeS,
    distance: g.distance, closeDistance: g.closeDistance,
    Xbeam: centre.Xbeam, Ybeam: centre.Ybeam, Fbeam: g.Fbeam, Sbeam: g.Sbeam,
    Xclose: centre.Xclose, Yclose: centre.Yclose, Fclose: g.Fclose, Sclose: g.Sclose,
    ORGX: g.ORGX, ORGY: g.ORGY, dialsOrigin: g.dialsOrigin,
    rotx: g.rotx, roty: g.roty, rotz: g.rotz, twotheta: g.twotheta, twothetaAxis: v.twothetaAxis,
    curved: o.curvedDetector, pointPixel: o.pointPixel,
    thick: t.thick, thickstep: t.thickstep, thicksteps: t.thicksteps, mu: t.mu, roi, mask: o.mask?.pixels ?? null,
  };
}
