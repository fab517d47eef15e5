/**
 * The sampling of the simulation: the pixel oversampling nanoBragg.c recommends from the
 * crystal's size and the detector's reciprocal pixel size (and auto-selects when -oversample
 * was not given), the total step count, the sub-pixel size, the classical electron radius
 * squared and the water background.
 */
import type { NanoBraggOptions } from '../config/argv.js';
import { cInt } from '../math/constants.js';
import type { Precision } from '../math/precision.js';

export interface Sampling {
  oversample: number; recommendedOversample: number; subpixelSize: number; steps: number;
  oversampleThick: boolean; oversamplePolar: boolean; oversampleOmega: boolean;
  dmin: number; waterSize: number; Ibg: number; r_e_sqr: number;
}

const Avogadro = 6.02214179e23;

export interface Oversampling { oversample: number; recommendedOversample: number }

/**
 * The recommended oversample: three sub-pixels across the crystal's largest extent as the
 * detector sees it (λ0·distance/pixel); -oversample, or the recommendation when not given.
 */
export function oversampling(
  o: NanoBraggOptions, P: Precision, log: string[],
  g: { xtalsizeMax: number; wavelength0: number; distance: number; pixelSize: number },
): Oversampling {
  const r = P.r;
  const reciprocalPixelSize = r(r(g.wavelength0 * g.distance) / g.pixelSize);
  let recommendedOversample = cInt(Math.ceil(r(r(3.0 * g.xtalsizeMax) / reciprocalPixelSize)));
  if (recommendedOversample <= 0) recommendedOversample = 1;
  let oversample = o.oversample;
  if (oversample <= 0) { oversample = recommendedOversample; log.push(`auto-selected ${oversample}-fold oversampling`); }
  if (oversample < recommendedOversample) log.push(`WARNING: recommend -oversample ${recommendedOversample}`);
  return { oversample, recommendedOversample };
}

/** The Sampling model: steps over sources × mosaic domains × φ × sub-pixels, and the water background from the fluence. */
export function samplingModel(
  o: NanoBraggOptions, P: Precision, os: Oversampling,
  n: { pixelSize: number; sources: number; mosaicDomains: number; phisteps: number; fluence: number },
): Sampling {
  const r = P.r;
  let oversample = os.oversample;
  if (oversample <= 0) oversample = 1;
  const steps = n.sources * n.mosaicDomains * n.phisteps * oversample * oversample;
  const subpixelSize = r(n.pixelSize / oversample);
  const r_e_sqr = r(7.94079248018965e-30);
  const waterSize = r(o.waterSize);
  const waterF = r(2.57);
  const Ibg = r(r(r(r(r(r(r(r(waterF * waterF) * r_e_sqr) * n.fluence) * waterSize) * waterSize) * waterSize) * 1e6) * r(Avogadro)) / r(18.0);
  return {
    oversample, recommendedOversample: os.recommendedOversample, subpixelSize, steps,
    oversampleThick: o.oversampleThick, oversamplePolar: o.oversamplePolar, oversampleOmega: o.oversampleOmega,
    dmin: r(o.dmin), waterSize, Ibg, r_e_sqr,
  };
}
