/**
 * compare, sweep and suite use the C build's fingerprint: the engine emulates what the build
 * has and fixes what it fixes, unless the arguments say otherwise, and every report says so.
 * Needs the user's nanoBragg.c (golden_suite_generator/nanoBragg.c or $NANOBRAGG_C); the
 * fix/subpixel-oversampling build is derived from it at test time. The profile rules are
 * checked without a C.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCSource } from '../harness/c/build.js';
import { runCompare } from '../harness/compare/run.js';
import { chooseProfile, parseUserQuirks, profileSummary } from '../harness/fingerprint/profile.js';
import type { Fingerprint } from '../harness/fingerprint/run.js';
import { replayRecord } from '../harness/fingerprint/record.js';

let source: string | null = null;
try { source = findCSource()?.path ?? null; } catch { source = null; }
const haveC = source !== null;
const why = haveC ? '' : ' [skipped: no nanoBragg.c (golden_suite_generator/nanoBragg.c or $NANOBRAGG_C)]';

/** the case: 10 φ steps from 0, oversample 2 with -oversample_omega */
const CASE = ['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '100', '-N', '5', '-lambda', '1', '-distance', '100', '-detpixels', '32', '-pixel', '0.1', '-phisteps', '10', '-osc', '1', '-oversample', '2', '-oversample_omega', '-nonoise', '-nopgm'];

/** bl831 fix/subpixel-oversampling, made from the user's file */
function subpixelFix(): string {
  let t = readFileSync(source!, 'utf8');
  const sub = (re: RegExp, by: string) => { const n = (t.match(new RegExp(re.source, 'g')) ?? []).length; expect(n, String(re)).toBe(1); t = t.replace(re, by); };
  sub(/I \+= F_cell\*F_cell\*F_latt\*F_latt;/, 'double I_contribution = F_cell*F_cell*F_latt*F_latt;');
  sub(/if\(oversample_thick\) I \*= capture_fraction;/, 'if(oversample_thick) I_contribution *= capture_fraction;');
  sub(/if\(oversample_polar\) I \*= polar;/, 'if(oversample_polar) I_contribution *= polar;');
  sub(/if\(oversample_omega\) I \*= omega_pixel;/, 'if(oversample_omega) I_contribution *= omega_pixel;\n                                    I += I_contribution;');
  const f = join(mkdtempSync(join(tmpdir(), 'nbparity-fpl-')), 'nanoBragg.c');
  writeFileSync(f, t);
  return f;
}

const reports = () => mkdtempSync(join(tmpdir(), 'nbparity-fpl-rep-'));

describe('compare with the fingerprint (live)', () => {
  it.skipIf(!haveC)('upstream: the engine emulates C-PARITY-001 from the fingerprint; bit-identical on the 10-φ, -oversample_omega case' + why, async () => {
    const r = await runCompare({ args: CASE, cSource: source!, reportsRoot: reports() });
    const q = r.metrics.run.quirks;
    expect(q.line).toMatch(/^this C build has: C-PARITY-001, C-OVERSAMPLE-SUM, .*; fixes: none/);
    expect(q.engine_profile['C-PARITY-001']).toBe('c');
    expect(q.from['C-PARITY-001']).toBe('fingerprint');
    expect(r.metrics.run.engine.phi_mode).toBe('c-parity');
    expect(r.exitCode).toBe(0);
    expect(r.metrics.image.full.identical_fraction).toBe(1);
    expect(readFileSync(join(r.dir, 'comparison_summary.md'), 'utf8')).toContain(`- quirks: ${q.line}; the engine's profile: C-PARITY-001=c (fingerprint)`);
    expect(readFileSync(join(r.dir, 'commands.txt'), 'utf8')).toMatch(/--phi-carryover-mode c-parity --quirk C-OVERSAMPLE-SUM=c --quirk C-PIXEL-FACTORS=c/);
  }, 300_000);

  it.skipIf(!haveC)('fix/subpixel-oversampling: fingerprinted as fixing C-OVERSAMPLE-SUM, and bit-identical with that entry fixed' + why, async () => {
    const r = await runCompare({ args: CASE, cSource: subpixelFix(), reportsRoot: reports() });
    const q = r.metrics.run.quirks;
    expect(q.fingerprint.fixes).toEqual(['C-OVERSAMPLE-SUM']);
    expect(q.engine_profile['C-OVERSAMPLE-SUM']).toBe('fixed');
    expect(q.summary).toBe('C-PARITY-001=c (fingerprint), C-OVERSAMPLE-SUM=fixed (fingerprint)');
    expect(r.exitCode).toBe(0);
    expect(r.metrics.image.full.identical_fraction).toBe(1);
    expect(r.metrics.first_divergence.found).toBe(false);
  }, 300_000);

  it.skipIf(!haveC)('the user\'s word wins over the fingerprint; the known cause is then the fingerprinted entry, explained' + why, async () => {
    const r = await runCompare({ args: [...CASE, '--quirk', 'C-OVERSAMPLE-SUM=c'], cSource: subpixelFix(), reportsRoot: reports(), expectCause: 'C-OVERSAMPLE-SUM' });
    expect(r.metrics.run.quirks.from['C-OVERSAMPLE-SUM']).toBe('user');
    expect(r.exitCode).toBe(1);
    expect(r.metrics.first_divergence.quantity).toBe('I_before_scaling');
    expect(r.metrics.explanation).toMatchObject({ cause: 'C-OVERSAMPLE-SUM', present_in_c: false, explained: true, counterfactual: { engine_args: ['--quirk', 'C-OVERSAMPLE-SUM=fixed'], pass: true } });
  }, 300_000);

  it.skipIf(!haveC)('--no-fingerprint (CLI): every entry at the engine default, and the report says why' + why, () => {
    const cli = resolve('dist/harness/cli.js');
    const p = spawnSync(process.execPath, [cli, 'compare', '--no-fingerprint', '--c-source', source!, '--reports', reports(), '--json', '--', ...CASE], { encoding: 'utf8' });
    const m = JSON.parse(p.stdout).delta_metrics;
    expect(m.run.quirks.line).toBe("this C build's quirks: not fingerprinted (not asked (--no-fingerprint))");
    expect(m.run.engine.phi_mode).toBe('spec');
    expect(p.status).toBe(1); // spec against the carry-over C: the φ=0 difference, as before the fingerprint
  }, 300_000);
});

describe('the engine profile: the user, else the fingerprint, else the default', () => {
  const fp = { has: ['C-PARITY-001', 'C-PIXEL-FACTORS'], fixes: ['C-OVERSAMPLE-SUM'], unknown: ['C-TWOTHETA-AXIS'], profile: { 'C-PARITY-001': 'c', 'C-PIXEL-FACTORS': 'c', 'C-OVERSAMPLE-SUM': 'fixed' } } as unknown as Fingerprint;

  it('takes decided entries from the fingerprint and leaves undecided ones at the default', () => {
    const c = chooseProfile(parseUserQuirks([], undefined, undefined), fp, '');
    expect(c.mode).toBe('c-parity');
    expect(c.from).toMatchObject({ 'C-PARITY-001': 'fingerprint', 'C-OVERSAMPLE-SUM': 'fingerprint', 'C-TWOTHETA-AXIS': 'default' });
    expect(c.profile['C-OVERSAMPLE-SUM']).toBe('fixed');
    expect(c.args.slice(0, 4)).toEqual(['--phi-carryover-mode', 'c-parity', '--quirk', 'C-OVERSAMPLE-SUM=fixed']);
    expect(profileSummary(c)).toBe('C-PARITY-001=c (fingerprint), C-OVERSAMPLE-SUM=fixed (fingerprint)');
  });

  it('--quirks, then --quirk, then --phi-carryover-mode override it', () => {
    const c = chooseProfile(parseUserQuirks(['C-PIXEL-FACTORS=c'], 'fixed', 'c-parity'), fp, '');
    expect(c.profile).toMatchObject({ 'C-PARITY-001': 'c', 'C-PIXEL-FACTORS': 'c', 'C-OVERSAMPLE-SUM': 'fixed', 'C-TWOTHETA-AXIS': 'fixed' });
    expect(Object.values(c.from).every((f) => f === 'user')).toBe(true);
  });

  it.each([
    [['C-NOPE=c'], undefined, undefined, /unknown catalogue entry 'C-NOPE'/],
    [['C-INTERP-RACE=fixed'], undefined, undefined, /C-INTERP-RACE has no switch/],
    [['C-PARITY-001'], undefined, undefined, /expects ID=c or ID=fixed/],
    [[], 'sometimes', undefined, /--quirks expects c or fixed/],
    [['C-PARITY-001=c'], undefined, 'spec', /--phi-carryover-mode spec contradicts --quirk C-PARITY-001=c/],
  ])('refuses %j %s %s (exit 2)', (each, all, mode, msg) => {
    expect(() => parseUserQuirks(each as string[], all as string | undefined, mode as string | undefined)).toThrow(msg);
    try { parseUserQuirks(each as string[], all as string | undefined, mode as string | undefined); } catch (e) { expect((e as { exitCode: number }).exitCode).toBe(2); }
  });
});

describe('nbparity fingerprint (CLI, no C needed)', () => {
  it('--replay-record decides a recorded build again: the same verdicts, exit 0; --json too', () => {
    const cli = resolve('dist/harness/cli.js');
    const p = spawnSync(process.execPath, [cli, 'fingerprint', '--replay-record', 'traces/fingerprints/fix-subpixel-oversampling.json'], { encoding: 'utf8' });
    expect(p.status).toBe(0);
    expect(p.stdout).toMatch(/fixes: C-OVERSAMPLE-SUM\n/);
    expect(p.stdout).toMatch(/fixes   C-OVERSAMPLE-SUM\s+bit-identical to the engine with C-OVERSAMPLE-SUM=fixed and not =c on 1 probe/);
    expect(p.stdout).toContain('same as recorded');
    const j = spawnSync(process.execPath, [cli, 'fingerprint', '--json', '--replay-record', 'traces/fingerprints/upstream-main.json'], { encoding: 'utf8' });
    expect(JSON.parse(j.stdout)[0]).toMatchObject({ label: 'upstream-main', same: true });
  }, 120_000);

  it('a record that no longer decides the same: exit 1 naming the difference', async () => {
    const rec = JSON.parse(readFileSync('traces/fingerprints/fix-phi0-stale-rotation.json', 'utf8'));
    rec.expected.fixes = [];
    const f = join(mkdtempSync(join(tmpdir(), 'nbparity-fpl-')), 'r.json');
    writeFileSync(f, JSON.stringify(rec));
    const p = spawnSync(process.execPath, [resolve('dist/harness/cli.js'), 'fingerprint', '--replay-record', f], { encoding: 'utf8' });
    expect(p.status).toBe(1);
    expect(p.stdout).toMatch(/DIFFERS from the record.*fixes: now \[C-PARITY-001\], recorded \[\]/);
    expect((await replayRecord(f)).same).toBe(false);
  }, 120_000);

  it('usage errors are one line, exit 2', () => {
    const cli = resolve('dist/harness/cli.js');
    const p = spawnSync(process.execPath, [cli, 'fingerprint', '--record', 'bad label!'], { encoding: 'utf8' });
    expect(p.status).toBe(2);
    expect(p.stderr.split('\n')[0]).toBe("nbparity fingerprint: --record needs a label of letters, digits, '.', '_' or '-', got 'bad label!'");
    const q = spawnSync(process.execPath, [cli, 'fingerprint', '--replay-record', 'traces/fingerprints/upstream-main.json', '--record', 'x'], { encoding: 'utf8' });
    expect(q.status).toBe(2);
    expect(q.stderr.trim()).toBe('nbparity fingerprint: --replay-record decides recorded builds again without a C: it takes no --c-source or --record');
  });
});

describe('suites: a known difference naming a catalogue entry is resolved by the build\'s fingerprint (live)', () => {
  // the engine forced to C-OVERSAMPLE-SUM=fixed: against upstream (has it) a difference explained by the entry;
  // against fix/subpixel-oversampling (fixes it) no difference is expected, so the declared known-diff becomes pass
  const suiteFile = () => {
    const d = mkdtempSync(join(tmpdir(), 'nbparity-fpl-suite-'));
    const f = join(d, 'q.csv');
    writeFileSync(f, 'id,args,modes,expect,reason\n' +
      `os_fixed,${CASE.join(' ')} --quirk C-OVERSAMPLE-SUM=fixed,c-parity,known-diff,the running sum (C-OVERSAMPLE-SUM)\n`);
    return f;
  };

  it.skipIf(!haveC)('upstream: known-diff, explained by C-OVERSAMPLE-SUM (its counterfactual passes every gate)' + why, async () => {
    const { runSuite } = await import('../harness/suite/run.js');
    const r = await runSuite({ suite: suiteFile(), cSource: source!, reportsRoot: reports(), ledger: join(reports(), 'l.csv') });
    const t = r.summary.results[0];
    expect(t.outcome, t.message).toBe('known-diff');
    expect(t.message).toMatch(/Explained by C-OVERSAMPLE-SUM: .* with --quirk C-OVERSAMPLE-SUM=c every gate passes/);
    expect(r.summary.quirks).toMatch(/^this C build has: C-PARITY-001, C-OVERSAMPLE-SUM/);
    expect(r.exitCode).toBe(0);
  }, 300_000);

  it.skipIf(!haveC)('fix/subpixel-oversampling: the forced state matches the build, so the test is expected to pass, and passes' + why, async () => {
    const { runSuite } = await import('../harness/suite/run.js');
    const r = await runSuite({ suite: suiteFile(), cSource: subpixelFix(), reportsRoot: reports(), ledger: join(reports(), 'l.csv') });
    const t = r.summary.results[0];
    expect(t.expected).toEqual({ verdict: 'pass', reason: '' });
    expect(t.outcome, t.message).toBe('ok');
    expect(r.summary.quirks).toMatch(/fixes: C-OVERSAMPLE-SUM/);
  }, 300_000);
});
