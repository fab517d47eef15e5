/**
 * The quirk catalogue's switches that act on the command line, and the switches themselves.
 * Expectations come from the C's parser (upstream bl831/nanoBragg main, nanoBragg.c l.553-561,
 * 743-764, 806) and from the fixing builds (fix/curved-det-flag-guard's `argc > (i+1)` guards and
 * `-curved_det` without a value test; the hoidn golden fork's `strcmp(argv[i], "-misset")`).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FlagError, parseArgs } from '../src/index.js';
import { CATALOGUE, defaultProfile, listQuirks, quirkById, uniformProfile } from '../src/quirks/catalogue.js';

const RTD = 180.0 * (1 / Math.PI);
const base = ['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '100', '-detpixels', '16'];

describe('the switches', () => {
  it('defaults: every entry as the C has it, except C-PARITY-001 (fixed, the historical spec mode)', () => {
    const o = parseArgs(base);
    expect(o.quirks).toEqual(defaultProfile());
    expect(o.quirks['C-PARITY-001']).toBe('fixed');
    expect(o.phiMode).toBe('spec');
    expect(Object.entries(o.quirks).filter(([k, v]) => k !== 'C-PARITY-001' && v !== 'c')).toEqual([]);
  });

  it('--quirks sets every switchable entry; --quirk overrides one, in either order', () => {
    expect(parseArgs([...base, '--quirks', 'c']).quirks).toEqual(uniformProfile('c'));
    expect(parseArgs([...base, '--quirks', 'c']).phiMode).toBe('c-parity');
    const o = parseArgs([...base, '--quirk', 'C-OVERSAMPLE-SUM=c', '--quirks', 'fixed']);
    expect(o.quirks['C-OVERSAMPLE-SUM']).toBe('c');
    expect(o.quirks['C-PIXEL-FACTORS']).toBe('fixed');
    expect(o.phiMode).toBe('spec');
  });

  it('--phi-carryover-mode is the alias of --quirk C-PARITY-001', () => {
    expect(parseArgs([...base, '--phi-carryover-mode', 'c-parity']).quirks['C-PARITY-001']).toBe('c');
    expect(parseArgs([...base, '--quirk', 'C-PARITY-001=c']).phiMode).toBe('c-parity');
    expect(parseArgs([...base, '--quirk', 'C-PARITY-001=c', '--phi-carryover-mode', 'c-parity']).phiMode).toBe('c-parity');
  });

  it('an alias id names its entry', () => {
    expect(parseArgs([...base, '--quirk', 'NANO-C-BUG-001=fixed']).quirks['C-DESIGN-FLAW-003']).toBe('fixed');
  });

  it.each([
    [['--quirk', 'C-NOPE-1=c'], /--quirk: unknown catalogue entry 'C-NOPE-1'/],
    [['--quirk', 'C-OVERSAMPLE-SUM'], /--quirk: expects ID=c or ID=fixed/],
    [['--quirk', 'C-OVERSAMPLE-SUM=yes'], /C-OVERSAMPLE-SUM: expects c or fixed, got 'yes'/],
    [['--quirk', 'C-INTERP-RACE=fixed'], /C-INTERP-RACE has no switch/],
    [['--quirks', 'all'], /--quirks: expects c .* or fixed/],
    [['--phi-carryover-mode', 'spec', '--quirk', 'C-PARITY-001=c'], /C-PARITY-001=c contradicts --phi-carryover-mode C-PARITY-001=fixed/],
  ])('refuses %j', (extra, msg) => {
    expect(() => parseArgs([...base, ...extra])).toThrow(FlagError);
    expect(() => parseArgs([...base, ...extra])).toThrow(msg);
  });
});

describe('entries that act on the command line', () => {
  it('C-MISSET-SEED: -misset_seed N A B also sets the misset (c), only the seed (fixed)', () => {
    const c = parseArgs([...base, '-misset_seed', '10', '20', '30']);
    expect(c.misset).toEqual([1, 10 / RTD, 20 / RTD, 30 / RTD]);
    expect(c.missetSeed).toBe(-10);
    const f = parseArgs([...base, '--quirk', 'C-MISSET-SEED=fixed', '-misset_seed', '10', '20', '30']);
    expect(f.misset).toEqual([0, 0, 0, 0]);
    expect(f.missetSeed).toBe(-10);
    // the exact flag still works when fixed
    expect(parseArgs([...base, '--quirk', 'C-MISSET-SEED=fixed', '-misset', '1', '2', '3']).misset).toEqual([1, 1 / RTD, 2 / RTD, 3 / RTD]);
    expect(parseArgs([...base, '--quirk', 'C-MISSET-SEED=fixed', '-misset', 'random']).misset[0]).toBe(-1);
  });

  it('C-TWOTHETA-AXIS: -twotheta_axis X Y Z also sets 2θ = X degrees and the SAMPLE pivot (c), only the axis (fixed)', () => {
    const c = parseArgs([...base, '-twotheta_axis', '2', '1', '0']);
    expect(c.twotheta).toBe(2 / RTD);
    expect(c.pivot).toBe('SAMPLE');
    expect(c.twothetaAxis).toEqual([2, 1, 0]);
    const f = parseArgs([...base, '--quirk', 'C-TWOTHETA-AXIS=fixed', '-twotheta_axis', '2', '1', '0']);
    expect(f.twotheta).toBe(0);
    expect(f.pivot).toBe('BEAM');
    expect(f.twothetaAxis).toEqual([2, 1, 0]);
    expect(f.convention).toBe('CUSTOM');
    expect(parseArgs([...base, '--quirk', 'C-TWOTHETA-AXIS=fixed', '-twotheta', '5']).twotheta).toBe(5 / RTD);
  });

  it('C-ARGV-GUARDS: -curved_det as the last argument is ignored (c), honoured (fixed); anywhere else both honour it', () => {
    expect(parseArgs([...base, '-curved_det']).curvedDetector).toBe(false);
    expect(parseArgs([...base, '--quirk', 'C-ARGV-GUARDS=fixed', '-curved_det']).curvedDetector).toBe(true);
    expect(parseArgs(['-curved_det', ...base]).curvedDetector).toBe(true);
    expect(parseArgs(['--quirk', 'C-ARGV-GUARDS=fixed', '-curved_det', ...base]).curvedDetector).toBe(true);
  });

  it.each(['-detector_abs', '-detector_thick', '-detector_thicksteps', '-thicksteps'])('C-ARGV-GUARDS: %s as the last argument is the C\'s crash (c), not applied (fixed)', (flag) => {
    expect(() => parseArgs([...base, flag])).toThrow(new RegExp(`^${flag}: is the last argument and needs a value: nanoBragg.c reads past the end of argv here and crashes \\(C-ARGV-GUARDS`));
    const f = parseArgs([...base, '--quirk', 'C-ARGV-GUARDS=fixed', flag]);
    expect([f.detectorThick, f.detectorThicksteps, f.detectorMu]).toEqual([0, -1, -1]);
    expect(f.notes.join('\n')).toContain(`${flag}: missing value`);
  });

  it('C-DESIGN-FLAW-003: -pix0_vector(_mm) values are kept with their unit for the fixed state', () => {
    const o = parseArgs([...base, '-pix0_vector_mm', '100', '1', '-1.5']);
    expect(o.pix0User).toEqual([100, 1, -1.5]);
    expect(o.pix0Mm).toBe(true);
    expect(o.convention).toBe('CUSTOM');
    expect(parseArgs([...base, '-pix0_vector', '0.1', '0', '0']).pix0Mm).toBe(false);
  });
});

describe('the catalogue', () => {
  it('has the entries the issue names, each with an explanation, C lines and a probe that runs', () => {
    for (const id of ['C-PARITY-001', 'C-OVERSAMPLE-SUM', 'C-IMPL-BUG-002', 'C-DESIGN-FLAW-003', 'C-PIXEL-FACTORS', 'C-INTERP-SWITCHOFF', 'C-ARGV-GUARDS', 'C-INTERP-RACE']) {
      const q = quirkById(id)!;
      expect(q, id).toBeDefined();
      expect(q.explanation.length, id).toBeGreaterThan(120);
      expect(q.cLines.length, id).toBeGreaterThan(0);
      expect(q.probe.runs.length, id).toBeGreaterThan(0);
      for (const run of q.probe.runs) expect(() => parseArgs([...run.args, '--quirks', 'fixed']), `${id} ${run.args.join(' ')}`).not.toThrow();
    }
    expect(new Set(CATALOGUE.map((q) => q.id)).size).toBe(CATALOGUE.length);
  });

  it('--list-quirks prints every entry; with --json the whole catalogue', () => {
    const text = listQuirks(false);
    for (const q of CATALOGUE) expect(text).toContain(`${q.id}`);
    const j = JSON.parse(listQuirks(true));
    expect(j.catalogue.map((q: { id: string }) => q.id)).toEqual(CATALOGUE.map((q) => q.id));
    expect(j.default_profile['C-PARITY-001']).toBe('fixed');
  });

  it('the engine CLI answers --list-quirks (and --json) and exits 0', () => {
    const cli = join(__dirname, '..', 'dist', 'engine', 'main.js');
    const out = execFileSync(process.execPath, [cli, '--list-quirks'], { encoding: 'utf8' });
    expect(out).toContain('C-OVERSAMPLE-SUM: -oversample_thick/_polar/_omega multiply the running sum');
    const j = JSON.parse(execFileSync(process.execPath, [cli, '--list-quirks', '--json'], { encoding: 'utf8' }));
    expect(j.catalogue.length).toBe(CATALOGUE.length);
    const bad = spawnSync(process.execPath, [cli, ...base, '--quirk', 'C-NOPE=c'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('the engine reports its profile', () => {
  it('--json carries the whole profile as resolved', () => {
    const cli = join(__dirname, '..', 'dist', 'engine', 'main.js');
    const out = execFileSync(process.execPath, [cli, ...base, '-nonoise', '-nopgm', '-floatfile', '/dev/null', '-intfile', '/dev/null', '--quirks', 'c', '--quirk', 'C-PIXEL-FACTORS=fixed', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const q = JSON.parse(out).quirks;
    expect(q).toEqual({ ...uniformProfile('c'), 'C-PIXEL-FACTORS': 'fixed' });
    expect(q['C-INTERP-RACE']).toBe('c'); // no switch: always the C's (the engine cannot race)
  });
});
