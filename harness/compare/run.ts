/**
 * The comparison, as a table of contents:
 *   locate → instrument → compile → run both sides → parse traces → pair → diff → report.
 * Live mode runs the user's nanoBragg.c; replay mode takes the C side from a recorded
 * reference. Both leave the same evidence folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { buildC, projectRoot, requireCSource, sha256, type BuiltC } from '../c/build.js';
import { detectDialect, instrument, type CDialect } from '../c/instrument.js';
import { runSide, SideFailedError, type RunRecord } from '../run/side.js';
import { traceOfPixel, type ParsedTrace } from '../trace/parse.js';
import { validate } from '../schemas/validate.js';
import { diffImages, type ImageDiff } from '../metrics/image.js';
import { findPeaks, matchPeaks } from '../metrics/peaks.js';
import { EvidenceDir } from '../evidence/dir.js';
import { differencePng, intensityPng, sharedMax } from '../evidence/png.js';
import { DEFAULT_DIVERGENCE, DEFAULT_VG1, detectCarryover, firstDivergence, pairPhi, traceDeltas, vg1, type Vg1Tolerance } from './traces.js';
import { DEFAULT_IMAGE_GATE, gatePasses, type ImageGate } from '../replay.js';
import { loadCase, imageKey, absoluteArgs, readFloatImage } from '../reference/cases.js';
import { writeSummary } from '../report/summary.js';
import { deltaPerPhiSpec, renderSpec } from '../report/plots.js';
import { engineCli, gitCommit, InputError, machine, shellLine as cmd, toolVersion } from '../env.js';

export type PhiMode = 'spec' | 'c-parity';
export type Dtype = 'float64' | 'float32';

export { InputError };
export class TraceIncompleteError extends Error { override name = 'TraceIncompleteError'; }

export interface CompareOptions {
  /** nanoBragg arguments (engine-only double-dash options among them go to the engine only) */
  args: string[];
  /** live: run the C; replay: take the C side from traces/reference/<case> */
  replayCase?: string;
  cSource?: string;
  cc?: string;
  cflags?: string[];
  ompThreads?: number;
  timeoutSec?: number;
  initiative?: string;
  reportsRoot?: string;
  vg1?: Partial<Record<PhiMode, Partial<Vg1Tolerance>>>;
  divergenceRel?: number;
  imageGate?: ImageGate;
  cwd?: string;
  /** the command line that started this run, for commands.txt */
  invocation?: string[];
  /** an already built C (a suite builds once) */
  prepared?: PreparedC;
  /** write the evidence exactly here instead of reports/<initiative>/<stamp> */
  evidencePath?: string;
  onProgress?: (step: string) => void;
}

export interface CompareResult { dir: string; metrics: DeltaMetrics; exitCode: 0 | 1 }
export type DeltaMetrics = Record<string, any>;

const ENGINE_FLAGS = ['--phi-carryover-mode', '--c-threads', '--dtype'];
const FILE_FLAGS = ['-mat', '-hkl', '-sourcefile', '-stol', '-4stol', '-Q', '-img', '-mask', '-dump'];
const OUTPUT_FLAGS = ['-floatfile', '-floatimage', '-intfile', '-intimage', '-pgmfile', '-pgmimage', '-noisefile', '-noiseimage'];

export interface SplitArgs { nano: string[]; engine: Record<string, string>; trace: [number, number] | null; traces: Array<[number, number]> }

/** Separate engine-only options and -trace_pixel; make input-file paths absolute (relative to `cwd`). */
export function splitArgs(args: string[], cwd: string): SplitArgs {
  const nano: string[] = [];
  const engine: Record<string, string> = {};
  let trace: [number, number] | null = null;
  const traces: Array<[number, number]> = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (ENGINE_FLAGS.includes(name)) {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : args[++i];
      if (v === undefined) throw new InputError(`${name} needs a value`);
      engine[name] = v;
      continue;
    }
    if (a === '-trace_pixel') {
      const s = Number(args[i + 1]), f = Number(args[i + 2]);
      if (!Number.isInteger(s) || !Number.isInteger(f)) throw new InputError(`-trace_pixel needs two integers (slow fast), got '${args[i + 1]} ${args[i + 2]}'`);
      if (!trace) trace = [s, f];
      traces.push([s, f]); i += 2;
      continue;
    }
    if (OUTPUT_FLAGS.some((o) => a === o)) { i++; continue; } // the harness chooses where images go
    nano.push(a);
    if (a.startsWith('-') && FILE_FLAGS.some((f) => a.includes(f)) && i + 1 < args.length && !args[i + 1].startsWith('-')) {
      const v = args[++i];
      nano.push(isAbsolute(v) || !existsSync(resolve(cwd, v)) ? v : resolve(cwd, v));
    }
  }
  return { nano, engine, trace, traces };
}

export interface PreparedC { built: BuiltC; dialect: CDialect; source: string; originalSha256: string; instrumented: boolean }

/** locate → instrument → compile */
export async function prepareC(opts: { cSource?: string; cc?: string; cflags?: string[] }): Promise<PreparedC> {
  const source = requireCSource(opts.cSource);
  const text = readFileSync(source, 'utf8');
  const dialect = detectDialect(text);
  let buildFrom = source, instrumented = false;
  let flags = opts.cflags ?? ['-O2', '-fopenmp'];
  if (dialect === 'pristine') {
    const { text: inst } = instrument(text);
    const dir = mkdtempSync(join(tmpdir(), 'nbparity-inst-'));
    buildFrom = join(dir, 'nanoBragg.c');
    writeFileSync(buildFrom, inst);
    instrumented = true;
  } else if (dialect === 'golden' && !flags.includes('-DTRACING')) {
    flags = [...flags, '-DTRACING'];
  }
  const built = await buildC(buildFrom, { cc: opts.cc, flags });
  if (instrumented) rmSync(join(buildFrom, '..'), { recursive: true, force: true });
  return { built, dialect, source, originalSha256: sha256(readFileSync(source)), instrumented };
}

function tail(file: string, n = 20): string {
  try { return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n'); } catch { return ''; }
}

export function assertComplete(t: ParsedTrace, who: string, file: string): void {
  if (t.blocks.length === 0 || t.phi.length === 0 || !('I_pixel_final' in t.final)) {
    const missing = [t.blocks.length === 0 ? 'per-pixel lines' : '', t.phi.length === 0 ? 'per-φ lines' : '', !('I_pixel_final' in t.final) ? 'the final block (I_pixel_final)' : ''].filter(Boolean).join(', ');
    throw new TraceIncompleteError(`the ${who} trace is truncated or empty (${file}): missing ${missing}`);
  }
}

export function imageMetrics(a: Float32Array, b: Float32Array, fpixels: number, spixels: number, gate: ImageGate, roi?: { xmin: number; xmax: number; ymin: number; ymax: number }) {
  const mask = roi ? (i: number) => { const s = Math.floor(i / fpixels), f = i % fpixels; return f >= roi.xmin && f <= roi.xmax && s >= roi.ymin && s <= roi.ymax; } : undefined;
  const d: ImageDiff = diffImages(a, b, { ulpTol: gate.ulpTol, relTol: gate.relTol, mask });
  let pa = a, pb = b, pf = fpixels, ps = spixels, off = [0, 0];
  if (roi) {
    pf = roi.xmax - roi.xmin + 1; ps = roi.ymax - roi.ymin + 1; off = [roi.ymin, roi.xmin];
    pa = new Float32Array(pf * ps); pb = new Float32Array(pf * ps);
    for (let s = 0; s < ps; s++) for (let f = 0; f < pf; f++) { pa[s * pf + f] = a[(s + roi.ymin) * fpixels + f + roi.xmin]; pb[s * pf + f] = b[(s + roi.ymin) * fpixels + f + roi.xmin]; }
  }
  const m = matchPeaks(findPeaks(pb, pf, ps), findPeaks(pa, pf, ps));
  const at = (i: number) => (i < 0 ? null : { slow: Math.floor(i / fpixels), fast: i % fpixels });
  return {
    metrics: {
      pixels: d.pixels, identical_fraction: d.identicalFraction, max_ulp: d.maxUlp, max_abs: d.maxAbs, max_abs_at: at(d.maxAbsAt),
      max_rel: d.maxRel, max_rel_at: at(d.maxRelAt), outside_tolerance: d.outside, correlation: d.correlation, rmse: d.rmse,
      sum_c: d.sumB, sum_ts: d.sumA, sum_ratio: d.sumRatio,
      peaks: { count_c: m.count_c, count_ts: m.count_ts, matched: m.matched, mean_distance: m.mean_distance, max_distance: m.max_distance,
        pairs: m.pairs.slice(0, 10).map((p) => ({ c: [p.c.slow + off[0], p.c.fast + off[1]], ts: [p.ts.slow + off[0], p.ts.fast + off[1]], distance: p.distance })) },
    },
    pass: gatePasses(d, gate),
  };
}

/** Run one comparison and leave its evidence folder. */
export async function runCompare(o: CompareOptions): Promise<CompareResult> {
  const progress = o.onProgress ?? (() => undefined);
  const cwd = o.cwd ?? process.cwd();
  const replay = o.replayCase !== undefined;
  const refCase = replay ? loadCase(resolveCaseDir(o.replayCase!)) : null;
  const split = splitArgs(refCase ? [...absoluteArgs(refCase), ...o.args] : o.args, cwd);
  const mode = (split.engine['--phi-carryover-mode'] ?? 'spec') as PhiMode;
  const dtype = (split.engine['--dtype'] ?? 'float64') as Dtype;
  if (mode !== 'spec' && mode !== 'c-parity') throw new InputError(`--phi-carryover-mode expects spec or c-parity, got '${mode}'`);
  if (dtype !== 'float64' && dtype !== 'float32') throw new InputError(`--dtype expects float64 or float32, got '${dtype}'`);
  const omp = o.ompThreads ?? (split.engine['--c-threads'] ? Number(split.engine['--c-threads']) : 1);
  if (!Number.isInteger(omp) || omp < 1) throw new InputError(`OpenMP thread count must be a positive integer, got ${omp}`);
  const timeoutMs = (o.timeoutSec ?? 600) * 1000;
  const tol: Vg1Tolerance = { ...DEFAULT_VG1[mode], ...(o.vg1?.[mode] ?? {}) };
  const divTol = { rel: o.divergenceRel ?? DEFAULT_DIVERGENCE.rel };
  const gate = o.imageGate ?? DEFAULT_IMAGE_GATE;
  const engine = engineCli();

  // the reference side: a compiled C (live) or a recorded case (replay)
  let prepared: PreparedC | null = null;
  let refImageFile: string | null = null, refTraceFile: string | null = null;
  if (replay) {
    const key = Object.keys(refCase!.images).find((k) => { const ik = imageKey(k); return ik.mode === mode && ik.threads === omp; });
    if (!key) throw new InputError(`case ${refCase!.id} has no recorded ${mode} image for ${omp} C thread(s) (has: ${Object.keys(refCase!.images).join(', ')})`);
    refImageFile = join(refCase!.dir, refCase!.images[key]);
    const traces = refCase!.traces;
    refTraceFile = traces?.[mode] ? join(refCase!.dir, traces[mode]!) : refCase!.golden_trace ? join(refCase!.dir, refCase!.golden_trace) : null;
    if (!refTraceFile) throw new InputError(`case ${refCase!.id} has no recorded C trace`);
  } else {
    progress('building the C');
    prepared = o.prepared ?? await prepareC({ cSource: o.cSource, cc: o.cc, cflags: o.cflags });
  }

  // the traced pixel: given, recorded, or the engine's brightest pixel
  const engineBase = [...split.nano, '--phi-carryover-mode', mode, '--c-threads', String(omp), '--dtype', dtype];
  let traced = split.trace ?? (refCase ? refCase.trace_pixel : null);
  let tracedNote = split.trace ? 'given with -trace_pixel' : refCase ? 'recorded with the reference' : '';
  const ev = o.evidencePath ? EvidenceDir.createAt(o.evidencePath) : EvidenceDir.create(o.reportsRoot ?? join(projectRoot(), 'reports'), o.initiative ?? 'adhoc');
  const scratch = mkdtempSync(join(tmpdir(), 'nbparity-run-'));
  try {
    const cDir = join(scratch, 'c'), tDir = join(scratch, 'ts');
    mkdirSync(cDir); mkdirSync(tDir);
    if (!traced) {
      progress('engine pre-run to choose the traced pixel');
      const pre = await runSide('TS', [process.execPath, engine, ...engineBase, '-floatfile', 'pre.float.bin', '-intfile', 'pre.int.img', '-nopgm', '-nonoise', '--json'], { cwd: tDir, timeoutMs, name: 'pre' });
      if (pre.exitCode !== 0) throw sideFailure(pre);
      const summary = JSON.parse(readFileSync(pre.stdoutFile, 'utf8'));
      const img = readFloatImage(join(tDir, 'pre.float.bin'));
      let best = -1;
      for (let i = 1; i < img.length; i++) if (best < 0 || img[i] > img[best]) best = i;
      traced = [Math.floor(best / summary.detector.fpixels), best % summary.detector.fpixels];
      tracedNote = 'the brightest engine pixel (no -trace_pixel given)';
    }
    const traceArgs = ['-trace_pixel', String(traced[0]), String(traced[1])];

    // run the C
    let cRun: RunRecord | null = null;
    const cEnv = { OMP_NUM_THREADS: String(omp) };
    if (prepared) {
      progress(`running the C (OMP_NUM_THREADS=${omp})`);
      cRun = await runSide('C', [prepared.built.binary, ...split.nano, ...traceArgs, '-floatfile', 'c.float.bin', '-intfile', 'c.int.img'], { cwd: cDir, env: cEnv, timeoutMs, name: 'c' });
      if (cRun.exitCode !== 0 || cRun.timedOut) { copyLogs(ev, cRun, 'c'); throw sideFailure(cRun); }
      refImageFile = join(cDir, 'c.float.bin');
      refTraceFile = cRun.stdoutFile;
    }
    // run the engine
    progress(`running the engine (${mode}, ${dtype})`);
    const tRun = await runSide('TS', [process.execPath, engine, ...engineBase, ...traceArgs, '-floatfile', 'ts.float.bin', '-intfile', 'ts.int.img', '--json'], { cwd: tDir, timeoutMs, name: 'ts' });
    if (tRun.exitCode !== 0 || tRun.timedOut) {
      copyLogs(ev, tRun, 'ts');
      if (tRun.exitCode === 2) throw new InputError(readFileSync(tRun.stderrFile, 'utf8').trim());
      throw sideFailure(tRun);
    }
    const engineSummary = JSON.parse(readFileSync(tRun.stdoutFile, 'utf8'));

    // parse and check both traces
    progress('parsing traces');
    const cTraceText = readFileSync(refTraceFile!, 'utf8');
    const tTraceText = readFileSync(tRun.stderrFile, 'utf8');
    const cTrace = traceOfPixel(cTraceText, traced, 'c.trace.txt');
    const tTrace = traceOfPixel(tTraceText, traced, 'ts.trace.txt');
    validate('trace', cTrace);
    validate('trace', tTrace);
    ev.write('c.trace.txt', cTraceText);
    ev.write('ts.trace.txt', tTraceText.split('\n').filter((l) => l.startsWith('TRACE')).join('\n') + '\n');
    ev.writeJson('c.trace.json', cTrace);
    ev.writeJson('ts.trace.json', tTrace);
    assertComplete(cTrace, 'C', refTraceFile!);
    assertComplete(tTrace, 'engine', 'ts.trace.txt');

    // pair, diff
    progress('comparing');
    const pairs = pairPhi(cTrace, tTrace);
    const deltas = traceDeltas(cTrace, tTrace, pairs);
    const v = vg1(cTrace, tTrace, pairs, mode, tol);
    const div = firstDivergence(cTrace, tTrace, pairs, divTol);
    const carry = detectCarryover(cTrace, mode);

    // images
    const cImg = readFloatImage(refImageFile!);
    const tImg = readFloatImage(join(tDir, 'ts.float.bin'));
    const fpixels: number = engineSummary.detector.fpixels, spixels: number = engineSummary.detector.spixels;
    if (cImg.length !== tImg.length || tImg.length !== fpixels * spixels) throw new InputError(`image sizes differ: C ${cImg.length} pixels, engine ${tImg.length} (${fpixels}x${spixels})`);
    const roiB = engineSummary.detector.roi as { xmin: number; xmax: number; ymin: number; ymax: number };
    const roiGiven = roiB.xmin > 0 || roiB.ymin > 0 || roiB.xmax < fpixels - 1 || roiB.ymax < spixels - 1;
    const full = imageMetrics(tImg, cImg, fpixels, spixels, gate);
    const roiBounds = { xmin: Math.max(0, roiB.xmin), xmax: Math.min(fpixels - 1, roiB.xmax), ymin: Math.max(0, roiB.ymin), ymax: Math.min(spixels - 1, roiB.ymax) };
    const roi = roiGiven ? imageMetrics(tImg, cImg, fpixels, spixels, gate, roiBounds) : null;
    ev.write('c.float.bin', new Uint8Array(cImg.buffer));
    ev.write('ts.float.bin', new Uint8Array(tImg.buffer));
    const vmax = sharedMax(cImg, tImg);
    const pc = intensityPng(cImg, fpixels, spixels, vmax), pt = intensityPng(tImg, fpixels, spixels, vmax), pd = differencePng(tImg, cImg, fpixels, spixels);
    ev.write('c.png', pc.png); ev.write('ts.png', pt.png); ev.write('diff.png', pd.png);
    const step0 = pairs.filter((p) => p.block === 0 && p.source === 0 && p.mos_tic === 0);
    const series = ['k_frac', 'h_frac', 'l_frac', 'F_latt'].map((n) => ({
      label: n === 'F_latt' ? 'F_latt (relative)' : n,
      points: step0.filter((p) => p.c.values[n] && p.ts.values[n]).map((p) => {
        const d = Math.abs(p.c.values[n][0] - p.ts.values[n][0]);
        return { x: p.phi_tic, y: n === 'F_latt' ? (d === 0 ? 0 : d / Math.max(Math.abs(p.c.values[n][0]), 1e-300)) : d };
      }),
    })).filter((x) => x.points.length);
    const plot = await renderSpec(deltaPerPhiSpec(`|Δ| per φ step at pixel (${traced[0]}, ${traced[1]}), block 0`, series));
    ev.write('delta_per_phi.png', plot.png); ev.write('delta_per_phi.svg', plot.svg);

    // verdict
    const gates = [
      { name: 'VG-1 k_frac', pass: v.k_frac.pass, detail: `max |Δk_frac| ${v.k_frac.max_abs.toExponential(3)} over ${v.k_frac.steps} φ entries (tolerance ${tol.k_frac})` },
      { name: 'VG-1 rot_b_y', pass: v.rot_b_y.pass, detail: `max |Δrot_b_y| ${v.rot_b_y.max_abs.toExponential(3)} Å over ${v.rot_b_y.steps} entries, ${v.rot_b_y.source} (tolerance ${tol.rot_b_y})` },
      { name: 'image', pass: full.pass, detail: `identical ${(100 * full.metrics.identical_fraction).toFixed(4)}% (min ${100 * gate.minIdentical}%), ${full.metrics.outside_tolerance} pixels beyond ${gate.ulpTol} ulp and ${gate.relTol} relative, correlation ${full.metrics.correlation} (min ${gate.minCorrelation})` +
        (gate.sumRatioMin !== undefined || gate.sumRatioMax !== undefined ? `, sum ratio ${full.metrics.sum_ratio} (bounds ${gate.sumRatioMin ?? '-∞'}..${gate.sumRatioMax ?? '∞'})` : '') +
        (gate.maxAbs !== undefined ? `, max |Δ| ${full.metrics.max_abs} (max ${gate.maxAbs})` : '') },
    ];
    const pass = gates.every((g) => g.pass);
    const git = gitCommit();
    const metrics: DeltaMetrics = {
      schema_version: 'nbparity.delta_metrics/1',
      created: new Date().toISOString(),
      tool: { name: 'nbparity', version: toolVersion(), git_commit: git.commit, git_dirty: git.dirty },
      run: {
        mode: replay ? 'replay' : 'live', case: refCase?.id ?? null, nanobragg_args: split.nano, traced_pixel: { slow: traced[0], fast: traced[1], chosen: tracedNote },
        c: replay
          ? { dialect: cTraceText.includes('TRACE_C_PHI thick_tic=') ? 'nbparity-instrumented' : 'golden', omp_threads: omp, recorded_image: refImageFile, recorded_trace: refTraceFile }
          : { dialect: prepared!.dialect, instrumented: prepared!.instrumented, source: prepared!.source, source_sha256: prepared!.originalSha256, built_sha256: prepared!.built.sourceSha256, compiler: prepared!.built.compilerVersion, flags: prepared!.built.flags, binary: prepared!.built.binary, omp_threads: omp },
        engine: { dtype, phi_mode: mode, c_threads: omp },
      },
      trace: {
        c_side: cTrace.side, engine_side: tTrace.side, phi_steps: new Set(pairs.map((p) => p.phi_tic)).size, phi_entries_paired: pairs.length,
        per_pixel: deltas.per_pixel, final: deltas.final, per_phi: deltas.per_phi,
      },
      vg1: v,
      first_divergence: div ? { found: true, tolerance_rel: divTol.rel, ...div } : { found: false, tolerance_rel: divTol.rel, sentence: `No divergence: every traced quantity agrees within ${divTol.rel} relative.` },
      carryover: carry,
      image: {
        fpixels, spixels, gate: { min_identical: gate.minIdentical, ulp_tol: gate.ulpTol, rel_tol: gate.relTol, min_correlation: gate.minCorrelation, sum_ratio_min: gate.sumRatioMin ?? null, sum_ratio_max: gate.sumRatioMax ?? null, max_abs: gate.maxAbs ?? null, pass: full.pass },
        full: full.metrics, roi: roi ? { ...roi.metrics, bounds: roiBounds } : null,
        previews: { c: 'c.png', ts: 'ts.png', diff: 'diff.png', intensity_scale: pc.scale.note, difference_scale: pd.scale.note },
      },
      verdict: { pass, exit_code: pass ? 0 : 1, gates, summary: '' },
    };
    metrics.verdict.summary = `${pass ? 'PASS' : 'FAIL'}: ${gates.filter((g) => !g.pass).map((g) => g.name).join(', ') || 'all gates pass'}. ${metrics.first_divergence.sentence}`;
    validate('deltaMetrics', metrics);
    const written = ev.writeJson('delta_metrics.json', metrics);
    validate('deltaMetrics', JSON.parse(readFileSync(written, 'utf8')));

    // the rest of the evidence
    const invocation = o.invocation ?? ['nbparity', replay ? 'replay' : 'compare', '--', ...o.args];
    const lines = [
      `# nbparity ${replay ? 'replay' : 'compare'} at ${ev.stamp} (re-runnable; the C and engine lines ran in fresh scratch directories)`,
      `cd ${cmd([cwd])} && ${cmd(invocation)}`,
      ...(cRun ? ['', '# C side', `${cmd(cRun.command, cRun.env)}`] : ['', `# C side: recorded reference ${refCase!.dir}`, `#   image ${refImageFile}`, `#   trace ${refTraceFile}`]),
      '', '# engine side', cmd(tRun.command),
    ];
    ev.write('commands.txt', lines.join('\n') + '\n');
    ev.writeJson('env.json', {
      created: metrics.created, ...machine(),
      compiler: prepared ? prepared.built.compilerVersion : null, cflags: prepared ? prepared.built.flags : null,
      project_git_commit: git.commit, project_git_dirty: git.dirty,
      c_source_sha256: prepared ? prepared.originalSha256 : null, c_dialect: metrics.run.c.dialect,
      omp_num_threads: omp, dtype, phi_mode: mode, mode: replay ? 'replay' : 'live', reference_case: refCase?.id ?? null,
    });
    ev.writeJson('config_snapshot.json', { harness: { args: split.nano, traced_pixel: traced, vg1_tolerances: tol, divergence_tolerance: divTol, image_gate: gate, timeout_sec: timeoutMs / 1000 }, engine: engineSummary });
    if (cRun) { copyLogs(ev, cRun, 'c'); }
    ev.write('ts.log.txt', readFileSync(tRun.stderrFile, 'utf8').split('\n').filter((l) => !l.startsWith('TRACE')).join('\n'));
    writeSummary(ev, metrics);
    ev.seal();
    return { dir: ev.path, metrics, exitCode: pass ? 0 : 1 };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function sideFailure(run: RunRecord): SideFailedError {
  return new SideFailedError(run, [tail(run.stderrFile), tail(run.stdoutFile, 5)].filter(Boolean).join('\n'));
}

export function copyLogs(ev: EvidenceDir, run: RunRecord, name: string): void {
  for (const [f, suffix] of [[run.stdoutFile, 'stdout'], [run.stderrFile, 'stderr']] as const) {
    if (existsSync(f)) ev.write(`${name}.${suffix}.txt`, readFileSync(f));
  }
}

export function resolveCaseDir(idOrPath: string): string {
  if (existsSync(join(idOrPath, 'case.json'))) return resolve(idOrPath);
  const d = join(projectRoot(), 'traces', 'reference', idOrPath);
  if (!existsSync(join(d, 'case.json'))) throw new InputError(`no recorded reference case '${idOrPath}' (looked in ${d})`);
  return d;
}

