/** A render worker: gets its job as its first message, takes row blocks from the shared counter (blocks.ts) and posts its result and trace lines back. */
import { parentPort } from 'node:worker_threads';
import { precisionFor } from '../math/precision.js';
import { libmByName, type Libm } from '../math/libm/index.js';
import { LibmRecorder } from '../math/libm/record.js';
import type { SimulationConfig } from '../config/resolve.js';
import type { LatticeTable } from './lattice.js';
import type { KernelUse } from './render.js';
import { renderClaimedBlocks, type Block } from './blocks.js';
import { setWasmModule } from './kernel.js';

interface Job {
  cfg: SimulationConfig; table: LatticeTable; blocks: Block[]; counter: Int32Array; rendered: Int32Array; taking: Int32Array; index: number; image: SharedArrayBuffer; trace: boolean;
  kernel: KernelUse['name']; wasm: WebAssembly.Module | null;
}

function run({ cfg, table, blocks, counter, rendered, taking, index, image, trace, kernel, wasm }: Job): void {
  // the main thread's compiled module: no second read and compile here
  if (wasm) setWasmModule(wasm);
  const lines: string[] = [];
  // the same provider as the main thread; a traced, recorded run records this worker's traced pixels
  const recorder = trace && cfg.libmLog ? new LibmRecorder((l) => lines.push(l)) : undefined;
  if (recorder) recorder.on = false;
  // the run's libm, loaded at its first call: the exact kernel calls it only for the pixels it hands to the reference loop
  let provider: Libm | undefined;
  const L = (): Libm => (provider ??= libmByName(cfg.libm.name));
  const lazy: Libm = {
    name: cfg.libm.name, detail: cfg.libm.detail,
    sin: (x) => L().sin(x), cos: (x) => L().cos(x), tan: (x) => L().tan(x), exp: (x) => L().exp(x), log: (x) => L().log(x),
    acos: (x) => L().acos(x), atan2: (y, x) => L().atan2(y, x), pow: (x, y) => L().pow(x, y), powf: (x, y) => L().powf(x, y),
  };
  const P = precisionFor(cfg.dtype, lazy, recorder);
  const done = renderClaimedBlocks(P, cfg, table, blocks, counter, rendered, new Float32Array(image, 0, cfg.detector.fpixels * cfg.detector.spixels), kernel, trace ? (l) => lines.push(l) : undefined, { flags: taking, index });
  parentPort!.postMessage({ ...done, trace: lines });
}

// the job comes as the first message (pool.ts: a worker may be started before its run's set-up is done)
parentPort!.once('message', run);
