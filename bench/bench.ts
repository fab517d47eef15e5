#!/usr/bin/env node
/**
 * npm run bench: the engine against the user's nanoBragg.c (issue #12). Builds the C
 * (cached), then runs the benchmark matrix (bench/matrix.ts) at each thread count: the C
 * and each engine variant (exact = the default, --render auto, fast = --fast, optionally reference) as
 * whole processes on the same arguments, alternating, one warm-up then --runs timed runs;
 * start-up measured with a one-pixel ROI; peak memory from /usr/bin/time; the machine's load
 * (other processes' CPU) noted per case after waiting for an idle machine. Every run's image
 * is checked (bench/checks.ts). With --scaling also the scaling sweeps.
 *
 * Writes results.json, results.md and the plots (matrix.svg/png, scaling.svg/png) to
 * reports/bench/<UTC time>/ (or --out DIR); prints the tables (or, with --json, the
 * results) on stdout. Exit: 0 every check passed, 1 a check failed, 2 usage or input error,
 * 3 a run failed; 0 with a message when there is no C to compare with (nothing measured).
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitCodeFor, toJson } from '../harness/contract.js';
import { buildC, candidates, findCSource, projectRoot, sha256 } from '../harness/c/build.js';
import { utcStamp } from '../harness/evidence/dir.js';
import { renderSpec } from '../harness/report/plots.js';
import { BenchUsageError, parseBenchArgs, USAGE, type BenchOptions } from './args.js';
import { FAST_BOUNDS } from './checks.js';
import { gitState, machineInfo, startLoad, waitIdle } from './machine.js';
import { BASE_ARGS, MATRIX, scalingPoints, SWEEP_TITLES, type BenchCase } from './matrix.js';
import { measureCell } from './measure.js';
import { matrixSpec, scalingSpec, type RatioBar, type ScalingDot } from './plot.js';
import { cellText, machineLine, RESULTS_SCHEMA, resultsMarkdown, summaryText, threadsLabel, type BenchResults, type CaseRun, type Cell } from './report.js';
import { killCurrent, timeLauncher } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
/** this build's nanobragg-ts bin (the bundle of scripts/build-bundle.mjs), from dist/bench/bench.js or from bench/bench.ts under the tests */
const OWN_ENGINE = join(here, ...(/[/\\]dist[/\\]bench$/.test(here) ? ['..'] : ['..', 'dist']), 'engine', 'main.js');

/**
 * The engine to time: --engine PATH (a main.js, or a checkout holding dist/engine/main.js, or
 * dist/src/cli/main.js for a build from before the bundle), else this build's.
 */
export function resolveEngine(p: string | undefined): string {
  if (p === undefined) return OWN_ENGINE;
  const abs = resolve(p);
  if (!existsSync(abs)) throw new BenchUsageError(`--engine ${p}: no such file`);
  if (statSync(abs).isDirectory()) {
    for (const inside of [join(abs, 'dist', 'engine', 'main.js'), join(abs, 'dist', 'src', 'cli', 'main.js')]) if (existsSync(inside)) return inside;
    throw new BenchUsageError(`--engine ${p}: a directory without dist/engine/main.js or dist/src/cli/main.js (build that checkout, or give its main.js)`);
  }
  return abs;
}

const progressOn = process.stderr.isTTY;
function progress(what: string): void {
  if (progressOn) process.stderr.write(`\r\x1b[K${what}`);
}
function progressDone(): void {
  if (progressOn) process.stderr.write('\r\x1b[K');
}

async function writePlots(r: BenchResults, out: string): Promise<{ matrix?: string; scaling?: string; errors: string[] }> {
  const files: { matrix?: string; scaling?: string; errors: string[] } = { errors: [] };
  const sub = [`${machineLine(r)}`, `C ${r.c.compiler_version} ${r.c.flags.join(' ')}; medians of ${r.settings.runs} run${r.settings.runs > 1 ? 's' : ''}`];
  const bars: RatioBar[] = [];
  for (const m of r.matrix) for (const cell of m.cells) for (const s of cell.sides) {
    if (s.side !== 'C' && s.ratio !== null) bars.push({ case: `(${m.id}) ${m.label}`, variant: s.side, threads: cell.threads, ratio: s.ratio, failed: !s.checks.pass });
  }
  if (bars.length) {
    try {
      const { svg, png } = await renderSpec(matrixSpec(bars, sub));
      writeFileSync(join(out, 'matrix.svg'), svg); writeFileSync(join(out, 'matrix.png'), png);
      files.matrix = 'matrix.png';
    } catch (e) { files.errors.push(`matrix plot: ${(e as Error).message}`); }
  }
  const dots: ScalingDot[] = [];
  for (const p of r.scaling ?? []) for (const cell of p.cells) for (const s of cell.sides) {
    if (s.median_ms !== null) dots.push({ sweep: p.sweep, sweepTitle: p.sweep_title, point: p.sweep === 'detector' ? p.label : String(p.value), variant: s.side, threads: cell.threads, evaluations: cell.evaluations, wall_ms: s.median_ms });
  }
  if (dots.length) {
    try {
      const { svg, png } = await renderSpec(scalingSpec(dots, sub));
      writeFileSync(join(out, 'scaling.svg'), svg); writeFileSync(join(out, 'scaling.png'), png);
      files.scaling = 'scaling.png';
    } catch (e) { files.errors.push(`scaling plot: ${(e as Error).message}`); }
  }
  return files;
}

function verdictOf(r: BenchResults): { verdict: BenchResults['verdict']; code: number } {
  if (r.failures.some((f) => f.kind === 'check')) return { verdict: 'fail', code: 1 };
  if (r.failures.some((f) => f.kind === 'run')) return { verdict: 'run failed', code: 3 };
  return { verdict: 'pass', code: 0 };
}

export async function main(argv: string[]): Promise<number> {
  let o: BenchOptions;
  try { o = parseBenchArgs(argv); } catch (e) {
    if (e instanceof BenchUsageError) { process.stderr.write(`bench: ${e.message}\n`); return 2; }
    throw e;
  }
  if (o.help) { process.stdout.write(USAGE); return 0; }
  const engine = resolveEngine(o.engine);
  const src = findCSource(o.cSource);
  if (!src) {
    const why = `no nanoBragg.c found (looked at ${candidates(o.cSource).join(', ')})`;
    const how = 'Put your nanoBragg.c at golden_suite_generator/nanoBragg.c, set NANOBRAGG_C=/path/to/nanoBragg.c, or pass --c-source PATH, and run again.';
    if (o.json) process.stdout.write(toJson({ schema: RESULTS_SCHEMA, measured: false, reason: why, how }));
    else process.stdout.write(`bench: NOTHING MEASURED: ${why}.\nThe benchmark times the engine against your C in one run, so without a C there is nothing to compare with; this is not a pass.\n${how}\n`);
    return 0;
  }
  const built = await buildC(src.path, { displayName: src.path });
  const launcher = timeLauncher();
  const out = resolve(o.out ?? join(projectRoot(), 'reports', 'bench', utcStamp()));
  mkdirSync(out, { recursive: true });
  const r: BenchResults = {
    schema: RESULTS_SCHEMA, complete: false, interrupted: false, started: new Date().toISOString(), finished: null,
    command: `npm run bench --${argv.length ? ' ' + argv.join(' ') : ''}`,
    machine: { ...machineInfo(), time_launcher: launcher, engine_env_drops: process.env.NODE_EXTRA_CA_CERTS !== undefined ? ['NODE_EXTRA_CA_CERTS'] : [] },
    c: {
      source: src.path, from: src.from, sha256: sha256(readFileSync(src.path)), compiled_text_sha256: built.sourceSha256, compiler: built.compiler,
      compiler_version: built.compilerVersion, flags: built.flags, build_command: built.command, binary: built.binary,
    },
    engine: { path: engine, git: gitState(dirname(engine)), libm: o.libm ?? null },
    settings: {
      runs: o.runs, threads: o.threads, variants: o.variants, cases: o.matrix ? o.cases : [], scaling: o.scaling, scaling_threads: o.scalingThreads, sweeps: o.scaling ? o.sweeps : [],
      idle_wait_s: o.idleWait, timeout_s: o.timeout, base_args: [...BASE_ARGS], fast_bounds: FAST_BOUNDS,
    },
    matrix: [], scaling: o.scaling ? [] : null, failures: [], verdict: 'incomplete', exit_code: null, files: [],
  };
  const save = () => writeFileSync(join(out, 'results.json'), toJson(r));
  const onSignal = (sig: NodeJS.Signals) => {
    killCurrent();
    progressDone();
    r.interrupted = true; r.finished = new Date().toISOString();
    try { save(); } catch { /* nothing more to do */ }
    process.stderr.write(`bench: interrupted (${sig}); what was measured is in ${out}/results.json\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal); process.once('SIGTERM', onSignal);

  const say = (text: string) => { progressDone(); if (!o.json) process.stdout.write(text); };
  say(`bench: ${relative(process.cwd(), src.path) || src.path} against ${relative(process.cwd(), engine) || engine}; ${o.runs} timed run${o.runs > 1 ? 's' : ''} per side after a warm-up, alternating; results in ${out}\n`);
  if (!launcher) say('bench: no GNU /usr/bin/time here: peak memory is not measured (null)\n');

  const cell = async (def: BenchCase, threads: number, full: boolean): Promise<Cell> => {
    progress(`(${def.id}) ${threadsLabel(threads)}: waiting for an idle machine`);
    const idle = o.idleWait > 0 ? await waitIdle(o.idleWait) : null;
    const stop = startLoad(idle);
    const res = await measureCell(def, {
      cBinary: built.binary, engine, libm: o.libm, variants: o.variants, threads, runs: o.runs,
      startup: full, json: full, timeoutMs: o.timeout * 1000, launcher, progress,
    });
    const c: Cell = { ...res, load: stop() };
    r.failures.push(...c.failures);
    return c;
  };

  if (o.matrix) {
    for (const id of o.cases) {
      const def = MATRIX.find((m) => m.id === id)!;
      const run: CaseRun = { id, label: def.label, args: [...BASE_ARGS, ...def.args], cells: [] };
      r.matrix.push(run);
      for (const t of o.threads) {
        const c = await cell(def, t, true);
        run.cells.push(c);
        say(cellText(run, c));
        save();
      }
    }
  }
  if (o.scaling) {
    for (const p of scalingPoints().filter((x) => o.sweeps.includes(x.sweep))) {
      const run = { id: p.id, label: p.label, args: [...BASE_ARGS, ...p.args], cells: [] as Cell[], sweep: p.sweep, sweep_title: SWEEP_TITLES[p.sweep], value: p.value };
      r.scaling!.push(run);
      for (const t of o.scalingThreads) {
        const c = await cell(p, t, false);
        run.cells.push(c);
        say(cellText(run, c));
        save();
      }
    }
  }
  progressDone();
  const v = verdictOf(r);
  r.verdict = v.verdict; r.exit_code = v.code; r.complete = true; r.finished = new Date().toISOString();
  const plots = await writePlots(r, out);
  for (const e of plots.errors) process.stderr.write(`bench: ${e}\n`);
  writeFileSync(join(out, 'results.md'), resultsMarkdown(r, plots));
  r.files = ['results.json', 'results.md', ...(plots.matrix ? ['matrix.svg', 'matrix.png'] : []), ...(plots.scaling ? ['scaling.svg', 'scaling.png'] : [])];
  save();
  if (o.json) process.stdout.write(toJson(r));
  else {
    process.stdout.write('\n' + summaryText(r));
    process.stdout.write(`bench: ${r.verdict.toUpperCase()} (exit ${v.code}); results: ${join(out, 'results.md')}\n`);
  }
  if (o.json) process.stderr.write(`bench: ${r.verdict} (exit ${v.code}); results in ${out}\n`);
  return v.code;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // a closed pipe (npm run bench | head) stops the printout, never the benchmark or its results folder
  for (const stream of [process.stdout, process.stderr]) stream.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'EPIPE') throw e; });
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e) => {
    progressDone();
    const m = (e as Error).message;
    process.stderr.write(`bench: ${e instanceof BenchUsageError ? m.split('\n')[0] : m}\n`);
    process.exitCode = exitCodeFor(e);
  });
}
