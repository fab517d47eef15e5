/**
 * The lie detector, live: broken variants of the user's own nanoBragg.c (made here, at test
 * time, by tests/support/cfaults.ts) go through `nbparity compare`, and each must end with the
 * exit code and verdict the contract gives it, its evidence folder sealed (or, for a gate,
 * complete) and named on the console. Needs the user's nanoBragg.c; skipped without it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { C_FAULTS } from './support/cfaults.js';
import { checkFolder } from '../harness/evidence/dir.js';
import { findCSource } from '../harness/c/build.js';

const source = findCSource(); // a configured but unusable C throws here: never a silent skip
const why = 'no nanoBragg.c (golden_suite_generator/nanoBragg.c or NANOBRAGG_C): the live fault suite needs the user\'s C';
if (!source) console.log(`skipped tests/faults.live.test.ts: ${why}`);

const ARGS = ['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '100', '-N', '5', '-phisteps', '3', '-osc', '0.3', '-lambda', '1', '-distance', '100',
  '-pixel', '0.1', '-detpixels', '64', '-oversample', '1', '-nonoise', '-nopgm', '-trace_pixel', '30', '30', '--phi-carryover-mode', 'c-parity'];
const CLI = resolve('dist/harness/cli.js');

/** what each fault's first message line (or failed gate) must say */
const SAYS: Record<string, RegExp> = {
  control: /^PASS/,
  crash: /killed by SIGABRT/,
  hang: /timed out/,
  'exit-nonzero': /exited with code 7/,
  'early-exit-0': /wrote no float image \(c\.float\.bin\) although it exited 0/,
  'short-image': /has 8192 bytes; its configuration implies 4096 pixels = 16384 bytes/,
  'odd-bytes-image': /has 16383 bytes \(not a whole number of float32 values\)/,
  'trace-cut': /ends in the middle of a line \(cut short\)/,
  'trace-garbled': /'abc' is not a number/,
  'trace-duplicate-phi': /entry 0\/0\/0\/1 duplicates line/,
  'trace-missing-phi': /entry 0\/0\/0\/1 is missing/,
  'trace-extra-phi': /entry 0\/0\/0\/99 is outside the declared loops/,
  'nan-k-trace': /failed VG-1 k_frac: 1 of 3 k_frac values are not finite \(first at φ step 1/,
  'inf-rot-b-trace': /failed VG-1 rot_b_y: 1 of 3 rot_b_y values are not finite \(first at φ step 2/,
  'nan-fcell-image': /failed image: not finite: 1 C pixels, 0 engine pixels/,
  'omega-1e-5': /failed image: .*4096 pixels beyond 2 ulp/,
  'compile-error': /compiling nanoBragg\.c failed[\s\S]*nanoBragg\.c:\d+:\d+: error: .nbparity_planted_undeclared_identifier. undeclared/,
  'no-instrument-point': /recognised point 'intensity accumulation' found 0 times/,
};

describe.skipIf(!source)('planted faults in the user\'s nanoBragg.c, through nbparity compare', () => {
  const pristine = source ? readFileSync(source.path, 'utf8') : '';
  const root = mkdtempSync(join(tmpdir(), 'nbparity-faults-'));
  it('covers every fault with an expected message', () => {
    expect(C_FAULTS.map((f) => f.id).sort()).toEqual(Object.keys(SAYS).sort());
  });
  it.each(C_FAULTS.map((f) => [f.id, f] as const))('%s', (id, f) => {
    const dir = join(root, id);
    mkdirSync(dir, { recursive: true });
    const variant = join(dir, 'nanoBragg.c');
    writeFileSync(variant, f.apply(pristine, [30, 30]));
    const reports = join(dir, 'reports');
    const r = spawnSync(process.execPath, [CLI, 'compare', '--c-source', variant, '--reports', reports, '--timeout', id === 'hang' ? '4' : '60', '--', ...ARGS], { encoding: 'utf8' });
    const out = r.stdout + r.stderr;
    expect(r.status, out).toBe(f.expectExit);
    expect(out).toMatch(SAYS[id]);
    expect(out).not.toMatch(/internal error/); // every failure is one the contract names
    // the evidence folder: named on the console, sealed, in the state the exit implies
    const m = /evidence: (\S+)/.exec(out);
    expect(m, out).not.toBeNull();
    const folder = m![1];
    expect(existsSync(folder)).toBe(true);
    const check = checkFolder(folder);
    expect(check.status).toBe(f.expectExit <= 1 ? 'complete' : 'incomplete');
    expect(check.state).toBe(f.expectExit <= 1 ? 'complete' : 'failed');
    const state = JSON.parse(readFileSync(join(folder, 'state.json'), 'utf8'));
    if (f.expectExit >= 2) {
      expect(state.failure.exit_code).toBe(f.expectExit);
      // every kept file it names is in the folder (never a deleted scratch path)
      for (const k of state.failure.kept) expect(existsSync(join(folder, k)), k).toBe(true);
      expect(out).not.toMatch(/nbparity-run-/);
    } else {
      expect(state.result.exit_code).toBe(f.expectExit);
      const dm = JSON.parse(readFileSync(join(folder, 'delta_metrics.json'), 'utf8'));
      expect(dm.verdict.pass).toBe(f.expectExit === 0);
    }
  }, 120_000);
});

describe.skipIf(!source)('a C whose OpenMP threads race (interpolation on, 3 threads)', () => {
  it('gets the "C output not reproducible" verdict (exit 3), not a verdict on the engine', () => {
    const inputs = resolve('traces/reference/_inputs');
    const reports = mkdtempSync(join(tmpdir(), 'nbparity-race-'));
    // threads share nanoBragg.c's "interpolation off" switch; the beam sits near one edge so only
    // the last thread's rows leave the HKL table, at a moment the other threads cannot predict
    const args = ['-hkl', join(inputs, 'P1.hkl'), '-mat', join(inputs, 'A.mat'), '-N', '2', '-lambda', '1', '-distance', '130', '-pixel', '0.128', '-detpixels', '200',
      '-Xbeam', '7', '-Ybeam', '12.8', '-oversample', '1', '-nonoise', '-nopgm', '-interpolate', '-trace_pixel', '100', '100', '--phi-carryover-mode', 'c-parity'];
    // measured here: 50 of 50 pairs of runs differ; 4 runs make a false "reproducible" vanishingly rare
    const r = spawnSync(process.execPath, [CLI, 'compare', '--omp-threads', '3', '--repeat-c', '4', '--reports', reports, '--', ...args], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^nbparity compare: C output not reproducible: run 1 and run [234] of the same C \(OMP_NUM_THREADS=3, interpolation on: its threads share the interpolation switch\) differ in \d+ of 40000 pixels/m);
    const folder = /evidence: (\S+)/.exec(r.stderr)![1];
    expect(JSON.parse(readFileSync(join(folder, 'state.json'), 'utf8')).failure).toMatchObject({ kind: 'NotReproducibleError', exit_code: 3, step: 'C reproducibility' });
    // a suite repeats such a case by itself (--repeat-c auto) and reports the outcome as its own
    const suite = join(reports, 'race.csv');
    writeFileSync(suite, `id,args,modes,omp_threads\nrace,${args.filter((a) => !a.startsWith('--') && a !== 'c-parity').join(' ')},c-parity,3\n`);
    const s = spawnSync(process.execPath, [CLI, 'suite', suite, '--reports', reports, '--ledger', join(reports, 'ledger.csv')], { encoding: 'utf8' });
    expect(s.status, s.stdout + s.stderr).toBe(3);
    expect(s.stdout).toMatch(/c-unreproducible +race\[c-parity\]: C output not reproducible/);
    expect(s.stdout).toMatch(/1 tests: 0 ok, .* 1 C not reproducible/);
    // the same C with one thread is reproducible, and the engine matches it
    const one = spawnSync(process.execPath, [CLI, 'compare', '--omp-threads', '1', '--repeat-c', '2', '--reports', reports, '--', ...args], { encoding: 'utf8' });
    expect(one.status, one.stdout + one.stderr).toBe(0);
  }, 120_000);
});
