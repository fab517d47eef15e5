/**
 * The comparison, as a table of contents:
 *   locate → instrument → compile → run both sides → parse traces → pair → diff → report.
 * Live mode runs the user's nanoBragg.c; replay mode takes the C side from a recorded
 * reference. Both leave the same evidence folder.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { buildC, projectRoot, requireCSource, sha256, type BuiltC, type CSource } from '../c/build.js';
import { detectDialect, instrument, type CDialect } from '../c/instrument.js';
import { runSide, SideFailedError, describeEnd, type RunRecord } from '../run/side.js';
import { makeScratch, removeScratch } from '../run/lifecycle.js';
import { phiKey, traceOfPixel, type ParsedTrace } from '../trace/parse.js';
import { checkComplete, type CompletenessReport } from '../trace/complete.js';
import { validate } from '../schemas/validate.js';
import { diffImages, type ImageDiff } from '../metrics/image.js';
import { findPeaks, matchPeaks } from '../metrics/peaks.js';
import { EvidenceDir } from '../evidence/dir.js';
import { differencePng, intensityPng, sharedMax } from '../evidence/png.js';
import { DEFAULT_DIVERGENCE, DEFAULT_VG1, detectCarryover, firstDivergence, pairPhi, traceDeltas, vg1, type Vg1Tolerance } from './traces.js';
import { KNOWN_CAUSES, phiState, type KnownCause } from './causes.js';
import { fingerprint, type Fingerprint } from '../fingerprint/run.js';
import { chooseProfile, parseUserQuirks, profileSummary } from '../fingerprint/profile.js';
import { concludeLibm, pairLibmCalls, systemLibmForHarness, undeterminedLibm, type LibmDiagnosis } from './libm.js';
import { DEFAULT_IMAGE_GATE, gatePasses, type ImageGate } from '../replay.js';
import { loadCase, imageKey, absoluteArgs, verifyReference } from '../reference/cases.js';
import { writeSummary } from '../report/summary.js';
import { deltaPerPhiSpec, renderSpec } from '../report/plots.js';
import { annotateGates, compareHeatmaps, compareTolerances, writeComparePage } from '../report/page.js';
import { engineCli, gitCommit, machine, shellLine as cmd, toolVersion } from '../env.js';
import { ContractError, exitCodeFor, InputError, NotReproducibleError, SideError, TraceIncompleteError } from '../contract.js';
import { runAgainstC } from './against-c.js';

export type PhiMode = 'spec' | 'c-parity';
export type Dtype = 'float64' | 'float32';

export { InputError, TraceIncompleteError };

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
  /** C against C: this second C build plays the engine's part (build B; the C above is build A); harness/compare/against-c.ts */
  againstC?: string;
  /** an already built C (a suite builds once) */
  prepared?: PreparedC;
  /** write the evidence exactly here instead of reports/<initiative>/<stamp> */
  evidencePath?: string;
  /** run the C this many times and require identical outputs ('auto': 2 when OpenMP threads > 1 and interpolation is on) */
  repeatC?: number | 'auto';
  /** a known cause (harness/compare/causes.ts) expected to explain a failure: check that it does */
  expectCause?: string;
  /** the C build's fingerprint, when already known (a suite fingerprints once); false: do not fingerprint (live runs fingerprint by default) */
  fingerprint?: Fingerprint | false;
  onProgress?: (step: string) => void;
}

export interface CompareResult { dir: string; metrics: DeltaMetrics; exitCode: 0 | 1 }

/** What the console and every report header say about the C side. */
export function againstLine(p: PreparedC | null): string {
  return p ? `live against ${p.source} (sha256 ${p.originalSha256.slice(0, 16)}…, from ${p.from})` : 'replay of recorded references';
}
export type DeltaMetrics = Record<string, any>;

const ENGINE_FLAGS = ['--phi-carryover-mode', '--c-threads', '--dtype', '--libm', '--quirks'];
const FILE_FLAGS = ['-mat', '-hkl', '-sourcefile', '-stol', '-4stol', '-Q', '-img', '-mask', '-dump'];
const OUTPUT_FLAGS = ['-floatfile', '-floatimage', '-intfile', '-intimage', '-pgmfile', '-pgmimage', '-noisefile', '-noiseimage'];

export interface SplitArgs { nano: string[]; engine: Record<string, string>; trace: [number, number] | null; traces: Array<[number, number]>; quirk: string[] }

/** Separate engine-only options and -trace_pixel; make input-file paths absolute (relative to `cwd`). */
export function splitArgs(args: string[], cwd: string): SplitArgs {
  const nano: string[] = [];
  const engine: Record<string, string> = {};
  let trace: [number, number] | null = null;
  const traces: Array<[number, number]> = [];
  const quirk: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (name === '--quirk') {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : args[++i];
      if (v === undefined) throw new InputError('--quirk needs a value (ID=c or ID=fixed)');
      quirk.push(v);
      continue;
    }
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
  return { nano, engine, trace, traces, quirk };
}

/** Engine arguments with `extra` taking the place of the same settings in `base` (φ mode, one quirk entry, dtype, libm). */
export function withOverrides(base: string[], extra: string[]): string[] {
  const out = [...base];
  for (let i = 0; i < extra.length; i += 2) {
    const [flag, v] = [extra[i], extra[i + 1]];
    const key = flag === '--quirk' ? (x: string) => x.split('=')[0] === v.split('=')[0] : () => true;
    for (let j = 0; j < out.length - 1; j++) if (out[j] === flag && key(out[j + 1])) { out.splice(j, 2); j -= 1; }
    out.push(flag, v);
  }
  return out;
}

export interface PreparedC { built: BuiltC; dialect: CDialect; source: string; from: CSource['from']; originalSha256: string; instrumented: boolean }

/** locate → instrument → compile (errors: exit 2, naming the user's file) */
export async function prepareC(opts: { cSource?: string; located?: CSource; cc?: string; cflags?: string[] }): Promise<PreparedC> {
  const c = opts.located ?? requireCSource(opts.cSource);
  const source = c.path;
  const raw = readFileSync(source);
  const text = raw.toString('utf8');
  const dialect = detectDialect(text);
  let flags = opts.cflags ?? ['-O2', '-fopenmp'];
  if (dialect === 'golden' && !flags.includes('-DTRACING')) flags = [...flags, '-DTRACING'];
  let built: BuiltC;
  if (dialect === 'pristine') {
    const { text: inst } = instrument(text, { file: source });
    const dir = makeScratch('nbparity-inst-');
    try {
      const copy = join(dir, 'nanoBragg.c');
      writeFileSync(copy, inst);
      built = await buildC(copy, { cc: opts.cc, flags, displayName: source });
    } finally { removeScratch(dir); }
  } else {
    built = await buildC(source, { cc: opts.cc, flags, displayName: source });
  }
  return { built, dialect, source, from: c.from, originalSha256: sha256(raw), instrumented: dialect === 'pristine' };
}

export function tail(file: string, n = 20): string {
  try { return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n'); } catch { return ''; }
}

/**
 * A float image a side wrote: it must exist and hold exactly `pixels` float32 values (the
 * size the side's own configuration implies). Anything else: SideError (exit 3).
 */
export function readSizedImage(path: string, pixels: number, who: string, name: string, kept?: string): Float32Array {
  let size: number;
  try { size = statSync(path).size; } catch { throw new SideError(`the ${who} wrote no float image (${name}) although it exited 0`); }
  if (size !== pixels * 4) {
    throw new SideError(`the ${who}'s float image ${name} has ${size} bytes${size % 4 ? ' (not a whole number of float32 values)' : ''}; its configuration implies ${pixels} pixels = ${pixels * 4} bytes${kept ? ` (kept as ${kept})` : ''}`);
  }
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
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
      non_finite_c: d.nonFiniteB, non_finite_ts: d.nonFiniteA, first_non_finite_at: at(d.firstNonFiniteAt),
      sum_c: d.sumB, sum_ts: d.sumA, sum_ratio: d.sumRatio,
      peaks: { count_c: m.count_c, count_ts: m.count_ts, matched: m.matched, mean_distance: m.mean_distance, max_distance: m.max_distance,
        pairs: m.pairs.slice(0, 10).map((p) => ({ c: [p.c.slow + off[0], p.c.fast + off[1]], ts: [p.ts.slow + off[0], p.ts.fast + off[1]], distance: p.distance })) },
    },
    pass: gatePasses(d, gate),
  };
}

/** One engine run on the traced pixel: its process, summary, trace and image, each checked whole. */
export interface EngineSide { run: RunRecord; summary: any; traceText: string; trace: ParsedTrace; complete: CompletenessReport; image: Float32Array }

/** What the gates' sentences call the two sides (C against C: the two builds). */
export interface SideNames { c: string; engine: string }
const SIDE_NAMES: SideNames = { c: 'C', engine: 'engine' };

/** Everything the gates judge for one engine side against the C side. */
export function judge(cTrace: ParsedTrace, cImg: Float32Array, e: EngineSide, mode: PhiMode, tol: Vg1Tolerance, divTol: { rel: number }, gate: ImageGate, who: SideNames = SIDE_NAMES) {
  const pairing = pairPhi(cTrace, e.trace);
  const pairs = pairing.pairs;
  const cl = cTrace.loops!, tl = e.trace.loops!;
  const loopDiff = (Object.keys(cl) as Array<keyof typeof cl>).filter((k) => cl[k] !== tl[k]).map((k) => `${k} ${who.c} ${cl[k]} vs ${who.engine} ${tl[k]}`);
  // a full-dialect C marks what it skips (-dmin): the engine must skip exactly the same evaluations
  const skipKeys = (t: ParsedTrace) => new Set(t.skips.map((k) => `${k.block}/${k.source}`));
  const cs = skipKeys(cTrace), es = skipKeys(e.trace);
  const skipDiff = cTrace.dialect === 'full' ? [...[...cs].filter((k) => !es.has(k)).map((k) => `${who.c} skips ${k}, ${who.engine} does not`), ...[...es].filter((k) => !cs.has(k)).map((k) => `${who.engine} skips ${k}, ${who.c} does not`)] : [];
  const gridProblems = [
    ...(loopDiff.length ? [`loop counts differ: ${loopDiff.join(', ')}`] : []),
    ...(skipDiff.length ? [`skipped evaluations differ (block/source): ${skipDiff.slice(0, 3).join('; ')}${skipDiff.length > 3 ? `; and ${skipDiff.length - 3} more` : ''}`] : []),
    ...(pairing.missing_count ? [`${pairing.missing_count} ${who.c} evaluations have no ${who.engine} entry (first ${pairing.missing.join(', ')})`] : []),
    ...(pairing.angle_mismatch_count ? [`${pairing.angle_mismatch_count} φ angles differ (${pairing.angle_mismatches.map((x) => x.replace(': C φ=', `: ${who.c} φ=`).replace(', engine φ=', `, ${who.engine} φ=`)).join('; ')})`] : []),
  ];
  const grid = { pass: gridProblems.length === 0, detail: gridProblems.length ? gridProblems.join('; ') : `${pairs.length} evaluations paired by loop indices; loop counts and φ angles agree` };
  const deltas = traceDeltas(cTrace, e.trace, pairs);
  const v = vg1(cTrace, e.trace, pairs, mode, tol);
  const div = firstDivergence(cTrace, e.trace, pairs, divTol);
  const fpixels: number = e.summary.detector.fpixels, spixels: number = e.summary.detector.spixels;
  const sameSize = cImg.length === e.image.length;
  const full = sameSize ? imageMetrics(e.image, cImg, fpixels, spixels, gate) : null;
  const roiB = e.summary.detector.roi as { xmin: number; xmax: number; ymin: number; ymax: number };
  const roiGiven = roiB.xmin > 0 || roiB.ymin > 0 || roiB.xmax < fpixels - 1 || roiB.ymax < spixels - 1;
  const roiBounds = { xmin: Math.max(0, roiB.xmin), xmax: Math.min(fpixels - 1, roiB.xmax), ymin: Math.max(0, roiB.ymin), ymax: Math.min(spixels - 1, roiB.ymax) };
  const roi = sameSize && roiGiven ? imageMetrics(e.image, cImg, fpixels, spixels, gate, roiBounds) : null;
  const fm = full?.metrics;
  const vgDetail = (q: typeof v.k_frac, what: string, unit: string, t: number) => q.steps === 0
    ? `no ${what} values to compare: the traced pixel has no paired evaluations${e.trace.skips.length ? ` (all ${e.trace.skips.length} of its (sub-pixel, source) pairs are skipped by -dmin); trace another pixel` : ''}`
    : q.non_finite.count
    ? `${q.non_finite.count} of ${q.steps} ${what} values are not finite (first at φ step ${q.non_finite.first!.phi_tic}, block ${q.non_finite.first!.block}: ${who.c} ${q.non_finite.first!.c}, ${who.engine} ${q.non_finite.first!.ts})`
    : `max |Δ${what}| ${q.max_abs.toExponential(3)}${unit} over ${q.steps} φ entries (tolerance ${t})`;
  const gates = [
    { name: 'evaluation grid', pass: grid.pass, detail: grid.detail },
    { name: 'VG-1 k_frac', pass: v.k_frac.pass, detail: vgDetail(v.k_frac, 'k_frac', '', tol.k_frac) },
    { name: 'VG-1 rot_b_y', pass: v.rot_b_y.pass, detail: `${vgDetail(v.rot_b_y, 'rot_b_y', ' Å', tol.rot_b_y)}, ${v.rot_b_y.source}` },
    {
      name: 'image', pass: !!full?.pass,
      detail: !fm ? `sizes differ: ${who.c} ${cImg.length} pixels, ${who.engine} ${e.image.length} (${fpixels}x${spixels})` :
        (fm.non_finite_c || fm.non_finite_ts ? `not finite: ${fm.non_finite_c} ${who.c} pixels, ${fm.non_finite_ts} ${who.engine} pixels (first at ${JSON.stringify(fm.first_non_finite_at)}); ` : '') +
        `identical ${(100 * fm.identical_fraction).toFixed(4)}% (min ${100 * gate.minIdentical}%), ${fm.outside_tolerance} pixels beyond ${gate.ulpTol} ulp and ${gate.relTol} relative, correlation ${fm.correlation} (min ${gate.minCorrelation})` +
        (gate.sumRatioMin !== undefined || gate.sumRatioMax !== undefined ? `, sum ratio ${fm.sum_ratio} (bounds ${gate.sumRatioMin ?? '-∞'}..${gate.sumRatioMax ?? '∞'})` : '') +
        (gate.maxAbs !== undefined ? `, max |Δ| ${fm.max_abs} (max ${gate.maxAbs})` : ''),
    },
  ];
  return { pairing, pairs, deltas, v, div, full, roi, roiBounds, gates, pass: gates.every((g) => g.pass), fpixels, spixels };
}

/** Run one comparison and leave its evidence folder, sealed: complete, or failed with the step, side and exit code. */
export async function runCompare(o: CompareOptions): Promise<CompareResult> {
  if (o.againstC !== undefined) return runAgainstC(o as CompareOptions & { againstC: string });
  const progress = o.onProgress ?? (() => undefined);
  const cwd = o.cwd ?? process.cwd();
  const replay = o.replayCase !== undefined;
  const refCase = replay ? loadCase(resolveCaseDir(o.replayCase!)) : null;
  const split = splitArgs(refCase ? [...absoluteArgs(refCase), ...o.args] : o.args, cwd);
  const user = parseUserQuirks(split.quirk, split.engine['--quirks'], split.engine['--phi-carryover-mode']);
  // the φ mode as asked (a replay picks its recorded image by it); live, unless asked, the fingerprint decides it below
  let mode: PhiMode = user.phiMode ?? (user.all ? (user.all === 'c' ? 'c-parity' : 'spec') : (user.each.find(([id]) => id === 'C-PARITY-001')?.[1] === 'c' ? 'c-parity' : 'spec'));
  const dtype = (split.engine['--dtype'] ?? 'float64') as Dtype;
  if (dtype !== 'float64' && dtype !== 'float32') throw new InputError(`--dtype expects float64 or float32, got '${dtype}'`);
  const omp = o.ompThreads ?? (split.engine['--c-threads'] ? Number(split.engine['--c-threads']) : 1);
  if (!Number.isInteger(omp) || omp < 1) throw new InputError(`OpenMP thread count must be a positive integer, got ${omp}`);
  if (o.repeatC !== undefined && o.repeatC !== 'auto' && !(Number.isInteger(o.repeatC) && o.repeatC >= 1)) throw new InputError(`--repeat-c expects a positive integer or auto, got ${o.repeatC}`);
  let cause: KnownCause | null = null;
  if (o.expectCause !== undefined) {
    cause = KNOWN_CAUSES[o.expectCause] ?? null;
    if (!cause) throw new InputError(`unknown cause '${o.expectCause}' (known: ${Object.keys(KNOWN_CAUSES).join(', ')})`);
  }
  const timeoutMs = (o.timeoutSec ?? 600) * 1000;
  const divTol = { rel: o.divergenceRel ?? DEFAULT_DIVERGENCE.rel };
  const gate = o.imageGate ?? DEFAULT_IMAGE_GATE;
  const engine = engineCli();

  const ev = o.evidencePath ? EvidenceDir.createAt(o.evidencePath) : EvidenceDir.create(o.reportsRoot ?? join(projectRoot(), 'reports'), o.initiative ?? 'adhoc');
  const scratch = makeScratch('nbparity-run-');
  let step = 'prepare', side: string | null = null;
  const kept: string[] = [];
  const keep = (name: string, data: string | Uint8Array) => { ev.write(name, data); kept.push(name); };
  const keepLogs = (run: RunRecord, name: string): string => ev.keepLogs(run, name, kept);
  try {
    // the reference side: a compiled C (live) or a recorded case (replay)
    let prepared: PreparedC | null = null;
    let refImageFile: string | null = null, refTraceFile: string | null = null;
    if (replay) {
      step = 'reference'; side = 'C';
      const key = Object.keys(refCase!.images).find((k) => { const ik = imageKey(k); return ik.mode === mode && ik.threads === omp; });
      if (!key) throw new InputError(`case ${refCase!.id} has no recorded ${mode} image for ${omp} C thread(s) (has: ${Object.keys(refCase!.images).join(', ')})`);
      const traces = refCase!.traces;
      const traceName = traces?.[mode] ?? refCase!.golden_trace;
      if (!traceName) throw new InputError(`case ${refCase!.id} has no recorded C trace`);
      verifyReference(refCase!, [refCase!.images[key], traceName]);
      refImageFile = join(refCase!.dir, refCase!.images[key]);
      refTraceFile = join(refCase!.dir, traceName);
    } else {
      step = 'build'; side = 'C';
      progress('building the C');
      prepared = o.prepared ?? await prepareC({ cSource: o.cSource, cc: o.cc, cflags: o.cflags });
    }

    // the C build's quirks (harness/fingerprint): the engine's profile where the user did not set it
    let fp: Fingerprint | null = null, fpWhy = '', fpCached: boolean | null = null, fpFile: string | null = null;
    if (replay) fpWhy = `replay: the recorded ${mode === 'c-parity' ? 'upstream' : 'fixed (fix/phi0-stale-rotation)'} build, see traces/fingerprints`;
    else if (o.fingerprint === false) fpWhy = 'not asked (--no-fingerprint)';
    else if (o.fingerprint) fp = o.fingerprint;
    else {
      step = 'fingerprint'; side = 'C';
      progress('fingerprinting the C build (quirk catalogue probes; cached with the build)');
      const r = await fingerprint({ cSource: prepared!.source, cc: o.cc, cflags: o.cflags, timeoutSec: o.timeoutSec });
      fp = r.fp; fpCached = r.cached; fpFile = r.file;
    }
    const quirks = chooseProfile(user, fp, fpWhy);
    if (!replay) mode = quirks.mode;
    const tol: Vg1Tolerance = { ...DEFAULT_VG1[mode], ...(o.vg1?.[mode] ?? {}) };

    // the traced pixel: given, recorded, or the engine's brightest pixel
    // the engine's math functions: the C's own libm (this machine's) when the C runs here, unless told otherwise;
    // a replay leaves the engine's default (system where it loads, else correctly rounded)
    const libmArg = split.engine['--libm'] ?? (replay ? null : 'system');
    const engineBase = [...split.nano, ...quirks.args, '--c-threads', String(omp), '--dtype', dtype, ...(libmArg ? ['--libm', libmArg] : [])];
    let traced = split.trace ?? (refCase ? refCase.trace_pixel : null);
    let tracedNote = split.trace ? 'given with -trace_pixel' : refCase ? 'recorded with the reference' : '';
    const cDir = join(scratch, 'c'), tDir = join(scratch, 'ts');
    mkdirSync(cDir); mkdirSync(tDir);
    if (!traced) {
      step = 'engine pre-run'; side = 'engine';
      progress('engine pre-run to choose the traced pixel');
      const pre = await runSide('TS', [process.execPath, engine, ...engineBase, '-floatfile', 'pre.float.bin', '-intfile', 'pre.int.img', '-nopgm', '-nonoise', '--json'], { cwd: tDir, timeoutMs, name: 'pre' });
      if (pre.exitCode !== 0 || pre.timedOut) throw engineFailure(pre, keepLogs(pre, 'pre'));
      const summary = engineJson(pre);
      const img = readSizedImage(join(tDir, 'pre.float.bin'), summary.detector.fpixels * summary.detector.spixels, 'engine', 'pre.float.bin');
      let best = -1;
      for (let i = 1; i < img.length; i++) if (best < 0 || img[i] > img[best]) best = i;
      traced = [Math.floor(best / summary.detector.fpixels), best % summary.detector.fpixels];
      tracedNote = 'the brightest engine pixel (no -trace_pixel given)';
    }
    const tracedPixel = traced;
    const traceArgs = ['-trace_pixel', String(tracedPixel[0]), String(tracedPixel[1])];

    // one engine side: run, then every output checked whole
    const runEngine = async (name: string, extra: string[], check?: (summary: any) => void): Promise<EngineSide> => {
      const dir = join(scratch, name);
      if (!existsSync(dir)) mkdirSync(dir);
      const run = await runSide('TS', [process.execPath, engine, ...withOverrides(engineBase, extra), ...traceArgs, '--libm-log', '-floatfile', 'ts.float.bin', '-intfile', 'ts.int.img', '--json'], { cwd: dir, timeoutMs, name: 'ts' });
      if (run.exitCode !== 0 || run.timedOut) throw engineFailure(run, keepLogs(run, name === 'ts' ? 'ts' : `${name}/ts`));
      const summary = engineJson(run);
      if (check) { step = 'traced pixel'; check(summary); step = 'engine run'; }
      const traceText = readFileSync(run.stderrFile, 'utf8').split('\n').filter((l) => l.startsWith('TRACE')).join('\n') + '\n';
      const traceName = name === 'ts' ? 'ts.trace.txt' : `${name}/ts.trace.txt`;
      keep(traceName, traceText);
      const trace = traceOfPixel(traceText, tracedPixel, ev.file(traceName));
      const complete = checkComplete(trace, 'engine', ev.file(traceName));
      const image = readSizedImage(join(dir, 'ts.float.bin'), summary.detector.fpixels * summary.detector.spixels, 'engine', 'ts.float.bin');
      return { run, summary, traceText, trace, complete, image };
    };

    step = 'engine run'; side = 'engine';
    progress(`running the engine (${mode}, ${dtype})`);
    const eng = await runEngine('ts', [], (summary) => checkTracedPixel(tracedPixel, summary.detector));
    validate('trace', eng.trace);

    // run the C (more than once when its output may not be reproducible)
    let cRun: RunRecord | null = null;
    const cEnv = { OMP_NUM_THREADS: String(omp) };
    const repeat = o.repeatC === 'auto' ? (omp > 1 && eng.summary.crystal?.interpolate ? 2 : 1) : (o.repeatC ?? 1);
    const cRuns: RunRecord[] = [];
    if (prepared) {
      step = 'C run'; side = 'C';
      for (let r = 0; r < repeat; r++) {
        const dir = r === 0 ? cDir : join(scratch, `c${r + 1}`);
        if (r > 0) mkdirSync(dir);
        progress(`running the C (OMP_NUM_THREADS=${omp})${repeat > 1 ? `, run ${r + 1} of ${repeat}` : ''}`);
        const run = await runSide('C', [prepared.built.binary, ...split.nano, ...traceArgs, '-floatfile', 'c.float.bin', '-intfile', 'c.int.img'], { cwd: dir, env: cEnv, timeoutMs, name: 'c' });
        if (run.exitCode !== 0 || run.timedOut) {
          throw new SideFailedError(run, [tail(run.stderrFile), tail(run.stdoutFile, 5)].filter(Boolean).join('\n'), keepLogs(run, r === 0 ? 'c' : `c.run${r + 1}`));
        }
        cRuns.push(run);
      }
      cRun = cRuns[0];
      refImageFile = join(cDir, 'c.float.bin');
      refTraceFile = cRun.stdoutFile;
    }

    // parse and check the C trace, then its image (the size its own loops imply)
    step = 'C trace'; side = 'C';
    progress('parsing traces');
    const cTraceText = readFileSync(refTraceFile!, 'utf8');
    keep('c.trace.txt', cTraceText);
    if (cRun) keepLogs(cRun, 'c');
    const cTrace = traceOfPixel(cTraceText, tracedPixel, ev.file('c.trace.txt'));
    const cComplete = checkComplete(cTrace, 'C', ev.file('c.trace.txt'));
    validate('trace', cTrace);
    ev.writeJson('c.trace.json', stripCalls(cTrace));
    ev.writeJson('ts.trace.json', stripCalls(eng.trace));
    step = 'C image';
    const cPixels = cTrace.loops!.fpixels * cTrace.loops!.spixels;
    if (!replay && existsSync(refImageFile!) && statSync(refImageFile!).size !== cPixels * 4) {
      keep('c.float.bin.as-written', readFileSync(refImageFile!)); // what the C wrote, kept before it is judged
    }
    const cImg = readSizedImage(refImageFile!, cPixels, replay ? 'recorded C run' : 'C program', replay ? refImageFile! : 'c.float.bin', replay ? undefined : ev.file('c.float.bin.as-written'));
    keep('c.float.bin', new Uint8Array(cImg.buffer));
    keep('ts.float.bin', new Uint8Array(eng.image.buffer));

    // a C whose two runs differ cannot judge the engine
    if (cRuns.length > 1) {
      step = 'C reproducibility';
      for (let r = 1; r < cRuns.length; r++) {
        const again = readSizedImage(join(scratch, `c${r + 1}`, 'c.float.bin'), cImg.length, 'C program', `c.run${r + 1}.float.bin`);
        // each run's trace is held to the same standard (complete, parsed whole) before the two are compared
        const otherName = `c.run${r + 1}.trace.txt`;
        const otherText = readFileSync(cRuns[r].stdoutFile, 'utf8');
        const other = traceOfPixel(otherText, tracedPixel, otherName);
        checkComplete(other, `C (run ${r + 1})`, otherName);
        const values = (t: ParsedTrace) => JSON.stringify([t.blocks.map((b) => b.values), t.phi.map((e) => [phiKey(e), e.values]), t.final, t.skips.map((k) => [k.block, k.source])]);
        let differ = 0, maxAbs = 0;
        for (let i = 0; i < cImg.length; i++) if (!Object.is(cImg[i], again[i])) { differ++; const d = Math.abs(cImg[i] - again[i]); if (!(d <= maxAbs)) maxAbs = d; }
        const traceDiffers = values(cTrace) !== values(other);
        if (differ || traceDiffers) {
          keep(`c.run${r + 1}.float.bin`, new Uint8Array(again.buffer));
          keep(otherName, otherText);
          throw new NotReproducibleError(`C output not reproducible: run 1 and run ${r + 1} of the same C (OMP_NUM_THREADS=${omp}${eng.summary.crystal?.interpolate ? ', interpolation on: its threads share the interpolation switch' : ''}) differ in ${differ} of ${cImg.length} pixels (max |Δ| ${maxAbs})${traceDiffers ? ' and in the traced pixel' : ''}; the engine is not judged. Kept: ${ev.file('c.float.bin')}, ${ev.file(`c.run${r + 1}.float.bin`)}`);
        }
      }
    }

    // pair, diff, gates
    step = 'compare'; side = null;
    progress('comparing');
    const j = judge(cTrace, cImg, eng, mode, tol, divTol, gate);
    const carry = detectCarryover(cTrace, mode);

    // any difference (a failed gate, a first divergence, a pixel not bit-identical): is the math library the cause? (harness/compare/libm.ts)
    let libm: LibmDiagnosis | null = null;
    const differs = !j.pass || j.div !== null || !(j.full && j.full.metrics.identical_fraction === 1);
    if (differs && dtype === 'float32') libm = undeterminedLibm('a float32 engine differs from the C by float32 roundoff first; the math library is judged in float64');
    else if (differs) {
      const paired = pairLibmCalls(cTrace, eng.trace, systemLibmForHarness);
      let cf: { engine_args: string[]; pass: boolean; failed: string[] } | null = null;
      if (paired.needsCounterfactual) {
        step = 'libm counterfactual'; side = 'engine';
        progress('is libm the cause? engine with --libm system (the C\'s own libm)');
        const alt = await runEngine('libm', ['--libm', 'system']);
        const ja = judge(cTrace, cImg, alt, mode, tol, divTol, gate);
        ev.writeJson('libm/ts.trace.json', stripCalls(alt.trace));
        // nothing else may differ: every gate passes, every traced value is the same number (no
        // tolerance), every pixel is bit-identical
        const identical = ja.full ? ja.full.metrics.identical_fraction === 1 : false;
        const exact = firstDivergence(cTrace, alt.trace, pairPhi(cTrace, alt.trace).pairs, { rel: 0 });
        const failed = [...ja.gates.filter((g) => !g.pass).map((g) => g.name), ...(exact ? [`identical traces (${exact.quantity} differs)`] : []), ...(identical ? [] : ['bit-identical image'])];
        cf = { engine_args: ['--libm', 'system'], pass: failed.length === 0, failed };
        step = 'compare'; side = null;
      }
      libm = concludeLibm(paired, cf);
    }

    // a known cause expected to explain a failure: does it?
    let explanation: Record<string, unknown> | null = null;
    if (cause) {
      const present = cause.presentInC(cTrace, fp);
      const state = cause.id === 'C-PARITY-001' ? phiState(mode) : quirks.profile[cause.id];
      const cf = present === null ? null : cause.counterfactual(state, present);
      explanation = { cause: cause.id, title: cause.title, present_in_c: present, needed: !j.pass, explained: false, counterfactual: null, signature: null, sentence: '' };
      if (j.pass) explanation.sentence = `Every gate passes; ${cause.id} ${present === null ? 'cannot show in this run' : present ? 'is in this C build' : 'is absent from this C build'}.`;
      else if (cf === null) explanation.sentence = `${cause.id} cannot explain this failure: ${present === null ? 'this run cannot show it' : `the C build ${present ? 'has' : 'lacks'} it, and the engine (${cause.id === 'C-PARITY-001' ? `${mode} mode` : `${cause.id}=${state}`}) already ${present ? 'emulates' : 'omits'} it`}.`;
      else {
        step = 'counterfactual'; side = 'engine';
        progress(`explaining by ${cause.id}: engine with ${cf.join(' ')}`);
        // a cause is logic, not precision: a float32 engine's first divergence is float32
        // roundoff (cancellations amplify it), so its signature is read from a float64 run
        const sigSide = dtype === 'float32' ? await runEngine('signature', ['--dtype', 'float64']) : eng;
        const sigDiv = sigSide === eng ? j.div : firstDivergence(cTrace, sigSide.trace, pairPhi(cTrace, sigSide.trace).pairs, divTol);
        const sig = cause.signature(sigDiv, cTrace);
        const alt = await runEngine('explain', cf);
        const ja = judge(cTrace, cImg, alt, cf.includes('c-parity') ? 'c-parity' : 'spec', tol, divTol, gate);
        ev.writeJson('explain/ts.trace.json', alt.trace);
        const failed = ja.gates.filter((g) => !g.pass);
        explanation.signature = { ...sig, engine_dtype: sigSide === eng ? dtype : 'float64' };
        explanation.counterfactual = { engine_args: cf, pass: ja.pass, gates: ja.gates, first_divergence: ja.div ? ja.div.sentence : null };
        explanation.explained = sig.ok && ja.pass;
        explanation.sentence = explanation.explained
          ? `Explained by ${cause.id}: ${sig.detail}, and with ${cf.join(' ')} every gate passes against the same C outputs.`
          : `Not explained by ${cause.id}: ${[!sig.ok ? sig.detail : '', !ja.pass ? `with ${cf.join(' ')} the engine still fails ${failed.map((g) => g.name).join(', ')} (${failed.map((g) => g.detail).join('; ')})` : ''].filter(Boolean).join('; ')}.`;
      }
      step = 'report'; side = null;
    }

    // previews and plots
    step = 'report';
    const { fpixels, spixels } = j;
    const previews = await writeComparisonFigures(ev, cImg, eng.image, j, tracedPixel, tol, divTol);

    // verdict and delta_metrics.json
    const pass = j.pass;
    const git = gitCommit();
    annotateGates(j.gates, j.full?.metrics);
    const metrics: DeltaMetrics = {
      schema_version: 'nbparity.delta_metrics/1',
      created: new Date().toISOString(),
      tool: { name: 'nbparity', version: toolVersion(), git_commit: git.commit, git_dirty: git.dirty },
      run: {
        mode: replay ? 'replay' : 'live', against: againstLine(prepared), case: refCase?.id ?? null, nanobragg_args: split.nano, traced_pixel: { slow: tracedPixel[0], fast: tracedPixel[1], chosen: tracedNote },
        c: replay
          ? { dialect: cTrace.dialect === 'full' ? 'nbparity-instrumented' : 'golden', omp_threads: omp, recorded_image: refImageFile, recorded_trace: refTraceFile, runs: 0 }
          : { dialect: prepared!.dialect, instrumented: prepared!.instrumented, source: prepared!.source, from: prepared!.from, source_sha256: prepared!.originalSha256, built_sha256: prepared!.built.sourceSha256, compiler: prepared!.built.compilerVersion, flags: prepared!.built.flags, binary: prepared!.built.binary, omp_threads: omp, runs: cRuns.length },
        engine: { dtype, phi_mode: mode, c_threads: omp, libm: eng.summary.libm ?? null },
        quirks: {
          line: quirks.line, engine_profile: quirks.profile, from: quirks.from, summary: profileSummary(quirks),
          fingerprint: fp ? { has: fp.has, fixes: fp.fixes, unknown: fp.unknown, catalogue_version: fp.catalogue_version, cached: fpCached, file: fpFile } : null,
        },
      },
      trace: {
        c_side: cTrace.side, engine_side: eng.trace.side, phi_steps: new Set(j.pairs.map((p) => p.phi_tic)).size, phi_entries_paired: j.pairs.length,
        completeness: { c: cComplete, engine: eng.complete },
        per_pixel: j.deltas.per_pixel, final: j.deltas.final, per_phi: j.deltas.per_phi,
      },
      vg1: j.v,
      first_divergence: j.div ? { found: true, tolerance_rel: divTol.rel, ...j.div } : { found: false, tolerance_rel: divTol.rel, sentence: `No divergence: every traced quantity agrees within ${divTol.rel} relative.` },
      carryover: carry,
      explanation,
      libm,
      image: {
        fpixels, spixels, gate: { min_identical: gate.minIdentical, ulp_tol: gate.ulpTol, rel_tol: gate.relTol, min_correlation: gate.minCorrelation, sum_ratio_min: gate.sumRatioMin ?? null, sum_ratio_max: gate.sumRatioMax ?? null, max_abs: gate.maxAbs ?? null, pass: !!j.full?.pass },
        full: j.full?.metrics ?? null, roi: j.roi ? { ...j.roi.metrics, bounds: j.roiBounds } : null,
        previews,
      },
      verdict: { pass, exit_code: pass ? 0 : 1, gates: j.gates, summary: '' },
    };
    metrics.verdict.summary = `${pass ? 'PASS' : 'FAIL'}: ${j.gates.filter((g) => !g.pass).map((g) => g.name).join(', ') || 'all gates pass'}. ${metrics.first_divergence.sentence}${libm && libm.verdict !== 'undetermined' ? ` ${libm.sentence}` : ''}`;
    validate('deltaMetrics', metrics);
    const written = ev.writeJson('delta_metrics.json', metrics);
    validate('deltaMetrics', JSON.parse(readFileSync(written, 'utf8')));

    // the rest of the evidence
    const invocation = o.invocation ?? ['nbparity', replay ? 'replay' : 'compare', '--', ...o.args];
    const lines = [
      `# nbparity ${replay ? 'replay' : 'compare'} at ${ev.stamp}: ${againstLine(prepared)} (re-runnable; the C and engine lines ran in fresh scratch directories)`,
      `cd ${cmd([cwd])} && ${cmd(invocation)}`,
      ...(cRun ? ['', `# C side${cRuns.length > 1 ? ` (run ${cRuns.length} times)` : ''}`, `${cmd(cRun.command, cRun.env)}`] : ['', `# C side: recorded reference ${refCase!.dir}`, `#   image ${refImageFile}`, `#   trace ${refTraceFile}`]),
      '', '# engine side', cmd(eng.run.command),
    ];
    ev.write('commands.txt', lines.join('\n') + '\n');
    ev.writeJson('env.json', {
      created: metrics.created, ...machine(),
      compiler: prepared ? prepared.built.compilerVersion : null, cflags: prepared ? prepared.built.flags : null,
      project_git_commit: git.commit, project_git_dirty: git.dirty,
      c_source_sha256: prepared ? prepared.originalSha256 : null, c_dialect: metrics.run.c.dialect,
      omp_num_threads: omp, dtype, phi_mode: mode, engine_libm: eng.summary.libm ?? null, mode: replay ? 'replay' : 'live', against: againstLine(prepared), reference_case: refCase?.id ?? null,
    });
    ev.writeJson('config_snapshot.json', { harness: { args: split.nano, traced_pixel: tracedPixel, vg1_tolerances: tol, divergence_tolerance: divTol, image_gate: gate, timeout_sec: timeoutMs / 1000, repeat_c: repeat }, engine: eng.summary });
    ev.write('ts.log.txt', readFileSync(eng.run.stderrFile, 'utf8').split('\n').filter((l) => !l.startsWith('TRACE')).join('\n'));
    writeSummary(ev, metrics);
    writeComparePage(ev, metrics);
    ev.seal({ exit_code: pass ? 0 : 1, verdict: pass ? 'pass' : 'gate failed' });
    return { dir: ev.path, metrics, exitCode: pass ? 0 : 1 };
  } catch (e) {
    recordFailure(ev, e, step, side, kept);
    throw e;
  } finally {
    removeScratch(scratch);
  }
}

/**
 * The figures of one comparison: raw previews, heatmaps and the |Δ| per φ step plot. `sides`
 * names the two sides' files and labels (C and engine by default; build A and build B for C
 * against C). Previews are null when the images differ in size.
 */
export async function writeComparisonFigures(
  ev: EvidenceDir, ref: Float32Array, cmp: Float32Array, j: { fpixels: number; spixels: number; pairs: ReturnType<typeof pairPhi>['pairs'] },
  tracedPixel: [number, number], tol: Vg1Tolerance, divTol: { rel: number },
  sides: { files: [string, string]; names?: { a: string; b: string }; titleSuffix: string; yTitle?: string } = { files: ['c.png', 'ts.png'], titleSuffix: '' },
): Promise<Record<string, string> | null> {
  const { fpixels, spixels } = j;
  let previews: Record<string, string> | null = null;
  if (ref.length === cmp.length) {
    const vmax = sharedMax(ref, cmp);
    const pa = intensityPng(ref, fpixels, spixels, vmax), pb = intensityPng(cmp, fpixels, spixels, vmax), pd = differencePng(cmp, ref, fpixels, spixels);
    ev.write(sides.files[0], pa.png); ev.write(sides.files[1], pb.png); ev.write('diff.png', pd.png);
    // heatmaps with axes and colour bars (harness/report): their captions become the scales; the raw previews keep theirs
    previews = {
      c: sides.files[0], ts: sides.files[1], diff: 'diff.png', intensity_scale: pa.scale.note, difference_scale: pd.scale.note,
      raw_intensity_scale: pa.scale.note, raw_difference_scale: pd.scale.note,
      ...await compareHeatmaps(ev, ref, cmp, fpixels, spixels, [tracedPixel], sides.names),
    };
  }
  const step0 = j.pairs.filter((p) => p.block === 0 && p.source === 0 && p.mos_tic === 0);
  const series = ['k_frac', 'h_frac', 'l_frac', 'F_latt'].map((n) => ({
    label: n === 'F_latt' ? 'F_latt (relative)' : n,
    points: step0.filter((p) => p.c.values[n] && p.ts.values[n] && Number.isFinite(p.c.values[n][0]) && Number.isFinite(p.ts.values[n][0])).map((p) => {
      const d = Math.abs(p.c.values[n][0] - p.ts.values[n][0]);
      return { x: p.phi_tic, y: n === 'F_latt' ? (d === 0 ? 0 : d / Math.max(Math.abs(p.c.values[n][0]), 1e-300)) : d };
    }),
  })).filter((x) => x.points.length);
  const plot = await renderSpec(deltaPerPhiSpec(`|Δ| per φ step at pixel (${tracedPixel[0]}, ${tracedPixel[1]}), block 0${sides.titleSuffix}`, series, sides.yTitle, compareTolerances(tol, divTol)));
  ev.write('delta_per_phi.png', plot.png); ev.write('delta_per_phi.svg', plot.svg);
  return previews;
}

/** A parsed trace as written to the evidence: the math calls stay in the trace text, the JSON keeps their count. */
export function stripCalls(t: ParsedTrace): ParsedTrace {
  return t.libm ? { ...t, libm: { provider: t.libm.provider, truncated: t.libm.truncated, count: t.libm.count } } : t;
}

/** Seal a failed run's folder with what failed (or leave it incomplete when even that cannot be written), and point the error at it. */
export function recordFailure(ev: EvidenceDir, e: unknown, step: string, side: string | null, kept: string[]): void {
  const err = e as Error & Partial<ContractError>;
  const exit = exitCodeFor(e);
  try {
    if (!ev.isSealed) ev.sealFailed({ step: err.step ?? step, side: err.side ?? side, exit_code: exit, kind: err.name ?? 'Error', message: err.message ?? String(e), kept });
  } catch { /* the folder stays 'incomplete'; the error below still names it */ }
  if (e && typeof e === 'object') Object.assign(e, { evidence: ev.path, step: err.step ?? step, side: err.side ?? side ?? undefined });
}

/** A traced pixel neither side evaluates (off the detector, outside -roi) is a usage error, not an incomplete trace. */
export function checkTracedPixel([slow, fast]: [number, number], detector: { fpixels: number; spixels: number; roi: { xmin: number; xmax: number; ymin: number; ymax: number } }): void {
  const { fpixels, spixels, roi } = detector;
  if (slow < 0 || fast < 0 || slow >= spixels || fast >= fpixels) {
    throw new InputError(`-trace_pixel ${slow} ${fast} is outside the detector (${fpixels}x${spixels} pixels: slow 0..${spixels - 1}, fast 0..${fpixels - 1})`);
  }
  if (fast < roi.xmin || fast > roi.xmax || slow < roi.ymin || slow > roi.ymax) {
    throw new InputError(`-trace_pixel ${slow} ${fast} is outside the rendered -roi (fast ${roi.xmin}..${roi.xmax}, slow ${roi.ymin}..${roi.ymax}): neither side evaluates it`);
  }
}

function engineJson(run: RunRecord): any {
  const text = readFileSync(run.stdoutFile, 'utf8');
  try { return JSON.parse(text); } catch { throw new SideError(`the engine exited 0 but its --json summary is not JSON (${text.length} bytes)`); }
}

/** The engine failed: exit 2 is its own input error (the arguments), anything else a side failure. */
function engineFailure(run: RunRecord, kept: string): Error {
  if (run.exitCode === 2 && !run.timedOut) return new InputError(readFileSync(run.stderrFile, 'utf8').trim().split('\n').filter((l) => !l.startsWith('TRACE')).join('\n'));
  return new SideFailedError(run, [tail(run.stderrFile), tail(run.stdoutFile, 5)].filter(Boolean).join('\n'), kept);
}

export function resolveCaseDir(idOrPath: string): string {
  if (existsSync(join(idOrPath, 'case.json'))) return resolve(idOrPath);
  const d = join(projectRoot(), 'traces', 'reference', idOrPath);
  if (!existsSync(join(d, 'case.json'))) throw new InputError(`no recorded reference case '${idOrPath}' (looked in ${d})`);
  return d;
}

export { describeEnd };
