#!/usr/bin/env node
/**
 * nanobragg-ts: the engine's command line. Takes nanoBragg.c's arguments (same flags,
 * defaults and quirks) plus the engine-only double-dash options, writes the same files.
 * Exit codes: 0 done, 2 bad command line or input file, 1 anything else (a broken build: one line).
 */
import { FlagError, InstallError, OutputError, simulateAsync, writeOutputs } from '../index.js';
import { optionNames } from '../config/argv.js';
import { RTD } from '../math/constants.js';
import { cfmtG } from '../io/cformat.js';
import { listQuirks } from '../quirks/catalogue.js';

/** --help's text (built when asked: it lists every nanoBragg.c option) */
const help = () => `usage: nanobragg-ts [engine options] <nanoBragg.c arguments>

Runs the TypeScript nanoBragg engine with nanoBragg.c's command line and writes the
files the C writes (floatimage.bin, intimage.img, image.pgm, noiseimage.img, Fdump.bin
by default; -floatfile/-intfile/-pgmfile/-noisefile, -nonoise, -nopgm as in the C).

engine options (double dash, never passed to or taken from the C):
  --dtype float64|float32            precision of every operation (default float64)
  --quirk ID=c|fixed                 one entry of the catalogue of nanoBragg.c's known behaviours: as the C has it
                                     (c) or fixed; repeatable. --list-quirks shows the entries and their defaults
  --quirks c|fixed                   every entry as the C has it, or every entry fixed (then --quirk overrides)
  --phi-carryover-mode spec|c-parity the alias of --quirk C-PARITY-001=fixed|c: spec: every phi step rotates from the
                                     unrotated cell (default); c-parity: nanoBragg.c's phi=0 carry-over
  --list-quirks                      print the catalogue (with --json: every entry whole) and exit
  --c-threads N                      OMP_NUM_THREADS of the C build that c-parity emulates (default 1)
  --threads N|auto                   render on N worker threads (default 1); the same bits as one thread,
                                     or one thread with a note where that cannot be shown
  --render auto|reference|fast        auto (default): the exact kernel where it applies (float64, square crystal
                                     shape, no trace or printout): fast polynomial sines
                                     with a proven error bound, and every pixel whose float32 value that bound cannot
                                     decide is rendered again with --libm; the same bits as reference, which runs
                                     the C's loop as written. fast: opt-in approximation, not bit-identical (README)
  --fast                             the same as --render fast
  --libm system|cr|v8                the math functions (sin, cos, exp, log, atan2, pow, ...): system = this
                                     machine's C library, the same bits as a C built here (default where it
                                     loads); cr = correctly rounded, in TypeScript (default otherwise); v8 =
                                     JavaScript's Math.* (fastest; differs from glibc in the last bit at times).
                                     With --dtype float32 the same provider answers, its result rounded to float
  --libm-log                         with -trace_pixel: also print every math call of the set-up and of the
                                     traced pixels (TRACE_TS_LIBM fn, argument and result bits)
  --strict                           a junk number, a flag without its value, an unknown flag or a stray word is an
                                     error (exit 2); by default each is read or ignored as nanoBragg.c does, with a warning
  --max-memory SIZE                  memory budget (default: this machine's memory); a run whose estimate
                                     (images, HKL grid, source and rotation tables) exceeds it stops with exit 2
  --json                             print a JSON summary on stdout (log and traces go to stderr)
  --help                             this text

tracing: -trace_pixel S F (slow, fast) prints TRACE_TS: lines named like the golden
fork's TRACE_C: lines, and one TRACE_TS_PHI line per evaluation of that pixel.

nanoBragg.c options accepted: ${optionNames().join(' ')}
`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(help()); return 0; }
  if (argv.includes('--list-quirks')) { process.stdout.write(listQuirks(argv.includes('--json'))); return 0; }
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const out = (line: string) => (json ? process.stderr : process.stdout).write(line + '\n');
  // performance.now() counts from the process's start: tRender - 0 is the start-up (node's boot,
  // loading the engine, reading argv, the set-up), tRender..t1 the render, t1..t2 the files
  const t0 = performance.now();
  let tRender = NaN;
  try {
    const result = await simulateAsync(args, { trace: out, print: out, onRenderStart: () => { tRender = performance.now(); } });
    const t1 = performance.now();
    const cfg = result.config;
    for (const l of [...cfg.log, ...result.warnings]) out(l);
    const written = writeOutputs(result);
    const t2 = performance.now();
    const s = result.stats;
    out(`max_I = ${cfmtG(s.maxI)}  at ${cfmtG(s.maxIx)} ${cfmtG(s.maxIy)}`);
    out(`mean= ${cfmtG(s.avg)} rms= ${cfmtG(s.rms)} rmsd= ${cfmtG(s.rmsd)}`);
    out(`intfile_scale = ${cfmtG(written.intfileScale)}`);
    if (written.noise) out(`${written.noise.photons.toFixed(0)} photons on noise image (${written.noise.overloads} overloads)`);
    out(`wrote ${written.files.join(', ')}`);
    if (json) {
      const D = cfg.detector, G = cfg.goniometer, X = cfg.crystal;
      process.stdout.write(JSON.stringify({
        engine: 'nanobragg-ts', dtype: cfg.dtype, render: cfg.render, kernel: result.kernel, libm: cfg.libm, quirks: cfg.quirks, threads: args.includes('--threads') ? args[args.indexOf('--threads') + 1] : '1', phi_mode: G.mode, c_threads: G.cThreads,
        detector: { convention: D.convention, pivot: D.pivot, fpixels: D.fpixels, spixels: D.spixels, pix0: Array.from(D.origin.subarray(1)),
          fast: Array.from(D.fast.subarray(1)), slow: Array.from(D.slow.subarray(1)), normal: Array.from(D.normal.subarray(1)),
          distance_m: D.distance, close_distance_m: D.closeDistance, roi: D.roi },
        goniometer: { phi0_deg: G.phi0 * RTD, phistep_deg: G.phistep * RTD, phisteps: G.phisteps, spindle: Array.from(G.spindle.subarray(1)) },
        crystal: { N: [X.Na, X.Nb, X.Nc], cell: X.cell, mosaic_domains: X.mosaicDomains, interpolate: X.interpolate },
        sampling: { oversample: cfg.sampling.oversample, steps: cfg.sampling.steps },
        plan: { evaluations: cfg.plan.evaluations, memory_bytes: cfg.plan.memoryBytes, memory_limit_bytes: cfg.plan.memoryLimit },
        stats: s, warnings: result.warnings, log: cfg.log, outputs: written,
        timing_ms: { simulate: t1 - t0, start_to_render: tRender, render: t1 - tRender, write: t2 - t1, total: performance.now() },
      }, null, 2) + '\n');
    }
    return 0;
  } catch (e) {
    if (e instanceof FlagError || e instanceof OutputError) {
      process.stderr.write(`nanobragg-ts: error: ${e.message}\n`);
      return 2;
    }
    // a broken build: one line; anything else is a bug, with its stack
    process.stderr.write(e instanceof InstallError ? `nanobragg-ts: error: ${e.message}\n` : `nanobragg-ts: ${(e as Error).stack ?? e}\n`);
    return 1;
  }
}

// a closed pipe (nanobragg-ts ... | head) stops the output, never the run: the exit code stays the run's
for (const stream of [process.stdout, process.stderr]) stream.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'EPIPE') throw e; });
main(process.argv.slice(2)).then((c) => { process.exitCode = c; });
