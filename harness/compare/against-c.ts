/**
 * C against C (`nbparity compare --c-source A --against-c B -- <nanoBragg args>`): two builds
 * of nanoBragg.c, each located, instrumented and compiled as the C is today (prepareC, cached),
 * run on the same arguments, the same traced pixel and the same OMP_NUM_THREADS, then judged
 * exactly as the C is judged against the engine: the same pairing by loop indices, trace
 * deltas, VG-1, first divergence, image gate, previews, delta_metrics.json and sealed evidence
 * folder. No engine runs.
 *
 * Roles: build A plays the C (the reference); build B plays the part the engine plays. So in
 * delta_metrics.json every field named `c`/`C` is build A and every field named `engine`/`ts`
 * is build B; `run.mode` is "c-vs-c", `run.c` and `run.against_c` say which file each build
 * is (path, sha256, dialect, compiler, flags, binary), and every sentence says "build A" and
 * "build B", never "engine".
 *
 * What differs from C against the engine, and why:
 *  - build B's trace is a C trace (`TRACE_C` lines): the same parser gives it side 'C', checks
 *    its TRACE_C_LOOPS against its own banner, and the same completeness rules hold it whole;
 *  - the image size is what build B's own TRACE_C_LOOPS declare (fpixels × spixels), and the
 *    ROI is the one its banner prints (`roi: xmin < x < xmax && ymin < y < ymax`, the C's own
 *    resolution of -roi), the full frame when it prints none;
 *  - without -trace_pixel, the brightest pixel of a pre-run of build A is traced;
 *  - the libm verdict does not apply: both builds call this machine's same C library, so it is
 *    reported as undetermined with that reason, never as a cause and never as a pass;
 *  - C-PARITY-001 is detected in each build separately; no engine φ mode exists here, so
 *    engine-only options (--dtype, --libm, --phi-carryover-mode, --c-threads) are refused.
 */
import { fingerprint, fingerprintLine, type Fingerprint } from '../fingerprint/run.js';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkCSource, projectRoot, requireCSource, type CSource } from '../c/build.js';
import { runSide, describeEnd, type RunRecord } from '../run/side.js';
import { makeScratch, removeScratch } from '../run/lifecycle.js';
import { bannerLoops, phiKey, traceOfPixel, type ParsedTrace } from '../trace/parse.js';
import { checkComplete } from '../trace/complete.js';
import { validate } from '../schemas/validate.js';
import { EvidenceDir } from '../evidence/dir.js';
import { DEFAULT_DIVERGENCE, DEFAULT_VG1, detectCarryover, type CarryoverResult, type FirstDivergence, type Vg1Tolerance } from './traces.js';
import type { LibmDiagnosis } from './libm.js';
import { DEFAULT_IMAGE_GATE } from '../replay.js';
import { writeSummary } from '../report/summary.js';
import { annotateGates, writeComparePage } from '../report/page.js';
import { gitCommit, machine, shellLine as cmd, toolVersion } from '../env.js';
import { InputError, NotReproducibleError, SideError } from '../contract.js';
import {
  checkTracedPixel, judge, prepareC, readSizedImage, recordFailure, splitArgs, stripCalls, tail, writeComparisonFigures,
  type CompareOptions, type CompareResult, type DeltaMetrics, type EngineSide, type PreparedC, type SideNames,
} from './run.js';

export type Role = 'A' | 'B';
const WHO: SideNames = { c: 'build A', engine: 'build B' };

/** How a build is named in every header and console line: role, path and sha256 prefix. */
export function buildLabel(role: Role, p: PreparedC): string {
  return `build ${role} ${p.source} (sha256 ${p.originalSha256.slice(0, 16)}…)`;
}

/** The against line of a C-against-C run (run.against, env.json, every report header). */
export function againstCLine(a: PreparedC, b: PreparedC): string {
  return `C against C: ${buildLabel('A', a)} vs ${buildLabel('B', b)}`;
}

/** A build that crashed, timed out or exited non-zero (exit 3), named by its role, path and sha256. */
export class BuildRunError extends SideError {
  override name = 'SideFailedError';
  constructor(role: Role, p: PreparedC, run: RunRecord, tailText: string, kept?: string) {
    super(`build ${role} (${p.source}, sha256 ${p.originalSha256.slice(0, 16)}…) ${describeEnd(run)}: ${run.command.join(' ')}${kept ? `\n(logs kept: ${kept})` : ''}${tailText ? '\n' + tailText : ''}`);
    this.side = `build ${role}`;
  }
}

/** The options a C-against-C run refuses (exit 2, one line), before anything is built or written. */
export function refuseEngineOnly(o: CompareOptions, engine: Record<string, string>): void {
  if (o.replayCase !== undefined) throw new InputError('--against-c compares two live C builds; it cannot be combined with replay (a recorded reference)');
  if (o.expectCause !== undefined) throw new InputError('--against-c: a known cause explains an engine\'s failure; it does not apply to C against C');
  const names = Object.keys(engine);
  if (names.length) {
    throw new InputError(`--against-c compares two C builds and runs no engine: the engine-only option${names.length > 1 ? 's' : ''} ${names.map((n) => `${n} ${engine[n]}`).join(', ')} ${names.length > 1 ? 'do' : 'does'} not apply`);
  }
}

/** locate → instrument → compile one build; an unusable source, an instrumentation or compile error is exit 2 naming the build and its option. */
async function prepareBuild(role: Role, located: CSource, o: CompareOptions): Promise<PreparedC> {
  try {
    return await prepareC({ located, cc: o.cc, cflags: o.cflags });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    const err = new InputError(`${role === 'B' ? '--against-c' : located.from} ${located.path} (build ${role}): ${e.message}`);
    err.name = e.name;
    throw err;
  }
}

type Roi = { xmin: number; xmax: number; ymin: number; ymax: number };

/** The ROI a C run resolved, from its banner line `roi: xmin < x < xmax && ymin < y < ymax` (printed once), else null. */
export function bannerRoi(text: string): Roi | null {
  const all = [...text.matchAll(/^\s*roi: (-?\d+) < x < (-?\d+) && (-?\d+) < y < (-?\d+)\s*$/gm)];
  if (all.length !== 1) return null;
  const m = all[0];
  return { xmin: Number(m[1]), xmax: Number(m[2]), ymin: Number(m[3]), ymax: Number(m[4]) };
}

/** Words for a few final quantities the walk may name first. */
const GLOSS: Record<string, string> = {
  I_before_scaling: " (the pixel's accumulated intensity I, with any oversample_* weighting, before scaling)",
  I_pixel_final: ' (the pixel value before it is stored)',
  floatimage_accumulated: ' (the stored float pixel)',
};
const COMPONENT = ['x', 'y', 'z'];

/**
 * The first-divergence sentence of C against C: the same stage, quantity, component and loop
 * indices as the engine's (harness/compare/traces.ts), with the φ angle of that step, and the
 * two values as build A's and build B's.
 */
export function divergenceSentenceAB(d: FirstDivergence, a: ParsedTrace, tol: { rel: number }): string {
  const comp = d.component < 3 && ['rot', 'vec', 'vector', 'pos', 'hkl_frac', 'angstroms', 'meters', 'A_inv', 'star'].some((s) => d.quantity.includes(s)) ? `[${COMPONENT[d.component]}]` : d.component ? `[${d.component}]` : '';
  const L = d.location;
  let where: string;
  if (L.block < 0) where = 'after all loops';
  else if (L.phi_tic !== undefined) {
    const e = a.phi.find((x) => x.block === L.block && x.source === (L.source ?? 0) && x.mos_tic === (L.mos_tic ?? 0) && x.phi_tic === L.phi_tic);
    const deg = e?.values.phi_deg?.[0];
    const angle = deg !== undefined && Number.isFinite(deg) ? `, φ=${Number(deg.toPrecision(12))}°` : '';
    where = `at φ step ${L.phi_tic}${angle}` + (L.source !== undefined ? ` (sub-pixel block ${L.block}, source ${L.source}, mosaic domain ${L.mos_tic})` : ` (sub-pixel block ${L.block})`);
  } else where = `in sub-pixel block ${L.block}`;
  const size = Number.isFinite(d.c) && Number.isFinite(d.ts) ? `|Δ| ${d.abs.toExponential(3)}, ${d.rel.toExponential(2)} relative` : 'not finite';
  return `First divergence: ${d.stage}, ${d.quantity}${comp}${GLOSS[d.quantity] ?? ''} ${where}: build A ${d.c} vs build B ${d.ts} (${size}; tolerance ${tol.rel} relative).`;
}

/** C-PARITY-001 in each build (the φ=0 step reusing the last rotation), in one sentence. */
export function carryoverAB(a: ParsedTrace, b: ParsedTrace): CarryoverResult & { against_c: { detected: boolean | null; evidence: string } } {
  const ca = detectCarryover(a, 'spec'), cb = detectCarryover(b, 'spec');
  const say = (role: Role, r: CarryoverResult) => r.detected === null ? `build ${role} cannot show it (${r.evidence})`
    : r.detected ? `build ${role} has it, its φ=0 step reusing the last φ step's rotation (${r.evidence})` : `build ${role} rotates φ=0 freshly (${r.evidence})`;
  const sentence = ca.detected === null && cb.detected === null
    ? 'C-PARITY-001 cannot show in this run (it needs φ0 = 0 and more than one φ step).'
    : `C-PARITY-001 at the traced pixel: ${say('A', ca)}; ${say('B', cb)}.`;
  return { detected: ca.detected, evidence: ca.evidence, sentence, matching_mode: null, against_c: { detected: cb.detected, evidence: cb.evidence } };
}

/** The libm verdict does not apply to two C builds: undetermined, with the reason and what their logs show. */
export function libmAB(a: ParsedTrace, b: ParsedTrace): LibmDiagnosis {
  const key = (c: { fn: string; x: string; x2: string | null }) => `${c.fn}:${c.x}:${c.x2 ?? ''}`;
  const bMap = new Map((b.libm?.calls ?? []).map((c) => [key(c), c.y]));
  const seen = new Set<string>();
  let paired = 0, differing = 0;
  for (const c of a.libm?.calls ?? []) {
    const k = key(c);
    if (seen.has(k) || !bMap.has(k)) continue;
    seen.add(k); paired++;
    if (bMap.get(k) !== c.y) differing++;
  }
  const logs = a.libm && b.libm ? ` Their logs: build A ${a.libm.count} math calls, build B ${b.libm.count}; ${paired} with the same function and argument on both, ${differing} of them with different results${differing ? ' (the same libm gave different bits: the builds\' compile flags or code paths differ in how they call it)' : ''}.` : '';
  return {
    verdict: 'undetermined',
    sentence: `libm: not judged: both sides are C builds compiled here and linked with this machine's same C library, so the math library is not what differs between them.${logs}`,
    engine_provider: null, calls: { c: a.libm?.count ?? 0, engine: b.libm?.count ?? 0, paired, differing }, first: null, c_equals_system: null, counterfactual: null,
  };
}

function buildRecord(role: Role, p: PreparedC, omp: number, runs: number): Record<string, unknown> {
  return {
    role: `build ${role}`, label: buildLabel(role, p), dialect: p.dialect, instrumented: p.instrumented, source: p.source, from: p.from,
    sha256: p.originalSha256, source_sha256: p.originalSha256, built_sha256: p.built.sourceSha256,
    compiler: p.built.compilerVersion, flags: p.built.flags, binary: p.built.binary, omp_threads: omp, runs,
  };
}

/** Run one comparison of build B against build A; leave its evidence folder, sealed. */
export async function runAgainstC(o: CompareOptions & { againstC: string }): Promise<CompareResult> {
  const progress = o.onProgress ?? (() => undefined);
  const cwd = o.cwd ?? process.cwd();
  const split = splitArgs(o.args, cwd);
  refuseEngineOnly(o, split.engine);
  const omp = o.ompThreads ?? 1;
  if (!Number.isInteger(omp) || omp < 1) throw new InputError(`OpenMP thread count must be a positive integer, got ${omp}`);
  if (o.repeatC !== undefined && o.repeatC !== 'auto' && !(Number.isInteger(o.repeatC) && o.repeatC >= 1)) throw new InputError(`--repeat-c expects a positive integer or auto, got ${o.repeatC}`);
  // two builds of the same program are data-race-free only with one thread: auto repeats each with more
  const repeat = o.repeatC === 'auto' ? (omp > 1 ? 2 : 1) : (o.repeatC ?? 1);
  const timeoutMs = (o.timeoutSec ?? 600) * 1000;
  const tol: Vg1Tolerance = { ...DEFAULT_VG1.spec, ...(o.vg1?.spec ?? {}) };
  const divTol = { rel: o.divergenceRel ?? DEFAULT_DIVERGENCE.rel };
  const gate = o.imageGate ?? DEFAULT_IMAGE_GATE;
  const bLocated = { path: resolve(cwd, o.againstC), from: '--against-c' } as unknown as CSource; // named as the option that gave it

  const ev = o.evidencePath ? EvidenceDir.createAt(o.evidencePath) : EvidenceDir.create(o.reportsRoot ?? join(projectRoot(), 'reports'), o.initiative ?? 'adhoc');
  const scratch = makeScratch('nbparity-cvc-');
  let step = 'prepare', side: string | null = null;
  const kept: string[] = [];
  const keep = (name: string, data: string | Uint8Array) => { ev.write(name, data); kept.push(name); };
  const keepLogs = (run: RunRecord, name: string): string => ev.keepLogs(run, name, kept);
  try {
    // both sources are checked before either is compiled: a missing build B costs no build of A
    step = 'locate'; side = 'build B';
    checkCSource(bLocated);
    side = 'build A';
    const aLocated = o.prepared ? null : requireCSource(o.cSource);
    step = 'build'; side = 'build A';
    progress(`building build A (${o.prepared?.source ?? aLocated!.path})`);
    const A = o.prepared ?? await prepareBuild('A', aLocated!, o);
    side = 'build B';
    progress(`building build B (${bLocated.path})`);
    const B = await prepareBuild('B', bLocated, o);
    const builds = { A, B };
    const cEnv = { OMP_NUM_THREADS: String(omp) };

    // both builds' quirks: which catalogue entries the patch changed (harness/fingerprint)
    let quirksAB: { a: string; b: string; differ: string[] } | null = null;
    if (o.fingerprint !== false) {
      step = 'fingerprint'; side = 'build A';
      progress('fingerprinting build A and build B (cached with each build)');
      const fa = (await fingerprint({ cSource: A.source, cc: o.cc, cflags: o.cflags, timeoutSec: o.timeoutSec })).fp;
      side = 'build B';
      const fb = (await fingerprint({ cSource: B.source, cc: o.cc, cflags: o.cflags, timeoutSec: o.timeoutSec })).fp;
      const verdict = (fp: Fingerprint, id: string) => (fp.has.includes(id) ? 'has' : fp.fixes.includes(id) ? 'fixes' : 'could not tell');
      // decided in both and different (a race seen in one build's five runs and not the other's is no difference)
      const decided = (fp: Fingerprint, id: string) => fp.has.includes(id) || fp.fixes.includes(id);
      const differ = fa.entries.filter((e) => e.switchable).map((e) => e.id).filter((id) => decided(fa, id) && decided(fb, id) && verdict(fa, id) !== verdict(fb, id)).map((id) => `${id} (build A ${verdict(fa, id)}, build B ${verdict(fb, id)})`);
      quirksAB = { a: fingerprintLine(fa).replace(/^this C build/, 'build A'), b: fingerprintLine(fb).replace(/^this C build/, 'build B'), differ };
    }

    const runBuild = async (role: Role, dir: string, extra: string[], name: string, keepAs: string): Promise<RunRecord> => {
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
      const p = builds[role];
      const run = await runSide('C', [p.built.binary, ...split.nano, ...extra, '-floatfile', `${name}.float.bin`, '-intfile', `${name}.int.img`], { cwd: dir, env: cEnv, timeoutMs, name });
      if (run.exitCode !== 0 || run.timedOut) throw new BuildRunError(role, p, run, [tail(run.stderrFile), tail(run.stdoutFile, 5)].filter(Boolean).join('\n'), keepLogs(run, keepAs));
      return run;
    };

    // the traced pixel: given, or the brightest pixel of a pre-run of build A
    let traced = split.trace;
    let tracedNote = 'given with -trace_pixel';
    let preRun: RunRecord | null = null;
    if (!traced) {
      step = 'build A pre-run'; side = 'build A';
      progress('build A pre-run to choose the traced pixel');
      const dir = join(scratch, 'pre');
      preRun = await runBuild('A', dir, ['-nopgm', '-nonoise'], 'pre', 'pre');
      const loops = bannerLoops(readFileSync(preRun.stdoutFile, 'utf8'));
      if (!loops) throw new SideError(`build A (${A.source}) printed no banner with its detector size in its pre-run (logs kept: ${keepLogs(preRun, 'pre')}); give -trace_pixel S F`);
      const img = readSizedImage(join(dir, 'pre.float.bin'), loops.fpixels * loops.spixels, 'build A', 'pre.float.bin');
      let best = 0;
      for (let i = 1; i < img.length; i++) if (img[i] > img[best]) best = i;
      traced = [Math.floor(best / loops.fpixels), best % loops.fpixels];
      tracedNote = 'the brightest pixel of a build A pre-run (no -trace_pixel given)';
    }
    const tracedPixel = traced;
    const traceArgs = ['-trace_pixel', String(tracedPixel[0]), String(tracedPixel[1])];

    // run both builds (each more than once when its output may not be reproducible)
    const runs: Record<Role, RunRecord[]> = { A: [], B: [] };
    for (const role of ['A', 'B'] as const) {
      step = `build ${role} run`; side = `build ${role}`;
      const lc = role.toLowerCase();
      for (let r = 0; r < repeat; r++) {
        progress(`running build ${role} (OMP_NUM_THREADS=${omp})${repeat > 1 ? `, run ${r + 1} of ${repeat}` : ''}`);
        runs[role].push(await runBuild(role, join(scratch, r === 0 ? lc : `${lc}${r + 1}`), traceArgs, lc, r === 0 ? lc : `${lc}.run${r + 1}`));
      }
    }

    // parse and check each build's trace (the same parser and completeness rules), then its image (the size its own loops declare)
    progress('parsing traces');
    const sideOf = (role: Role) => {
      step = `build ${role} trace`; side = `build ${role}`;
      const lc = role.toLowerCase(), run = runs[role][0];
      const text = readFileSync(run.stdoutFile, 'utf8');
      keep(`${lc}.trace.txt`, text);
      keepLogs(run, lc);
      const trace = traceOfPixel(text, tracedPixel, ev.file(`${lc}.trace.txt`));
      const loops = trace.loops;
      const roiPrinted = bannerRoi(text);
      const roi = roiPrinted ?? (loops ? { xmin: 0, xmax: loops.fpixels - 1, ymin: 0, ymax: loops.spixels - 1 } : null);
      if (loops && roi) { step = 'traced pixel'; checkTracedPixel(tracedPixel, { fpixels: loops.fpixels, spixels: loops.spixels, roi }); step = `build ${role} trace`; }
      const complete = checkComplete(trace, `build ${role}`, ev.file(`${lc}.trace.txt`));
      validate('trace', trace);
      step = `build ${role} image`;
      const pixels = complete.loops.fpixels * complete.loops.spixels;
      const imgFile = join(run.cwd, `${lc}.float.bin`);
      if (existsSync(imgFile) && statSync(imgFile).size !== pixels * 4) keep(`${lc}.float.bin.as-written`, readFileSync(imgFile));
      const image = readSizedImage(imgFile, pixels, `build ${role}`, `${lc}.float.bin`, ev.file(`${lc}.float.bin.as-written`));
      keep(`${lc}.float.bin`, new Uint8Array(image.buffer));
      ev.writeJson(`${lc}.trace.json`, stripCalls(trace));
      return { run, text, trace, complete, image, roi: roi!, roiPrinted: roiPrinted !== null };
    };
    const a = sideOf('A');
    const b = sideOf('B');

    // a build whose two runs differ cannot judge, nor be judged
    for (const role of ['A', 'B'] as const) {
      if (runs[role].length < 2) continue;
      step = `build ${role} reproducibility`; side = `build ${role}`;
      const lc = role.toLowerCase(), first = role === 'A' ? a : b;
      for (let r = 1; r < runs[role].length; r++) {
        const again = readSizedImage(join(runs[role][r].cwd, `${lc}.float.bin`), first.image.length, `build ${role}`, `${lc}.run${r + 1}.float.bin`);
        const otherName = `${lc}.run${r + 1}.trace.txt`;
        const otherText = readFileSync(runs[role][r].stdoutFile, 'utf8');
        const other = traceOfPixel(otherText, tracedPixel, otherName);
        checkComplete(other, `build ${role} (run ${r + 1})`, otherName);
        const values = (t: ParsedTrace) => JSON.stringify([t.blocks.map((x) => x.values), t.phi.map((e) => [phiKey(e), e.values]), t.final, t.skips.map((k) => [k.block, k.source])]);
        let differ = 0, maxAbs = 0;
        for (let i = 0; i < again.length; i++) if (!Object.is(first.image[i], again[i])) { differ++; const d = Math.abs(first.image[i] - again[i]); if (!(d <= maxAbs)) maxAbs = d; }
        const traceDiffers = values(first.trace) !== values(other);
        if (differ || traceDiffers) {
          keep(`${lc}.run${r + 1}.float.bin`, new Uint8Array(again.buffer));
          keep(otherName, otherText);
          throw new NotReproducibleError(`build ${role} output not reproducible: run 1 and run ${r + 1} of ${buildLabel(role, builds[role])} (OMP_NUM_THREADS=${omp}) differ in ${differ} of ${again.length} pixels (max |Δ| ${maxAbs})${traceDiffers ? ' and in the traced pixel' : ''}; nothing is judged. Kept: ${ev.file(`${lc}.float.bin`)}, ${ev.file(`${lc}.run${r + 1}.float.bin`)}`);
        }
      }
    }

    // pair, diff, gates: build B in the engine's part, judged by the same code
    step = 'compare'; side = null;
    progress('comparing');
    const bLoops = b.complete.loops;
    const bSide: EngineSide = { run: b.run, summary: { detector: { fpixels: bLoops.fpixels, spixels: bLoops.spixels, roi: b.roi } }, traceText: b.text, trace: b.trace, complete: b.complete, image: b.image };
    const j = judge(a.trace, a.image, bSide, 'spec', tol, divTol, gate, WHO);
    const carry = carryoverAB(a.trace, b.trace);
    const libm = libmAB(a.trace, b.trace);

    // previews and plots
    step = 'report';
    const { fpixels, spixels } = j;
    const previews = await writeComparisonFigures(ev, a.image, b.image, j, tracedPixel, tol, divTol,
      { files: ['a.png', 'b.png'], names: { a: 'build A', b: 'build B' }, titleSuffix: ': build B vs build A', yTitle: '|Δ| (build A vs build B)' });

    // verdict and delta_metrics.json
    const pass = j.pass;
    const git = gitCommit();
    annotateGates(j.gates, j.full?.metrics);
    const against = againstCLine(A, B);
    const metrics: DeltaMetrics = {
      schema_version: 'nbparity.delta_metrics/1',
      created: new Date().toISOString(),
      tool: { name: 'nbparity', version: toolVersion(), git_commit: git.commit, git_dirty: git.dirty },
      run: {
        mode: 'c-vs-c', against, case: null, nanobragg_args: split.nano,
        traced_pixel: { slow: tracedPixel[0], fast: tracedPixel[1], chosen: tracedNote },
        sides: { c: buildLabel('A', A), engine: buildLabel('B', B), note: 'C against C: every field named c/C is build A (the reference), every field named engine/ts is build B' },
        c: buildRecord('A', A, omp, runs.A.length),
        against_c: { ...buildRecord('B', B, omp, runs.B.length), roi: { ...b.roi, from: b.roiPrinted ? 'banner' : 'full frame (no roi line in its banner)' } },
        engine: null,
        quirks_ab: quirksAB ? { line_a: quirksAB.a, line_b: quirksAB.b, differ: quirksAB.differ, sentence: quirksAB.differ.length ? `The builds' fingerprints differ in ${quirksAB.differ.join(', ')}.` : 'The builds\' fingerprints are the same (every catalogue entry alike).' } : null,
      },
      trace: {
        c_side: a.trace.side, engine_side: b.trace.side, sides: { c: 'build A', engine: 'build B' },
        phi_steps: new Set(j.pairs.map((p) => p.phi_tic)).size, phi_entries_paired: j.pairs.length,
        completeness: { c: a.complete, engine: b.complete },
        per_pixel: j.deltas.per_pixel, final: j.deltas.final, per_phi: j.deltas.per_phi,
      },
      vg1: { ...j.v, mode: 'c-vs-c' },
      first_divergence: j.div
        ? { found: true, tolerance_rel: divTol.rel, ...j.div, sentence: divergenceSentenceAB(j.div, a.trace, divTol) }
        : { found: false, tolerance_rel: divTol.rel, sentence: `No divergence: every traced quantity of build B agrees with build A within ${divTol.rel} relative.` },
      carryover: carry,
      explanation: null,
      libm,
      image: {
        fpixels, spixels, sides: { c: 'build A', ts: 'build B' },
        gate: { min_identical: gate.minIdentical, ulp_tol: gate.ulpTol, rel_tol: gate.relTol, min_correlation: gate.minCorrelation, sum_ratio_min: gate.sumRatioMin ?? null, sum_ratio_max: gate.sumRatioMax ?? null, max_abs: gate.maxAbs ?? null, pass: !!j.full?.pass },
        full: j.full?.metrics ?? null, roi: j.roi ? { ...j.roi.metrics, bounds: j.roiBounds } : null,
        previews,
      },
      verdict: { pass, exit_code: pass ? 0 : 1, gates: j.gates, summary: '' },
    };
    metrics.verdict.summary = `${pass ? 'PASS' : 'FAIL'}: ${j.gates.filter((g) => !g.pass).map((g) => g.name).join(', ') || 'all gates pass'} (build B against build A). ${metrics.first_divergence.sentence}`;
    validate('deltaMetrics', metrics);
    const written = ev.writeJson('delta_metrics.json', metrics);
    validate('deltaMetrics', JSON.parse(readFileSync(written, 'utf8')));

    // the rest of the evidence
    const invocation = o.invocation ?? ['nbparity', 'compare', ...(o.cSource ? ['--c-source', o.cSource] : []), '--against-c', o.againstC, '--', ...o.args];
    const lines = [
      `# nbparity compare at ${ev.stamp}: ${against} (re-runnable; each build ran in a fresh scratch directory)`,
      `cd ${cmd([cwd])} && ${cmd(invocation)}`,
      ...(preRun ? ['', '# build A pre-run (chooses the traced pixel)', cmd(preRun.command, preRun.env)] : []),
      '', `# build A: ${A.source}${runs.A.length > 1 ? ` (run ${runs.A.length} times)` : ''}`, cmd(runs.A[0].command, runs.A[0].env),
      '', `# build B: ${B.source}${runs.B.length > 1 ? ` (run ${runs.B.length} times)` : ''}`, cmd(runs.B[0].command, runs.B[0].env),
    ];
    ev.write('commands.txt', lines.join('\n') + '\n');
    ev.writeJson('env.json', {
      created: metrics.created, ...machine(),
      compiler: A.built.compilerVersion, cflags: A.built.flags,
      project_git_commit: git.commit, project_git_dirty: git.dirty,
      c_source_sha256: A.originalSha256, c_dialect: A.dialect,
      against_c_source: B.source, against_c_source_sha256: B.originalSha256, against_c_dialect: B.dialect, against_c_compiler: B.built.compilerVersion, against_c_cflags: B.built.flags,
      omp_num_threads: omp, mode: 'c-vs-c', against, reference_case: null,
    });
    ev.writeJson('config_snapshot.json', { harness: { args: split.nano, traced_pixel: tracedPixel, vg1_tolerances: tol, divergence_tolerance: divTol, image_gate: gate, timeout_sec: timeoutMs / 1000, repeat_c: repeat }, engine: null, builds: { A: metrics.run.c, B: metrics.run.against_c } });
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
