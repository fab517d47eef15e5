/**
 * The crystal (dxtbx's Crystal) as nanoBragg.c sets it up: the checks that a lattice and
 * structure factors were given, the mosaic-domain rule, the interpolation choice
 * (l.1778-1789), the real and reciprocal cell from -cell or -mat with the misset rotation,
 * random misset included (l.1792-2062), the number of cells from -N or the sample size, the
 * structure factors (l.2103-2258) and the mosaic domains' rotations (l.2439-2452).
 *
 * The random misset and the mosaic domains draw from the run's one random-number state, in
 * that order (the C's ran1 statics).
 */
import { isC } from '../quirks/catalogue.js';
import { existsSync } from 'node:fs';
import { FlagError, type NanoBraggOptions, type XtalShape } from '../config/argv.js';
import type { Budget } from '../config/budget.js';
import { readColumns, readFdump, readHklFile, readMatFile, type HklGrid } from '../crystal/hkl.js';
import { cfmtG } from '../io/cformat.js';
import { RTD } from '../math/constants.js';
import type { Libm } from '../math/libm/index.js';
import type { Precision } from '../math/precision.js';
import { mosaicRotationUmat, umat2misset, type NrRandom, type Seed } from '../math/rng.js';
import { cross, dot, rotateXYZ, vec, vectorRescale, vectorScale, type Vec } from '../math/vec3.js';
import { DBL_MIN, type At, type Claim } from './setup.js';

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

/**
 * The C's usage exits: no structure factors (no -hkl, no Fdump file in the working
 * directory, no -default_F), then no lattice (no -cell, no -mat). Says whether the Fdump
 * file is there to be read.
 */
export function checkCrystalInputs(o: NanoBraggOptions): { dumpExists: boolean } {
  const dumpExists = o.hklFile === null && existsSync(o.dumpFile);
  if (o.hklFile === null && !dumpExists && o.defaultF === 0.0) {
    throw new FlagError('-hkl', `no structure factors: give -hkl FILE or -default_F F (and no ${o.dumpFile} in the working directory)`);
  }
  if (o.matFile === null && !(o.userCell && o.cell[0] !== 0)) {
    throw new FlagError('-cell', 'no crystal lattice: give -cell a b c alpha beta gamma or -mat FILE');
  }
  return { dumpExists };
}

export interface MosaicRule { mosaicSpread: number; mosaicDomains: number }

/** The mosaic spread (rad) and domain count: the C's rule, with its warnings. */
export function mosaicRule(o: NanoBraggOptions, P: Precision, log: string[]): MosaicRule {
  let mosaicDomains = o.mosaicDomains, mosaicSpread = P.r(o.mosaicSpread);
  if (mosaicDomains <= 0) {
    if (mosaicSpread < 0.0) { mosaicDomains = 1; mosaicSpread = 0.0; }
    else if (mosaicSpread === 0.0) mosaicDomains = 1;
    else { log.push('WARNING: finite mosaicity with only one domain! upping to 10 mosaic domains'); mosaicDomains = 10; }
  } else if (mosaicSpread < 0.0) { log.push('WARNING: no mosaic spread specified.  setting mosaic_domains = 1'); mosaicSpread = 0.0; mosaicDomains = 1; }
  else if (mosaicSpread === 0.0) { log.push('WARNING: zero mosaic spread specified.  setting mosaic_domains = 1'); mosaicDomains = 1; }
  return { mosaicSpread, mosaicDomains };
}

/** The interpolation choice on the raw N (l.1778-1789): 1 tricubic, 0 none; auto (2) picks tricubic for a small crystal. */
export function interpolationChoice(o: NanoBraggOptions, log: string[]): number {
  let interpolate = o.interpolate;
  if (interpolate > 1) {
    if (o.Na <= 2 || o.Nb <= 2 || o.Nc <= 2) { log.push('auto-selected tricubic interpolation of structure factors'); interpolate = 1; }
    else { log.push('auto-selected no interpolation'); interpolate = 0; }
  }
  return interpolate;
}

export interface Lattice {
  /** real-space axes, m (with their lengths in [0]) */
  a: Vec; b: Vec; c: Vec;
  /** copies of a, b, c: the axes at φ = 0 */
  a0: Vec; b0: Vec; c0: Vec;
  /** reciprocal axes, Å⁻¹ */
  aStar: Vec; bStar: Vec; cStar: Vec;
  Vcell: number;
  cell: [number, number, number, number, number, number];
  missetDeg: [number, number, number] | null;
}

/**
 * The cell (l.1792-2062): reciprocal vectors from -cell's lengths and angles or from -mat
 * (scaled by λ0), the misset rotation (random: drawn from `rng`, seeded by -misset_seed or
 * the clock), then the real-space axes and the reciprocal ones again from each other.
 * `libm` is the run's unrecorded provider: the report's cell angles are no call of the C's.
 */
export function crystalLattice(
  o: NanoBraggOptions, P: Precision, libm: Libm, at: At, log: string[],
  rng: NrRandom, lambda0: number, now: () => number,
): Lattice {
  const r = P.r;
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
  if (o.matFile !== null) {
    const m = readMatFile(o.matFile).map(r);
    aStar[1] = m[0]; bStar[1] = m[1]; cStar[1] = m[2];
    aStar[2] = m[3]; bStar[2] = m[4]; cStar[2] = m[5];
    aStar[3] = m[6]; bStar[3] = m[7]; cStar[3] = m[8];
    const s = r(1e-10 / lambda0);
    vectorScale(P, aStar, aStar, s); vectorScale(P, bStar, bStar, s); vectorScale(P, cStar, cStar, s);
  }
  let misset = o.misset.map(r);
  let missetDeg: [number, number, number] | null = null;
  if (o.misset[0] === -1.0) {
    const umat = new Float64Array(9);
    const seed: Seed = { value: o.missetSeed ?? -now() };
    at('random misset (mosaic_rotation_umat, umat2misset)');
    // C-IMPL-BUG-002: the C passes 90.0 to an argument in radians; fixed, the cap is 90 degrees
    mosaicRotationUmat(rng, isC(o.quirks, 'C-IMPL-BUG-002') ? 90.0 : r(90.0 / RTD), umat, 0, seed);
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
  return { a, b, c, a0, b0, c0, aStar, bStar, cStar, Vcell, cell, missetDeg };
}

export interface CrystalSize { Na: number; Nb: number; Nc: number; xtalsizeMax: number }

/** Cells along each axis (-N, or the sample's size over the axis' length; at least 1) and the crystal's largest extent, m. */
export function crystalSize(o: NanoBraggOptions, P: Precision, lat: Lattice, sample: { x: number; y: number; z: number }): CrystalSize {
  const r = P.r;
  const { a, b, c } = lat;
  let Na = o.Na, Nb = o.Nb, Nc = o.Nc;
  if (sample.x > 0) Na = Math.ceil(r(sample.x / a[0]));
  if (sample.y > 0) Nb = Math.ceil(r(sample.y / b[0]));
  if (sample.z > 0) Nc = Math.ceil(r(sample.z / c[0]));
  if (Na <= 1.0) Na = 1.0;
  if (Nb <= 1.0) Nb = 1.0;
  if (Nc <= 1.0) Nc = 1.0;
  let xtalsizeMax = r(a[0] * Na);
  const xb = r(b[0] * Nb), xc = r(c[0] * Nc);
  if (xtalsizeMax < xb) xtalsizeMax = xb;
  if (xtalsizeMax < xc) xtalsizeMax = xc;
  return { Na, Nb, Nc, xtalsizeMax };
}

export interface StructureFactors {
  hkl: HklGrid | null;
  /** the interpolation choice, off when there is no table to interpolate */
  interpolate: number;
  /** -hkl was read: the run writes the Fdump file */
  writeFdump: boolean;
}

/** The structure factors (l.2103-2258): -hkl, else the Fdump file, else none (-default_F everywhere); -stol is read and never used, as in the C. */
export function structureFactors(o: NanoBraggOptions, log: string[], budget: Budget, dumpExists: boolean, interpolate: number): StructureFactors {
  let hkl: HklGrid | null = null;
  let writeFdump = false;
  if (o.hklFile !== null) { hkl = readHklFile(o.hklFile, o.defaultF, budget); writeFdump = true; }
  else if (dumpExists) { hkl = readFdump(o.dumpFile, budget); log.push(`reading Fs from ${o.dumpFile}`); }
  if (!hkl || hkl.hkls === 0) interpolate = 0;
  if (o.stolFile !== null) readColumns('-stol', o.stolFile, 2); // read, never used (as in the C)
  return { hkl, interpolate, writeFdump };
}

/**
 * The mosaic domains' rotation matrices (l.2439-2452), 9 numbers each, drawn from `rng`
 * with -mosaic_seed: domain 0 uses its draws, then becomes the identity. The claim counts
 * the rotation table of every φ step × domain the renderer builds (src/physics/lattice.ts),
 * one copy per worker thread.
 */
export function mosaicDomainRotations(
  o: NanoBraggOptions, P: Precision, at: At, claim: Claim, rng: NrRandom,
  mosaic: MosaicRule, phisteps: number,
): Float64Array {
  const { mosaicSpread, mosaicDomains } = mosaic;
  claim('-phisteps/-mosaic_domains', `${phisteps} φ steps × ${mosaicDomains} mosaic domains`,
    mosaicDomains * 72 + (phisteps * mosaicDomains * 72 + phisteps * 16) * (1 + (o.threads > 1 ? o.threads : 0)));
  const mosaicUmats = new Float64Array(mosaicDomains * 9);
  const mosaicSeed: Seed = { value: o.mosaicSeed };
  for (let m = 0; m < mosaicDomains; m++) {
    at(`mosaic domain ${m} (mosaic_rotation_umat)`);
    mosaicRotationUmat(rng, mosaicSpread, mosaicUmats, 9 * m, mosaicSeed);
    if (m === 0) mosaicUmats.set([1, 0, 0, 0, 1, 0, 0, 0, 1], 0);
  }
  if (P.dtype === 'float32') for (let i = 0; i < mosaicUmats.length; i++) mosaicUmats[i] = P.r(mosaicUmats[i]);
  return mosaicUmats;
}

/** The Crystal model from its set-up steps' results. */
export function crystalModel(
  o: NanoBraggOptions, P: Precision, lat: Lattice, n: CrystalSize, sf: StructureFactors,
  mosaic: MosaicRule, mosaicUmats: Float64Array,
): Crystal {
  return {
    a0: lat.a0, b0: lat.b0, c0: lat.c0, aStar: lat.aStar, bStar: lat.bStar, cStar: lat.cStar, Vcell: lat.Vcell,
    Na: n.Na, Nb: n.Nb, Nc: n.Nc, shape: o.xtalShape, fudge: P.r(o.fudge),
    hkl: sf.hkl, defaultF: P.r(o.defaultF), interpolate: sf.interpolate === 1,
    mosaicSpread: mosaic.mosaicSpread, mosaicDomains: mosaic.mosaicDomains, mosaicUmats,
    cell: lat.cell, missetDeg: lat.missetDeg,
  };
}
