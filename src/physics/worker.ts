/** A render worker: takes row blocks from the shared counter (blocks.ts) and posts its trace lines back. */
import { parentPort, workerData } from 'node:worker_threads';
import { precisionFor } from '../math/precision.js';
import { libmByName } from '../math/libm/index.js';
import { LibmRecorder } from '../math/libm/record.js';
import type { SimulationConfig } from '../config/resolve.js';
import type { LatticeTable } from './lattice.js';
import type { KernelUse } from './render.js';
import { renderClaimedBlocks, type Block } from './blocks.js';
import { setWasmModule } from './kernel.js';

const { cfg, table, blocks, counter, image, trace, kernel, wasm } = workerData as {
  cfg: SimulationConfig; table: LatticeTable; blocks: Block[]; counter: Int32Array; image: SharedArrayBuffer; trace: boolean;
  kernel: KernelUse['name']; wasm: WebAssembly.Module | null;
};
// the main thread's compiled module: no second read and compile here
if (wasm) setWasmModule(wasm);
const lines: string[] = [];
// the same provider as the main thread; a traced, recorded run records this worker's traced pixels
const recorder = trace && cfg.libmLog ? new LibmRecorder((l) => lines.push(l)) : undefined;
if (recorder) recorder.on = false;
const P = precisionFor(cfg.dtype, libmByName(cfg.libm.name), recorder);
const done = renderClaimedBlocks(P, cfg, table, blocks, counter, new Float32Array(image), kernel, trace ? (l) => lines.push(l) : undefined);
parentPort!.postMessage({ ...done, trace: lines });
