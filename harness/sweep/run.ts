/**
 * nbparity sweep: is a gap against the C roundoff or logic?
 *   C once (float64, instrumented, all traced pixels) → engine in every dtype × φ mode cell,
 *   in parallel → per-cell deltas, VG-1 and image metrics → dtype pairs → verdicts → report.
 */
import { fingerprint, type Fingerprint } from '../fingerprint/run.js';
import { chooseProfile, parseUserQuirks, profileSummary } from '../fingerprint/profile.js';
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../c/build.js';
import { againstLine, checkTracedPixel, imageMetrics, prepareC, readSizedImage, recordFailure, resolveCaseDir, splitArgs, type PreparedC } from '../compare/run.js';
import { GateFailedError } from '../contract.js';
import { makeScratch, removeScratch } from '../run/lifecycle.js';
import { checkComplete } from '../trace/complete.js';
import { SideFailedError } from '../run/side.js';
import { pairPhi, vg1, DEFAULT_VG1, type Vg1Tolerance } from '../compare/traces.js';
import { EvidenceDir } from '../evidence/dir.js';
import { differencePng } from '../evidence/png.js';
import { engineCli, gitCommit, machine, shellLine, toolVersion } from '../env.js';
import { InputError } from '../contract.js';
import { DEFAULT_IMAGE_GATE } from '../replay.js';
import { absoluteArgs, loadCase, verifyReference } from '../reference/cases.js';
import { deltaPerPhiSpec, renderSpec } from '../report/plots.js';
import { writeSweepPage } from '../report/page.js';
import { runSide, type RunRecord } from '../run/side.js';
import { validate } from '../schemas/validate.js';
import { traceOfPixel, type ParsedTrace } from '../trace/parse.js';
import { applyLibm, DEFAULT_SWEEP_TOLERANCE, fmtNum, gaps, RULE_TEXT, verdicts, type QuantityGap, type QuantityVerdict, type SweepTolerance } from './verdict.js';
import { concludeLibm, pairLibmCalls, systemLibmForHarness, type LibmDiagnosis } from '../compare/libm.js';

export type Dtype = 'float32' | 'float64';
export type PhiMode = 'spec' | 'c-parity';

export interface SweepOptions {
  /** do not fingerprint the C build: the entries other than the φ mode stay at the engine's default */
  noFingerprint?: boolean;
  args: string[];
  dtypes?: Dtype[]; modes?: PhiMode[]; pixels?: Array<[number, number]>;
  cSource?: string; cflags?: string[]; cc?: string; replayCase?: string;
  ompThreads?: number; timeoutSec?: number; concurrency?: number;
  initiative?: string; reportsRoot?: string; cwd?: string;
  tolerance?: Partial<SweepTolerance>; vg1?: Partial<Record<PhiMode, Partial<Vg1Tolerance>>>;
  invocation?: string[];
  /** exit 0 even when a verdict is logic-limited (the default is exit 1) */
  allowLogicLimited?: boolean;
  /** called when a step starts or ends: name ('C', 'spec/float32', 'report'), state */
  onStep?: (name: string, state: 'start' | 'done' | 'failed', detail?: string) => void;
}

interface Cell { mode: PhiMode; dtype: Dtype; name: string; extra: string[]; run?: RunRecord; traces?: ParsedTrace[]; image?: Float32Array; ms?: number }

/** a cell's detector size, from its --json summary */
function cellDet(c: Cell): { fpixels: number; spixels: number } {
  return JSON.parse(readFileSync(c.run!.stdoutFile, 'utf8')).detector;
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
    while (next < items.length) { const i = next++; await fn(items[i]); }
  }));
}

export async function runSweep(o: SweepOptions) {
  const step = o.onStep ?? (() => undefined);
  const t0 = performance.now();
  const cwd = o.cwd ?? process.cwd();
  const dtypes = o.dtypes ?? ['float32', 'float64'];
  const modes = o.modes ?? ['spec', 'c-parity'];
  const refCase = o.replayCase ? loadCase(resolveCaseDir(o.replayCase)) : null;
  const split = splitArgs(refCase ? [...absoluteArgs(refCase), ...o.args] : o.args, cwd);
  for (const k of ['--phi-carryover-mode', '--dtype']) if (split.engine[k]) throw new InputError(`${k} is chosen by the sweep (--modes, --dtypes); leave it out of the nanoBragg arguments`);
  // the traced pixels: given, recorded, or (filled in below, once the C build's quirks are known) the brightest pixel of an engine pre-run
  const pixels: Array<[number, number]> = [...(o.pixels?.length ? o.pixels : split.traces.length ? split.traces : refCase ? [refCase.trace_pixel] : [])];
  let pixelSource = o.pixels?.length ? 'given with --pixels' : split.traces.length ? 'given with -trace_pixel' : 'recorded with the reference';
  const omp = o.ompThreads ?? 1;
  const timeoutMs = (o.timeoutSec ?? 1800) * 1000;
  const tol: SweepTolerance = { ...DEFAULT_SWEEP_TOLERANCE, ...(o.tolerance ?? {}) };
  const engine = engineCli();
  const traceArgs = () => pixels.flatMap(([s, f]) => ['-trace_pixel', String(s), String(f)]);
  // the C's own libm for the engine when the C runs here (as compare does); every cell logs its math calls
  const libmArg = split.engine['--libm'] ?? (refCase ? null : 'system');
  const libmArgs = [...(libmArg ? ['--libm', libmArg] : []), '--libm-log'];
  const ev = EvidenceDir.create(o.reportsRoot ?? join(projectRoot(), 'reports'), o.initiative ?? 'sweep');
  const scratch = makeScratch('nbparity-sweep-');
  let phase = 'C', phaseSide: string | null = 'C';
  const kept: string[] = [];
  const timing: Record<string, number> = {};
  try {
    // the C, once
    let prepared: PreparedC | null = null, cRun: RunRecord | null = null;
    // the C build's quirks set every entry but the φ mode (the sweep's cells), unless the arguments do
    let fp: Fingerprint | null = null;
    let cText: string, cImage: Float32Array;
    step('C', 'start');
    const tc = performance.now();
    if (refCase) {
      if (pixels.some(([s, f]) => s !== refCase.trace_pixel[0] || f !== refCase.trace_pixel[1])) throw new InputError(`replay can only trace the recorded pixel (${refCase.trace_pixel.join(', ')})`);
      const traceName = refCase.traces?.['c-parity'] ?? refCase.golden_trace!;
      verifyReference(refCase, [traceName, refCase.images['c-parity']]);
      cText = readFileSync(join(refCase.dir, traceName), 'utf8');
      cImage = readSizedImage(join(refCase.dir, refCase.images['c-parity']), refCase.fpixels * refCase.spixels, 'recorded C run', refCase.images['c-parity']);
    } else {
      prepared = await prepareC({ cSource: o.cSource, cc: o.cc, cflags: o.cflags });
      if (!o.noFingerprint) fp = (await fingerprint({ cSource: prepared.source, cc: o.cc, cflags: o.cflags, timeoutSec: o.timeoutSec })).fp;
      if (!pixels.length) {
        // no --pixels, no -trace_pixel: trace the brightest pixel, as compare does (an engine pre-run with the build's quirks)
        phase = 'engine pre-run'; phaseSide = 'engine';
        step('brightest pixel', 'start');
        const profile = chooseProfile(parseUserQuirks(split.quirk, split.engine['--quirks'], undefined), fp, 'not asked (--no-fingerprint)');
        pixels.push(await brightestPixel([process.execPath, engine, ...split.nano, ...profile.args, '--dtype', 'float64', '--c-threads', String(omp), ...(libmArg ? ['--libm', libmArg] : [])], join(scratch, 'pre'), timeoutMs, (r) => ev.keepLogs(r, 'pre', kept)));
        pixelSource = 'the brightest pixel of an engine pre-run (no --pixels or -trace_pixel given)';
        step('brightest pixel', 'done', `(${pixels[0].join(', ')})`);
        phase = 'C'; phaseSide = 'C';
      }
      const cDir = join(scratch, 'c'); mkdirSync(cDir);
      cRun = await runSide('C', [prepared.built.binary, ...split.nano, ...traceArgs(), '-floatfile', 'c.float.bin', '-intfile', 'c.int.img'], { cwd: cDir, env: { OMP_NUM_THREADS: String(omp) }, timeoutMs, name: 'c' });
      if (cRun.exitCode !== 0 || cRun.timedOut) { step('C', 'failed'); throw new SideFailedError(cRun, readFileSync(cRun.stderrFile, 'utf8').trim().split('\n').slice(-20).join('\n'), ev.keepLogs(cRun, 'c', kept)); }
      cText = readFileSync(cRun.stdoutFile, 'utf8');
      ev.write('c.trace.txt', cText); kept.push('c.trace.txt');
      const first = traceOfPixel(cText, pixels[0], 'c.trace.txt');
      cImage = readSizedImage(join(cDir, 'c.float.bin'), (first.loops?.fpixels ?? 0) * (first.loops?.spixels ?? 0), 'C program', 'c.float.bin');
    }
    timing.c_ms = performance.now() - tc;
    step('C', 'done', `${(timing.c_ms / 1000).toFixed(1)} s`);
    const cTraces = pixels.map((p) => traceOfPixel(cText, p, 'c.trace.txt'));
    for (const t of cTraces) { validate('trace', t); checkComplete(t, 'C', 'c.trace.txt'); }
    ev.write('c.trace.txt', cText);
    phase = 'engine cells'; phaseSide = 'engine';
    ev.write('c.float.bin', new Uint8Array(cImage.buffer));

    // the engine cells, in parallel
    const user = parseUserQuirks(split.quirk, split.engine['--quirks'], undefined);
    if (user.each.some(([id]) => id === 'C-PARITY-001')) throw new InputError('--quirk C-PARITY-001 is chosen by the sweep (--modes); leave it out of the nanoBragg arguments');
    const quirks = chooseProfile(user, fp, refCase ? 'replay: recorded builds, see traces/fingerprints' : 'not asked (--no-fingerprint)');
    const quirkArgs = quirks.args.slice(2); // every entry but C-PARITY-001, which each cell's mode sets
    const cells: Cell[] = modes.flatMap((mode) => dtypes.map((dtype) => ({ mode, dtype, name: `${mode}/${dtype}`, extra: [] as string[] })));
    const runCell = async (cell: Cell) => {
      step(cell.name, 'start');
      const dir = join(scratch, cell.name.replace(/\//g, '-')); mkdirSync(dir);
      const t1 = performance.now();
      cell.run = await runSide('TS', [process.execPath, engine, ...split.nano, ...traceArgs(), '--phi-carryover-mode', cell.mode, ...quirkArgs, '--dtype', cell.dtype, '--c-threads', String(omp), ...libmArgs, ...cell.extra, '-floatfile', 'ts.float.bin', '-intfile', 'ts.int.img', '--json'], { cwd: dir, timeoutMs, name: 'ts' });
      cell.ms = performance.now() - t1;
      const sub = `cells/${cell.name.replace(/\//g, '-')}`;
      if (cell.run.exitCode !== 0 || cell.run.timedOut) { step(cell.name, 'failed'); throw new SideFailedError(cell.run, readFileSync(cell.run.stderrFile, 'utf8').trim().split('\n').slice(-20).join('\n'), ev.keepLogs(cell.run, `${sub}/ts`, kept)); }
      const text = readFileSync(cell.run.stderrFile, 'utf8');
      cell.traces = pixels.map((p) => traceOfPixel(text, p, `${sub}/ts.trace.txt`));
      for (const t of cell.traces) checkComplete(t, 'engine', `${sub}/ts.trace.txt`);
      const det = JSON.parse(readFileSync(cell.run.stdoutFile, 'utf8')).detector;
      for (const p of pixels) checkTracedPixel(p, det);
      cell.image = readSizedImage(join(dir, 'ts.float.bin'), det.fpixels * det.spixels, 'engine', `${sub}/ts.float.bin`);
      ev.write(`${sub}/ts.trace.txt`, text.split('\n').filter((l) => l.startsWith('TRACE')).join('\n') + '\n');
      ev.write(`${sub}/ts.float.bin`, new Uint8Array(cell.image.buffer));
      step(cell.name, 'done', `${(cell.ms / 1000).toFixed(1)} s`);
    };
    const te = performance.now();
    await pool(cells, o.concurrency ?? cpus().length, runCell);
    timing.engine_cells_wall_ms = performance.now() - te;

    // is the math library the cause of a float64 gap? (harness/compare/libm.ts; counterfactual: that cell with the C's own libm)
    const libm: Record<string, LibmDiagnosis> = {};
    const libmGaps: Record<string, Map<string, QuantityGap> | null> = {};
    for (const mode of modes) {
      const f64 = cells.find((c) => c.mode === mode && c.dtype === 'float64');
      libmGaps[mode] = null;
      if (!f64) continue;
      const g = gaps(cTraces, f64.traces!);
      const beyond = [...g.entries()].filter(([, x]) => !(x.value <= (x.kind === 'abs' ? tol.abs : tol.rel)));
      if (!beyond.length && imageMetrics(f64.image!, cImage, cellDet(f64).fpixels, cellDet(f64).spixels, DEFAULT_IMAGE_GATE).metrics.identical_fraction === 1) continue;
      const paired = pairLibmCalls(cTraces[0], f64.traces![0], systemLibmForHarness);
      let cf: { engine_args: string[]; pass: boolean; failed: string[] } | null = null;
      if (paired.needsCounterfactual) {
        const alt: Cell = { mode, dtype: 'float64', name: `${mode}/float64/libm-system`, extra: ['--libm', 'system'] };
        phase = 'libm counterfactual';
        await runCell(alt);
        const ga = gaps(cTraces, alt.traces!);
        // nothing else may differ: every traced quantity the same number, every pixel bit-identical
        const still = [...ga.entries()].filter(([, x]) => x.value !== 0).map(([n]) => n);
        const img = imageMetrics(alt.image!, cImage, cellDet(alt).fpixels, cellDet(alt).spixels, DEFAULT_IMAGE_GATE).metrics;
        if (img.identical_fraction !== 1) still.push('image');
        cf = { engine_args: ['--libm', 'system'], pass: still.length === 0, failed: still };
        libmGaps[mode] = ga;
      }
      libm[mode] = concludeLibm(paired, cf);
      // only a proven cause relabels quantities
      if (libm[mode].verdict !== 'libm-limited') libmGaps[mode] = null;
    }

    // analysis
    step('report', 'start');
    const tr = performance.now();
    const det = JSON.parse(readFileSync(cells[0].run!.stdoutFile, 'utf8')).detector as { fpixels: number; spixels: number };
    const cellResults = cells.map((cell) => {
      const tolv: Vg1Tolerance = { ...DEFAULT_VG1[cell.mode], ...(o.vg1?.[cell.mode] ?? {}) };
      const perPixel = cTraces.map((c, i) => {
        const t = cell.traces![i];
        const pairing = pairPhi(c, t);
        if (pairing.missing_count || pairing.angle_mismatch_count) throw new GateFailedError(`evaluation grids differ in cell ${cell.name}: ${pairing.missing_count} C entries without an engine entry (first ${pairing.missing.join(', ')}), ${pairing.angle_mismatch_count} φ angles differ`);
        const pairs = pairing.pairs;
        const v = vg1(c, t, pairs, cell.mode, tolv);
        const kq = gaps([c], [t]);
        const perStep = (name: string, comp?: number) => pairs.filter((p) => p.block === 0 && p.source === 0 && p.mos_tic === 0).map((p) => {
          const cv = p.c.values[name], tv = p.ts.values[name];
          if (!cv || !tv) return { x: p.phi_tic, y: NaN };
          const idx = comp ?? 0;
          return { x: p.phi_tic, y: Math.abs(cv[idx] - tv[idx]) };
        }).filter((pt) => !Number.isNaN(pt.y));
        return {
          pixel: pixels[i], vg1: v,
          per_phi: { k_frac: perStep('k_frac'), h_frac: perStep('h_frac'), l_frac: perStep('l_frac'), rot_b_y: perStep('rot_b', 1), F_latt: perStep('F_latt') },
          largest: Object.fromEntries([...kq.entries()].map(([n, g]) => [n, g.value])),
        };
      });
      const img = imageMetrics(cell.image!, cImage, det.fpixels, det.spixels, DEFAULT_IMAGE_GATE);
      return { cell: cell.name, mode: cell.mode, dtype: cell.dtype, wall_ms: cell.ms!, vg1_pass: perPixel.every((p) => p.vg1.pass), pixels: perPixel, image: img.metrics };
    });
    const pairsOut = modes.flatMap((mode) => {
      const a = cells.find((c) => c.mode === mode && c.dtype === 'float32'), b = cells.find((c) => c.mode === mode && c.dtype === 'float64');
      if (!a || !b) return [];
      const g = gaps(b.traces!, a.traces!);
      const img = imageMetrics(a.image!, b.image!, det.fpixels, det.spixels, DEFAULT_IMAGE_GATE);
      return [{ mode, a: 'float32', b: 'float64', trace_largest: Object.fromEntries([...g.entries()].map(([n, x]) => [n, x.value])), image: img.metrics, _a: a, _b: b }];
    });
    const verdictsByMode = Object.fromEntries(modes.map((mode) => {
      const f64 = cells.find((c) => c.mode === mode && c.dtype === 'float64')?.traces ?? null;
      const f32 = cells.find((c) => c.mode === mode && c.dtype === 'float32')?.traces ?? null;
      return [mode, applyLibm(verdicts(cTraces, f64, f32, tol), libmGaps[mode], libm[mode]?.first ? `${libm[mode].first!.fn} 0x${libm[mode].first!.x}: C 0x${libm[mode].first!.c}, engine 0x${libm[mode].first!.engine}` : null)];
    })) as Record<PhiMode, QuantityVerdict[]>;
    const conclusion = conclude(verdictsByMode, libm);

    // plots
    for (const r of cellResults) {
      const p0 = r.pixels[0];
      const series = Object.entries(p0.per_phi).filter(([, pts]) => pts.length).map(([label, pts]) => ({ label, points: pts }));
      const { svg, png } = await renderSpec(deltaPerPhiSpec(`${r.cell}: |Δ| per φ step at pixel (${p0.pixel.join(', ')})`, series));
      const base = `plots/delta_per_phi_${r.cell.replace('/', '_')}`;
      ev.write(`${base}.svg`, svg); ev.write(`${base}.png`, png);
    }
    if (cellResults.length) {
      const series = cellResults.map((r) => ({ label: r.cell, points: r.pixels[0].per_phi.k_frac }));
      const { svg, png } = await renderSpec(deltaPerPhiSpec(`|Δk_frac| per φ step, every cell, pixel (${pixels[0].join(', ')})`, series, '|Δk_frac|'));
      ev.write('plots/k_frac_all_cells.svg', svg); ev.write('plots/k_frac_all_cells.png', png);
    }
    for (const p of pairsOut) {
      ev.write(`plots/float32_minus_float64_${p.mode}.png`, differencePng(p._a.image!, p._b.image!, det.fpixels, det.spixels).png);
    }
    timing.reporting_ms = performance.now() - tr;
    timing.total_ms = performance.now() - t0;
    const git = gitCommit();
    const doc = {
      schema_version: 'nbparity.dtype_sweep/1',
      created: new Date().toISOString(),
      tool: { name: 'nbparity', version: toolVersion(), git_commit: git.commit, git_dirty: git.dirty },
      run: {
        mode: refCase ? 'replay' : 'live', case: refCase?.id ?? null, nanobragg_args: split.nano, pixels: pixels.map(([slow, fast]) => ({ slow, fast })), pixels_chosen: pixelSource,
        dtypes, modes, omp_threads: omp, engine_libm: cells[0]?.run ? JSON.parse(readFileSync(cells[0].run.stdoutFile, 'utf8')).libm ?? null : null,
        against: againstLine(prepared),
        quirks: { line: quirks.line, engine_profile: Object.fromEntries(Object.entries(quirks.profile).filter(([id]) => id !== 'C-PARITY-001')), summary: profileSummary(quirks) },
        c: prepared ? { source: prepared.source, source_sha256: prepared.originalSha256, dialect: prepared.dialect, compiler: prepared.built.compilerVersion, flags: prepared.built.flags } : { recorded: refCase!.dir },
      },
      rule: { text: RULE_TEXT, ratio_threshold: 10, tolerance: tol },
      cells: cellResults,
      dtype_pairs: pairsOut.map(({ _a, _b, ...rest }) => { void _a; void _b; return rest; }),
      verdicts: verdictsByMode,
      libm,
      conclusion,
      timing_ms: { c: timing.c_ms, engine_cells_wall: timing.engine_cells_wall_ms, engine_cells: Object.fromEntries(cells.map((c) => [c.name, c.ms!])), reporting: timing.reporting_ms, total: timing.total_ms },
    };
    validate('dtypeSweep', doc);
    const written = ev.writeJson('dtype_sweep.json', doc);
    validate('dtypeSweep', JSON.parse(readFileSync(written, 'utf8')));
    ev.write('summary.md', sweepMarkdown(doc));
    // index.html: every traced pixel's plots, float32 − float64 heatmaps with a scale (harness/report/page.ts)
    await writeSweepPage(ev, doc, { c: cImage, fpixels: det.fpixels, spixels: det.spixels, pairs: pairsOut.map((p) => ({ mode: p.mode, f32: p._a.image!, f64: p._b.image! })) });
    ev.write('commands.txt', [
      `# nbparity sweep at ${ev.stamp}`,
      `cd ${shellLine([cwd])} && ${shellLine(o.invocation ?? ['nbparity', 'sweep', '--', ...o.args])}`,
      ...(cRun ? ['', '# C side', shellLine(cRun.command, cRun.env)] : []),
      '', '# engine cells', ...cells.map((c) => shellLine(c.run!.command)),
    ].join('\n') + '\n');
    ev.writeJson('env.json', { created: doc.created, ...machine(), project_git_commit: git.commit, project_git_dirty: git.dirty, omp_num_threads: omp, c: doc.run.c, engine_libm: doc.run.engine_libm });
    // exit 1 when a gap is logic (more precision will not close it), unless the caller accepts that (--allow-logic-limited)
    const logic = Object.entries(verdictsByMode).flatMap(([mode, list]) => list.filter((q) => q.verdict === 'logic-limited').map((q) => `${mode} ${q.quantity}`));
    const exitCode: 0 | 1 = logic.length && !o.allowLogicLimited ? 1 : 0;
    ev.seal({ exit_code: exitCode, verdict: logic.length ? `sweep complete: ${logic.length} logic-limited (${logic.slice(0, 4).join(', ')}${logic.length > 4 ? ', …' : ''})${exitCode ? '' : ', allowed'}` : 'sweep complete' });
    step('report', 'done');
    return { dir: ev.path, doc, exitCode, logicLimited: logic, pixelSource };
  } catch (e) {
    recordFailure(ev, e, phase, phaseSide, kept);
    throw e;
  } finally {
    removeScratch(scratch);
  }
}

const KEY = ['k_frac', 'h_frac', 'l_frac', 'rot_b', 'F_latt', 'F_cell', 'I_contribution', 'I_pixel_final', 'floatimage_accumulated'];

function conclude(v: Record<string, QuantityVerdict[]>, libm: Record<string, LibmDiagnosis>): string {
  const parts: string[] = [];
  for (const [mode, list] of Object.entries(v)) {
    const logic = list.filter((q) => q.verdict === 'logic-limited').map((q) => q.quantity);
    const libmLimited = list.filter((q) => q.verdict === 'libm-limited').map((q) => q.quantity);
    if (libmLimited.length) parts.push(`${mode}: ${libmLimited.length} quantities libm-limited (${libmLimited.slice(0, 4).join(', ')}${libmLimited.length > 4 ? ', …' : ''}): the engine's math library gives other last bits than the C's; with the C's own libm they agree`);
    const prec = list.filter((q) => q.verdict === 'precision-limited').map((q) => q.quantity);
    const k = list.find((q) => q.quantity === 'k_frac');
    if (logic.length) parts.push(`${mode}: logic-limited (${logic.slice(0, 4).join(', ')}${logic.length > 4 ? ', …' : ''}; Δk float64 ${fmtNum(k?.delta_float64 ?? NaN)}), more precision will not close it`);
    else if (prec.length && !libmLimited.length) parts.push(`${mode}: float64 is clean (Δk ${fmtNum(k?.delta_float64 ?? NaN)}), float32's gap is roundoff (Δk ${fmtNum(k?.delta_float32 ?? NaN)}; ${prec.length} quantities precision-limited)`);
    else if (!libmLimited.length) parts.push(`${mode}: clean in every dtype (Δk float64 ${fmtNum(k?.delta_float64 ?? NaN)}, float32 ${fmtNum(k?.delta_float32 ?? NaN)})`);
    const d = libm[mode];
    if (d && d.verdict !== 'undetermined') parts[parts.length - 1] += ` (float64 not bit-identical to the C: ${d.sentence.replace(/\.$/, '')})`;
  }
  return parts.join('; ') + '.';
}

function sweepMarkdown(d: any): string {
  const L: string[] = [];
  L.push(`# nbparity dtype sweep`, '', `**Conclusion:** ${d.conclusion}`, '', `${d.run.against}.`, '');
  L.push(`- ${d.run.mode === 'live' ? `C: \`${d.run.c.source}\` (sha256 ${d.run.c.source_sha256.slice(0, 16)}…, ${d.run.c.dialect}), ${d.run.c.compiler}, \`${d.run.c.flags.join(' ')}\`` : `C: recorded reference ${d.run.case}`}, OMP_NUM_THREADS=${d.run.omp_threads}`);
  L.push(`- pixels: ${d.run.pixels.map((p: { slow: number; fast: number }) => `(${p.slow}, ${p.fast})`).join(' ')}${d.run.pixels_chosen ? `, ${d.run.pixels_chosen}` : ''}`, `- arguments: \`${d.run.nanobragg_args.join(' ')}\``, '');
  L.push('## Cells', '', '| cell | VG-1 | max \\|Δk_frac\\| | max \\|Δrot_b\\| (Å) | image correlation | bit-identical | sum ratio | wall |', '|---|---|---|---|---|---|---|---|');
  for (const c of d.cells) {
    const k = Math.max(...c.pixels.map((p: { vg1: { k_frac: { max_abs: number } } }) => p.vg1.k_frac.max_abs));
    const b = Math.max(...c.pixels.map((p: { vg1: { rot_b_y: { max_abs: number } } }) => p.vg1.rot_b_y.max_abs));
    L.push(`| ${c.cell} | ${c.vg1_pass ? 'pass' : '**fail**'} | ${fmtNum(k)} | ${fmtNum(b)} | ${c.image.correlation} | ${(100 * c.image.identical_fraction).toFixed(3)}% | ${c.image.sum_ratio} | ${(c.wall_ms / 1000).toFixed(1)} s |`);
  }
  L.push('', '## Verdicts', '', `Rule: ${d.rule.text}`, '');
  L.push('| mode | quantity | Δ float64 | Δ float32 | r = Δ32/Δ64 | Δ float32 vs float64 | verdict |', '|---|---|---|---|---|---|---|');
  for (const [mode, list] of Object.entries(d.verdicts) as Array<[string, QuantityVerdict[]]>) {
    const sorted = [...list].sort((a, b) => (KEY.indexOf(a.quantity) + 1 || 99) - (KEY.indexOf(b.quantity) + 1 || 99));
    for (const q of sorted) {
      const r = q.ratio_infinite ? '∞' : q.ratio === null ? '—' : fmtNum(q.ratio);
      L.push(`| ${mode} | ${q.quantity} (${q.kind}) | ${q.delta_float64 === null ? '—' : fmtNum(q.delta_float64)} | ${q.delta_float32 === null ? '—' : fmtNum(q.delta_float32)} | ${r} | ${q.delta_float32_vs_float64 === null ? '—' : fmtNum(q.delta_float32_vs_float64)} | ${q.verdict === 'logic-limited' ? '**logic-limited**' : q.verdict} |`);
    }
  }
  L.push('', '## Plots', '');
  for (const c of d.cells) L.push(`![${c.cell}](plots/delta_per_phi_${c.cell.replace('/', '_')}.png)`);
  L.push('', '![k_frac, all cells](plots/k_frac_all_cells.png)', '');
  for (const p of d.dtype_pairs) L.push(`float32 − float64 image, ${p.mode} (correlation ${p.image.correlation}): ![f32-f64 ${p.mode}](plots/float32_minus_float64_${p.mode}.png)`, '');
  L.push(`## Timing`, '', `C ${(d.timing_ms.c / 1000).toFixed(2)} s; engine cells ${(d.timing_ms.engine_cells_wall / 1000).toFixed(2)} s wall (${Object.entries(d.timing_ms.engine_cells).map(([k, v]) => `${k} ${((v as number) / 1000).toFixed(2)} s`).join(', ')}); reporting ${(d.timing_ms.reporting / 1000).toFixed(2)} s; total ${(d.timing_ms.total / 1000).toFixed(2)} s.`, '');
  return L.join('\n');
}

/** The brightest pixel (slow, fast) of one engine run of `argv` (ties: the first), as compare chooses its traced pixel. */
async function brightestPixel(argv: string[], dir: string, timeoutMs: number, keepLogs: (r: RunRecord) => string): Promise<[number, number]> {
  mkdirSync(dir, { recursive: true });
  const run = await runSide('TS', [...argv, '-floatfile', 'pre.float.bin', '-intfile', 'pre.int.img', '-nopgm', '-nonoise', '--json'], { cwd: dir, timeoutMs, name: 'pre' });
  if (run.exitCode !== 0 || run.timedOut) throw new SideFailedError(run, readFileSync(run.stderrFile, 'utf8').trim().split('\n').slice(-20).join('\n'), keepLogs(run));
  const det = JSON.parse(readFileSync(run.stdoutFile, 'utf8')).detector as { fpixels: number; spixels: number };
  const img = readSizedImage(join(dir, 'pre.float.bin'), det.fpixels * det.spixels, 'engine', 'pre.float.bin');
  let best = 0;
  for (let i = 1; i < img.length; i++) if (img[i] > img[best]) best = i;
  return [Math.floor(best / det.fpixels), best % det.fpixels];
}
