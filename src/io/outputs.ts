/**
 * The C's output files: raw float32 image, SMV int image (header as the C writes it,
 * `%g` values, padded to 512 bytes), PGM, Poisson noise image, and Fdump.bin.
 * Files are written through src/io/commit.ts: whole or not at all, as one set.
 */
import { commitOutputs } from './commit.js';
import type { SimulationConfig } from '../config/resolve.js';
import { RTD } from '../math/constants.js';
import type { NrRandom, Seed } from '../math/rng.js';
import type { RenderStats } from '../physics/render.js';
import { roiSpan } from '../models/detector.js';
import { cfmtG } from './cformat.js';
import { deviationsPass, intPass, pgmPass } from '../physics/image.js';


/** One file written with the same care as an output set (src/io/commit.ts): whole or not at all, links followed, devices written through. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  commitOutputs([{ flag: 'write', path, data: typeof data === 'string' ? Buffer.from(data) : data }]);
}

export interface ImageStatistics { maxI: number; maxIx: number; maxIy: number; avg: number; rms: number; rmsd: number }

/** The C's post-loop statistics (rmsd's second pass covers the ROI, masked or not). */
export function imageStatistics(cfg: SimulationConfig, image: Float32Array, s: RenderStats): ImageStatistics {
  let sumn = s.sumn;
  if (sumn <= 0) sumn = 1;
  const avg = s.sum / sumn;
  if (sumn <= 1) sumn = 2;
  const rms = Math.sqrt(s.sumsqr / (sumn - 1));
  const { xmin, xmax, ymin, ymax } = cfg.detector.roi;
  const { fpixels, spixels } = cfg.detector;
  const [f0, f1] = roiSpan(xmin, xmax, fpixels), [s0, s1] = roiSpan(ymin, ymax, spixels);
  // in WebAssembly where the image is (physics/image.ts), or here: the same operations in the same order
  const [sq, counted] = deviationsPass(image, { fpixels, f0, f1, s0, s1 }, avg) ?? deviationsJs(image, fpixels, f0, f1, s0, s1, avg);
  let n = counted;
  if (n <= 1) n = 2;
  return { maxI: s.maxI, maxIx: s.maxIx, maxIy: s.maxIy, avg, rms, rmsd: Math.sqrt(sq / (n - 1)) };
}

function deviationsJs(image: Float32Array, fpixels: number, f0: number, f1: number, s0: number, s1: number, avg: number): [number, number] {
  // a call per row (this loop runs once per run: a short function called often is optimized sooner than one long loop)
  const acc = new Float64Array(2);
  for (let sp = s0; sp <= s1; sp++) deviationsOfRow(image, sp * fpixels + f0, sp * fpixels + f1 + 1, avg, acc);
  return [acc[0], acc[1]];
}

/** Pixels [i0, i1) into imageStatistics' second pass: Σ(pixel − avg)² and the count, in order. */
function deviationsOfRow(image: Float32Array, i0: number, i1: number, avg: number, acc: Float64Array): void {
  let sq = acc[0], n = acc[1];
  for (let i = i0; i < i1; i++) {
    const t = image[i] - avg;
    sq += t * t; ++n;
  }
  acc[0] = sq; acc[1] = n;
}

export function floatImageBytes(image: Float32Array): Uint8Array {
  return new Uint8Array(image.buffer, image.byteOffset, image.byteLength);
}

/** The SMV header exactly as the C prints it (the noise image's DENZO lines add +0.0*pixel: the same values). */
export function smvHeader(cfg: SimulationConfig): string {
  const D = cfg.detector, G = cfg.goniometer;
  const g = (x: number) => cfmtG(x);
  const px = D.pixelSize;
  const lines = [
    '{', 'HEADER_BYTES=512;', 'DIM=2;', 'BYTE_ORDER=little_endian;', 'TYPE=unsigned_short;',
    `SIZE1=${D.fpixels};`, `SIZE2=${D.spixels};`, `PIXEL_SIZE=${g(px * 1000.0)};`, `DISTANCE=${g(D.distance * 1000.0)};`,
    `WAVELENGTH=${g(cfg.beam.wavelength0 * 1e10)};`,
    `BEAM_CENTER_X=${g(D.Xbeam * 1000.0)};`, `BEAM_CENTER_Y=${g(D.Ybeam * 1000)};`,
    `ADXV_CENTER_X=${g(D.Fbeam * 1000.0)};`, `ADXV_CENTER_Y=${g((D.detsizeS - D.Sbeam) * 1000)};`,
    `MOSFLM_CENTER_X=${g((D.Sbeam - 0.5 * px) * 1000.0)};`, `MOSFLM_CENTER_Y=${g((D.Fbeam - 0.5 * px) * 1000)};`,
    `DENZO_X_BEAM=${g((D.Sbeam - 0.0 * px) * 1000.0)};`, `DENZO_Y_BEAM=${g((D.Fbeam - 0.0 * px) * 1000)};`,
    `DIALS_ORIGIN=${g(D.dialsOrigin[0])},${g(D.dialsOrigin[1])},${g(D.dialsOrigin[2])}`,
    `XDS_ORGX=${g(D.ORGX)};`, `XDS_ORGY=${g(D.ORGY)};`,
    `CLOSE_DISTANCE=${g(D.closeDistance * 1000.0)};`,
    `PHI=${g(G.phi0 * RTD)};`, `OSC_START=${g(G.phi0 * RTD)};`, `OSC_RANGE=${g(G.osc * RTD)};`,
    `TWOTHETA=${g(D.twotheta * RTD)};`, 'DETECTOR_SN=000;', 'BEAMLINE=fake;',
  ];
  // the C pads with spaces up to 512 bytes; a longer header (long %g values) is written as it is
  return (lines.join('\n') + '\n}\f').padEnd(512, ' ');
}

/**
 * An SMV file as its two parts, header and pixels, written one after the other (src/io/commit.ts):
 * the pixels are a view of `pixels`, not a copy.
 */
export function smvParts(cfg: SimulationConfig, pixels: Uint16Array): Uint8Array[] {
  return [Buffer.from(smvHeader(cfg), 'latin1'), new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength)];
}

export function smvBytes(cfg: SimulationConfig, pixels: Uint16Array): Uint8Array {
  return Buffer.concat(smvParts(cfg, pixels));
}

/** The int image: ROI pixels `floorf(float*scale + adc + 0.5)` clamped to [0, 65535]; others 0. */
export function intImage(cfg: SimulationConfig, image: Float32Array, scale: number): Uint16Array {
  const { fpixels, spixels, roi } = cfg.detector;
  const adc = cfg.outputs.adc;
  const [f0, f1] = roiSpan(roi.xmin, roi.xmax, fpixels), [s0, s1] = roiSpan(roi.ymin, roi.ymax, spixels);
  const done = intPass(image, { fpixels, f0, f1, s0, s1 }, scale, adc);
  if (done) return done;
  const out = new Uint16Array(fpixels * spixels);
  for (let sp = s0; sp <= s1; sp++) intRow(image, out, sp * fpixels + f0, sp * fpixels + f1 + 1, scale, adc);
  return out;
}

/** Pixels [i0, i1) of the int image (a call per row, as in imageStatistics). */
function intRow(image: Float32Array, out: Uint16Array, i0: number, i1: number, scale: number, adc: number): void {
  for (let i = i0; i < i1; i++) {
    let test = image[i] * scale + adc;
    if (test > 65535.0) test = 65535.0;
    if (test < 0.0) test = 0.0;
    out[i] = Math.floor(Math.fround(test + 0.5));
  }
}

export function intfileScale(cfg: SimulationConfig, stats: ImageStatistics): number {
  let s = cfg.outputs.intfileScale;
  if (s <= 0.0) { s = 1.0; if (stats.maxI > 0.0) s = 55000.0 / stats.maxI; }
  return s;
}

/** The PGM file as its two parts, header and pixels (see smvParts). */
export function pgmParts(cfg: SimulationConfig, image: Float32Array, scale: number): Uint8Array[] {
  const { fpixels, spixels, roi } = cfg.detector;
  const [f0, f1] = roiSpan(roi.xmin, roi.xmax, fpixels), [s0, s1] = roiSpan(roi.ymin, roi.ymax, spixels);
  let px = pgmPass(image, { fpixels, f0, f1, s0, s1 }, scale);
  if (!px) {
    px = new Uint8Array(fpixels * spixels);
    for (let sp = s0; sp <= s1; sp++) pgmRow(image, px, sp * fpixels + f0, sp * fpixels + f1 + 1, scale);
  }
  return [Buffer.from(`P5\n${fpixels} ${spixels}\n# pixels scaled by ${cfmtG(scale)}\n255\n`, 'latin1'), px];
}

/** Pixels [i0, i1) of the PGM image (a call per row, as in imageStatistics). */
function pgmRow(image: Float32Array, px: Uint8Array, i0: number, i1: number, scale: number): void {
  for (let i = i0; i < i1; i++) {
    let t = image[i] * scale;
    if (t > 255.0) t = 255.0;
    px[i] = t > 0 ? Math.trunc(t) : 0;
  }
}

export function pgmBytes(cfg: SimulationConfig, image: Float32Array, scale: number): Uint8Array {
  return Buffer.concat(pgmParts(cfg, image, scale));
}

/** The noise image: Poisson deviates over the ROI in row-major order, + adc, overloads clamped. */
export function noiseImage(cfg: SimulationConfig, image: Float32Array, intPixels: Uint16Array, rng: NrRandom): { pixels: Uint16Array; photons: number; overloads: number } {
  const { fpixels, spixels, roi } = cfg.detector;
  const out = intPixels.slice(); // a copy (one memcpy; Uint16Array.from would iterate)
  const seed: Seed = { value: cfg.outputs.seed };
  let photons = 0, overloads = 0;
  // row-major over the ROI: the deviates are drawn in the C's order
  const [f0, f1] = roiSpan(roi.xmin, roi.xmax, fpixels), [s0, s1] = roiSpan(roi.ymin, roi.ymax, spixels);
  for (let sp = s0; sp <= s1; sp++) for (let fp = f0, i = sp * fpixels + f0; fp <= f1; fp++, i++) {
    let test = rng.poidev(image[i], seed);
    photons += test;
    test += cfg.outputs.adc;
    if (test > 65535.0) { test = 65535.0; ++overloads; }
    out[i] = Math.trunc(test);
  }
  return { pixels: out, photons, overloads };
}

