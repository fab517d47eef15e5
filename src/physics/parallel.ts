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
import { roiSpan } from '../models/detector.js';
import type { SimulationConfig } from '../config/resolve.js';
import { buildLatticeTable, cThreadChunks, type LatticeTable } from './lattice.js';
import { chooseKernel, renderImage, renderRows, type RenderResult, type RenderStats, type TraceSink } from './render.js';
import { renderClaimedBlocks, type Block, type BlocksDone } from './blocks.js';
import { loadWasmModule, wasmFallbackWarning } from './kernel.js';
import { startWorker } from './pool.js';
import { newImage, passesFallbackWarning, statsRows } from './image.js';

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
  // per row: does a row before it in its C thread's chunk run a sweep / call polarization_factor()? (one pass)
  const sweptBefore = new Uint8Array(D.spixels), calledBefore = new Uint8Array(D.spixels);
  for (const [c0, c1] of chunks) {
    let anySwept = 0, anyCalled = 0;
    for (let r = c0; r < c1; r++) {
      sweptBefore[r] = anySwept; calledBefore[r] = anyCalled;
      if (swept(r)) anySwept = 1;
      if (polarRow(r)) anyCalled = 1;
    }
  }
  const items: WorkItem[][] = [];
  for (let w = 0; w < parts; w++) {
    const w0 = w * rowsPer, w1 = Math.min(D.spixels, w0 + rowsPer);
    const mine: WorkItem[] = [];
    for (const [c0, c1] of chunks) {
      const a = Math.max(w0, c0), b = Math.min(w1, c1);
      if (a >= b) continue;
      const fresh = sweptBefore[a] === 0, called = calledBefore[a] === 1;
      // polarization_factor() runs once per rendered pixel (every source and sub-pixel with -oversample_polar), never with -nopolar alone
      const polar = called ? p1 : p0;
      mine.push({ rowStart: a, rowEnd: b, init: { fresh, polar: Array.from(polar) } });
    }
    if (mine.length) items.push(mine);
  }
  return { items };
}


/**
 * Statistics as the single-core loop accumulates them: rendered pixels in row order, taken block
 * by block (blocks are in row order) as soon as a block and every block before it are rendered.
 * The main thread advances it between its own blocks, while the workers render: the loop runs
 * hot early and overlaps the render instead of following it (one pass after the render took
 * 5 ms of a 512² run, all of it cold code).
 */
class StatsInOrder {
  /** maxI, the index that set it (−1: none), sum, sumsqr, sumn */
  private readonly acc = new Float64Array([0, -1, 0, 0, 0]);
  private next = 0;
  private readonly f0: number; private readonly f1: number; private readonly s0: number; private readonly s1: number;
  /** the same loop in WebAssembly, on the image where it is (image.ts), or null */
  private readonly wasm: ReturnType<typeof statsRows>;

  constructor(private readonly cfg: SimulationConfig, private readonly image: Float32Array, private readonly blocks: Block[], private readonly rendered: Int32Array) {
    const { fpixels, spixels, roi } = cfg.detector;
    // the ROI's rows and columns only (the pixels the C's test keeps, in the same order)
    [this.f0, this.f1] = roiSpan(roi.xmin, roi.xmax, fpixels);
    [this.s0, this.s1] = roiSpan(roi.ymin, roi.ymax, spixels);
    this.wasm = statsRows(image, cfg.detector.mask);
  }

  /** Take every block from the next one on that is marked rendered, up to the first that is not. */
  advance(): void {
    const { fpixels, mask } = this.cfg.detector;
    for (; this.next < this.blocks.length && Atomics.load(this.rendered, this.next) === 1; this.next++) {
      const b = this.blocks[this.next];
      // a call per row (in WebAssembly, image.ts, unless a mask skips pixels): a short function called often is optimized sooner than one long loop
      for (let s = Math.max(this.s0, b.rowStart); s <= Math.min(this.s1, b.rowEnd - 1); s++) {
        if (this.wasm) this.wasm.row(s * fpixels + this.f0, s * fpixels + this.f1 + 1);
        else statsOfRow(this.image, mask, s * fpixels + this.f0, s * fpixels + this.f1 + 1, this.acc);
      }
    }
  }

  /** The statistics of the whole image: every block must have been taken. */
  result(omegaSum: number): RenderStats {
    if (this.next !== this.blocks.length) throw new Error(`statistics stopped at row block ${this.next} of ${this.blocks.length}`);
    const { cfg } = this;
    const acc = this.wasm ? this.wasm.values() : this.acc;
    const { fpixels } = cfg.detector;
    const r = (cfg.dtype === 'float32' ? Math.fround : (x: number) => x);
    const os = cfg.sampling.oversample, subpix = cfg.sampling.subpixelSize, half = r(subpix / 2.0);
    const at = acc[1], maxF = at < 0 ? -1 : at % fpixels, maxS = at < 0 ? -1 : (at - maxF) / fpixels;
    // the maximum's position as the loop computes it (its last sub-pixel), for the pixel that set it
    const maxIx = at < 0 ? 0 : r(r(subpix * (maxF * os + os - 1)) + half), maxIy = at < 0 ? 0 : r(r(subpix * (maxS * os + os - 1)) + half);
    return { maxI: acc[0], maxIx, maxIy, sum: acc[2], sumsqr: acc[3], sumn: acc[4], omegaSum };
  }
}

/** Pixels [i0, i1) of one row into the running statistics `acc` (StatsInOrder), in order. */
function statsOfRow(image: Float32Array, mask: Uint16Array | null, i0: number, i1: number, acc: Float64Array): void {
  let maxI = acc[0], maxAt = acc[1], sum = acc[2], sumsqr = acc[3], sumn = acc[4];
  for (let i = i0; i < i1; i++) {
    if (mask !== null && mask[i] === 0) continue; // the C skips a masked pixel before its statistics
    const v = image[i];
    if (v > maxI) { maxI = v; maxAt = i; }
    sum += v; sumsqr += Math.fround(v * v); ++sumn;
  }
  acc[0] = maxI; acc[1] = maxAt; acc[2] = sum; acc[3] = sumsqr; acc[4] = sumn;
}

export async function renderImageParallel(P: Precision, cfg: SimulationConfig, threads: number, opts: { trace?: TraceSink; print?: TraceSink; onFallback?: (reason: string) => void } = {}): Promise<RenderResult> {
  // blocks of about 16 rows: enough for the threads to even out, few enough to cost nothing
  const plan = threads > 1 ? planParallel(P, cfg, Math.max(threads, Math.ceil(cfg.detector.spixels / 16))) : { reason: 'one thread asked for' };
  if ('reason' in plan) {
    if (threads > 1) opts.onFallback?.(plan.reason);
    return renderImage(P, cfg, opts);
  }
  const { fpixels, spixels } = cfg.detector;
  const image = newImage(fpixels * spixels);
  const shared = image.buffer as SharedArrayBuffer;
  const table: LatticeTable = buildLatticeTable(P, cfg.crystal, cfg.goniometer);
  const { rng: _rng, ...plain } = cfg;
  void _rng;
  const kernel = chooseKernel(cfg, { trace: opts.trace !== undefined, print: opts.print !== undefined, recorder: P.recorder !== undefined });
  const blocks: Block[] = plan.items.flat();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  // per block: 1 once rendered (blocks.ts): a block taken by a worker that then failed, or that answered without rendering it, is never accepted
  const rendered = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, blocks.length)));
  const nWorkers = P.recorder ? threads : threads - 1;
  // per worker: set before it first takes a block (blocks.ts); a worker still at 0 when every block is taken never will take one
  const taking = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, nWorkers)));
  const wasm = kernel.name === 'exact' || kernel.name === 'fast' ? loadWasmModule() : null;
  // the workers start (tens of milliseconds each) while the main thread already renders blocks
  const started = Array.from({ length: nWorkers }, (_, index) => {
    const w = startWorker({ cfg: plain, table, blocks, counter, rendered, taking, index, image: shared, trace: opts.trace !== undefined, kernel: kernel.name, wasm });
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
  const stats = new StatsInOrder(cfg, image, blocks, rendered);
  const mine: BlocksDone = P.recorder
    ? { trace: [], omegaSum: 0, redone: 0 }
    : { ...renderClaimedBlocks(P, cfg, table, blocks, counter, rendered, image, kernel.name, opts.trace ? (l) => mineTrace.push(l) : undefined, undefined, () => stats.advance()), trace: mineTrace };
  // every block is taken: a worker that has not started taking is stopped, not waited for (its start-up would be the render's tail)
  if (!P.recorder) {
    started.forEach(({ w }, i) => { if (Atomics.load(taking, i) === 0) { stopped.add(i); void w.terminate(); } });
  }
  const results = [mine, ...(await Promise.all(started.map((s) => s.done))).filter((r): r is BlocksDone => r !== null)];
  const missing = blocks.findIndex((_, i) => Atomics.load(rendered, i) !== 1);
  if (missing >= 0) throw new Error(`row block ${missing} (rows ${blocks[missing].rowStart}–${blocks[missing].rowEnd - 1}) was never rendered: a render worker answered without it`);
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
  stats.advance();
  kernel.redone = results.reduce((a, r) => a + r.redone, 0);
  const notes = [wasmFallbackWarning(cfg, table, kernel.name), passesFallbackWarning()].filter((n): n is string => n !== null);
  // the image stays on the shared buffer the threads wrote (no copy: the workers have stopped)
  return { image, stats: stats.result(results.reduce((a, r) => a + r.omegaSum, 0)), warnings: notes, kernel };
}

