/**
 * Where a render worker comes from: its module (the compiled worker.js next to this module, the
 * bundled dist/engine/worker.js next to the bundled engine, and the compiled worker when the
 * engine runs from its TypeScript sources under the tests) and its start.
 *
 * A worker takes its job as its first message. A run on several threads starts its workers
 * before its set-up (prestartWorkers), so that their boot, about 30 ms each on this kind of
 * machine, overlaps the set-up on the other cores instead of the render; startWorker() hands the
 * job to one of them, or starts one. Until then they are unref'd: a run that stops before its
 * render (a bad input file) exits at once, and releaseIdleWorkers() stops those left over.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';

let threads: typeof import('node:worker_threads') | undefined;
/** node:worker_threads, loaded with the first worker: with the streams module it brings, about 5 ms of a start that renders on one thread */
const workerThreads = () => (threads ??= createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads'));

/** A part of the engine's build is missing: the run stops with one line naming it (exit 1, src/cli/main.ts). */
export class InstallError extends Error {}

/** The worker's module; an InstallError naming it when it is missing (a broken build: the run fails, it never renders on fewer threads unsaid). */
export function workerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  // running from the TypeScript sources (tests): use the compiled worker
  const self = fileURLToPath(import.meta.url);
  if (/\/src\/physics\/pool\.ts$/.test(self)) {
    const compiled = pathToFileURL(self.replace(/\/src\/physics\/pool\.ts$/, '/dist/src/physics/worker.js'));
    if (existsSync(fileURLToPath(compiled))) return compiled;
  }
  throw new InstallError(`the render worker ${fileURLToPath(here)} is missing (npm run build makes it)`);
}

/** started workers without a job yet, and whether each has already exited (a failed boot) */
const idle: Array<{ w: Worker; exited: boolean }> = [];

/**
 * Workers the bin's launcher (scripts/engine-launcher.cjs) started before it loaded the engine,
 * for a command line with --threads N: taken here, once, by the first run that starts workers.
 */
const LAUNCHED = Symbol.for('nbparity.launcher.workers');

/** Start `n` workers now (or take those the launcher started); they wait for a job. */
export function prestartWorkers(n: number): void {
  const g = globalThis as { [LAUNCHED]?: Worker[] };
  const launched = g[LAUNCHED] ?? [];
  delete g[LAUNCHED];
  for (let i = 0; i < n; i++) {
    const e = { w: launched.shift() ?? new (workerThreads().Worker)(workerUrl()), exited: false };
    e.w.unref();
    // until startWorker() takes it: a boot error is the job's to report (its exit fails that render), not a crash here
    e.w.on('error', () => {});
    e.w.once('exit', () => { e.exited = true; });
    idle.push(e);
  }
  for (const w of launched) void w.terminate();
}

/** Stop the started workers no render took. */
export function releaseIdleWorkers(): void {
  for (const e of idle.splice(0)) void e.w.terminate();
}

/** A worker for one parallel render, given its job: a started one that is still alive, or a new one. */
export function startWorker(job: Record<string, unknown>): Worker {
  let e = idle.shift();
  while (e && e.exited) e = idle.shift();
  const w = e ? e.w : new (workerThreads().Worker)(workerUrl());
  w.ref();
  w.postMessage(job);
  return w;
}
