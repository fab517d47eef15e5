/**
 * The goniometer (dxtbx's Goniometer): the spindle axis (set by the detector's convention
 * block, src/models/detector.ts) and the φ sampling nanoBragg.c derives from -phi, -osc,
 * -phistep and -phisteps (l.1380-1420).
 */
import { FlagError, type NanoBraggOptions, type PhiMode } from '../config/argv.js';
import { cInt, RTD } from '../math/constants.js';
import type { Precision } from '../math/precision.js';
import type { Vec } from '../math/vec3.js';

export interface Goniometer { spindle: Vec; phi0: number; phistep: number; phisteps: number; osc: number; mode: PhiMode; cThreads: number }

export interface PhiSampling { osc: number; phistep: number; phisteps: number }

/**
 * The C's φ rules: fill in the oscillation, step and step count from what was given. A step
 * count that does not fit the C's int (the C then runs no φ step) is a FlagError.
 */
export function phiSampling(o: NanoBraggOptions, P: Precision): PhiSampling {
  const r = P.r;
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
  if (phisteps < 1) {
    throw new FlagError('-phistep', `osc/phistep = ${osc / phistep} φ steps does not fit nanoBragg.c's int (it becomes ${phisteps}, and the C then runs no φ step at all)`);
  }
  return { osc, phistep, phisteps };
}

/** The C's line about the φ sweep. */
export function phiSweepLine(o: NanoBraggOptions, phi: PhiSampling): string {
  return `${phi.phisteps} phi steps from ${o.phi0 * RTD} to ${(o.phi0 + phi.osc) * RTD} degrees`;
}

/** The Goniometer model: the straightened spindle and the φ sampling. */
export function goniometerModel(o: NanoBraggOptions, P: Precision, spindle: Vec, phi: PhiSampling): Goniometer {
  return { spindle, phi0: P.r(o.phi0), phistep: phi.phistep, phisteps: phi.phisteps, osc: phi.osc, mode: o.phiMode, cThreads: o.cThreads };
}
