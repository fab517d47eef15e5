#!/usr/bin/env node
/**
 * nanobragg-ts: the engine's command line (run.ts). With --threads N > 1 the render workers
 * are started first, so that they boot (tens of milliseconds each: an isolate and their
 * modules) while this thread loads the engine and sets up the run (physics/pool.ts).
 * Exit codes: 0 done, 2 bad command line or input file, 1 anything else.
 */
import { availableParallelism } from 'node:os';
import { prestartWorkers } from '../physics/pool.js';

/** --threads N (or auto), read the way argv.ts reads it; anything it would refuse counts as 1 here */
function threadsAsked(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = a === '--threads' ? argv[i + 1] : a.startsWith('--threads=') ? a.slice('--threads='.length) : undefined;
    if (v === undefined) continue;
    if (v === 'auto') return Math.max(1, availableParallelism());
    return /^[0-9]+$/.test(v) ? Number(v) : 1;
  }
  return 1;
}

const argv = process.argv.slice(2);
const threads = threadsAsked(argv);
if (threads > 1 && !argv.includes('--help') && !argv.includes('-h') && !argv.includes('--list-quirks')) prestartWorkers(threads - 1);
// a closed pipe (nanobragg-ts ... | head) stops the output, never the run: the exit code stays the run's
for (const stream of [process.stdout, process.stderr]) stream.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'EPIPE') throw e; });
const { main } = await import('./run.js');
main(argv).then((c) => { process.exitCode = c; });
