/**
 * The row blocks of a parallel render, taken one at a time from a shared counter by the main
 * thread and every worker: whoever is free takes the next block, so the main thread starts at
 * once and a worker that starts late finds less to do. Each block carries the exact C-thread
 * state at its first row (parallel.ts planParallel), so the order in which blocks are taken
 * changes no bit of the image.
 */
import type { Precision } from '../math/precision.js';
import type { SimulationConfig } from '../config/resolve.js';
import type { LatticeTable } from './lattice.js';
import { renderRows, type KernelUse, type RenderStats } from './render.js';
import { checkedSines, kernelRows } from './kernel.js';

export interface Block { rowStart: number; rowEnd: number; init: { fresh: boolean; polar: number[] } }

export interface BlocksDone { trace: string[]; omegaSum: number; redone: number }
export type BlocksRendered = Omit<BlocksDone, 'trace'>;

/**
 * Take blocks from `counter` until none is left; render each with the run's kernel into `image`
 * and then mark it in `rendered` (parallel.ts accepts the image only when every block is marked).
 */
export function renderClaimedBlocks(
  P: Precision, cfg: SimulationConfig, table: LatticeTable, blocks: Block[], counter: Int32Array, rendered: Int32Array,
  image: Float32Array, kernel: KernelUse['name'], trace: ((line: string) => void) | undefined,
  /** a worker's flag, set before it takes its first block (parallel.ts stops a worker that never did) */
  taking?: { flags: Int32Array; index: number },
  /** called after each block this thread renders (the main thread's statistics in row order, parallel.ts) */
  afterBlock?: () => void,
): BlocksRendered {
  if (taking) Atomics.store(taking.flags, taking.index, 1);
  const stats: RenderStats = { maxI: 0, maxIx: 0, maxIy: 0, sum: 0, sumsqr: 0, sumn: 0, omegaSum: 0 };
  const shared = { interpolate: cfg.crystal.interpolate, babble: true };
  const Pr = kernel === 'checked' ? checkedSines(P) : P;
  let redone = 0;
  for (;;) {
    const i = Atomics.add(counter, 0, 1);
    if (i >= blocks.length) break;
    const b = blocks[i];
    const init = { fresh: b.init.fresh, polar: Float64Array.from(b.init.polar) };
    if (kernel === 'reference' || kernel === 'checked') renderRows(Pr, cfg, table, b.rowStart, b.rowEnd, image, stats, shared, [], trace, init);
    else redone += kernelRows(P, cfg, table, b.rowStart, b.rowEnd, image, stats, init, shared);
    Atomics.store(rendered, i, 1);
    afterBlock?.();
  }
  return { omegaSum: stats.omegaSum, redone };
}
