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

describe('with --strict, what the C reads leniently stops with the flag named', () => {
  const err = (argv: string[]) => {
    try { parseArgs(['--strict', ...argv]); } catch (e) { return e as FlagError; }
    throw new Error('expected a FlagError for ' + argv.join(' '));
  };
  it.each([
    [['-bogus'], '-bogus', 'unknown option'],
    [['-distance', 'abc'], '-distance', "expects a number, got 'abc'"],
    [['-N', '2.5'], '-N', "expects an integer, got '2.5'"],
    [['-N', '99999999999'], '-N', "integer out of range: '99999999999'"],
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

describe("by default the C's own reading: strtod/strtol, argc tests, unknown flags ignored, one warning each", () => {
  const warned = (o: { notes: string[] }, re: RegExp) => expect(o.notes.filter((n) => re.test(n)), o.notes.join('\n')).toHaveLength(1);
  it.each([
    [['-N', '3.7'], (o: any) => [o.Na, o.Nb, o.Nc], [3, 3, 3], /^WARNING: -N 3\.7 read as 3, as nanoBragg\.c does \(atoi\)$/],
    [['-seed', '1.9'], (o: any) => o.seed, -1, /-seed 1\.9 read as 1/],
    [['-distance', '12mm'], (o: any) => o.distance, 0.012, /-distance 12mm read as 12/],
    [['-distance', 'abc'], (o: any) => o.distance, 0, /-distance abc read as 0/],
    [['-lambda', '0x1p1'], (o: any) => o.lambda0, 2e-10, /-lambda 0x1p1 read as 2/],
    [['-lambda', ' 1.5e'], (o: any) => o.lambda0, 1.5e-10, /-lambda {2}1\.5e read as 1\.5/],
    [['-oversample', '-0x10'], (o: any) => o.oversample, 0, /-oversample -0x10 read as 0/],
    [['-N', '99999999999'], (o: any) => o.Na, 1215752191, /-N 99999999999 read as 1215752191/],
    [['-N', '99999999999999999999'], (o: any) => o.Na, -1, /read as -1/],
    [['-N', '4294967297'], (o: any) => o.Na, 1, /-N 4294967297 read as 1/],
    [['-bin', '2'], (o: any) => o.oversample, -1, /^WARNING: -bin: unknown option; ignored, as nanoBragg\.c does$/],
    [['-distance'], (o: any) => o.distance, 0.1, /^WARNING: -distance: missing value; -distance not applied, as nanoBragg\.c does$/],
    [['-curved_det'], (o: any) => o.curvedDetector, false, /-curved_det: missing value; -curved_det not applied/],
    [['-pivot', 'middle'], (o: any) => o.pivot, 'BEAM', /-pivot middle: neither 'beam' nor 'sample'; ignored/],
  ] as Array<[string[], (o: unknown) => unknown, unknown, RegExp]>)('%j', (extra, get, want, note) => {
    const o = parseArgs([...base, ...extra]);
    const got = get(o);
    if (typeof want === 'number') expect(got as number).toBeCloseTo(want, 15); else expect(got).toEqual(want);
    warned(o, note);
  });
  it('reads clean values without a warning', () => {
    expect(parseArgs([...base, '-N', '3', '-distance', '120', '-lambda', '1.5e0']).notes.filter((n) => n.startsWith('WARNING'))).toEqual([]);
  });
});

describe("cStrtod and cAtoi agree with glibc's atof and atoi", () => {
  // expected values printed by glibc 2.36 (printf("%d %.17g", atoi(s), atof(s)) on Debian 12)
  it.each([
    ['99999999999', 1215752191, 99999999999], ['4294967297', 1, 4294967297], ['99999999999999999999', -1, 1e20], ['-99999999999999999999', 0, -1e20],
    ['3.7', 3, 3.7], ['-0x10', 0, -16], ['0x1p1', 0, 2], [' 1.5e', 1, 1.5], ['12mm', 12, 12], ['abc', 0, 0], ['nan', 0, NaN], ['nan(123)', 0, NaN],
    ['-inf', 0, -Infinity], ['infinityx', 0, Infinity], ['1e400', 1, Infinity], ['0x.8', 0, 0.5], ['.5e-3x', 0, 0.0005],
  ] as Array<[string, number, number]>)('%j', async (text, i, f) => {
    const { cAtoi, cStrtod } = await import('../src/config/argv.js');
    expect(cAtoi(text).value).toBe(i);
    expect(Object.is(cStrtod(text).value, f) || cStrtod(text).value === f).toBe(true);
  });
});
