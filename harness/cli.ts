#!/usr/bin/env node
/**
 * nbparity: does the TypeScript engine match nanoBragg.c?
 * Exit codes: 0 pass, 1 a gate failed, 2 usage or input error, 3 a side crashed or timed out.
 */
import chalk from 'chalk';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayAll, type ReplayRow } from './replay.js';
import { CompileError, NoCSourceError } from './c/build.js';
import { InstrumentationError } from './c/instrument.js';
import { InputError, prepareC, runCompare, splitArgs, TraceIncompleteError, type CompareOptions, type PhiMode } from './compare/run.js';
import { PhiGridError } from './compare/traces.js';
import { SideFailedError, runSide } from './run/side.js';
import { parseTraces } from './trace/parse.js';
import { SchemaError } from './schemas/validate.js';
import { loadCases } from './reference/cases.js';

const HELP: Record<string, string> = {
  '': `usage: nbparity <command> [options] [-- <nanoBragg arguments>]

commands:
  compare   run your nanoBragg.c and the engine on the same arguments; traces, gates, evidence folder
  replay    the same against a recorded reference (traces/reference), no C needed
  trace     run one side on a traced pixel and show its parsed trace
  build     locate, instrument and compile your nanoBragg.c (cached)
  parity    the main job: replay every recorded reference image through the engine

Every command takes --help and --json. Exit codes: 0 pass, 1 a gate failed,
2 usage or input error, 3 a side crashed or timed out.
`,
  compare: `usage: nbparity compare [options] -- <nanoBragg arguments> [-trace_pixel S F] [--phi-carryover-mode spec|c-parity] [--dtype float64|float32]

Runs the C (instrumented copy, OMP_NUM_THREADS fixed) and the engine in fresh scratch
directories, compares their traces at one pixel and their images, and writes
reports/<initiative>/<YYYYMMDDTHHMMSSZ>/ (delta_metrics.json, comparison_summary.md, traces,
images, PNG previews, commands.txt, env.json, config_snapshot.json, sha256.txt).
Without -trace_pixel the engine's brightest pixel is traced.

options:
  --c-source PATH        nanoBragg.c (default: $NANOBRAGG_C, then golden_suite_generator/nanoBragg.c)
  --cc CC                compiler (default: $CC or cc)
  --cflags "FLAGS"       compile flags (default: -O2 -fopenmp; -lm is always added)
  --omp-threads N        OMP_NUM_THREADS for the C; the engine's c-parity mode emulates it (default 1)
  --timeout SEC          per side (default 600)
  --initiative NAME      reports/NAME/... (default adhoc)
  --reports DIR          root of the evidence folders (default reports/)
  --vg1 MODE:k=TOL,rot_b_y=TOL   VG-1 tolerances for a φ mode (repeatable; default 1e-6 for both in both modes)
  --divergence-rel TOL   relative tolerance of the first-divergence walk (default 1e-9)
  --json                 print delta_metrics.json on stdout
`,
  replay: `usage: nbparity replay --case ID [options] [-- --phi-carryover-mode spec|c-parity --dtype float64|float32]

Compares the engine with a recorded nanoBragg.c reference (traces/reference/ID): its image for
the φ mode (and --omp-threads), and its C trace. Writes the same evidence as compare.
Without --phi-carryover-mode both modes are replayed. --all lists every case as a quick
image table instead (no evidence).

options: --case ID (repeatable) | --all, --omp-threads N, --initiative NAME, --reports DIR,
         --vg1 ..., --divergence-rel TOL, --json
`,
  trace: `usage: nbparity trace [--side c|engine] [--c-source PATH] [--omp-threads N] -- <nanoBragg arguments> -trace_pixel S F

Runs one side with the pixel traced and prints the parsed trace (per-pixel quantities and
per-φ entries); --json prints the parsed trace (schema nbparity.trace/1).
`,
  build: `usage: nbparity build [--c-source PATH] [--cc CC] [--cflags "FLAGS"] [--json]

Finds your nanoBragg.c, instruments a copy for traces when it has none (the hoidn golden
fork is used as it is, with -DTRACING), compiles it and caches the binary by the sha256 of
the source, the compiler version and the flags.
`,
  parity: `usage: nbparity parity [--json]

The main job: every recorded nanoBragg.c image in traces/reference replayed through the
engine, one line per image; exit 1 if any fails the image gate.
`,
};

class UsageError extends Error { override name = 'UsageError'; }

interface Cli {
  command: string; help: boolean; json: boolean; rest: string[];
  cSource?: string; cc?: string; cflags?: string[]; omp?: number; timeout?: number; initiative?: string; reports?: string;
  vg1: NonNullable<CompareOptions['vg1']>; divergenceRel?: number; cases: string[]; all: boolean; side: 'c' | 'engine'; dtype: 'float64' | 'float32';
}

export function parseCli(argv: string[]): Cli {
  const o: Cli = { command: '', help: false, json: false, rest: [], vg1: {}, cases: [], all: false, side: 'c', dtype: 'float64' };
  const dd = argv.indexOf('--');
  const head = dd >= 0 ? argv.slice(0, dd) : argv;
  o.rest = dd >= 0 ? argv.slice(dd + 1) : [];
  for (let i = 0; i < head.length; i++) {
    const a = head[i];
    const value = () => { const v = head[++i]; if (v === undefined) throw new UsageError(`${a} needs a value`); return v; };
    const num = (min: number) => { const v = Number(value()); if (!Number.isFinite(v) || v < min) throw new UsageError(`${a} needs a number >= ${min}`); return v; };
    if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--json') o.json = true;
    else if (a === '--c-source') o.cSource = value();
    else if (a === '--cc') o.cc = value();
    else if (a === '--cflags') o.cflags = value().split(/\s+/).filter(Boolean);
    else if (a === '--omp-threads') { o.omp = num(1); if (!Number.isInteger(o.omp)) throw new UsageError('--omp-threads needs an integer'); }
    else if (a === '--timeout') o.timeout = num(1);
    else if (a === '--initiative') o.initiative = value();
    else if (a === '--reports') o.reports = value();
    else if (a === '--divergence-rel') o.divergenceRel = num(0);
    else if (a === '--case') o.cases.push(value());
    else if (a === '--all') o.all = true;
    else if (a === '--dtype') { const v = value(); if (v !== 'float64' && v !== 'float32') throw new UsageError(`--dtype expects float64 or float32`); o.dtype = v; }
    else if (a === '--side') { const v = value(); if (v !== 'c' && v !== 'engine') throw new UsageError(`--side expects c or engine`); o.side = v; }
    else if (a === '--vg1') {
      const m = /^(spec|c-parity):(.+)$/.exec(value());
      if (!m) throw new UsageError('--vg1 expects MODE:k=TOL,rot_b_y=TOL with MODE spec or c-parity');
      const t: Record<string, number> = {};
      for (const kv of m[2].split(',')) {
        const [k, v] = kv.split('=');
        const key = k === 'k' || k === 'k_frac' ? 'k_frac' : k === 'rot_b_y' || k === 'b' ? 'rot_b_y' : '';
        if (!key || !(Number(v) >= 0)) throw new UsageError(`--vg1: bad tolerance '${kv}' (use k=1e-6,rot_b_y=1e-6)`);
        t[key] = Number(v);
      }
      o.vg1[m[1] as PhiMode] = t;
    } else if (!a.startsWith('-') && !o.command) o.command = a;
    else throw new UsageError(`unknown option '${a}'`);
  }
  return o;
}

function exitCodeFor(e: unknown): number {
  if (e instanceof SideFailedError || e instanceof TraceIncompleteError) return 3;
  if (e instanceof PhiGridError) return 1;
  if (e instanceof UsageError || e instanceof InputError || e instanceof NoCSourceError || e instanceof InstrumentationError || e instanceof CompileError || e instanceof SchemaError) return 2;
  return 2;
}

function imageRow(r: ReplayRow): string {
  const d = r.diff;
  const key = `${r.mode}${r.threads > 1 ? '@' + r.threads : ''}`;
  return `${r.pass ? chalk.green('pass') : chalk.red('FAIL')}  ${r.case.padEnd(22)} ${key.padEnd(11)} identical ${(100 * d.identicalFraction).toFixed(3).padStart(7)}%  ` +
    `max ulp ${String(d.maxUlp).padStart(3)}  max rel ${d.maxRel.toExponential(1)}  corr ${d.correlation.toFixed(9)}  ${r.ms.toFixed(0)} ms`;
}

function progress(json: boolean): (s: string) => void {
  if (json || !process.stderr.isTTY) return () => undefined;
  return (s) => process.stderr.write(`\r\x1b[K${chalk.dim('…')} ${s}`);
}
const clearProgress = () => { if (process.stderr.isTTY) process.stderr.write('\r\x1b[K'); };

function printCompare(dir: string, m: Record<string, any>): void {
  const v = m.vg1;
  process.stdout.write(`${m.verdict.pass ? chalk.green('PASS') : chalk.red('FAIL')}  ${m.verdict.summary}\n`);
  process.stdout.write(`  VG-1 (${v.mode}): max |Δk_frac| ${v.k_frac.max_abs.toExponential(3)}, max |Δrot_b_y| ${v.rot_b_y.max_abs.toExponential(3)} Å (${v.rot_b_y.source})\n`);
  process.stdout.write(`  ${m.carryover.sentence}\n`);
  const f = m.image.full;
  process.stdout.write(`  image: ${(100 * f.identical_fraction).toFixed(4)}% bit-identical, max ${f.max_ulp} ulp, correlation ${f.correlation}, sum ratio ${f.sum_ratio}, peaks ${f.peaks.matched} matched (mean ${f.peaks.mean_distance.toFixed(2)} px)\n`);
  process.stdout.write(`  evidence: ${dir}\n`);
}

async function main(argv: string[]): Promise<number> {
  let o: Cli;
  try { o = parseCli(argv); } catch (e) { process.stderr.write(`nbparity: ${(e as Error).message}\n${HELP['']}`); return 2; }
  const known = ['compare', 'replay', 'trace', 'build', 'parity'];
  if (o.command && !known.includes(o.command)) { process.stderr.write(`nbparity: unknown command '${o.command}'\n${HELP['']}`); return 2; }
  if (o.help || !o.command) { (o.help ? process.stdout : process.stderr).write(HELP[o.command] ?? HELP['']); return o.help ? 0 : 2; }
  const out = (x: unknown) => process.stdout.write(JSON.stringify(x, null, 2) + '\n');
  try {
    switch (o.command) {
      case 'build': {
        const p = await prepareC({ cSource: o.cSource, cc: o.cc, cflags: o.cflags });
        const info = { source: p.source, source_sha256: p.originalSha256, dialect: p.dialect, instrumented: p.instrumented, binary: p.built.binary, cached: p.built.cached, compiler: p.built.compilerVersion, flags: p.built.flags, command: p.built.command };
        if (o.json) out(info);
        else process.stdout.write(`${p.source} (${p.dialect}${p.instrumented ? ', instrumented' : ''}) -> ${p.built.binary}${p.built.cached ? ' (cached)' : ''}\n  ${p.built.compilerVersion}, ${p.built.flags.join(' ')}\n`);
        return 0;
      }
      case 'trace': {
        const split = splitArgs(o.rest, process.cwd());
        if (!split.trace) throw new UsageError('trace needs -trace_pixel S F among the nanoBragg arguments');
        const dir = mkdtempSync(join(tmpdir(), 'nbparity-trace-'));
        const targs = [...split.nano, ...split.traces.flatMap(([s, f]) => ['-trace_pixel', String(s), String(f)]), '-floatfile', 'f.bin', '-intfile', 'i.img'];
        let run, text;
        if (o.side === 'c') {
          const p = await prepareC({ cSource: o.cSource, cc: o.cc, cflags: o.cflags });
          run = await runSide('C', [p.built.binary, ...targs], { cwd: dir, env: { OMP_NUM_THREADS: String(o.omp ?? 1) }, timeoutMs: (o.timeout ?? 600) * 1000, name: 'c' });
          text = () => readFileSync(run!.stdoutFile, 'utf8');
        } else {
          const { projectRoot } = await import('./c/build.js');
          const eng = [...Object.entries(split.engine).flat()];
          run = await runSide('TS', [process.execPath, join(projectRoot(), 'dist', 'src', 'cli', 'main.js'), ...targs, ...eng], { cwd: dir, timeoutMs: (o.timeout ?? 600) * 1000, name: 'ts' });
          text = () => readFileSync(run!.stdoutFile, 'utf8');
        }
        if (run.exitCode !== 0 || run.timedOut) throw new SideFailedError(run, readFileSync(run.stderrFile, 'utf8').slice(-2000));
        const traces = parseTraces(text(), o.side === 'c' ? 'c.stdout' : 'engine.stdout');
        if (o.json) { out(traces.length === 1 ? traces[0] : traces); return 0; }
        for (const t of traces) {
          const px = t.pixel ? `(${t.pixel.slow}, ${t.pixel.fast})` : `(${split.trace.join(', ')})`;
          process.stdout.write(`${t.side} trace of pixel ${px}: ${t.blocks.length} sub-pixel block(s), ${t.phi.length} per-φ entries\n`);
          for (const b of t.blocks.slice(0, 1)) for (const [k, v] of Object.entries(b.values)) process.stdout.write(`  ${k.padEnd(26)} ${v.join(' ')}\n`);
          for (const [k, v] of Object.entries(t.final)) process.stdout.write(`  ${k.padEnd(26)} ${v.join(' ')}\n`);
          for (const e of t.phi.filter((x) => x.block === 0 && x.source === 0 && x.mos_tic === 0)) process.stdout.write(`  φ step ${e.phi_tic}: phi_deg ${e.values.phi_deg?.[0]} k_frac ${e.values.k_frac?.[0]} F_latt ${e.values.F_latt?.[0]}\n`);
        }
        return 0;
      }
      case 'parity':
      case 'replay': {
        if (o.command === 'parity' || o.all || (o.command === 'replay' && o.cases.length === 0)) {
          if (o.command === 'replay' && !o.all) throw new UsageError('replay needs --case ID (or --all for the quick image table)');
          if (!o.json) process.stdout.write(`replaying recorded nanoBragg.c references (engine ${o.dtype})\n`);
          const rows = replayAll({ dtype: o.dtype, onRow: o.json ? undefined : (r) => process.stdout.write(imageRow(r) + '\n') });
          const failed = rows.filter((r) => !r.pass);
          if (o.json) out({ command: o.command, mode: 'replay', dtype: o.dtype, pass: failed.length === 0, rows });
          else process.stdout.write(`${rows.length - failed.length}/${rows.length} recorded images match the C ${failed.length ? chalk.red(`(${failed.length} failed)`) : chalk.green('(all pass)')}\n`);
          return failed.length ? 1 : 0;
        }
        const known = new Set(loadCases().map((c) => c.id));
        let worst = 0;
        const results = [];
        const hasMode = o.rest.some((a) => a.startsWith('--phi-carryover-mode'));
        for (const id of o.cases) {
          if (!known.has(id)) throw new InputError(`no recorded reference case '${id}' (known: ${[...known].join(', ')})`);
          for (const mode of hasMode ? [null] : ['c-parity', 'spec']) {
            const args = mode ? [...o.rest, '--phi-carryover-mode', mode] : o.rest;
            const r = await runCompare({ args, replayCase: id, ompThreads: o.omp, initiative: o.initiative, reportsRoot: o.reports, vg1: o.vg1, divergenceRel: o.divergenceRel, onProgress: progress(o.json), invocation: ['nbparity', ...argv] });
            clearProgress();
            results.push({ case: id, dir: r.dir, metrics: r.metrics });
            if (!o.json) { process.stdout.write(`${id} (${r.metrics.run.engine.phi_mode}):\n`); printCompare(r.dir, r.metrics); }
            worst = Math.max(worst, r.exitCode);
          }
        }
        if (o.json) out(results.map((r) => ({ case: r.case, evidence: r.dir, delta_metrics: r.metrics })));
        return worst;
      }
      case 'compare': {
        if (o.rest.length === 0) throw new UsageError('compare needs the nanoBragg arguments after --');
        const r = await runCompare({ args: o.rest, cSource: o.cSource, cc: o.cc, cflags: o.cflags, ompThreads: o.omp, timeoutSec: o.timeout, initiative: o.initiative, reportsRoot: o.reports, vg1: o.vg1, divergenceRel: o.divergenceRel, onProgress: progress(o.json), invocation: ['nbparity', ...argv] });
        clearProgress();
        if (o.json) out({ evidence: r.dir, delta_metrics: r.metrics });
        else printCompare(r.dir, r.metrics);
        return r.exitCode;
      }
    }
    return 2;
  } catch (e) {
    clearProgress();
    process.stderr.write(`nbparity ${o.command}: ${(e as Error).message}\n`);
    return exitCodeFor(e);
  }
}

// a closed pipe (nbparity ... | head) ends the output quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); throw e; });
main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e) => { process.stderr.write(`nbparity: ${(e as Error).stack ?? e}\n`); process.exitCode = 2; });
