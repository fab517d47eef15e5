/**
 * The beam (dxtbx's Beam) as nanoBragg.c sets it up: fluence and flux (l.1118-1140, which
 * also clip the sample with the beam), the divergence and dispersion sampling rules
 * (l.1380-1690), and the sources (l.2319-2437): read from -sourcefile or made from the
 * divergence × dispersion grid.
 *
 * The beam's direction, polarization and vertical vectors are set by the detector's
 * convention block and straightened with the detector's (src/models/detector.ts).
 */
import type { NanoBraggOptions } from '../config/argv.js';
import { readColumns } from '../crystal/hkl.js';
import { cfmtG } from '../io/cformat.js';
import { cInt } from '../math/constants.js';
import type { Precision } from '../math/precision.js';
import { rotateAxis, unitize, vec, type Vec } from '../math/vec3.js';
import type { At, Claim } from './setup.js';

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

export interface BeamFluence {
  fluence: number; flux: number; exposure: number; beamsize: number;
  /** the sample's size (m; 0 = not given), clipped by the beam: the crystal's N comes from it */
  sample: { x: number; y: number; z: number };
}

/** Fluence from flux × exposure over the beam's area (or flux from fluence), clipping the sample with the beam. */
export function beamFluence(o: NanoBraggOptions, P: Precision, log: string[]): BeamFluence {
  const r = P.r;
  let fluence = r(o.fluence), flux = r(o.flux);
  const exposure = r(o.exposure), beamsize = r(o.beamsize);
  if (flux !== 0.0 && exposure > 0.0 && beamsize >= 0) fluence = r(r(r(flux * exposure) / beamsize) / beamsize);
  const sampleX = r(o.sampleX);
  let sampleY = r(o.sampleY), sampleZ = r(o.sampleZ);
  if (beamsize >= 0) {
    if (beamsize < sampleY) { log.push(`WARNING: clipping sample (${cfmtG(sampleY)} m high) with beam (${cfmtG(beamsize)} m)`); sampleY = beamsize; }
    if (beamsize < sampleZ) { log.push(`WARNING: clipping sample (${cfmtG(sampleZ)} m wide) with beam (${cfmtG(beamsize)} m)`); sampleZ = beamsize; }
  }
  if (exposure > 0.0) flux = r(r(r(fluence / exposure) * beamsize) * beamsize);
  return { fluence, flux, exposure, beamsize, sample: { x: sampleX, y: sampleY, z: sampleZ } };
}

export interface SteppedRange { range: number; step: number; steps: number }

/** The C's sampling rule for a range, its step and step count: fill in what was not given (`fullRange` when only steps are). */
function steppedRange(P: Precision, range: number, step: number, steps: number, fullRange: number): SteppedRange {
  const r = P.r;
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
}

/** The horizontal and vertical divergence (rad) and the dispersion (fraction of λ) sampling. */
export function divergenceAndDispersion(o: NanoBraggOptions, P: Precision): { hdiv: SteppedRange; vdiv: SteppedRange; disp: SteppedRange } {
  const hdiv = steppedRange(P, o.hdivrange, o.hdivstep, o.hdivsteps, 1.0);
  const vdiv = steppedRange(P, o.vdivrange, o.vdivstep, o.vdivsteps, 1.0);
  const disp = steppedRange(P, o.dispersion, -1, o.dispsteps, 1.0);
  return { hdiv, vdiv, disp };
}

export interface BeamSources { sourceX: Float64Array; sourceY: Float64Array; sourceZ: Float64Array; sourceLambda: Float64Array }

/**
 * The sources (l.2319-2437): -sourcefile's rows (a missing position is 10 m up the beam, a
 * missing λ is λ0), or the divergence grid (cut to an ellipse unless -square_div) rotated from
 * the beam about the polarization and vertical axes, each at every dispersion wavelength.
 * Directions are unitized.
 */
export function beamSources(
  o: NanoBraggOptions, P: Precision, at: At, claim: Claim,
  beam: { direction: Vec; polarVector: Vec; vertVector: Vec; wavelength0: number },
  d: { hdiv: SteppedRange; vdiv: SteppedRange; disp: SteppedRange },
): BeamSources {
  const r = P.r;
  const { direction: beamV, polarVector: polarV, vertVector: vertV, wavelength0: lambda0 } = beam;
  const { hdiv, vdiv, disp } = d;
  at('sources');
  const srcX: number[] = [], srcY: number[] = [], srcZ: number[] = [], srcL: number[] = [];
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
  return { sourceX, sourceY, sourceZ, sourceLambda: Float64Array.from(srcL) };
}

/** The Beam model from its set-up steps' results. */
export function beamModel(
  o: NanoBraggOptions, P: Precision,
  vectors: { direction: Vec; polarVector: Vec; vertVector: Vec }, wavelength0: number,
  f: BeamFluence, s: BeamSources, d: { hdiv: SteppedRange; vdiv: SteppedRange; disp: SteppedRange },
): Beam {
  return {
    direction: vectors.direction, polarVector: vectors.polarVector, vertVector: vectors.vertVector, wavelength0,
    kahn: P.r(o.polarization), nopolar: o.nopolar, fluence: f.fluence, flux: f.flux, exposure: f.exposure, beamsize: f.beamsize,
    sourceX: s.sourceX, sourceY: s.sourceY, sourceZ: s.sourceZ, sourceLambda: s.sourceLambda, hdiv: d.hdiv, vdiv: d.vdiv, disp: d.disp,
  };
}
