/**
 * Render workers started before the run is known (main.ts, with --threads N > 1): each boots
 * its isolate and modules while the main thread sets up, then waits for one job (parallel.ts
 * posts it). A worker nobody gives a job to is unreferenced, so it never keeps the process
 * alive; parallel.ts stops it. This module imports nothing of the engine, so the workers
 * start first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const idle: Worker[] = [];

export function workerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  // running from the TypeScript sources (tests): use the compiled worker
  return pathToFileURL(fileURLToPath(import.meta.url).replace(/\/src\/physics\/pool\.ts$/, '/dist/src/physics/worker.js'));
}

/** Start `n` workers that wait for a job. */
export function prestartWorkers(n: number): void {
  for (let i = 0; i < n; i++) {
    const w = new Worker(workerUrl(), { workerData: { early: true } });
    w.unref();
    // an early worker that fails to boot is only a worker less: parallel.ts starts its own
    w.once('error', () => { const k = idle.indexOf(w); if (k >= 0) idle.splice(k, 1); });
    idle.push(w);
  }
}

/** A started worker for a job (referenced again), or a new one with the job as its workerData. */
export function takeWorker(job: Record<string, unknown>): Worker {
  const w = idle.shift();
  if (w) { w.ref(); w.postMessage(job); return w; }
  return new Worker(workerUrl(), { workerData: job });
}

/** Stop the started workers no job took. */
export function stopIdleWorkers(): void {
  for (const w of idle.splice(0)) void w.terminate();
}
