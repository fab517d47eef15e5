/**
 * The command line as nanoBragg.c reads it: substring matching, last flag wins, the
 * convention block overriding flag-set pivots, the -twotheta_axis collision, units.
 * Each expectation below is behaviour observed in runs of the C (see
 * ../shared/notes/nanobragg-map.md, "confirmed") or read directly from its parser.
 */
import { describe, expect, it } from 'vitest';
import { FlagError, parseArgs, resolveConfig } from '../src/index.js';

const base = ['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '100', '-detpixels', '64'];
const resolve = (extra: string[]) => resolveConfig(parseArgs([...base, ...extra]));

describe('C parsing semantics', () => {
  it('converts units as the C does (mm -> m, deg -> rad, A -> m)', () => {
    const o = parseArgs([...base, '-distance', '250', '-pixel', '0.172', '-lambda', '0.9768', '-phi', '30', '-detector_rotx', '90']);
    expect(o.distance).toBe(250 / 1000.0);
    expect(o.pixelSize).toBe(0.172 / 1000.0);
    expect(o.lambda0).toBe(0.9768 / 1.0e10);
    expect(o.phi0).toBe(30 / (180.0 * (1 / Math.PI)));
    expect(o.rotx).toBeCloseTo(Math.PI / 2, 15);
  });

  it('lets the last flag win', () => {
    expect(parseArgs([...base, '-nonoise', '-noisefile', 'n.img']).calculateNoise).toBe(true);
    expect(parseArgs([...base, '-noisefile', 'n.img', '-nonoise']).calculateNoise).toBe(false);
    expect(parseArgs([...base, '-distance', '100', '-distance', '200']).distance).toBe(0.2);
  });

  it('matches by substring: -twotheta_axis also sets the 2theta angle from its first value and the pivot', () => {
    const o = parseArgs([...base, '-twotheta', '20', '-twotheta_axis', '1', '0', '0']);
    expect(o.twotheta * 180 / Math.PI).toBeCloseTo(1, 12);
    expect(o.convention).toBe('CUSTOM');
    expect(o.pivot).toBe('SAMPLE');
  });

  it('tells -phi from -phistep and -phisteps by length, -N from -Na by exact match', () => {
    const o = parseArgs([...base, '-phi', '1', '-phistep', '0.1', '-phisteps', '7', '-N', '3', '-Nb', '9']);
    expect([o.phisteps, o.Na, o.Nb, o.Nc]).toEqual([7, 3, 9, 3]);
    expect(o.phistep * 180 / Math.PI).toBeCloseTo(0.1, 12);
    expect(o.phi0 * 180 / Math.PI).toBeCloseTo(1, 12);
  });

  it('reads -cell values up to the next flag, defaulting b, c and the angles', () => {
    const c = resolveConfig(parseArgs(['-cell', '50', '-N', '3', '-default_F', '1', '-detpixels', '8'])).crystal;
    expect(c.cell.slice(0, 3).map((x) => Number(x.toFixed(9)))).toEqual([50, 50, 50]);
    expect(c.cell.slice(3).map((x) => Number(x.toFixed(9)))).toEqual([90, 90, 90]);
    // a later, shorter -cell only overwrites what it gives (the C keeps the earlier b and c)
    expect(resolve(['-cell', '50']).crystal.cell.slice(0, 3).map((x) => Number(x.toFixed(9)))).toEqual([50, 100, 100]);
  });

  it('forces the pivot by convention: MOSFLM/DENZO/ADXV beam, XDS/DIALS sample, CUSTOM as flagged', () => {
    expect(resolve(['-mosflm', '-pivot', 'sample', '-twotheta', '5']).detector.pivot).toBe('BEAM');
    expect(resolve(['-denzo', '-close_distance', '100']).detector.pivot).toBe('BEAM');
    expect(resolve(['-xds', '-pivot', 'beam']).detector.pivot).toBe('SAMPLE');
    expect(resolve(['-dials']).detector.pivot).toBe('SAMPLE');
    expect(resolve(['-fdet_vector', '0', '0', '1', '-pivot', 'sample']).detector.pivot).toBe('SAMPLE');
    expect(resolve(['-fdet_vector', '0', '0', '1', '-pivot', 'beam']).detector.pivot).toBe('BEAM');
  });

  it('switches to CUSTOM on any vector flag and ignores the -pix0_vector values', () => {
    const a = resolve(['-pix0_vector', '1', '2', '3']).detector;
    const b = resolve(['-pix0_vector_mm', '-100', '5', '7']).detector;
    expect(a.convention).toBe('CUSTOM');
    expect(Array.from(a.origin)).toEqual(Array.from(b.origin));
  });

  it('applies the automatic sampling rules: osc/phisteps (not steps-1), auto oversample, 10 mosaic domains', () => {
    const g = resolve(['-osc', '0.4', '-phisteps', '4']).goniometer;
    expect(g.phisteps).toBe(4);
    expect(g.phistep * 180 / Math.PI).toBeCloseTo(0.1, 12);
    expect(resolve(['-N', '5', '-lambda', '1', '-distance', '100', '-pixel', '0.1']).sampling.oversample).toBe(2);
    expect(resolve(['-mosaic', '0.5']).crystal.mosaicDomains).toBe(10);
  });

  it('chooses interpolation on the raw N when no flag is given', () => {
    expect(parseArgs([...base, '-N', '2']).interpolate).toBe(2);
    expect(resolve(['-N', '2']).crystal.interpolate).toBe(false); // no -hkl grid: forced off
  });

  it('takes the engine-only options with a double dash, in either form', () => {
    const o = parseArgs([...base, '--dtype', 'float32', '--phi-carryover-mode=c-parity', '--c-threads', '3']);
    expect([o.dtype, o.phiMode, o.cThreads]).toEqual(['float32', 'c-parity', 3]);
    expect(parseArgs(base).phiMode).toBe('spec');
  });

  it('reproduces the -misset_seed collision: it also sets -misset from the next three tokens (atof), unless too few follow', () => {
    const o = parseArgs([...base, '-misset_seed', '5', '-mosaic', '0.5']);
    expect([o.misset[0], o.misset[1] * 180 / Math.PI, o.misset[2], o.misset[3] * 180 / Math.PI].map((x) => Number(x.toFixed(12)))).toEqual([1, 5, 0, 0.5]);
    expect(o.missetSeed).toBe(-5);
    const last = parseArgs([...base, '-misset', 'random', '-misset_seed', '7']);
    expect([last.misset[0], last.missetSeed]).toEqual([-1, -7]);
  });

  it('keeps negative numbers as values, not flags', () => {
    const o = parseArgs([...base, '-spindle_axis', '-1', '0', '0', '-misset', '-10', '20', '-30']);
    expect(o.spindle).toEqual([-1, 0, 0]);
    expect(o.misset[1] * 180 / Math.PI).toBeCloseTo(-10, 12);
  });
});

describe('bad command lines stop with the flag named', () => {
  const err = (argv: string[]) => {
    try { parseArgs(argv); } catch (e) { return e as FlagError; }
    throw new Error('expected a FlagError for ' + argv.join(' '));
  };
  it.each([
    [['-bogus'], '-bogus', 'unknown option'],
    [['-distance', 'abc'], '-distance', "expects a number, got 'abc'"],
    [['-N', '2.5'], '-N', "expects an integer, got '2.5'"],
    [['-distance'], '-distance', 'missing value'],
    [['-roi', '1', '2'], '-roi', 'needs 4 values'],
    [['stray'], 'stray', 'unexpected argument'],
    [['--dtype', 'float16'], '--dtype', 'expects float64 or float32'],
    [['--phi-carryover-mode', 'c'], '--phi-carryover-mode', 'expects spec or c-parity'],
    [['--c-threads', '0'], '--c-threads', 'must be at least 1'],
    [['--frobnicate'], '--frobnicate', 'unknown option'],
    [['-pivot', 'middle'], '-pivot', "expects 'beam' or 'sample'"],
  ])('%j', (extra, flag, problem) => {
    const e = err([...base, ...extra]);
    expect(e).toBeInstanceOf(FlagError);
    expect(e.flag).toBe(flag);
    expect(e.message).toContain(problem);
  });
});
