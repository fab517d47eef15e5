/**
 * Rendering on several cores with worker_threads, bit for bit the same as one core.
 *
 * Each worker renders whole rows into one shared float32 image. What a C thread carries
 * from pixel to pixel must be known where a worker starts in the middle of a C thread's
 * rows: whether its first φ sweep already ran (the C-PARITY-001 state) and its polar
 * vector, which polarization_factor() re-unitizes in place. Both are exact when the polar
 * vector reaches its fixed point after one re-unitizing: without -dmin or -mask every
 * rendered pixel runs a sweep; with them, a probe pass (the render loop's geometry and -dmin
 * test, no φ loop) records which rows start a sweep and call polarization_factor(). The
 * one-way interpolation switch-off (a thread-shared flag set at the first out-of-range
 * h,k,l) depends on the order in which every earlier evaluation ran, so interpolated runs
 * stay on one core (see README, "--threads"). Statistics are then taken from the image
 * in row order, as the single-core loop accumulates them. When exactness cannot be shown,
 * the render falls back to one core and says why.
 */
import type { Precision } from '../math/precision.js';
import { unitize } from '../math/vec3.js';
import type { SimulationConfig } from '../config/resolve.js';
import { buildLatticeTable, cThreadChunks, type LatticeTable } from './lattice.js';
import { chooseKernel, renderImage, renderRows, type RenderResult, type RenderStats, type TraceSink } from './render.js';
import { renderClaimedBlocks, type Block, type BlocksDone } from './blocks.js';
import { loadWasmModule, wasmFallbackWarning } from './kernel.js';
import { startWorker } from './pool.js';

export interface WorkItem { rowStart: number; rowEnd: number; init: { fresh: boolean; polar: number[] } }

/** Split the rows into `parts` contiguous ranges (cut further at C thread chunks), with the exact state at each start; null with a reason when not exact. */
export function planParallel(P: Precision, cfg: SimulationConfig, parts: number): { items: WorkItem[][] } | { reason: string } {
  const { detector: D, beam: B, crystal: X, sampling: S, goniometer: G } = cfg;
  if (cfg.outputs.printout) return { reason: '-printout prints pixels in the order one C thread visits them' };
  if (X.interpolate) return { reason: 'tricubic interpolation switches off for good at the first out-of-range index, which depends on pixel order' };
  const p0 = Float64Array.from(B.polarVector);
  const p1 = Float64Array.from(p0); unitize(P, p1, p1);
  const p2 = Float64Array.from(p1); unitize(P, p2, p2);
  const polarUsed = B.kahn !== 0.0 && (!B.nopolar || S.oversamplePolar);
  if (polarUsed && (p2[1] !== p1[1] || p2[2] !== p1[2] || p2[3] !== p1[3])) return { reason: 'the polar vector does not settle after one re-unitizing' };
  const { xmin, xmax, ymin, ymax } = D.roi;
  const colsRendered = Math.max(0, xmin) <= Math.min(D.fpixels - 1, xmax);
  const rowRendered = (r: number) => colsRendered && r >= ymin && r <= ymax;
  const chunks = cThreadChunks(D.spixels, G.cThreads);
  // which rows start a φ sweep / call polarization_factor(): every rendered row, unless -dmin or -mask can skip pixels
  let swept: (r: number) => boolean = rowRendered, polarRow: (r: number) => boolean = (r) => rowRendered(r) && (!B.nopolar || S.oversamplePolar);
  if (S.dmin > 0 || D.mask) {
    const probe = { swept: new Uint8Array(D.spixels), polar: new Uint8Array(D.spixels) };
    const st: RenderStats = { maxI: 0, maxIx: 0, maxIy: 0, sum: 0, sumsqr: 0, sumn: 0, omegaSum: 0 };
    const table = buildLatticeTable(P, X, G);
    for (const [c0, c1] of chunks) renderRows(P, cfg, table, c0, c1, new Float32Array(0), st, { interpolate: false, babble: false }, [], undefined, undefined, undefined, probe);
    swept = (r) => probe.swept[r] === 1; polarRow = (r) => probe.polar[r] === 1;
  }
  const rowsPer = Math.ceil(D.spixels / parts);
  const items: WorkItem[][] = [];
  for (let w = 0; w < parts; w++) {
    const w0 = w * rowsPer, w1 = Math.min(D.spixels, w0 + rowsPer);
    const mine: WorkItem[] = [];
    for (const [c0, c1] of chunks) {
      const a = Math.max(w0, c0), b = Math.min(w1, c1);
      if (a >= b) continue;
      let fresh = true, called = false;
      for (let r = c0; r < a; r++) { if (swept(r)) fresh = false; if (polarRow(r)) called = true; }
      // polarization_factor() runs once per rendered pixel (every source and sub-pixel with -oversample_polar), never with -nopolar alone
      const polar = called ? p1 : p0;
      mine.push({ rowStart: a, rowEnd: b, init: { fresh, polar: Array.from(polar) } });
    }
    if (mine.length) items.push(mine);
  }
  return { items };
}


/** Statistics as the single-core loop accumulates them: rendered pixels in row order. */
function statsFromImage(cfg: SimulationConfig, image: Float32Array, omegaSum: number): RenderStats {
  const { fpixels, spixels, roi } = cfg.detector;
  const r = (cfg.dtype === 'float32' ? Math.fround : (x: number) => x);
  const os = cfg.sampling.oversample, subpix = cfg.sampling.subpixelSize, half = r(subpix / 2.0);
  const st: RenderStats = { maxI: 0, maxIx: 0, maxIy: 0, sum: 0, sumsqr: 0, sumn: 0, omegaSum };
  for (let s = 0; s < spixels; s++) for (let f = 0; f < fpixels; f++) {
    if (f < roi.xmin || f > roi.xmax || s < roi.ymin || s > roi.ymax) continue;
    if (cfg.detector.mask && cfg.detector.mask[s * fpixels + f] === 0) continue; // the C skips a masked pixel before its statistics
    const v = image[s * fpixels + f];
    if (v > st.maxI) { st.maxI = v; st.maxIx = r(r(subpix * (f * os + os - 1)) + half); st.maxIy = r(r(subpix * (s * os + os - 1)) + half); }
    st.sum += v; st.sumsqr += Math.fround(v * v); ++st.sumn;
  }
  return st;
}

export async function renderImageParallel(P: Precision, cfg: SimulationConfig, threads: number, opts: { trace?: TraceSink; print?: TraceSink; onFallback?: (reason: string) => void } = {}): Promise<RenderResult> {
  // blocks of about 16 rows: enough for the threads to even out, few enough to cost nothing
  const plan = threads > 1 ? planParallel(P, cfg, Math.max(threads, Math.ceil(cfg.detector.spixels / 16))) : { reason: 'one thread asked for' };
  if ('reason' in plan) {
    if (threads > 1) opts.onFallback?.(plan.reason);
    return renderImage(P, cfg, opts);
  }
  const { fpixels, spixels } = cfg.detector;
  const shared = new SharedArrayBuffer(fpixels * spixels * 4);
  const table: LatticeTable = buildLatticeTable(P, cfg.crystal, cfg.goniometer);
  const { rng: _rng, ...plain } = cfg;
  void _rng;
  const kernel = chooseKernel(cfg, { trace: opts.trace !== undefined, print: opts.print !== undefined, recorder: P.recorder !== undefined });
  const blocks: Block[] = plan.items.flat();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const nWorkers = P.recorder ? threads : threads - 1;
  // per worker: set before it first takes a block (blocks.ts); a worker still at 0 when every block is taken never will take one
  const taking = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, nWorkers)));
  const wasm = kernel.name === 'exact' || kernel.name === 'fast' ? loadWasmModule() : null;
  // the workers start (tens of milliseconds each) while the main thread already renders blocks
  const started = Array.from({ length: nWorkers }, (_, index) => {
    const w = startWorker({ cfg: plain, table, blocks, counter, taking, index, image: shared, trace: opts.trace !== undefined, kernel: kernel.name, wasm });
    const done = new Promise<BlocksDone | null>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
      // after its result the exit changes nothing; a worker stopped before it took a block has no result; any other exit
      // (even code 0) may have left blocks it took unrendered: the render fails, it never passes with holes
      w.once('exit', (code) => {
        if (stopped.has(index)) resolve(null);
        else reject(new Error(`render worker exited (code ${code}) without its result`));
      });
    });
    return { w, done };
  });
  const stopped = new Set<number>();
  // the main thread takes blocks too, unless it records math calls (--libm-log): its recorder prints at once, not in pixel order
  const mineTrace: string[] = [];
  const mine: BlocksDone = P.recorder
    ? { trace: [], omegaSum: 0, redone: 0 }
    : { ...renderClaimedBlocks(P, cfg, table, blocks, counter, new Float32Array(shared), kernel.name, opts.trace ? (l) => mineTrace.push(l) : undefined), trace: mineTrace };
  // every block is taken: a worker that has not started taking is stopped, not waited for (its start-up would be the render's tail)
  if (!P.recorder) {
    started.forEach(({ w }, i) => { if (Atomics.load(taking, i) === 0) { stopped.add(i); void w.terminate(); } });
  }
  const results = [mine, ...(await Promise.all(started.map((s) => s.done))).filter((r): r is BlocksDone => r !== null)];
  const image = new Float32Array(shared);
  if (opts.trace) {
    // traced pixels in row order, as one core prints them
    const segments: Array<{ key: number; lines: string[] }> = [];
    for (const r of results) {
      for (const line of r.trace) {
        const m = /^TRACE_TS_PIXEL spixel=(\d+) fpixel=(\d+)/.exec(line);
        if (m || !segments.length) segments.push({ key: m ? Number(m[1]) * fpixels + Number(m[2]) : -1, lines: [] });
        segments[segments.length - 1].lines.push(line);
      }
    }
    segments.sort((a, b) => a.key - b.key);
    for (const s of segments) for (const l of s.lines) opts.trace(l);
  }
  const stats = statsFromImage(cfg, image, results.reduce((a, r) => a + r.omegaSum, 0));
  kernel.redone = results.reduce((a, r) => a + r.redone, 0);
  const note = wasmFallbackWarning(cfg, table, kernel.name);
  return { image: Float32Array.from(image), stats, warnings: note ? [note] : [], kernel };
}

