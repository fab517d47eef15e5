/** A render worker: renders its row ranges into the shared image and posts its trace lines back. */
import { parentPort, workerData } from 'node:worker_threads';
import { precisionFor } from '../math/precision.js';
import { libmByName } from '../math/libm/index.js';
import { LibmRecorder } from '../math/libm/record.js';
import type { SimulationConfig } from '../config/resolve.js';
import type { LatticeTable } from './lattice.js';
import { renderRows, type RenderStats } from './render.js';
import { checkedSines, kernelRows } from './kernel.js';
import type { WorkItem } from './parallel.js';

const { cfg, table, items, image, trace, kernel } = workerData as { cfg: SimulationConfig; table: LatticeTable; items: WorkItem[]; image: SharedArrayBuffer; trace: boolean; kernel: 'exact' | 'checked' | 'fast' | 'reference' };
const img = new Float32Array(image);
const lines: string[] = [];
// the same provider as the main thread; a traced, recorded run records this worker's traced pixels
const recorder = trace && cfg.libmLog ? new LibmRecorder((l) => lines.push(l)) : undefined;
if (recorder) recorder.on = false;
const P0 = precisionFor(cfg.dtype, libmByName(cfg.libm.name), recorder);
const P = kernel === 'checked' ? checkedSines(P0) : P0;
const stats: RenderStats = { maxI: 0, maxIx: 0, maxIy: 0, sum: 0, sumsqr: 0, sumn: 0, omegaSum: 0 };
const shared = { interpolate: cfg.crystal.interpolate, babble: true };
let redone = 0;
for (const it of items) {
  const init = { fresh: it.init.fresh, polar: Float64Array.from(it.init.polar) };
  if (kernel === 'reference' || kernel === 'checked') renderRows(P, cfg, table, it.rowStart, it.rowEnd, img, stats, shared, [], trace ? (l) => lines.push(l) : undefined, init);
  else redone += kernelRows(P, cfg, table, it.rowStart, it.rowEnd, img, stats, init);
}
parentPort!.postMessage({ trace: lines, omegaSum: stats.omegaSum, redone });
