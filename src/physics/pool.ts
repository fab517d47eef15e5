/**
 * Where a render worker comes from: its module (the compiled worker.js, also when the engine
 * runs from its TypeScript sources under the tests) and its start with the job as workerData.
 * (Starting workers before the engine's modules load was tried: their boot slowed the main
 * thread's start by 40 ms on 2 cores, more than they gained.)
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export function workerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  // running from the TypeScript sources (tests): use the compiled worker
  return pathToFileURL(fileURLToPath(import.meta.url).replace(/\/src\/physics\/pool\.ts$/, '/dist/src/physics/worker.js'));
}

/** A worker for one parallel render, started with its job. */
export function startWorker(job: Record<string, unknown>): Worker {
  return new Worker(workerUrl(), { workerData: job });
}
