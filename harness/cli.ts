#!/usr/bin/env node
/**
 * nbparity: does the TypeScript engine match nanoBragg.c?
 * Exit codes: 0 pass, 1 a gate failed, 2 usage or input error, 3 a side crashed or timed out.
 */
import chalk from 'chalk';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { replayAll, type ReplayRow } from './replay.js';
import { againstLine, prepareC, resolveCaseDir, runCompare, splitArgs, type CompareOptions, type PhiMode } from './compare/run.js';
import { SideFailedError, runSide } from './run/side.js';
import { installSignalHandlers, makeScratch, removeScratch } from './run/lifecycle.js';
import { parseTraces } from './trace/parse.js';
import { checkComplete } from './trace/complete.js';
import { runSweep } from './sweep/run.js';
import { runSuite } from './suite/run.js';
import { mergeShards } from './suite/merge.js';
import { parseShard } from './suite/shard.js';
import { loadFactors, pairwiseCsv } from './suite/pairwise.js';
import { projectRoot } from './c/build.js';
import { checkFolder, findFolders } from './evidence/dir.js';
import { clip, exitCodeFor, InputError, type ContractError } from './contract.js';
import { writeFileAtomic } from '../src/index.js';
import { fingerprint, fingerprintLine, type Fingerprint } from './fingerprint/run.js';
import { replayRecord, toRecord } from './fingerprint/record.js';
import { readdirSync } from 'node:fs';
import { distance as levenshtein } from 'fastest-levenshtein';
import { ENGINE_OPTION_NAMES } from '../src/config/argv.js';
import { loadSuite } from './suite/table.js';
import { engineCli, gitCommit, toolVersion } from './env.js';

/** nbparity fingerprint: one build (cached), a record of it, or replays of records */
async function fingerprintCommand(o: Cli): Promise<number> {
  const show = (fp: Fingerprint, head: string) => {
    process.stdout.write(`${head}\n${fingerprintLine(fp)}\n`);
    for (const e of fp.entries) {
      const mark = e.verdict === 'has' ? chalk.yellow('has    ') : e.verdict === 'fixes' ? chalk.green('fixes  ') : chalk.dim('unknown');
      process.stdout.write(`  ${mark} ${e.id.padEnd(20)} ${e.detail}\n`);
    }
  };
  if (o.replayRecords.length) {
    if (o.cSource || o.record) throw new UsageError('--replay-record decides recorded builds again without a C: it takes no --c-source or --record');
    let worst = 0;
    const all = [];
    for (const f of o.replayRecords) {
      const r = await replayRecord(f, { timeoutSec: o.timeout });
      all.push({ record: f, label: r.record.label, same: r.same, differences: r.differences, fingerprint: r.fp });
      if (!o.json) {
        show(r.fp, `${r.record.label}: ${r.record.provenance.repo} ${r.record.provenance.ref} (${r.record.provenance.commit.slice(0, 12)}), ${r.record.provenance.path}, sha256 ${r.record.provenance.c_sha256.slice(0, 16)}…`);
        process.stdout.write(r.same ? `  ${chalk.green('same as recorded')}\n` : `  ${chalk.red('DIFFERS from the record')}: ${r.differences.join('; ')}\n`);
      }
      if (!r.same) worst = 1;
    }
    if (o.json) process.stdout.write(JSON.stringify(all, null, 2) + '\n');
    return worst;
  }
  const r = await fingerprint({ cSource: o.cSource, cc: o.cc, cflags: o.cflags, refresh: o.refresh, timeoutSec: o.timeout, onProgress: o.json || !process.stderr.isTTY ? undefined : progress(false) });
  clearProgress();
  let recorded: string | null = null;
  if (o.record) {
    const p = o.provenance ?? {};
    const missing = ['repo', 'ref', 'commit', 'path'].filter((k) => !p[k]);
    if (missing.length) throw new UsageError(`--record needs --provenance with ${missing.join(', ')} (where the C comes from)`);
    const rec = toRecord(r.fp, o.record, { repo: p.repo, ref: p.ref, commit: p.commit, path: p.path });
    recorded = join(projectRoot(), 'traces', 'fingerprints', `${o.record}.json`);
    writeFileAtomic(recorded, JSON.stringify(rec, null, 2) + '\n');
  }
  if (o.json) { process.stdout.write(JSON.stringify({ fingerprint: r.fp, cached: r.cached, file: r.file, record: recorded }, null, 2) + '\n'); return 0; }
  show(r.fp, `${r.fp.c.source} (sha256 ${r.fp.c.source_sha256.slice(0, 16)}…, ${r.fp.c.dialect}), ${r.cached ? `cached: ${r.file}` : `${(r.fp.wall_ms / 1000).toFixed(1)} s${r.file ? `, kept in ${r.file}` : ''}`}`);
  if (recorded) process.stdout.write(`recorded: ${recorded}\n`);
  return 0;
}

/** One plain line per finished suite test (no TTY): `ok  case[mode] 1.2 s`, `known-diff case[mode]: …`, `REGRESSED case[mode]: …`. */
function testLine(test: string, outcome: string, r: { message?: string; wall_ms: number }): string {
  const msg = clip((r.message ?? '').split('\n')[0], 300);
  if (outcome === 'ok') return `ok  ${test} ${(r.wall_ms / 1000).toFixed(1)} s\n`;
  if (outcome === 'known-diff' || outcome === 'skipped') return `${outcome} ${test}: ${msg}\n`;
  return `${outcome.toUpperCase()} ${test}: ${msg}\n`;
}

/** nbparity merge DIR...: shard folders into one report (harness/suite/merge.ts). */
async function mergeCommand(o: Cli): Promise<number> {
  const r = await mergeShards({ dirs: o.suiteArgs ?? [], reportsRoot: o.reports, ledger: o.ledger, driftFactor: o.driftFactor, failOnDrift: o.failOnDrift, keep: o.keep, noLedger: o.noLedger });
  const s = r.summary, c = s.counts;
  if (o.json) { process.stdout.write(JSON.stringify({ report: r.dir, suite_summary: s }, null, 2) + '\n'); return r.exitCode; }
  process.stdout.write(`merged ${s.merged_from.length} shards of suite ${s.suite}: ${s.merged_from.map((m: { k: number; tests: number; wall_ms: number }) => `${m.k}: ${m.tests} tests ${(m.wall_ms / 1000).toFixed(1)} s`).join(', ')}\n`);
  for (const t of s.results.filter((x: { outcome: string }) => x.outcome !== 'ok')) process.stdout.write(testLine(t.test, t.outcome, t));
  for (const f of s.drift.flags) process.stdout.write(`drift ${f.test}: ${f.kind}: ${f.detail}\n`);
  process.stdout.write(`${c.total} tests: ${c.ok} ok, ${c.known_diff} known-diff, ${c.regressed} regressed, ${c.unexpected_pass} unexpected pass, ${c.error} error, ${c.c_unreproducible} C not reproducible, ${c.skipped} skipped (${s.against})\n`);
  process.stdout.write(`report: ${join(r.dir, 'index.html')}${exitNote(r.exitCode, s, o.failOnDrift)}\n`);
  return r.exitCode;
}

/** Why a suite or merge ends non-zero, after the report's path: " (exit 1: 2 regressed, 7 drift flags with --fail-on-drift)". */
function exitNote(code: number, s: Record<string, any>, failOnDrift?: boolean): string {
  if (!code) return '';
  const c = s.counts;
  const why = [
    ...(['regressed', 'unexpected_pass', 'libm_limited', 'error', 'c_unreproducible'] as const).filter((k) => c[k]).map((k) => `${c[k]} ${k.replace(/_/g, ' ').replace('c unreproducible', 'C not reproducible')}`),
    // new tests are drift the report shows but --fail-on-drift does not count (driftExit)
    ...((n) => (failOnDrift && n ? [`${n} drift flag${n > 1 ? 's' : ''} with --fail-on-drift`] : []))(s.drift.flags.filter((f: { kind: string }) => f.kind !== 'new-test').length),
  ];
  return ` (exit ${code}${why.length ? `: ${why.join(', ')}` : ''})`;
}

/** nbparity suite / parity */
async function suiteCommand(o: Cli, argv: string[]): Promise<number> {
  const file = suiteFile(o.suiteArgs![0]); // a file, or NAME of harness/suites/NAME.csv; else the suites there, nearest first
  checkSuiteCases(file, o.cases);
  let bar: cliProgress.SingleBar | null = null;
  const r = await runSuite({
    suite: file, mode: o.liveMode ?? 'auto', cSource: o.cSource, noFingerprint: o.noFingerprint, cc: o.cc, cflags: o.cflags, concurrency: o.concurrency, timeoutSec: o.timeout,
    reportsRoot: o.reports, ledger: o.ledger, driftFactor: o.driftFactor, only: o.cases.length ? o.cases : undefined,
    shard: o.shard !== undefined ? parseShard(o.shard) : undefined, noLedger: o.noLedger, failOnDrift: o.failOnDrift, keep: o.keep, compress: o.compress,
    onStart: (total, _mode, against) => {
      if (!o.json) process.stdout.write(`suite ${file}: ${total} tests, ${against}\n`);
      if (!o.json && process.stderr.isTTY) { bar = new cliProgress.SingleBar({ stream: process.stderr, format: ' {bar} {value}/{total} {test}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic); bar.start(total, 0, { test: '' }); }
    },
    onTest: (done, _total, test, outcome, res) => {
      if (bar) (bar as cliProgress.SingleBar).update(done, { test: `${test}: ${outcome}` });
      else if (!o.json) process.stdout.write(testLine(test, outcome, res)); // CI logs: one plain line per finished test
    },
  });
  if (bar) (bar as cliProgress.SingleBar).stop();
  const s = r.summary, c = s.counts;
  if (o.json) { process.stdout.write(JSON.stringify({ report: r.dir, suite_summary: s }, null, 2) + '\n'); return r.exitCode; }
  for (const t of s.results.filter((x: { outcome: string }) => x.outcome !== 'ok')) {
    const color = t.outcome === 'known-diff' || t.outcome === 'skipped' ? chalk.yellow : chalk.red;
    process.stdout.write(`  ${color(t.outcome.padEnd(16))} ${t.test}: ${clip(t.message ?? '', 240)}\n`);
  }
  for (const f of s.drift.flags.slice(0, 12)) process.stdout.write(`  ${chalk.red('drift')}          ${f.test}: ${f.kind}: ${f.detail}\n`);
  if (s.drift.flags.length > 12) process.stdout.write(`  ${chalk.red('drift')}          … ${s.drift.flags.length - 12} more in the report\n`);
  process.stdout.write(`${c.total} tests: ${chalk.green(`${c.ok} ok`)}, ${c.known_diff} known-diff, ${c.regressed ? chalk.red(`${c.regressed} regressed`) : '0 regressed'}, ${c.unexpected_pass} unexpected pass, ${c.error} error, ${c.c_unreproducible} C not reproducible, ${c.skipped} skipped; ${(s.wall_ms / 1000).toFixed(1)} s (${s.against})\n`);
  process.stdout.write(`report: ${join(r.dir, 'index.html')}${exitNote(r.exitCode, s, o.failOnDrift)}\n`);
  return r.exitCode;
}
import cliProgress from 'cli-progress';

/** On a TTY, one line per step of the sweep (C, each cell, report) with its state. */
function sweepDisplay(json: boolean): { step: (name: string, state: 'start' | 'done' | 'failed', detail?: string) => void; stop: () => void } {
  if (json || !process.stderr.isTTY) return { step: () => undefined, stop: () => undefined };
  const multi = new cliProgress.MultiBar({ stream: process.stderr, format: ' {bar} {name} {state}', barsize: 12, hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
  const bars = new Map<string, cliProgress.SingleBar>();
  let stopped = false;
  return {
    step(name, state, detail) {
      let b = bars.get(name);
      if (!b) { b = multi.create(1, 0, { name: name.padEnd(16), state: '' }); bars.set(name, b); }
      b.update(state === 'start' ? 0 : 1, { state: state === 'start' ? 'running' : state === 'done' ? `done ${detail ?? ''}` : 'FAILED' });
    },
    stop() { if (!stopped) { stopped = true; multi.stop(); } },
  };
}

const HELP: Record<string, string> = {
  '': `usage: nbparity <command> [options] [-- <nanoBragg arguments>]

commands:
  compare   run your nanoBragg.c and the engine on the same arguments; traces, gates, evidence folder
  replay    the same against a recorded reference (traces/reference), no C needed
  trace     run one side on a traced pixel and show its parsed trace
  build     locate, instrument and compile your nanoBragg.c (cached)
  sweep     float32/float64 × φ-mode cells against one C run: is a gap roundoff or logic?
  suite     run a table of cases (CSV/JSONL): one verdict, a report, JUnit, a ledger row per test
  merge     one report (and one ledger append) from the shard folders of suite --shard K/N
  parity    the main job: the smoke suite, live with your nanoBragg.c, replayed without it
  verify    re-check evidence folders: state and sha256 seal (incomplete, interrupted, tampered)
  fingerprint  which entries of the quirk catalogue your C build has, fixes, or could not be told

nbparity help [COMMAND] (or COMMAND --help): what it does and every option; nbparity --version.
Engine options (--phi-carryover-mode, --quirk, --quirks, --dtype, --libm, --c-threads) go after --.
Every command takes --help and --json. Exit codes (README, "The exit-code contract"):
  0 pass (complete, finite, verified evidence; every gate passes)   1 a gate failed
  2 usage or input error (incl. a configured C that is missing, compile or instrumentation
    errors, a corrupt recorded reference, evidence that cannot be written)
  3 a side failed (crash, timeout, non-zero exit, missing or short output, malformed or
    incomplete trace, C output not reproducible)
  130/143 interrupted (SIGINT/SIGTERM): the evidence folder is marked interrupted
`,
  compare: `usage: nbparity compare [options] -- <nanoBragg arguments> [-trace_pixel S F] [--quirk ID=c|fixed ...] [--quirks c|fixed] [--phi-carryover-mode spec|c-parity] [--dtype float64|float32] [--libm system|cr|v8]
       nbparity compare [--c-source A] --against-c B [options] -- <nanoBragg arguments> [-trace_pixel S F]

Runs the C (instrumented copy, OMP_NUM_THREADS fixed) and the engine in fresh scratch
directories, compares their traces at one pixel and their images, and writes
reports/<initiative>/<YYYYMMDDTHHMMSSZ>/ (delta_metrics.json, comparison_summary.md, traces,
images, PNG previews, commands.txt, env.json, config_snapshot.json, sha256.txt).
Without -trace_pixel the engine's brightest pixel is traced.

The engine uses this machine's C library for its math functions (--libm system, the C's own
libm) unless --libm is given. Both sides log their math calls at the traced pixel; when a gate
fails, the verdict says whether the math library is the cause: libm-limited (the same argument
gave different bits, and with --libm system every gate passes), not-libm, or undetermined.

The C build is fingerprinted first (nbparity fingerprint; seconds, then cached with the build):
the engine emulates every catalogue entry the build has and fixes every entry it fixes, unless
the arguments set it (--quirk ID=c|fixed, --quirks c|fixed, --phi-carryover-mode), and every
report says "this C build has: ...; fixes: ..." and the engine's profile. --no-fingerprint
leaves every entry at the engine's default (C-PARITY-001 fixed, the others as the C has them).

C against C (--against-c B): a second nanoBragg.c, build B, takes the engine's part against
build A (--c-source, or its default). Both are located, instrumented and compiled (cached) and
run on the same arguments, the same traced pixel (without -trace_pixel: the brightest pixel of
a build A pre-run) and the same OMP_NUM_THREADS; their traces are paired by loop indices and
judged, and their images compared, with the same gates, first divergence and evidence
(run.mode "c-vs-c"; build A's files a.*, build B's b.*). No engine runs: engine-only options
(--dtype, --libm, --phi-carryover-mode, --c-threads) and replay are refused (exit 2). The libm
verdict does not apply (both builds call this machine's C library) and says so. Build B
missing, empty, not C or not instrumentable: exit 2 naming it; build B crashing: exit 3.

options:
  --c-source PATH        nanoBragg.c (default: $NANOBRAGG_C, then golden_suite_generator/nanoBragg.c);
                         with --against-c: build A, the reference
  --against-c PATH       C against C: compare this second nanoBragg.c (build B) with build A
  --no-fingerprint       do not fingerprint the C build (see above)
  --cc CC                compiler (default: $CC or cc)
  --cflags "FLAGS"       compile flags (default: -O2 -fopenmp; -lm is always added)
  --omp-threads N        OMP_NUM_THREADS for the C (both builds with --against-c); the engine's
                         c-parity mode emulates it (default 1)
  --timeout SEC          per side (default 600)
  --initiative NAME      reports/NAME/... (default adhoc)
  --reports DIR          root of the evidence folders (default reports/)
  --vg1 MODE:k=TOL,rot_b_y=TOL   VG-1 tolerances for a φ mode (repeatable; default 1e-6 for both in both modes;
                         --against-c uses spec's)
  --divergence-rel TOL   relative tolerance of the first-divergence walk (default 1e-9)
  --repeat-c N|auto      run the C N times and require identical outputs, else "C output not
                         reproducible" (exit 3); auto: 2 when --omp-threads > 1 and interpolation
                         is on (default 1; suites use auto); --against-c: each build, auto 2 when
                         --omp-threads > 1
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
  sweep: `usage: nbparity sweep [--dtypes float32,float64] [--modes spec,c-parity] [--pixels "S,F;S,F"] [--allow-logic-limited] [options] -- <nanoBragg arguments>

Runs the C once (float64, instrumented, all pixels traced, OMP_NUM_THREADS fixed) and the
engine in every dtype × φ-mode cell (in parallel, up to the number of cores), then per
quantity and mode gives a verdict with the ratio r = Δ(float32)/Δ(float64) that decides it:
  clean              both dtypes within tolerance
  precision-limited  r >= 10: float64 shrinks the gap by an order of magnitude: float32 roundoff
  logic-limited      r < 10: the gap stays at the same order in float64: the computation differs
Differences are absolute for fractional hkl and rotated vectors, relative otherwise; the
tolerance is 1e-6 (--tol-abs, --tol-rel). Writes reports/<initiative>/<stamp>/ with
dtype_sweep.json (schema nbparity.dtype_sweep/1), summary.md, per-cell evidence, plots of
|Δ| per φ step (log axis) and float32-vs-float64 image differences.

Traced pixels: --pixels, else -trace_pixel among the nanoBragg arguments, else (as compare does)
the brightest pixel of an engine pre-run with the C build's quirks; the output says which.
Exit: 0 when no verdict is logic-limited, 1 when one is (more precision will not close the gap),
unless --allow-logic-limited (exit 0 then, the verdicts unchanged); 2 usage, 3 a side failed.

The C build is fingerprinted (nbparity fingerprint): every quirk-catalogue entry but the φ mode
(the cells' --modes) is set as the build has it, unless --quirk/--quirks among the arguments set
it; --no-fingerprint leaves them at the engine's default.

options: --c-source PATH, --case ID (replay against a recorded reference instead of a C),
         --omp-threads N, --timeout SEC, --concurrency N, --initiative NAME (default sweep),
         --reports DIR, --vg1 MODE:k=TOL,rot_b_y=TOL, --tol-abs X, --tol-rel X, --no-fingerprint,
         --allow-logic-limited (exit 0 even when a verdict is logic-limited), --json
`,
  suite: `usage: nbparity suite SUITE.csv|SUITE.jsonl|NAME [options]
       nbparity suite generate FACTORS.json [-o SUITE.csv]

Runs every case of a suite (harness/suites/NAME.csv for a bare NAME) through compare, in each
of its φ modes, with bounded concurrency; live when a nanoBragg.c is present (built once),
replay against traces/reference otherwise. Writes reports/<suite>/<stamp>/ with a folder of
evidence per test, suite_summary.json (schema nbparity.suite_summary/1), summary.md, junit.xml
and index.html (static: sortable table, a page per test), and appends one row per test to
reports/ledger.csv; drift against the previous run of the same suite against the same C (verdict flips, metrics
moved by more than --drift-factor, default 10) is flagged in the report.
Exit: 0 every case meets its expected verdict, 1 any regressed, 2 suite errors.

Columns (empty = default): id, args, tags, pixels ("S,F;S,F"), modes ("c-parity;spec"),
dtype (float64), omp_threads (1), min_correlation (0.9999999), min_identical (0.999), ulp_tol (2),
rel_tol (1e-6), sum_ratio_min, sum_ratio_max, max_abs, vg1_k (1e-6), vg1_rot_b (1e-6),
expect ("pass", "known-diff" or per mode "spec:known-diff"), reason, ref (recorded case for replay).
Input paths in args are relative to the suite file.

generate: writes a pairwise covering array (every pair of levels of every two factors in
some case) from a factor file; see harness/suites/pairwise.factors.json.

Live, the C build is fingerprinted once (nbparity fingerprint): each test's engine gets the
build's quirk profile (the case's φ mode and any --quirk in its args win), a known-diff may name
any switchable catalogue entry, and the fingerprint says whether the build has it
(--no-fingerprint: every entry at the engine default).

options: --case ID (repeatable), --live | --replay, --c-source PATH, --concurrency N, --timeout SEC,
         --reports DIR, --ledger FILE, --drift-factor X, --no-fingerprint, --json, -o FILE (generate),
         --shard K/N, --no-ledger, --fail-on-drift, --keep N, --compress

Scale out (README, "Nightly parity in CI"): --shard K/N runs shard K (1-based) of a deterministic
split of the tests balanced by past wall times in the ledger (else a work estimate from the
args); it writes reports/<suite>-shardKofN/<stamp>/ (suite_summary.json has 'shard': the split)
and appends no ledger row: nbparity merge does, once. --no-ledger: no ledger row, no drift.
--fail-on-drift: drift (a verdict flip, a metric beyond the factor, a test gone) is exit 1.
--keep N: keep the newest N complete report folders of this suite, delete older complete ones.
--compress: store each test's float images gzipped (X.bin.gz; links and seals follow).
Without a TTY, one line per finished test on stdout (ok/known-diff/REGRESSED ...), none with --json.
`,
  merge: `usage: nbparity merge SHARD_DIR... [--reports DIR] [--ledger FILE] [--fail-on-drift] [--keep N] [--json]

Makes one report folder, reports/<suite>/<stamp>/, from the folders of every shard of one
sharded suite run (nbparity suite NAME --shard K/N, K = 1..N): suite_summary.json with the
results in suite order, junit.xml, summary.md, index.html and the per-test evidence (copied),
as an unsharded run would; appends the ledger once and computes drift once.
Fails closed, exit 2 naming the folder: a folder not sealed and complete or whose seal does not
verify, a folder that is not a shard report, shards of different suites, C builds or splits, a
shard given twice or missing.
Exit: as suite's (0, 1 regressions or --fail-on-drift drift, 2, 3).

options: --reports DIR, --ledger FILE, --drift-factor X, --fail-on-drift, --no-ledger, --keep N, --json
`,
  verify: `usage: nbparity verify DIR... [--json]

Re-checks every evidence folder at or below each DIR: its state.json (incomplete, complete,
failed, interrupted) and its sha256.txt seal (files changed, missing, or added after sealing).
One line per folder: complete (sealed, intact, the run reached a verdict), incomplete (never
sealed, or sealed as failed or interrupted: the evidence is not a verdict), TAMPERED (the seal
does not match). Exit 0 when every folder is complete, 1 otherwise, 2 when a DIR does not exist
or holds no evidence folder.
`,
  fingerprint: `usage: nbparity fingerprint [--c-source PATH] [--cc CC] [--cflags "FLAGS"] [--refresh] [--json]
       nbparity fingerprint --c-source PATH --record LABEL --provenance repo=R,ref=REF,commit=SHA,path=P
       nbparity fingerprint --replay-record traces/fingerprints/LABEL.json [--replay-record ...] [--json]

Runs each entry's probe of the quirk catalogue (nanobragg-ts --list-quirks: tiny detectors,
seconds in all) on your nanoBragg.c as you wrote it (not instrumented; OMP_NUM_THREADS=1, 2
for the race probe, run five times) and on the engine with the entry as the C has it and
fixed. Per entry: has (bit-identical to the engine's c state and not its fixed one), fixes
(the opposite), or could not tell, with the reason (the probe does not separate the states,
the C matches neither, its probes disagree; a race not seen proves nothing). The result is
cached with the compiled build; compare, sweep and suite use it to set the engine's profile.

--record writes traces/fingerprints/LABEL.json: the C's outcome on every probe (image sha256
or how it failed) with provenance. --replay-record decides a record again with this engine, without
the C; exit 1 when the verdicts differ from the recorded ones.
`,
  parity: `usage: nbparity parity [--c-source PATH] [--live | --replay] [--reports DIR] [--json]

The main job: the smoke suite (harness/suites/smoke.csv), live when a nanoBragg.c is present,
replayed against the recorded references otherwise. Prints the report's path.
`,
};

class UsageError extends InputError { override name = 'UsageError'; }
/** where the options end (the '--' before the nanoBragg arguments) */
const dd = (argv: string[]) => { const i = argv.indexOf('--'); return i < 0 ? argv.length : i; };

// ---- a CLI that helps: did-you-mean, misplaced engine options, usage of the command at hand ----

/** A usage error of one command: `usage` adds that command's usage lines under the message. */
class CliUsageError extends UsageError {
  constructor(message: string, readonly command: string, readonly usage = false) { super(message); }
}
/** every command (each has its help text), and help */
const commandNames = () => [...Object.keys(HELP).filter(Boolean), 'help'];
/** the commands whose nanoBragg arguments (and engine options) come after `--` */
const TAKES_NANO_ARGS = ['compare', 'replay', 'trace', 'sweep'];

/** `candidates` nearest to `word` first (Levenshtein, ties alphabetical). */
export function nearestFirst(word: string, candidates: string[]): string[] {
  const d = new Map(candidates.map((c) => [c, levenshtein(word.toLowerCase(), c.toLowerCase())]));
  return [...new Set(candidates)].sort((a, b) => d.get(a)! - d.get(b)! || a.localeCompare(b));
}
/** The one candidate close enough to be what `word` meant (a typo: a third of its letters; or a prefix), else null. */
export function didYouMean(word: string, candidates: string[]): string | null {
  const bare = (s: string) => s.replace(/^-+/, '').toLowerCase();
  const w = bare(word);
  if (!w) return null;
  const best = nearestFirst(w, candidates.map(bare));
  const found = (b: string) => candidates.find((c) => bare(c) === b) ?? null;
  if (best.length && levenshtein(w, best[0]) <= Math.max(1, Math.floor(w.length / 3))) return found(best[0]);
  const prefixed = candidates.filter((c) => bare(c).startsWith(w));
  return w.length >= 3 && prefixed.length === 1 ? prefixed[0] : null;
}
const meant = (s: string | null) => (s ? `; did you mean '${s}'?` : '');

/** The options a command's help names (those first), then every other command's. */
function optionNames(command: string): string[] {
  const of = (t: string) => [...t.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*|-o)\b/g)].map((m) => m[1]);
  const own = of(HELP[command] ?? '');
  const all = Object.values(HELP).flatMap(of);
  const engine = new Set(ENGINE_OPTION_NAMES);
  return [...new Set([...own, ...all, '--help', '--json', '--version'])].filter((n) => !engine.has(n) || HARNESS_TOO.has(n));
}
/** engine options that are also an option of the harness somewhere (--dtype of replay --all) */
const HARNESS_TOO = new Set(['--dtype']);

/** An option the parser does not know: did you mean, an engine option before `--`, a nanoBragg argument before `--`. */
function unknownOption(a: string, command: string, next: string | undefined): CliUsageError {
  const name = a.startsWith('--') && a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
  const where = command || 'compare';
  if (ENGINE_OPTION_NAMES.includes(name)) {
    const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : next !== undefined && !next.startsWith('-') ? next : '';
    const example = `${name}${value ? ` ${value}` : ''}`;
    if (!TAKES_NANO_ARGS.includes(where)) return new CliUsageError(`${name} is an engine option, and nbparity ${command} takes none${command === 'suite' || command === 'parity' ? ' (a suite case sets them in its args column)' : ''}`, command);
    return new CliUsageError(`${name} is an engine option: put it after -- (nbparity ${where} [options] -- <nanoBragg arguments> ${example})`, command);
  }
  if (/^-[A-Za-z]/.test(a) && !a.startsWith('--') && TAKES_NANO_ARGS.includes(where)) {
    return new CliUsageError(`${a} is not an option of nbparity ${where}; if it is a nanoBragg argument, put it after -- (nbparity ${where} [options] -- <nanoBragg arguments>)`, command, true);
  }
  if (name !== a && optionNames(command).includes(name)) return new CliUsageError(`${a}: write ${name} ${a.slice(name.length + 1)} (a space, not =)`, command);
  const s = a.startsWith('-') ? didYouMean(name, optionNames(command)) : null;
  const label = a.startsWith('-') ? 'option' : 'argument';
  return new CliUsageError(`unknown ${label} '${a}'${meant(s)}`, command, !s);
}

/** The usage lines of a command (its help up to the first blank line), or the list of commands. */
function usageOf(command: string): string {
  if (!command || !HELP[command]) return HELP[''].split('\n\n').slice(0, 2).join('\n\n') + '\n\nnbparity help COMMAND: what a command does and every option it takes\n';
  return `${HELP[command].split('\n\n')[0]}\n(nbparity help ${command}: every option)\n`;
}

/** A recorded reference case by id or folder, or a usage error naming the nearest ids. */
function checkCase(id: string): void {
  if (existsSync(join(id, 'case.json')) || existsSync(join(projectRoot(), 'traces', 'reference', id, 'case.json'))) return;
  const dir = join(projectRoot(), 'traces', 'reference');
  const ids = existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, 'case.json'))) : [];
  throw new CliUsageError(`no recorded reference case '${id}'${meant(didYouMean(id, ids))} (cases: ${nearestFirst(id, ids).join(', ')})`, '');
}

/** A suite by file or bare NAME (harness/suites/NAME.csv|jsonl), or a usage error listing the suites, nearest first. */
function suiteFile(arg: string): string {
  if (existsSync(arg)) return arg;
  const dir = join(projectRoot(), 'harness', 'suites');
  for (const ext of ['.csv', '.jsonl']) if (/^[A-Za-z0-9_-]+$/.test(arg) && existsSync(join(dir, arg + ext))) return join(dir, arg + ext);
  const names = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(csv|jsonl)$/.test(f)).map((f) => f.replace(/\.(csv|jsonl)$/, '')) : [];
  const bare = arg.replace(/^.*\//, '').replace(/\.(csv|jsonl)$/, '');
  throw new CliUsageError(`no suite '${arg}'${meant(didYouMean(bare, names))} (suites in harness/suites: ${nearestFirst(bare, names).join(', ')}; or a path to a .csv/.jsonl)`, 'suite');
}

/** Every --case of a suite run names a case of the suite, or a usage error with the nearest ids. */
function checkSuiteCases(file: string, cases: string[]): void {
  if (!cases.length) return;
  let ids: string[];
  try { ids = loadSuite(file).cases.map((c) => c.id); } catch { return; } // the suite's own error comes from the run
  const bad = cases.find((c) => !ids.includes(c));
  if (bad) throw new CliUsageError(`no case '${bad}' in ${file}${meant(didYouMean(bad, ids))} (cases: ${nearestFirst(bad, ids).slice(0, 12).join(', ')}${ids.length > 12 ? `, … ${ids.length - 12} more` : ''})`, 'suite');
}

/** nbparity --version: the package version, and the git commit when this is a checkout */
function versionLine(): string {
  const g = gitCommit();
  return `nbparity ${toolVersion()}${g.commit !== 'unknown' ? ` (git ${g.commit.slice(0, 12)}${g.dirty ? ', with uncommitted changes' : ''})` : ''}\n`;
}

interface Cli {
  command: string; help: boolean; json: boolean; rest: string[];
  cSource?: string; againstC?: string; cc?: string; cflags?: string[]; omp?: number; timeout?: number; initiative?: string; reports?: string; repeatC?: number | 'auto';
  vg1: NonNullable<CompareOptions['vg1']>; divergenceRel?: number; cases: string[]; all: boolean; side: 'c' | 'engine'; dtype: 'float64' | 'float32';
  suiteArgs?: string[]; noFingerprint?: boolean; refresh?: boolean; record?: string; provenance?: Record<string, string>; replayRecords: string[];
  liveMode?: 'live' | 'replay'; ledger?: string; driftFactor?: number; out?: string;
  shard?: string; noLedger?: boolean; failOnDrift?: boolean; keep?: number; compress?: boolean;
  dtypes?: Array<'float32' | 'float64'>; modes?: PhiMode[]; pixels?: Array<[number, number]>; concurrency?: number; tolAbs?: number; tolRel?: number;
  version?: boolean; topic?: string; allowLogicLimited?: boolean;
}

export function parseCli(argv: string[]): Cli {
  const o: Cli = { command: '', help: false, json: false, rest: [], vg1: {}, cases: [], all: false, side: 'c', dtype: 'float64', replayRecords: [] };
  const dd = argv.indexOf('--');
  const head = dd >= 0 ? argv.slice(0, dd) : argv;
  o.rest = dd >= 0 ? argv.slice(dd + 1) : [];
  for (let i = 0; i < head.length; i++) {
    const a = head[i];
    const value = () => { const v = head[++i]; if (v === undefined) throw new UsageError(`${a} needs a value`); return v; };
    const num = (min: number) => { const v = Number(value()); if (!Number.isFinite(v) || v < min) throw new UsageError(`${a} needs a number >= ${min}`); return v; };
    if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--version' || a === '-V') o.version = true;
    else if (a === '--allow-logic-limited') o.allowLogicLimited = true;
    else if (a === '--json') o.json = true;
    else if (a === '--c-source') o.cSource = value();
    else if (a === '--against-c') o.againstC = value();
    else if (a === '--no-fingerprint') o.noFingerprint = true;
    else if (a === '--refresh') o.refresh = true;
    else if (a === '--record') { o.record = value(); if (!/^[A-Za-z0-9._-]+$/.test(o.record)) throw new UsageError(`--record needs a label of letters, digits, '.', '_' or '-', got '${o.record}'`); }
    else if (a === '--replay-record') o.replayRecords.push(value());
    else if (a === '--provenance') {
      const v = value();
      o.provenance = {};
      for (const kv of v.split(',')) {
        const m = /^(repo|ref|commit|path)=(.+)$/.exec(kv.trim());
        if (!m) throw new UsageError(`--provenance expects repo=...,ref=...,commit=...,path=..., got '${kv}'`);
        o.provenance[m[1]] = m[2];
      }
    }
    else if (a === '--cc') o.cc = value();
    else if (a === '--cflags') o.cflags = value().split(/\s+/).filter(Boolean);
    else if (a === '--omp-threads') { o.omp = num(1); if (!Number.isInteger(o.omp)) throw new UsageError('--omp-threads needs an integer'); }
    else if (a === '--timeout') o.timeout = num(1);
    else if (a === '--repeat-c') { const v = value(); if (v === 'auto') o.repeatC = 'auto'; else { const n = Number(v); if (!Number.isInteger(n) || n < 1) throw new UsageError(`--repeat-c expects a positive integer or auto, got '${v}'`); o.repeatC = n; } }
    else if (a === '--initiative') o.initiative = value();
    else if (a === '--reports') o.reports = value();
    else if (a === '--divergence-rel') o.divergenceRel = num(0);
    else if (a === '--case') o.cases.push(value());
    else if (a === '--all') o.all = true;
    else if (a === '--dtype' && o.command !== 'replay' && !(o.command === 'compare' && head.includes('--against-c'))) throw unknownOption(a, o.command, head[i + 1]);
    else if (a === '--dtype') { const v = value(); if (v !== 'float64' && v !== 'float32') throw new UsageError(`--dtype expects float64 or float32`); o.dtype = v; }
    else if (a === '--dtypes') {
      const v = value().split(',').map((x) => x.trim());
      if (!v.length || v.some((x) => x !== 'float32' && x !== 'float64')) throw new UsageError('--dtypes expects a comma list of float32, float64');
      o.dtypes = [...new Set(v)] as Array<'float32' | 'float64'>;
    } else if (a === '--modes') {
      const v = value().split(',').map((x) => x.trim());
      if (!v.length || v.some((x) => x !== 'spec' && x !== 'c-parity')) throw new UsageError('--modes expects a comma list of spec, c-parity');
      o.modes = [...new Set(v)] as PhiMode[];
    } else if (a === '--pixels') {
      const v = value();
      o.pixels = v.split(';').filter(Boolean).map((pair) => {
        const [s, f] = pair.split(',').map((x) => Number(x.trim()));
        if (!Number.isInteger(s) || !Number.isInteger(f) || s < 0 || f < 0) throw new UsageError(`--pixels expects "S,F;S,F", got '${v}'`);
        return [s, f] as [number, number];
      });
    } else if (a === '--concurrency') { o.concurrency = num(1); }
    else if (a === '--tol-abs') o.tolAbs = num(0);
    else if (a === '--live') o.liveMode = 'live';
    else if (a === '--replay') o.liveMode = 'replay';
    else if (a === '--ledger') o.ledger = value();
    else if (a === '--drift-factor') o.driftFactor = num(1);
    else if (a === '--shard') o.shard = value(); // checked by the suite command (harness/suite/shard.ts parseShard)
    else if (a === '--no-ledger') o.noLedger = true;
    else if (a === '--fail-on-drift') o.failOnDrift = true;
    else if (a === '--compress') o.compress = true;
    else if (a === '--keep') { o.keep = num(1); if (!Number.isInteger(o.keep)) throw new UsageError('--keep needs a whole number >= 1'); }
    else if (a === '-o' || a === '--out') o.out = value();
    else if (a === '--tol-rel') o.tolRel = num(0);
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
    } else if (!a.startsWith('-') && !o.command) {
      if (!commandNames().includes(a)) throw new CliUsageError(`unknown command '${a}'${meant(didYouMean(a, commandNames()))}`, '', !didYouMean(a, commandNames()));
      o.command = a;
    }
    else if (!a.startsWith('-') && o.command === 'help' && !o.topic) o.topic = a;
    else if (!a.startsWith('-') && (o.command === 'suite' || o.command === 'verify' || o.command === 'merge') && !o.suiteArgs) o.suiteArgs = [a];
    else if (!a.startsWith('-') && (o.command === 'suite' || o.command === 'verify' || o.command === 'merge') && o.suiteArgs) o.suiteArgs.push(a);
    else throw unknownOption(a, o.command, head[i + 1]);
  }
  return o;
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
  const cvc = m.run.mode === 'c-vs-c';
  process.stdout.write(`${m.verdict.pass ? chalk.green('PASS') : chalk.red('FAIL')}  ${m.verdict.summary}\n`);
  process.stdout.write(`  ${m.run.against}\n`);
  if (m.run.quirks) process.stdout.write(`  ${m.run.quirks.line}; engine quirks: ${m.run.quirks.summary}\n`);
  if (cvc && m.run.quirks_ab) process.stdout.write(`  ${m.run.quirks_ab.line_a}\n  ${m.run.quirks_ab.line_b}\n  ${m.run.quirks_ab.sentence}\n`);
  if (cvc) for (const b of [m.run.c, m.run.against_c]) process.stdout.write(`  ${b.role}: ${b.source} (sha256 ${b.sha256.slice(0, 16)}…, ${b.dialect}${b.instrumented ? ', instrumented' : ''}), OMP_NUM_THREADS=${b.omp_threads}\n`);
  for (const g of m.verdict.gates.filter((x: { pass: boolean }) => !x.pass)) process.stdout.write(`  ${chalk.red('failed')} ${g.name}: ${g.detail}\n`);
  process.stdout.write(`  VG-1 (${cvc ? 'build B against build A' : v.mode}): max |Δk_frac| ${v.k_frac.max_abs.toExponential(3)}, max |Δrot_b_y| ${v.rot_b_y.max_abs.toExponential(3)} Å (${v.rot_b_y.source})\n`);
  process.stdout.write(`  ${m.carryover.sentence}\n`);
  if (m.explanation?.sentence) process.stdout.write(`  ${m.explanation.sentence}\n`);
  if (m.libm) process.stdout.write(`  ${m.libm.verdict === 'libm-limited' ? chalk.yellow(m.libm.sentence) : m.libm.sentence}\n`);
  const f = m.image.full;
  if (f) process.stdout.write(`  image${cvc ? ' (build B vs build A)' : ''}: ${(100 * f.identical_fraction).toFixed(4)}% bit-identical, max ${f.max_ulp} ulp, correlation ${f.correlation}, sum ratio ${f.sum_ratio}, peaks ${f.peaks.matched} matched (mean ${f.peaks.mean_distance.toFixed(2)} px)\n`);
  process.stdout.write(`  evidence: ${dir}\n`);
}

/** nbparity verify DIR...: one line per evidence folder. */
function verifyCommand(o: Cli): number {
  const dirs = o.suiteArgs ?? [];
  if (!dirs.length) throw new UsageError('verify needs one or more evidence folders (or a folder above them, such as reports/)');
  const checks = [];
  for (const d of dirs) {
    if (!existsSync(d)) throw new InputError(`${d}: no such folder`);
    const found = findFolders(resolve(d));
    if (!found.length) throw new InputError(`${d}: no evidence folder (state.json or sha256.txt) at or below it`);
    checks.push(...found.map(checkFolder));
  }
  const bad = checks.filter((c) => c.status !== 'complete');
  if (o.json) process.stdout.write(JSON.stringify({ folders: checks, ok: bad.length === 0 }, null, 2) + '\n');
  else {
    for (const c of checks) {
      const tag = c.status === 'complete' ? chalk.green('complete  ') : c.status === 'tampered' ? chalk.red('TAMPERED  ') : chalk.yellow('incomplete');
      process.stdout.write(`${tag} ${c.dir}: ${c.state}; ${c.detail}\n`);
    }
    process.stdout.write(`${checks.length} evidence folders: ${checks.length - bad.length} complete, ${bad.filter((c) => c.status === 'incomplete').length} incomplete (failed, interrupted or never sealed), ${bad.filter((c) => c.status === 'tampered').length} tampered\n`);
  }
  return bad.length ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  let o: Cli;
  try { o = parseCli(argv); } catch (e) {
    // one line naming the mistake (with what was meant, when that is clear); the usage of the command at hand when it helps
    const u = e instanceof CliUsageError ? e : null;
    const command = u ? u.command : argv.slice(0, dd(argv)).find((a) => commandNames().includes(a)) ?? '';
    process.stderr.write(`nbparity${command ? ` ${command}` : ''}: ${(e as Error).message}\n${!u || u.usage ? usageOf(command) : ''}`);
    return 2;
  }
  if (o.version) { process.stdout.write(versionLine()); return 0; }
  if (o.command === 'help') {
    if (o.topic && !HELP[o.topic]) { process.stderr.write(`nbparity help: no command '${o.topic}'${meant(didYouMean(o.topic, commandNames()))}\n`); return 2; }
    process.stdout.write(HELP[o.topic ?? '']);
    return 0;
  }
  const known = Object.keys(HELP).filter(Boolean); // every command has its help text
  if (o.command && !known.includes(o.command)) { process.stderr.write(`nbparity: unknown command '${o.command}'\n${HELP['']}`); return 2; }
  if (o.help || !o.command) { (o.help ? process.stdout : process.stderr).write(HELP[o.command] ?? HELP['']); return o.help ? 0 : 2; }
  if (o.againstC !== undefined && o.command !== 'compare') {
    process.stderr.write(`nbparity ${o.command}: --against-c ${o.command === 'replay' ? 'compares two live C builds; it cannot be combined with replay (a recorded reference)' : 'is an option of compare only'}\n`);
    return 2;
  }
  const out = (x: unknown) => process.stdout.write(JSON.stringify(x, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n');
  installSignalHandlers((line) => process.stderr.write(line + '\n'));
  try {
    switch (o.command) {
      case 'verify':
        return verifyCommand(o);
      case 'build': {
        const p = await prepareC({ cSource: o.cSource, cc: o.cc, cflags: o.cflags });
        const info = { source: p.source, from: p.from, source_sha256: p.originalSha256, dialect: p.dialect, instrumented: p.instrumented, binary: p.built.binary, cached: p.built.cached, compiler: p.built.compilerVersion, flags: p.built.flags, command: p.built.command };
        if (o.json) out(info);
        else process.stdout.write(`${p.source} (${p.dialect}${p.instrumented ? ', instrumented' : ''}) -> ${p.built.binary}${p.built.cached ? ' (cached)' : ''}\n  ${p.built.compilerVersion}, ${p.built.flags.join(' ')}\n`);
        return 0;
      }
      case 'trace': {
        const split = splitArgs(o.rest, process.cwd());
        if (!split.trace) throw new UsageError('trace needs -trace_pixel S F among the nanoBragg arguments');
        const dir = makeScratch('nbparity-trace-');
        try {
        const targs = [...split.nano, ...split.traces.flatMap(([s, f]) => ['-trace_pixel', String(s), String(f)]), '-floatfile', 'f.bin', '-intfile', 'i.img'];
        let run, text;
        if (o.side === 'c') {
          const p = await prepareC({ cSource: o.cSource, cc: o.cc, cflags: o.cflags });
          run = await runSide('C', [p.built.binary, ...targs], { cwd: dir, env: { OMP_NUM_THREADS: String(o.omp ?? 1) }, timeoutMs: (o.timeout ?? 600) * 1000, name: 'c' });
          text = () => readFileSync(run!.stdoutFile, 'utf8');
        } else {
          const eng = [...Object.entries(split.engine).flat()];
          run = await runSide('TS', [process.execPath, engineCli(), ...targs, ...eng], { cwd: dir, timeoutMs: (o.timeout ?? 600) * 1000, name: 'ts' });
          text = () => readFileSync(run!.stdoutFile, 'utf8');
        }
        if (run.exitCode !== 0 || run.timedOut) throw new SideFailedError(run, readFileSync(run.stderrFile, 'utf8').trim().split('\n').slice(-20).join('\n'));
        const traces = parseTraces(text(), o.side === 'c' ? 'c.stdout' : 'engine.stdout');
        for (const t of traces) checkComplete(t, o.side === 'c' ? 'C' : 'engine', o.side === 'c' ? 'c.stdout' : 'engine.stderr'); // a partial trace is never shown as a whole one
        if (o.json) { out(traces.length === 1 ? traces[0] : traces); return 0; }
        for (const t of traces) {
          const px = t.pixel ? `(${t.pixel.slow}, ${t.pixel.fast})` : `(${split.trace.join(', ')})`;
          process.stdout.write(`${t.side} trace of pixel ${px}: ${t.blocks.length} sub-pixel block(s), ${t.phi.length} per-φ entries\n`);
          for (const b of t.blocks.slice(0, 1)) for (const [k, v] of Object.entries(b.values)) process.stdout.write(`  ${k.padEnd(26)} ${v.join(' ')}\n`);
          for (const [k, v] of Object.entries(t.final)) process.stdout.write(`  ${k.padEnd(26)} ${v.join(' ')}\n`);
          for (const e of t.phi.filter((x) => x.block === 0 && x.source === 0 && x.mos_tic === 0)) process.stdout.write(`  φ step ${e.phi_tic}: phi_deg ${e.values.phi_deg?.[0]} k_frac ${e.values.k_frac?.[0]} F_latt ${e.values.F_latt?.[0]}\n`);
        }
        return 0;
        } finally { removeScratch(dir); }
      }
      case 'fingerprint':
        return await fingerprintCommand(o);
      case 'parity':
        return await suiteCommand({ ...o, suiteArgs: [join(projectRoot(), 'harness', 'suites', 'smoke.csv')] }, argv);
      case 'merge':
        return await mergeCommand(o);
      case 'suite': {
        if (o.suiteArgs?.[0] === 'generate') {
          const src = o.suiteArgs[1];
          if (!src) throw new UsageError('suite generate needs a factor file');
          const csv = pairwiseCsv(loadFactors(src), relative(process.cwd(), resolve(src)));
          if (o.out) { writeFileAtomic(o.out, csv); process.stdout.write(`wrote ${o.out} (${csv.trim().split('\n').filter((l) => !l.startsWith('#')).length - 1} cases)\n`); }
          else process.stdout.write(csv);
          return 0;
        }
        if (!o.suiteArgs?.length) throw new UsageError('suite needs a suite file (or NAME of harness/suites/NAME.csv)');
        return await suiteCommand(o, argv);
      }
      case 'replay': {
        if (o.all || o.cases.length === 0) {
          if (!o.all) throw new UsageError('replay needs --case ID (or --all for the quick image table)');
          if (!o.json) process.stdout.write(`${againstLine(null)} (engine ${o.dtype})\n`);
          const rows = replayAll({ dtype: o.dtype, onRow: o.json ? undefined : (r) => process.stdout.write(imageRow(r) + '\n') });
          const failed = rows.filter((r) => !r.pass);
          if (o.json) out({ command: o.command, mode: 'replay', dtype: o.dtype, pass: failed.length === 0, rows });
          else process.stdout.write(`${rows.length - failed.length}/${rows.length} recorded images match the C ${failed.length ? chalk.red(`(${failed.length} failed)`) : chalk.green('(all pass)')}\n`);
          return failed.length ? 1 : 0;
        }
        let worst = 0;
        const results = [];
        const hasMode = o.rest.some((a) => a.startsWith('--phi-carryover-mode'));
        for (const id of o.cases) {
          checkCase(id); resolveCaseDir(id); // a recorded case id, or a folder with case.json
          for (const mode of hasMode ? [null] : ['c-parity', 'spec']) {
            const args = mode ? [...o.rest, '--phi-carryover-mode', mode] : o.rest;
            const r = await runCompare({ args, replayCase: id, ompThreads: o.omp, repeatC: o.repeatC, initiative: o.initiative, reportsRoot: o.reports, vg1: o.vg1, divergenceRel: o.divergenceRel, onProgress: progress(o.json), invocation: ['nbparity', ...argv] });
            clearProgress();
            results.push({ case: id, dir: r.dir, metrics: r.metrics });
            if (!o.json) { process.stdout.write(`${id} (${r.metrics.run.engine.phi_mode}):\n`); printCompare(r.dir, r.metrics); }
            worst = Math.max(worst, r.exitCode);
          }
        }
        if (o.json) out(results.map((r) => ({ case: r.case, evidence: r.dir, delta_metrics: r.metrics })));
        return worst;
      }
      case 'sweep': {
        if (o.rest.length === 0 && o.cases.length === 0) throw new UsageError('sweep needs the nanoBragg arguments after -- (or --case ID)');
        if (o.cases.length > 1) throw new UsageError('sweep takes one --case');
        if (o.cases.length) checkCase(o.cases[0]);
        const display = sweepDisplay(o.json);
        try {
          const r = await runSweep({
            args: o.rest, dtypes: o.dtypes, modes: o.modes, pixels: o.pixels, cSource: o.cSource, cc: o.cc, cflags: o.cflags, replayCase: o.cases[0],
            ompThreads: o.omp, timeoutSec: o.timeout, concurrency: o.concurrency, initiative: o.initiative, reportsRoot: o.reports, vg1: o.vg1,
            tolerance: { ...(o.tolAbs !== undefined ? { abs: o.tolAbs } : {}), ...(o.tolRel !== undefined ? { rel: o.tolRel } : {}) },
            invocation: ['nbparity', ...argv], onStep: display.step, noFingerprint: o.noFingerprint, allowLogicLimited: o.allowLogicLimited,
          });
          display.stop();
          if (o.json) out({ evidence: r.dir, dtype_sweep: r.doc });
          else {
            process.stdout.write(`${r.doc.conclusion}\n  ${r.doc.run.against}\n  traced pixel${r.doc.run.pixels.length > 1 ? 's' : ''} ${r.doc.run.pixels.map((p: { slow: number; fast: number }) => `(${p.slow}, ${p.fast})`).join(' ')}: ${r.pixelSource}\n  ${r.doc.run.quirks.line}; engine quirks (besides the φ mode of each cell): ${r.doc.run.quirks.summary}\n`);
            for (const [mode, list] of Object.entries(r.doc.verdicts)) {
              const k = (list as Array<{ quantity: string; verdict: string; ratio: number | null; ratio_infinite: boolean; delta_float64: number | null; delta_float32: number | null }>).find((q) => q.quantity === 'k_frac');
              if (k) process.stdout.write(`  ${mode.padEnd(9)} k_frac: ${k.verdict} (Δ64 ${k.delta_float64}, Δ32 ${k.delta_float32}, r ${k.ratio_infinite ? '∞' : k.ratio})\n`);
            }
            const t = r.doc.timing_ms;
            process.stdout.write(`  time: C ${(t.c / 1000).toFixed(1)} s, engine cells ${(t.engine_cells_wall / 1000).toFixed(1)} s, report ${(t.reporting / 1000).toFixed(1)} s, total ${(t.total / 1000).toFixed(1)} s\n  evidence: ${r.dir}\n`);
            if (r.logicLimited.length) process.stdout.write(r.exitCode ? `  ${chalk.red('exit 1')}: ${r.logicLimited.length} logic-limited (${r.logicLimited.slice(0, 4).join(', ')}${r.logicLimited.length > 4 ? ', …' : ''}); --allow-logic-limited to exit 0\n` : `  ${r.logicLimited.length} logic-limited, allowed (--allow-logic-limited): exit 0\n`);
          }
          return r.exitCode;
        } finally { display.stop(); }
      }
      case 'compare': {
        if (o.rest.length === 0) throw new UsageError('compare needs the nanoBragg arguments after --');
        if (o.againstC !== undefined) {
          const engineOnly = argv.slice(0, dd(argv)).filter((a) => a === '--dtype' || a === '--libm');
          if (engineOnly.length) throw new UsageError(`--against-c compares two C builds and runs no engine: ${engineOnly[0]} does not apply`);
          if (o.cases.length) throw new UsageError('--against-c compares two live C builds; it cannot be combined with a recorded reference (--case)');
        }
        const r = await runCompare({ args: o.rest, cSource: o.cSource, againstC: o.againstC, fingerprint: o.noFingerprint ? false : undefined, cc: o.cc, cflags: o.cflags, ompThreads: o.omp, repeatC: o.repeatC, timeoutSec: o.timeout, initiative: o.initiative, reportsRoot: o.reports, vg1: o.vg1, divergenceRel: o.divergenceRel, onProgress: progress(o.json), invocation: ['nbparity', ...argv] });
        clearProgress();
        if (o.json) out({ evidence: r.dir, delta_metrics: r.metrics });
        else printCompare(r.dir, r.metrics);
        return r.exitCode;
      }
    }
    return 2;
  } catch (e) {
    clearProgress();
    const code = exitCodeFor(e);
    const ce = e as Partial<ContractError> & Error;
    const internal = !(e instanceof Error) || !('exitCode' in e);
    process.stderr.write(`nbparity ${o.command}: ${internal ? `internal error: ${(e as Error)?.stack ?? e}` : ce.message}\n`);
    if (ce.evidence) process.stderr.write(`  evidence: ${ce.evidence} (${existsSync(join(ce.evidence, 'sha256.txt')) ? 'sealed as failed' : 'incomplete'}; exit ${code})\n`);
    if (o.json) process.stdout.write(JSON.stringify({ error: { exit_code: code, kind: ce.name, step: ce.step ?? null, side: ce.side ?? null, message: ce.message, evidence: ce.evidence ?? null } }, null, 2) + '\n');
    return code;
  }
}

// a closed pipe (nbparity ... | head) stops the output, never the run: the exit code stays the verdict's
for (const stream of [process.stdout, process.stderr]) stream.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'EPIPE') throw e; });
main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e) => { process.stderr.write(`nbparity: ${(e as Error).stack ?? e}\n`); process.exitCode = 2; });
