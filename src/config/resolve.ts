/**
 * From parsed options to the models the renderer consumes, following nanoBragg.c's set-up
 * code in its order: filling blanks, the convention block (which overrides flag-set pivots),
 * the automatic sampling rules, detector geometry, the crystal lattice, structure factors,
 * sources and mosaic domains. Each model's steps live in its own module (src/models: beam,
 * detector, goniometer, crystal, sampling); this file calls them in the C's order, which is
 * the order of the log lines, the warnings, the errors, the math calls a traced run records
 * and the random-number draws (the random misset before the mosaic domains).
 *
 * All arithmetic goes through the precision kernel, so float32 mode rounds the set-up too.
 */
import type { QuirkProfile } from '../quirks/catalogue.js';
import { FlagError, type NanoBraggOptions, type RenderMode } from './argv.js';
import { budgetOf, fmtBytes, need } from './budget.js';
import { precisionFor, type Dtype } from '../math/precision.js';
import { defaultLibm, libmByName, LibmUnavailableError, type Libm, type LibmName } from '../math/libm/index.js';
import type { LibmRecorder } from '../math/libm/record.js';
import { NrRandom } from '../math/rng.js';
import { beamFluence, beamModel, beamSources, divergenceAndDispersion, type Beam } from '../models/beam.js';
import {
  applyConvention, beamCentreBlanks, detectorGeometry, detectorModel, detectorRoi, detectorSize, detectorThickness,
  straightenVectors, type Detector,
} from '../models/detector.js';
import { goniometerModel, phiSampling, phiSweepLine, type Goniometer } from '../models/goniometer.js';
import {
  checkCrystalInputs, crystalLattice, crystalModel, crystalSize, interpolationChoice, mosaicDomainRotations, mosaicRule,
  structureFactors, type Crystal,
} from '../models/crystal.js';
import { oversampling, samplingModel, type Sampling } from '../models/sampling.js';

export type { Beam, Detector, Goniometer, Crystal, Sampling };

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
  /** how the image is rendered (--render, --fast): auto, reference or fast (src/physics/kernel.ts) */
  render: RenderMode;
  /** per entry of the quirk catalogue (src/quirks/catalogue.ts): the C's behaviour or the fix */
  quirks: QuirkProfile;
  beam: Beam; detector: Detector; goniometer: Goniometer; crystal: Crystal; sampling: Sampling; outputs: Outputs;
  tracePixels: Array<[number, number]>;
  /** what the run will cost: evaluations, estimated bytes of memory, and the limit they were checked against */
  plan: { evaluations: number; memoryBytes: number; memoryLimit: number };
  /** the C's random-number state after set-up (the noise image continues its shared table) */
  rng: NrRandom;
  /** human-readable decisions the C prints (convention, auto-selections, warnings) */
  log: string[];
}

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
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const budget = budgetOf(o.maxMemory);
  let memory = 0; // the estimate, part by part, checked before each large allocation
  const claim = (flag: string, what: string, bytes: number) => { need(budget, flag, what, bytes); memory += bytes; need(budget, flag, `this run (${what} and the rest)`, memory); };

  // ---- fill in blanks (l.1118-1170)
  const size = detectorSize(o, P, log, claim);
  const fluence = beamFluence(o, P, log);
  const blanks = beamCentreBlanks(o, P, size);
  const roi = detectorRoi(o, size);

  // ---- conventions (l.1172-1257): override the flag-set pivot
  const { pivot, centre, vectors } = applyConvention(o, P, size, blanks, log);

  // ---- straighten up vectors (l.1259-1272)
  const vertV = straightenVectors(P, vectors, log);

  // ---- structure-factor source and lattice must exist (the C's usage exit)
  const { dumpExists } = checkCrystalInputs(o);

  // ---- automatic sampling rules (l.1380-1690)
  const phi = phiSampling(o, P);
  const divergence = divergenceAndDispersion(o, P);
  const thickness = detectorThickness(o, P, log);
  const mosaic = mosaicRule(o, P, log);

  // ---- detector geometry (l.1697-1776)
  const geometry = detectorGeometry(o, P, at, log, pivot, vectors, centre, size.pixelSize);

  // ---- interpolation choice, on the raw N (l.1778-1789)
  const interpolate = interpolationChoice(o, log);

  // ---- crystal (l.1792-2062); its random misset is the random-number state's first draw
  const lambda0 = P.r(o.lambda0);
  const rng = new NrRandom(P.libm);
  const lattice = crystalLattice(o, P, libm, at, log, rng, lambda0, now);
  const cells = crystalSize(o, P, lattice, fluence.sample);
  const over = oversampling(o, P, log, { xtalsizeMax: cells.xtalsizeMax, wavelength0: lambda0, distance: geometry.distance, pixelSize: size.pixelSize });

  // ---- structure factors (l.2103-2258)
  const sf = structureFactors(o, log, budget, dumpExists, interpolate);
  if (sf.hkl) memory += sf.hkl.F.byteLength;

  // ---- sources (l.2319-2437)
  const beamVectors = { direction: vectors.beam, polarVector: vectors.polar, vertVector: vertV };
  const sources = beamSources(o, P, at, claim, { ...beamVectors, wavelength0: lambda0 }, divergence);

  // ---- mosaic domains (l.2439-2452), drawn after the misset
  const mosaicUmats = mosaicDomainRotations(o, P, at, claim, rng, mosaic, phi.phisteps);

  const beam = beamModel(o, P, beamVectors, lambda0, fluence, sources, divergence);
  const detector = detectorModel(o, pivot, vectors, size, centre, geometry, thickness, roi);
  const goniometer = goniometerModel(o, P, vectors.spindle, phi);
  const crystal = crystalModel(o, P, lattice, cells, sf, mosaic, mosaicUmats);
  const nSources = sources.sourceX.length;
  const sampling = samplingModel(o, P, over, { pixelSize: size.pixelSize, sources: nSources, mosaicDomains: mosaic.mosaicDomains, phisteps: phi.phisteps, fluence: fluence.fluence });

  const { oversample } = sampling, { phisteps } = phi, { mosaicDomains } = mosaic, { fpixels, spixels } = size, { thicksteps } = thickness;
  log.push(phiSweepLine(o, phi));
  log.push(`${oversample}x${oversample} pixel oversample steps`);
  log.push(`${nSources} sources, ${mosaicDomains} mosaic domains, ${cells.Na}x${cells.Nb}x${cells.Nc} cells`);
  const roiPixels = Math.max(0, Math.min(roi.xmax, fpixels - 1) - Math.max(roi.xmin, 0) + 1) * Math.max(0, Math.min(roi.ymax, spixels - 1) - Math.max(roi.ymin, 0) + 1);
  const plan = { evaluations: roiPixels * oversample * oversample * thicksteps * nSources * phisteps * mosaicDomains, memoryBytes: memory, memoryLimit: budget.limit };
  log.push(`work: ${plan.evaluations.toExponential(3)} evaluations (${roiPixels} pixels × ${oversample}² sub-pixels × ${thicksteps} layers × ${nSources} sources × ${phisteps} φ × ${mosaicDomains} mosaic), about ${fmtBytes(memory)} of memory`);

  at('set-up');
  return {
    dtype: o.dtype,
    libm: { name: libm.name, detail: libm.detail },
    libmLog: o.libmLog,
    render: o.render,
    quirks: { ...o.quirks },
    beam, detector, goniometer, crystal, sampling,
    outputs: {
      floatFile: o.floatFile, intFile: o.intFile, noiseFile: o.noiseFile, pgmFile: o.pgmFile, dumpFile: o.dumpFile,
      writeNoise: o.calculateNoise, writePgm: o.writePgm, writeFdump: sf.writeFdump,
      printout: o.printout, printoutFpixel: o.printoutFpixel, printoutSpixel: o.printoutSpixel,
      intfileScale: o.intfileScale, pgmScale: o.pgmScale, adc: o.adc, seed: o.seed ?? -now(),
    },
    tracePixels: o.tracePixels,
    plan,
    rng,
    log,
  };
}
