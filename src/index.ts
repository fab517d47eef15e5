/**
 * nbparity engine: nanoBragg.c re-implemented in TypeScript.
 *
 *   parseArgs(argv) → options (the C's command line, plus --dtype, --phi-carryover-mode, --c-threads)
 *   resolveConfig(options) → Beam, Detector, Goniometer, Crystal, Sampling, Outputs
 *   simulate(argv) → float image, statistics, warnings (and traces through a sink)
 *   writeOutputs(result) → the files the C writes
 */
import { commitOutputs, type PlannedOutput } from './io/commit.js';
import { parseNanoBraggArgs, type NanoBraggOptions } from './config/argv.js';
import { resolveConfig, type SimulationConfig } from './config/resolve.js';
import { fdumpBytes } from './crystal/hkl.js';
import { precisionFor } from './math/precision.js';
import { libmByName } from './math/libm/index.js';
import { LibmRecorder } from './math/libm/record.js';
import { renderImage, type KernelUse, type RenderStats, type TraceSink } from './physics/render.js';
import { renderImageParallel } from './physics/parallel.js';
import { prestartWorkers, releaseIdleWorkers } from './physics/pool.js';
import {
  floatImageBytes, imageStatistics, intfileScale, intImage, noiseImage, pgmParts, smvParts,
  type ImageStatistics,
} from './io/outputs.js';

export { OutputError } from './io/commit.js';
export { InstallError } from './physics/pool.js';
export { FlagError, parseNanoBraggArgs as parseArgs, type NanoBraggOptions, type PhiMode } from './config/argv.js';
export { resolveConfig, type SimulationConfig } from './config/resolve.js';
export type { Dtype } from './math/precision.js';
export type { TraceSink } from './physics/render.js';
export { writeFileAtomic } from './io/outputs.js';

export interface SimulationResult {
  config: SimulationConfig;
  /** the float image, row-major: a view of the SharedArrayBuffer it was rendered into, which is larger (it has room for the int and PGM images, src/physics/image.ts): take its bytes with byteOffset and byteLength */
  image: Float32Array;
  renderStats: RenderStats;
  stats: ImageStatistics;
  warnings: string[];
  /** which loop rendered the image (src/physics/kernel.ts): exact, checked, fast or reference, why, and how many pixels went to the reference loop */
  kernel: KernelUse;
}

function prepare(args: readonly string[] | NanoBraggOptions, trace?: TraceSink) {
  const options = Array.isArray(args) ? parseNanoBraggArgs(args as string[]) : (args as NanoBraggOptions);
  // --libm-log on a traced run: record the set-up's math calls, print them after the loop counts
  const setup: string[] = [];
  const recorder = options.libmLog && trace && options.tracePixels.length ? new LibmRecorder((l) => setup.push(l)) : undefined;
  const config = resolveConfig(options, { recorder });
  if (trace && config.tracePixels.length) {
    trace(traceLoopsLine(config));
    trace(`TRACE_TS_LIBM_PROVIDER name=${config.libm.name} detail=${config.libm.detail}`);
    for (const l of setup) trace(l);
  }
  if (recorder && trace) recorder.sink = trace;
  return { options, config, P: precisionFor(config.dtype, libmByName(config.libm.name), recorder) };
}

/** The loop counts of a traced run, as the instrumented C prints them: a harness checks every trace against them. */
export function traceLoopsLine(c: SimulationConfig): string {
  return `TRACE_TS_LOOPS thicksteps=${c.detector.thicksteps} oversample=${c.sampling.oversample} sources=${c.beam.sourceX.length} ` +
    `phisteps=${c.goniometer.phisteps} mosaic_domains=${c.crystal.mosaicDomains} fpixels=${c.detector.fpixels} spixels=${c.detector.spixels}`;
}

/** Run one simulation from nanoBragg arguments (or already parsed options). */
export function simulate(args: readonly string[] | NanoBraggOptions, opts: { trace?: TraceSink; print?: TraceSink } = {}): SimulationResult {
  const { config, P } = prepare(args, opts.trace);
  const { image, stats: renderStats, warnings, kernel } = renderImage(P, config, { trace: opts.trace, print: opts.print });
  return { config, image, renderStats, stats: imageStatistics(config, image, renderStats), warnings, kernel };
}

/**
 * The same, rendered on `threads` worker threads (default: the --threads option): the same
 * bits as one thread; it falls back to one thread, saying why, where that cannot be shown.
 * `onRenderStart` is called once the set-up is done, just before rendering (the CLI's timing).
 */
export async function simulateAsync(args: readonly string[] | NanoBraggOptions, opts: { trace?: TraceSink; print?: TraceSink; threads?: number; onRenderStart?: () => void } = {}): Promise<SimulationResult> {
  const options = Array.isArray(args) ? parseNanoBraggArgs(args as string[]) : (args as NanoBraggOptions);
  const threads = opts.threads ?? options.threads;
  // the render workers boot (tens of milliseconds each) on the other cores while this thread does the set-up
  if (threads > 1) prestartWorkers(threads - 1);
  try {
    const { config, P } = prepare(options, opts.trace);
    const notes: string[] = [];
    opts.onRenderStart?.();
    const { image, stats: renderStats, warnings, kernel } = await renderImageParallel(P, config, threads, { trace: opts.trace, print: opts.print, onFallback: (why) => notes.push(`rendering on one thread: ${why}`) });
    return { config, image, renderStats, stats: imageStatistics(config, image, renderStats), warnings: [...notes, ...warnings], kernel };
  } finally {
    // workers the render did not take (a set-up error, a render on one thread) are stopped
    releaseIdleWorkers();
  }
}

export interface WrittenOutputs { files: string[]; intfileScale: number; pgmScale?: number; noise?: { photons: number; overloads: number } }

/**
 * Write the files the C writes (Fdump with -hkl, float, int, PGM, noise) as one set: all of
 * them or none (src/io/commit.ts). An output that cannot be written is an OutputError naming
 * its flag, the user's path and the cause, and no earlier output has been replaced.
 */
export function writeOutputs(result: SimulationResult): WrittenOutputs {
  const { config: cfg, image, stats } = result;
  const O = cfg.outputs;
  const set: PlannedOutput[] = [];
  if (O.writeFdump && cfg.crystal.hkl) set.push({ flag: 'Fdump', path: O.dumpFile, data: fdumpBytes(cfg.crystal.hkl) });
  set.push({ flag: '-floatfile', path: O.floatFile, data: floatImageBytes(image) });
  const scale = intfileScale(cfg, stats);
  const ints = intImage(cfg, image, scale);
  set.push({ flag: '-intfile', path: O.intFile, data: smvParts(cfg, ints) });
  const out: WrittenOutputs = { files: [], intfileScale: scale };
  if (O.writePgm) {
    let pgmScale = O.pgmScale;
    if (pgmScale <= 0.0) { pgmScale = scale; if (stats.rmsd > 0.0) pgmScale = 250.0 / (5.0 * stats.rmsd); }
    set.push({ flag: '-pgmfile', path: O.pgmFile, data: pgmParts(cfg, image, pgmScale) });
    out.pgmScale = pgmScale;
  }
  if (O.writeNoise) {
    const noise = noiseImage(cfg, image, ints, cfg.rng);
    set.push({ flag: '-noisefile', path: O.noiseFile, data: smvParts(cfg, noise.pixels) });
    out.noise = { photons: noise.photons, overloads: noise.overloads };
  }
  // staged and renamed as one set; not fsynced, as the C does not (src/io/commit.ts)
  commitOutputs(set, { durable: false });
  out.files = set.map((f) => f.path);
  return out;
}

export { libmByName, LIBM_NAMES, hex64, fromHex64, ulpDistance, LibmUnavailableError, type Libm, type LibmName } from './math/libm/index.js';

/**
 * The environment to start the engine's process in: the caller's, without NODE_EXTRA_CA_CERTS.
 * Node reads and parses that certificate file at every start, before any code runs (about
 * 40 ms of a 60 ms start on the 2-core test machine); the engine opens no TLS connection. The
 * harness and `npm run bench` start the engine this way.
 */
export function engineProcessEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== 'NODE_EXTRA_CA_CERTS') out[k] = v;
  return out;
}
