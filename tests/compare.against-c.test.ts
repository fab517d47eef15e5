/**
 * C against C (`nbparity compare --c-source A --against-c B`): two builds of nanoBragg.c judged
 * against each other with the gates, first divergence and evidence of C against the engine.
 *
 * Build A is the user's nanoBragg.c (golden_suite_generator/nanoBragg.c or $NANOBRAGG_C); each
 * build B is derived from it here, at test time, in a temporary folder (nothing of the C is
 * committed): the fix/phi0-stale-rotation change (reset ap/bp/cp at φ=0), the
 * fix/subpixel-oversampling change (weight each contribution, not the running sum), and a
 * copy that aborts at the start of main. Tests that need the C skip, saying why, without it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { candidates, findCSource } from '../harness/c/build.js';
import { instrument } from '../harness/c/instrument.js';
import { runCompare } from '../harness/compare/run.js';
import { bannerRoi, divergenceSentenceAB } from '../harness/compare/against-c.js';
import { checkFolder } from '../harness/evidence/dir.js';
import { validate } from '../harness/schemas/validate.js';

const CLI = join(process.cwd(), 'dist', 'harness', 'cli.js');
const userC = (() => { try { return findCSource(); } catch { return null; } })();
const haveC = userC !== null && spawnSync(process.env.CC ?? 'cc', ['--version']).status === 0;
if (!haveC) console.log(`no nanoBragg.c or no C compiler (looked at ${candidates().join(', ')}): C-against-C tests that run the C are skipped`);

const BASE = ['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '100', '-N', '5', '-lambda', '1', '-distance', '100', '-detpixels', '32', '-pixel', '0.1'];
const PHI = [...BASE, '-phisteps', '10', '-osc', '1', '-oversample', '1', '-nonoise', '-nopgm'];
const NO_PHI = [...BASE, '-oversample', '1', '-nonoise', '-nopgm'];

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const once = (text: string, find: string | RegExp, what: string): void => {
  const n = typeof find === 'string' ? text.split(find).length - 1 : [...text.matchAll(new RegExp(find.source, find.flags.replace('g', '') + 'g'))].length;
  if (n !== 1) throw new Error(`deriving ${what}: expected the user's nanoBragg.c to hold ${String(find)} once, found ${n}`);
};

/** fix/phi0-stale-rotation, derived from the user's file: at φ=0 reset ap/bp/cp to the unrotated cell. */
function derivePhi0Fix(src: string): string {
  const re = /(rotate_axis\(c0,cp,spindle_vector,phi\);\s*\n([ \t]*)\}\n)/;
  once(src, re, 'the phi0 fix');
  return src.replace(re, (_m, block: string, ind: string) =>
    `${block}${ind}else\n${ind}{\n${ind}    ap[1]=a0[1];ap[2]=a0[2];ap[3]=a0[3];\n${ind}    bp[1]=b0[1];bp[2]=b0[2];bp[3]=b0[3];\n${ind}    cp[1]=c0[1];cp[2]=c0[2];cp[3]=c0[3];\n${ind}}\n`);
}

/** fix/subpixel-oversampling, derived from the user's file: the oversample_* weights scale each contribution, not the running sum. */
function deriveSubpixelFix(src: string): string {
  const acc = /^([ \t]*)I \+= F_cell\*F_cell\*F_latt\*F_latt;[ \t]*\n([\s\S]*?)^[ \t]*if\(oversample_thick\) I \*= capture_fraction;\n[ \t]*if\(oversample_polar\) I \*= polar;\n[ \t]*if\(oversample_omega\) I \*= omega_pixel;\n/m;
  once(src, acc, 'the subpixel fix');
  return src.replace(acc, (_m, ind: string, between: string) =>
    `${ind}double I_contribution = F_cell*F_cell*F_latt*F_latt;\n${between}${ind}if(oversample_thick) I_contribution *= capture_fraction;\n${ind}if(oversample_polar) I_contribution *= polar;\n${ind}if(oversample_omega) I_contribution *= omega_pixel;\n\n${ind}I += I_contribution;\n`);
}

/** A copy that aborts as soon as main() starts. */
function deriveCrash(src: string): string {
  const re = /^(int\s+main\s*\(\s*int\s+argc\s*,\s*char\s*\*\*\s*argv\s*\)\s*\n\{[ \t]*\n)/m;
  once(src, re, 'the crashing copy');
  return src.replace(re, '$1    abort();\n');
}

function nbparity(args: string[]) {
  const cwd = mkdtempSync(join(tmpdir(), 'nbparity-cvc-cwd-'));
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NANOBRAGG_C: userC?.path ?? '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const work = mkdtempSync(join(tmpdir(), 'nbparity-cvc-'));
const reports = join(work, 'reports');
const file = (name: string, text: string) => { const p = join(work, name); writeFileSync(p, text); return p; };
let phi0Fix = '', subpixelFix = '', crash = '', subpixelInstrumentable = false;
beforeAll(() => {
  if (!userC) return;
  const src = readFileSync(userC.path, 'utf8');
  phi0Fix = file('fix_phi0-stale-rotation.c', derivePhi0Fix(src));
  subpixelFix = file('fix_subpixel-oversampling.c', deriveSubpixelFix(src));
  crash = file('crash.c', deriveCrash(src));
  try { instrument(readFileSync(subpixelFix, 'utf8')); subpixelInstrumentable = true; } catch { /* below */ }
  if (!subpixelInstrumentable) console.log('the instrumenter does not recognise an accumulation through a local I_contribution yet: the fix/subpixel-oversampling tests are skipped');
});

describe.skipIf(!haveC)('C against C: upstream vs fix/phi0-stale-rotation', () => {
  it('10 φ steps: FAIL, first divergence in the rotated lattice at φ step 0 (φ=0°), every side named build A / build B', async () => {
    const r = await runCompare({ args: PHI, cSource: userC!.path, againstC: phi0Fix, reportsRoot: reports, initiative: 'cvc' });
    const m = JSON.parse(readFileSync(join(r.dir, 'delta_metrics.json'), 'utf8'));
    validate('deltaMetrics', m);
    // the schema holds a c-vs-c record to its form: against_c present, no engine, both builds in the against line
    const bad = (f: (x: any) => void) => { const x = JSON.parse(JSON.stringify(m)); f(x); return () => validate('deltaMetrics', x); };
    expect(bad((x) => { delete x.run.against_c; })).toThrow(/against_c/);
    expect(bad((x) => { x.run.engine = { dtype: 'float64', phi_mode: 'spec', c_threads: 1 }; })).toThrow(/engine/);
    expect(bad((x) => { x.run.against = `live against ${userC!.path} (sha256 ${sha(userC!.path).slice(0, 16)}…)`; })).toThrow(/against/);
    expect(bad((x) => { x.run.mode = 'live'; })).toThrow();
    expect(r.exitCode).toBe(1);
    expect(m.run.mode).toBe('c-vs-c');
    expect(m.run.engine).toBeNull();
    expect(m.run.c).toMatchObject({ role: 'build A', source: userC!.path, sha256: sha(userC!.path), instrumented: true, omp_threads: 1, runs: 1 });
    expect(m.run.against_c).toMatchObject({ role: 'build B', source: phi0Fix, sha256: sha(phi0Fix), dialect: 'pristine', instrumented: true, omp_threads: 1, runs: 1 });
    expect(m.run.against).toBe(`C against C: build A ${userC!.path} (sha256 ${sha(userC!.path).slice(0, 16)}…) vs build B ${phi0Fix} (sha256 ${sha(phi0Fix).slice(0, 16)}…)`);
    // B's trace is a C trace, held whole by the same rules: every one of its 10 evaluations, loops from its own TRACE_C_LOOPS
    expect(m.trace.engine_side).toBe('C');
    expect(m.trace.completeness.engine).toMatchObject({ dialect: 'full', loops_from: 'trace', entries: 10, expected_entries: 10 });
    expect(m.trace.completeness.engine.loops).toMatchObject({ phisteps: 10, fpixels: 32, spixels: 32 });
    // the first divergence: the rotated a at φ step 0; build A reuses the φ=0.9° rotation, build B has the unrotated cell
    const d = m.first_divergence;
    expect(d).toMatchObject({ found: true, stage: 'rotated lattice', quantity: 'rot_a_angstroms', component: 0, location: { block: 0, phi_tic: 0 } });
    expect(d.c).toBeCloseTo(100 * Math.cos(0.9 * Math.PI / 180), 12);
    expect(d.ts).toBe(100);
    expect(d.sentence).toMatch(/^First divergence: rotated lattice, rot_a_angstroms\[x\] at φ step 0, φ=0° \(sub-pixel block 0\): build A 99\.987663\d+ vs build B 100 \(\|Δ\| 1\.234e-2, 1\.23e-4 relative; tolerance 1e-9 relative\)\.$/);
    expect(m.verdict.summary).toMatch(/^FAIL: VG-1 k_frac, VG-1 rot_b_y, image \(build B against build A\)\. First divergence: rotated lattice/);
    for (const g of m.verdict.gates) expect(g.detail).not.toMatch(/\bengine\b/);
    expect(m.vg1.mode).toBe('c-vs-c');
    expect(m.vg1.k_frac.max_abs).toBeGreaterThan(1e-6);
    expect(m.vg1.rot_b_y.max_abs).toBeCloseTo(100 * (1 - Math.cos(0.9 * Math.PI / 180)), 10);
    expect(m.vg1.rot_b_y.worst).toMatchObject({ phi_tic: 0 });
    // C-PARITY-001 per build
    expect(m.carryover.detected).toBe(true);
    expect(m.carryover.against_c.detected).toBe(false);
    expect(m.carryover.sentence).toMatch(/build A has it, its φ=0 step reusing the last φ step's rotation .*; build B rotates φ=0 freshly/);
    // the libm verdict does not apply: said so, never a cause
    expect(m.libm.verdict).toBe('undetermined');
    expect(m.libm.sentence).toMatch(/^libm: not judged: both sides are C builds .* same C library/);
    expect(m.libm.calls.differing).toBe(0);
    expect(m.image.full.identical_fraction).toBeLessThan(0.01);
    expect(m.image.previews).toMatchObject({ c: 'a.png', ts: 'b.png', diff: 'diff.png' });
    // the evidence folder: sealed complete, with each build's trace, image and logs
    expect(checkFolder(r.dir)).toMatchObject({ status: 'complete', state: 'complete' });
    const files = readdirSync(r.dir);
    for (const f of ['a.trace.txt', 'b.trace.txt', 'a.trace.json', 'b.trace.json', 'a.float.bin', 'b.float.bin', 'a.png', 'b.png', 'diff.png', 'commands.txt', 'env.json', 'comparison_summary.md']) expect(files).toContain(f);
    expect(readFileSync(join(r.dir, 'b.trace.txt'), 'utf8')).toMatch(/^TRACE_C_PHI thick_tic=0 subS=0 subF=0 source=0 mos_tic=0 phi_tic=0 phi_deg=0 rot_a=100,/m);
    const md = readFileSync(join(r.dir, 'comparison_summary.md'), 'utf8');
    expect(md).toMatch(/^# nbparity compare, C against C: FAIL$/m);
    expect(md).toContain(`- build B (in the engine's part; no engine runs): \`${phi0Fix}\` (sha256 ${sha(phi0Fix).slice(0, 16)}…`);
    expect(md).toContain('| build A | build B | build B − build A |');
    expect(md).toContain('sum ratio (build B/build A)');
    expect(JSON.parse(readFileSync(join(r.dir, 'env.json'), 'utf8'))).toMatchObject({ mode: 'c-vs-c', against_c_source_sha256: sha(phi0Fix), omp_num_threads: 1 });
  });

  it('no φ sweep: identical images, no divergence (PASS); the traced pixel is build A\'s brightest', async () => {
    const r = await runCompare({ args: NO_PHI, cSource: userC!.path, againstC: phi0Fix, reportsRoot: reports, initiative: 'cvc' });
    const m = r.metrics;
    expect(r.exitCode).toBe(0);
    expect(m.image.full.identical_fraction).toBe(1);
    expect(m.image.full.max_abs).toBe(0);
    expect(m.first_divergence).toMatchObject({ found: false, sentence: 'No divergence: every traced quantity of build B agrees with build A within 1e-9 relative.' });
    expect(m.run.traced_pixel).toEqual({ slow: 16, fast: 16, chosen: 'the brightest pixel of a build A pre-run (no -trace_pixel given)' });
    expect(m.verdict.summary).toBe('PASS: all gates pass (build B against build A). No divergence: every traced quantity of build B agrees with build A within 1e-9 relative.');
    expect(m.libm.verdict).toBe('undetermined'); // never a libm pass: not judged
    expect(m.carryover.sentence).toBe('C-PARITY-001 cannot show in this run (it needs φ0 = 0 and more than one φ step).');
  });

  it('-roi: the ROI is build B\'s own (its banner), metrics over it as today', async () => {
    const r = await runCompare({ args: [...PHI, '-roi', '4', '20', '6', '18', '-trace_pixel', '10', '12'], cSource: userC!.path, againstC: phi0Fix, reportsRoot: reports, initiative: 'cvc' });
    expect(r.metrics.run.against_c.roi).toEqual({ xmin: 4, xmax: 20, ymin: 6, ymax: 18, from: 'banner' });
    expect(r.metrics.image.roi.bounds).toEqual({ xmin: 4, xmax: 20, ymin: 6, ymax: 18 });
    expect(r.metrics.image.roi.pixels).toBe(17 * 13);
    expect(r.metrics.run.traced_pixel).toMatchObject({ slow: 10, fast: 12, chosen: 'given with -trace_pixel' });
  });

  it('the CLI: console lines name both builds (path, sha256), --json prints delta_metrics, exit 1', () => {
    const r = nbparity(['compare', '--reports', reports, '--c-source', userC!.path, '--against-c', phi0Fix, '--', ...PHI]);
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^FAIL {2}FAIL: VG-1 k_frac, VG-1 rot_b_y, image \(build B against build A\)\. First divergence: rotated lattice, rot_a_angstroms\[x\] at φ step 0, φ=0° \(sub-pixel block 0\): build A 99\.98766\d+ vs build B 100 /);
    expect(lines[1]).toBe(`  C against C: build A ${userC!.path} (sha256 ${sha(userC!.path).slice(0, 16)}…) vs build B ${phi0Fix} (sha256 ${sha(phi0Fix).slice(0, 16)}…)`);
    // both builds' fingerprints, and the entry the patch changed
    expect(lines[2]).toMatch(/^ {2}build A has: C-PARITY-001, .*; fixes: none/);
    expect(lines[3]).toMatch(/^ {2}build B has: C-OVERSAMPLE-SUM, .*; fixes: C-PARITY-001/);
    expect(lines[4]).toBe('  The builds\' fingerprints differ in C-PARITY-001 (build A has, build B fixes).');
    expect(lines[5]).toBe(`  build A: ${userC!.path} (sha256 ${sha(userC!.path).slice(0, 16)}…, pristine, instrumented), OMP_NUM_THREADS=1`);
    expect(lines[6]).toBe(`  build B: ${phi0Fix} (sha256 ${sha(phi0Fix).slice(0, 16)}…, pristine, instrumented), OMP_NUM_THREADS=1`);
    expect(r.stdout).toMatch(/^ {2}libm: not judged: both sides are C builds/m);
    expect(r.stdout).toMatch(/^ {2}image \(build B vs build A\): 0\.\d+% bit-identical/m);
    expect(r.stdout).not.toMatch(/\bengine\b/);
    const j = nbparity(['compare', '--json', '--reports', reports, '--c-source', userC!.path, '--against-c', phi0Fix, '--', ...NO_PHI]);
    expect(j.status, j.stderr).toBe(0);
    const out = JSON.parse(j.stdout);
    expect(out.delta_metrics.run.mode).toBe('c-vs-c');
    expect(out.delta_metrics.image.full.identical_fraction).toBe(1);
    expect(checkFolder(out.evidence).status).toBe('complete');
  });
});

describe.skipIf(!haveC)('C against C: upstream vs fix/subpixel-oversampling', () => {
  it('-oversample 2 -oversample_omega: the first divergence is the oversample-weighted I_before_scaling', async (ctx) => {
    if (!subpixelInstrumentable) ctx.skip();
    const r = await runCompare({ args: [...BASE, '-oversample', '2', '-oversample_omega', '-nonoise', '-nopgm'], cSource: userC!.path, againstC: subpixelFix, reportsRoot: reports, initiative: 'cvc' });
    const d = r.metrics.first_divergence;
    expect(r.exitCode).toBe(1);
    expect(d).toMatchObject({ found: true, stage: 'intensity', quantity: 'I_before_scaling', location: { block: -1 } });
    // every per-φ contribution agrees: only the running sum's weighting differs
    expect(r.metrics.trace.per_phi.find((q: { name: string }) => q.name === 'I_contribution').max_abs).toBe(0);
    expect(d.sentence).toMatch(/^First divergence: intensity, I_before_scaling \(the pixel's accumulated intensity I, with any oversample_\* weighting, before scaling\) after all loops: build A \S+ vs build B \S+ /);
    expect(d.ts).toBeGreaterThan(d.c);
    expect(r.metrics.verdict.gates.find((g: { name: string }) => g.name === 'image').pass).toBe(false);
  });
  it('-oversample 2 without -oversample_omega: identical images', async (ctx) => {
    if (!subpixelInstrumentable) ctx.skip();
    const r = await runCompare({ args: [...BASE, '-oversample', '2', '-nonoise', '-nopgm'], cSource: userC!.path, againstC: subpixelFix, reportsRoot: reports, initiative: 'cvc' });
    expect(r.exitCode).toBe(0);
    expect(r.metrics.image.full.identical_fraction).toBe(1);
    expect(r.metrics.first_divergence.found).toBe(false);
    expect(r.metrics.trace.completeness.engine).toMatchObject({ blocks: 4, entries: 4, expected_entries: 4 });
  });
});

describe('C against C fails closed', () => {
  const args = ['--', '-cell', '100', '100', '100', '90', '90', '90', '-default_F', '100', '-N', '3', '-detpixels', '8', '-nonoise', '-nopgm', '-trace_pixel', '4', '4'];
  it('build B an empty file: exit 2 naming its path and --against-c', () => {
    const empty = join(mkdtempSync(join(tmpdir(), 'nbparity-cvc-empty-')), 'empty.c');
    writeFileSync(empty, '');
    const r = nbparity(['compare', '--reports', reports, '--against-c', empty, ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`nbparity compare: ${empty} (from --against-c): is empty`);
  });
  it('build B missing: exit 2', () => {
    const r = nbparity(['compare', '--reports', reports, '--against-c', '/nonexistent/B.c', ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('nbparity compare: /nonexistent/B.c (from --against-c): no such file');
  });
  it.each([
    ['--dtype float32 among the nanoBragg arguments', ['compare', '--against-c', '/nonexistent/B.c', ...args, '--dtype', 'float32'], 'nbparity compare: --against-c compares two C builds and runs no engine: the engine-only option --dtype float32 does not apply'],
    ['--libm among the nanoBragg arguments', ['compare', '--against-c', '/nonexistent/B.c', ...args, '--libm', 'cr'], 'nbparity compare: --against-c compares two C builds and runs no engine: the engine-only option --libm cr does not apply'],
    ['--dtype float32 as a compare option', ['compare', '--dtype', 'float32', '--against-c', '/nonexistent/B.c', ...args], 'nbparity compare: --against-c compares two C builds and runs no engine: --dtype does not apply'],
    ['replay', ['replay', '--case', 'simple_cubic', '--against-c', '/nonexistent/B.c'], 'nbparity replay: --against-c compares two live C builds; it cannot be combined with replay (a recorded reference)'],
  ])('%s: exit 2, one line', (_n, argv, line) => {
    const r = nbparity(argv);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(line + '\n');
    expect(r.stdout).toBe('');
  });
  it.skipIf(!haveC)('build B not instrumentable: exit 2 naming it and --against-c, nothing compiled', () => {
    const odd = file('odd.c', readFileSync(userC!.path, 'utf8').replace('I += F_cell*F_cell*F_latt*F_latt;', 'I = I; /* no accumulation */'));
    const r = nbparity(['compare', '--reports', reports, '--against-c', odd, ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^nbparity compare: --against-c ${odd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(build B\\): cannot instrument .*intensity accumulation`));
  });
  it.skipIf(!haveC)('build B crashes at run time: exit 3 naming build B, folder sealed as failed', () => {
    const rep = mkdtempSync(join(tmpdir(), 'nbparity-cvc-rep-'));
    const r = nbparity(['compare', '--reports', rep, '--against-c', crash, ...args]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^nbparity compare: build B \\(${crash.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, sha256 ${sha(crash).slice(0, 16)}…\\) was killed by SIGABRT: `));
    const ev = join(rep, 'adhoc', readdirSync(join(rep, 'adhoc'))[0]);
    expect(checkFolder(ev)).toMatchObject({ status: 'incomplete', state: 'failed' });
    expect(JSON.parse(readFileSync(join(ev, 'state.json'), 'utf8')).failure).toMatchObject({ step: 'build B run', side: 'build B', exit_code: 3 });
  });
});

describe('C against C: pieces', () => {
  it('reads the ROI a C resolved from its banner, once', () => {
    expect(bannerRoi('  dials origin= 0 0 0\n  roi: 0 < x < 32 && 0 < y < 32\n')).toEqual({ xmin: 0, xmax: 32, ymin: 0, ymax: 32 });
    expect(bannerRoi('no banner')).toBeNull();
    expect(bannerRoi('  roi: 0 < x < 3 && 0 < y < 3\n  roi: 0 < x < 3 && 0 < y < 3\n')).toBeNull();
  });
  it('the divergence sentence names quantity, loop indices and φ angle, build A and build B', () => {
    const a = { phi: [{ block: 1, source: 0, mos_tic: 2, phi_tic: 3, values: { phi_deg: [0.30000000000000004] } }] } as never;
    const s = divergenceSentenceAB({ stage: 'fractional hkl', quantity: 'k_frac', component: 0, location: { block: 1, source: 0, mos_tic: 2, phi_tic: 3 }, c: 0.5, ts: 0.25, abs: 0.25, rel: 0.5, sentence: '' }, a, { rel: 1e-9 });
    expect(s).toBe('First divergence: fractional hkl, k_frac at φ step 3, φ=0.3° (sub-pixel block 1, source 0, mosaic domain 2): build A 0.5 vs build B 0.25 (|Δ| 2.500e-1, 5.00e-1 relative; tolerance 1e-9 relative).');
  });
});
