/**
 * nanoBragg.c's command line, parsed the way the C parses it.
 *
 * The C makes one pass over argv; every token that starts with '-' is tested against
 * every option in source order, mostly with strstr() (substring match), so one token may
 * fire several options and the last flag in argv order wins. Values are read with
 * atof/atoi. This module keeps those semantics (order, substring matches, the
 * `continue`s, the collisions such as -twotheta_axis also setting the 2θ angle) and the C's
 * leniency: a value is read with strtod/strtol (hex, leading numbers, trailing junk: `-N 3.7`
 * is 3), a flag without its values is skipped (the C's argc test), an unknown flag or a stray
 * word is ignored; each adjusted or ignored token adds one warning line to the log, naming it.
 * `--strict` turns every such case into a FlagError (exit 2).
 *
 * Engine-only options use a double dash so they can never collide with the C's flags:
 * --quirk ID=c|fixed (repeatable), --quirks c|fixed, --phi-carryover-mode spec|c-parity (the alias of
 * --quirk C-PARITY-001=fixed|c), --c-threads N, --dtype float64|float32, --threads N|auto,
 * --libm system|cr|v8, --libm-log. The quirk catalogue (src/quirks/catalogue.ts) also decides a few
 * of the matches below (-misset, -twotheta, -curved_det, the thickness flags as the last argument).
 */
import { availableParallelism } from 'node:os';
import type { Dtype } from '../math/precision.js';
import { LIBM_NAMES, type LibmName } from '../math/libm/index.js';
import { parseSize } from './budget.js';
import { readSmvFrame, smvValue } from '../io/smv.js';

import { RTD } from '../math/constants.js';
import { CATALOGUE, defaultProfile, isC, quirkById, uniformProfile, type QuirkProfile, type QuirkState } from '../quirks/catalogue.js';

export type PivotName = 'SAMPLE' | 'BEAM';
export type ConventionName = 'CUSTOM' | 'ADXV' | 'MOSFLM' | 'XDS' | 'DIALS' | 'DENZO';
export type XtalShape = 'SQUARE' | 'ROUND' | 'GAUSS' | 'TOPHAT';
export type PhiMode = 'spec' | 'c-parity';
export type RenderMode = 'auto' | 'reference' | 'fast';
export const RENDER_MODES: readonly RenderMode[] = ['auto', 'reference', 'fast'];

/** A bad command line: names the flag (or token) and what is wrong. Exit code 2. */
export class FlagError extends Error {
  override name = 'FlagError';
  constructor(readonly flag: string, readonly problem: string) {
    super(`${flag}: ${problem}`);
  }
}

/** The C's variables after the argv pass, in the C's units (metres, radians). */
export interface NanoBraggOptions {
  // crystal
  Na: number; Nb: number; Nc: number; Nraw: [number, number, number];
  userCell: boolean; cell: [number, number, number, number, number, number]; // a b c (Å) α β γ (rad)
  misset: [number, number, number, number]; // [flag, rx, ry, rz]; flag -1 = random
  sampleX: number; sampleY: number; sampleZ: number;
  matFile: string | null; hklFile: string | null; dumpFile: string;
  defaultF: number;
  mosaicSpread: number; mosaicDomains: number;
  xtalShape: XtalShape; fudge: number;
  interpolate: number; // 2 = auto
  // beam
  lambda0: number; dispersion: number; dispsteps: number;
  hdivrange: number; vdivrange: number; hdivstep: number; vdivstep: number;
  hdivsteps: number; vdivsteps: number; roundDiv: boolean;
  sourceFile: string | null;
  fluence: number; flux: number; exposure: number; beamsize: number;
  polarization: number; nopolar: boolean;
  waterSize: number;
  // detector
  distance: number; closeDistance: number; pixelSize: number;
  fpixels: number; spixels: number; detsizeF: number; detsizeS: number;
  Xbeam: number; Ybeam: number; Xclose: number; Yclose: number; ORGX: number; ORGY: number;
  pivot: PivotName; convention: ConventionName;
  fdet: [number, number, number]; sdet: [number, number, number]; odet: [number, number, number];
  beamVector: [number, number, number]; polarVector: [number, number, number];
  spindle: [number, number, number]; twothetaAxis: [number, number, number];
  pix0Given: boolean;
  /** the -pix0_vector(_mm) values as given, and whether the flag was the _mm one (used only with C-DESIGN-FLAW-003 fixed) */
  pix0User: [number, number, number] | null; pix0Mm: boolean;
  rotx: number; roty: number; rotz: number; twotheta: number;
  curvedDetector: boolean; pointPixel: boolean;
  detectorMu: number; detectorThick: number; detectorThicksteps: number;
  // sampling
  phi0: number; osc: number; phistep: number; phisteps: number;
  oversample: number; oversampleThick: boolean; oversamplePolar: boolean; oversampleOmega: boolean;
  roi: [number, number, number, number]; // xmin xmax ymin ymax, -1 = default
  dmin: number;
  // output
  floatFile: string; intFile: string; noiseFile: string; pgmFile: string;
  calculateNoise: boolean; writePgm: boolean;
  intfileScale: number; pgmScale: number; adc: number;
  seed: number | null; mosaicSeed: number; missetSeed: number | null;
  stolFile: string | null;
  progress: boolean;
  /** pixels to trace, (slow, fast); -trace_pixel may be repeated */
  tracePixels: Array<[number, number]>;
  // engine-only
  phiMode: PhiMode; cThreads: number; dtype: Dtype;
  /** the quirk profile (src/quirks/catalogue.ts): per catalogue entry, the C's behaviour or the fix */
  quirks: QuirkProfile;
  /** --libm: the math functions' provider; 'auto' is system where it loads, else cr (src/math/libm) */
  libm: LibmName | 'auto';
  /** --libm-log: traced runs also print each math call (TRACE_TS_LIBM) during set-up and in traced pixels */
  libmLog: boolean;
  /** worker threads for rendering (the result is the same bits as one thread) */
  threads: number;
  /** --render: auto (the exact kernel where it applies, else the reference loop), reference (the C's loop as written), fast (opt-in approximation) */
  render: RenderMode;
  /** --max-memory: the memory budget in bytes (null: this machine's memory) */
  maxMemory: number | null;
  /** --strict: what the C reads leniently (junk numbers, unknown flags, missing values) is an error */
  strict: boolean;
  /** -printout: print every pixel (or the -printout_pixel FAST SLOW one) to the console, as the C does */
  printout: boolean; printoutFpixel: number; printoutSpixel: number;
  /** -mask FILE: the SMV mask's pixels (0: skip the pixel), read before the other flags as the C does */
  mask: { file: string; width: number; height: number; pixels: Uint16Array } | null;
  /** flags seen, in argv order (for the config snapshot) */
  seen: string[];
  /** things the parser did that the user may not expect (C quirks), for the log */
  notes: string[];
}

export function defaultOptions(): NanoBraggOptions {
  return {
    Na: 1, Nb: 1, Nc: 1, Nraw: [1, 1, 1],
    userCell: false, cell: [0, 0, 0, 0, 0, 0], misset: [0, 0, 0, 0],
    sampleX: 0, sampleY: 0, sampleZ: 0,
    matFile: null, hklFile: null, dumpFile: 'Fdump.bin', defaultF: 0,
    mosaicSpread: -1, mosaicDomains: -1, xtalShape: 'SQUARE', fudge: 1, interpolate: 2,
    lambda0: 1.0e-10, dispersion: 0, dispsteps: -1,
    hdivrange: -1, vdivrange: -1, hdivstep: -1, vdivstep: -1, hdivsteps: -1, vdivsteps: -1, roundDiv: true,
    sourceFile: null,
    fluence: 125932015286227086360700780544.0, flux: 0, exposure: 1, beamsize: 1e-4,
    polarization: 0, nopolar: false, waterSize: 0,
    distance: 100.0e-3, closeDistance: NaN, pixelSize: 0.1e-3,
    fpixels: 0, spixels: 0, detsizeF: 102.4e-3, detsizeS: 102.4e-3,
    Xbeam: NaN, Ybeam: NaN, Xclose: NaN, Yclose: NaN, ORGX: NaN, ORGY: NaN,
    pivot: 'BEAM', convention: 'MOSFLM',
    fdet: [0, 0, 1], sdet: [0, -1, 0], odet: [1, 0, 0],
    beamVector: [1, 0, 0], polarVector: [0, 0, 1], spindle: [0, 0, 1], twothetaAxis: [0, 1, 0],
    pix0Given: false, pix0User: null, pix0Mm: false,
    rotx: 0, roty: 0, rotz: 0, twotheta: 0,
    curvedDetector: false, pointPixel: false,
    detectorMu: -1, detectorThick: 0, detectorThicksteps: -1,
    phi0: 0, osc: -1, phistep: -1, phisteps: -1,
    oversample: -1, oversampleThick: false, oversamplePolar: false, oversampleOmega: false,
    roi: [-1, -1, -1, -1], dmin: 0,
    floatFile: 'floatimage.bin', intFile: 'intimage.img', noiseFile: 'noiseimage.img', pgmFile: 'image.pgm',
    calculateNoise: true, writePgm: true, intfileScale: 0, pgmScale: 0, adc: 40,
    seed: null, mosaicSeed: -12345678, missetSeed: null, stolFile: null, progress: true,
    tracePixels: [],
    phiMode: 'spec', quirks: defaultProfile(), cThreads: 1, dtype: 'float64', libm: 'auto', libmLog: false, threads: 1, render: 'auto', maxMemory: null, strict: false, printout: false, printoutFpixel: -1, printoutSpixel: -1, mask: null,
    seen: [],
    notes: [],
  };
}

// ---------------------------------------------------------------------------------------
// value readers: the C's strtod/strtol (atof/atoi) on any text; a value that is not a clean
// number is read as the C reads it, with a warning (or, with --strict, a FlagError)

/** glibc strtod: leading space, sign, decimal or hex (0x…p…), inf/infinity/nan(…); the numeric prefix and how much of `s` it used (0: none, value 0). */
export function cStrtod(s: string): { value: number; used: number } {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)/i.exec(s);
  if (!m) return { value: 0, used: 0 };
  const sign = m[1] === '-' ? -1 : 1, body = m[2].toLowerCase();
  let value: number;
  if (body.startsWith('inf')) value = Infinity;
  else if (body.startsWith('nan')) value = NaN;
  else if (body.startsWith('0x')) {
    const h = /^0x([0-9a-f]*)\.?([0-9a-f]*)(?:p([+-]?\d+))?$/.exec(body)!;
    const digits = h[1] + h[2];
    value = 0;
    for (const d of digits) value = value * 16 + parseInt(d, 16);
    value *= 2 ** (Number(h[3] ?? 0) - 4 * h[2].length);
  } else value = Number(body);
  return { value: sign < 0 ? -value : value, used: m[0].length }; // a negation, as strtod applies the sign: "-nan" is a negative NaN
}

/** glibc atoi: (int)strtol(s, NULL, 10): decimal prefix, saturating at the 64-bit long, then its low 32 bits. */
export function cAtoi(s: string): { value: number; used: number } {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return { value: 0, used: 0 };
  let v = BigInt(m[1]);
  const max = (1n << 63n) - 1n, min = -(1n << 63n);
  if (v > max) v = max; else if (v < min) v = min;
  return { value: Number(BigInt.asIntN(32, v)), used: m[0].length };
}

/** C's atof on any string. */
export function cAtof(s: string): number { return cStrtod(s).value; }

const CLEAN_FLOAT = /^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf(inity)?|nan)$/i;
const CLEAN_INT = /^[+-]?\d+$/;

function atof(o: NanoBraggOptions, flag: string, s: string | undefined): number {
  if (s === undefined) throw new FlagError(flag, 'missing value');
  const v = cStrtod(s).value;
  if (!CLEAN_FLOAT.test(s.trim())) {
    if (o.strict) throw new FlagError(flag, `expects a number, got '${s}'`);
    o.notes.push(`WARNING: ${flag} ${s} read as ${v}, as nanoBragg.c does (atof)`);
  }
  return v;
}

function atoi(o: NanoBraggOptions, flag: string, s: string | undefined): number {
  if (s === undefined) throw new FlagError(flag, 'missing value');
  const { value } = cAtoi(s);
  const t = s.trim();
  if (!CLEAN_INT.test(t) || Math.abs(Number(t)) > 2147483647) {
    if (o.strict) throw new FlagError(flag, CLEAN_INT.test(t) ? `integer out of range: '${s}'` : `expects an integer, got '${s}'`);
    o.notes.push(`WARNING: ${flag} ${s} read as ${value}, as nanoBragg.c does (atoi)`);
  }
  return value;
}

/** An engine option's integer: always strict (the C never reads these). */
function engineInt(flag: string, s: string): number {
  if (!CLEAN_INT.test(s.trim())) throw new FlagError(flag, `expects an integer, got '${s}'`);
  return Number(s.trim());
}

// ---------------------------------------------------------------------------------------
// the option table, in the C's source order

type Matcher = (tok: string, o: NanoBraggOptions) => boolean;
const has = (s: string): Matcher => (tok) => tok.includes(s);
const is = (s: string): Matcher => (tok) => tok === s;
const hasLen = (s: string, len: number): Matcher => (tok) => tok.includes(s) && tok.length === len;
const any = (...ms: Matcher[]): Matcher => (tok, o) => ms.some((m) => m(tok, o));
const never: Matcher = () => false;
/** a catalogue entry decides how the C matches this flag: as the C has it, or fixed */
const byQuirk = (id: string, asC: Matcher, fixed: Matcher): Matcher => (tok, o) => (isC(o.quirks, id) ? asC(tok, o) : fixed(tok, o));

interface Ctx { o: NanoBraggOptions; argv: string[]; i: number; tok: string }
interface Spec {
  /** how the option is named in help and errors */
  name: string;
  match: Matcher;
  /** number of values the C requires after the flag (its argc test) */
  nargs: number;
  apply: (c: Ctx, v: (k: number) => string | undefined) => void;
  /** the C `continue`s after this option: later options are not tested for this token */
  cont?: boolean;
  /** as the last argument the C reads argv[argc] (NULL) and crashes, while this catalogue entry is as the C has it */
  crashesWhenLast?: string;
  /** values taken, for the bookkeeping of which tokens are values (defaults to nargs) */
  consumes?: (c: Ctx) => number;
  help?: string;
}

const num = (c: Ctx, v: (k: number) => string | undefined, k: number) => atof(c.o, c.tok, v(k));
const int = (c: Ctx, v: (k: number) => string | undefined, k: number) => atoi(c.o, c.tok, v(k));
const vec3 = (c: Ctx, v: (k: number) => string | undefined): [number, number, number] =>
  [num(c, v, 1), num(c, v, 2), num(c, v, 3)];
const str = (c: Ctx, v: (k: number) => string | undefined, k: number) => {
  const s = v(k);
  if (s === undefined) throw new FlagError(c.tok, 'missing value');
  return s;
};

const SPECS: Spec[] = [
  { name: '-Na', match: has('-Na'), nargs: 1, cont: true, apply: (c, v) => { c.o.Na = c.o.Nraw[0] = int(c, v, 1); } },
  { name: '-Nb', match: has('-Nb'), nargs: 1, cont: true, apply: (c, v) => { c.o.Nb = c.o.Nraw[1] = int(c, v, 1); } },
  { name: '-Nc', match: has('-Nc'), nargs: 1, cont: true, apply: (c, v) => { c.o.Nc = c.o.Nraw[2] = int(c, v, 1); } },
  { name: '-N', match: is('-N'), nargs: 1, cont: true, apply: (c, v) => { const n = int(c, v, 1); c.o.Na = c.o.Nb = c.o.Nc = n; c.o.Nraw = [n, n, n]; } },
  {
    name: '-cell', match: has('-cell'), nargs: 1,
    consumes: (c) => { let k = 0; while (k < 6 && c.argv[c.i + 1 + k] !== undefined && c.argv[c.i + 1 + k][0] !== '-') k++; return k; },
    apply: (c, v) => {
      c.o.userCell = true;
      const vals = c.o.cell;
      for (let k = 1; k <= 6; k++) {
        const s = v(k);
        if (s === undefined || s[0] === '-') break;
        vals[k - 1] = k <= 3 ? atof(c.o, c.tok, s) : atof(c.o, c.tok, s) / RTD;
      }
    },
  },
  {
    name: '-misset random', match: byQuirk('C-MISSET-SEED', has('-misset'), is('-misset')), nargs: 1, consumes: (c) => (c.argv[c.i + 1]?.includes('rand') ? 1 : 0),
    apply: (c, v) => { if (v(1)!.includes('rand')) { c.o.misset[0] = -1; throw CONTINUE; } },
  },
  {
    // C-MISSET-SEED: -misset_seed also matches here and sets the misset from the next three tokens, read with atof
    name: '-misset', match: byQuirk('C-MISSET-SEED', has('-misset'), is('-misset')), nargs: 3,
    apply: (c, v) => {
      const read = c.tok === '-misset' ? (k: number) => num(c, v, k) : (k: number) => cAtof(v(k) ?? '');
      c.o.misset = [1, read(1) / RTD, read(2) / RTD, read(3) / RTD];
      if (c.tok !== '-misset') c.o.notes.push(`${c.tok} also set -misset ${[1, 2, 3].map((k) => cAtof(v(k) ?? '')).join(' ')} (nanoBragg.c reads the three tokens after any flag containing "-misset")`);
    },
  },
  { name: '-samplesize', match: any(has('-samplesize'), has('-sample_size')), nargs: 1, apply: (c, v) => { const s = num(c, v, 1) / 1000; c.o.sampleX = c.o.sampleY = c.o.sampleZ = s; } },
  { name: '-sample_thick', match: any(has('-sample_thick'), has('-sample_x')), nargs: 1, apply: (c, v) => { c.o.sampleX = num(c, v, 1) / 1000; } },
  { name: '-sample_width', match: any(has('-sample_width'), has('-sample_y'), has('-width')), nargs: 1, apply: (c, v) => { c.o.sampleY = num(c, v, 1) / 1000; } },
  { name: '-sample_height', match: any(has('-sample_heigh'), has('-sample_z'), has('-heigh')), nargs: 1, apply: (c, v) => { c.o.sampleZ = num(c, v, 1) / 1000; } },
  { name: '-xtalsize', match: any(has('-xtalsize'), has('-xtal_size')), nargs: 1, apply: (c, v) => { const s = num(c, v, 1) / 1000; c.o.sampleX = c.o.sampleY = c.o.sampleZ = s; } },
  { name: '-xtal_thick', match: any(has('-xtal_thick'), has('-xtal_x')), nargs: 1, apply: (c, v) => { c.o.sampleX = num(c, v, 1) / 1000; } },
  { name: '-xtal_width', match: any(has('-xtal_width'), has('-xtal_y'), has('-width')), nargs: 1, apply: (c, v) => { c.o.sampleY = num(c, v, 1) / 1000; } },
  { name: '-xtal_height', match: any(has('-xtal_heigh'), has('-xtal_z'), has('-heigh')), nargs: 1, apply: (c, v) => { c.o.sampleZ = num(c, v, 1) / 1000; } },
  { name: '-density', match: any(has('-density'), has('-sample_den')), nargs: 1, apply: (c, v) => { num(c, v, 1); } },
  { name: '-MW', match: any(is('-MW'), has('-molec')), nargs: 1, apply: (c, v) => { num(c, v, 1); } },
  { name: '-Xbeam', match: has('-Xbeam'), nargs: 1, apply: (c, v) => { c.o.Xbeam = num(c, v, 1) / 1000.0; c.o.pivot = 'BEAM'; } },
  { name: '-Ybeam', match: has('-Ybeam'), nargs: 1, apply: (c, v) => { c.o.Ybeam = num(c, v, 1) / 1000.0; c.o.pivot = 'BEAM'; } },
  { name: '-Xclose', match: has('-Xclose'), nargs: 1, apply: (c, v) => { c.o.Xclose = num(c, v, 1) / 1000.0; c.o.pivot = 'SAMPLE'; } },
  { name: '-Yclose', match: has('-Yclose'), nargs: 1, apply: (c, v) => { c.o.Yclose = num(c, v, 1) / 1000.0; c.o.pivot = 'SAMPLE'; } },
  { name: '-ORGX', match: has('-ORGX'), nargs: 1, apply: (c, v) => { c.o.ORGX = num(c, v, 1); c.o.pivot = 'SAMPLE'; } },
  { name: '-ORGY', match: has('-ORGY'), nargs: 1, apply: (c, v) => { c.o.ORGY = num(c, v, 1); c.o.pivot = 'SAMPLE'; } },
  {
    name: '-pivot', match: has('-pivot'), nargs: 1, apply: (c, v) => {
      const s = str(c, v, 1);
      if (!s.includes('sample') && !s.includes('beam')) {
        if (c.o.strict) throw new FlagError(c.tok, `expects 'beam' or 'sample', got '${s}'`);
        c.o.notes.push(`WARNING: ${c.tok} ${s}: neither 'beam' nor 'sample'; ignored, as nanoBragg.c does`);
      }
      if (s.includes('sample')) c.o.pivot = 'SAMPLE';
      if (s.includes('beam')) c.o.pivot = 'BEAM';
    },
  },
  { name: '-mosflm', match: has('-mosflm'), nargs: 0, apply: (c) => { c.o.convention = 'MOSFLM'; c.o.pivot = 'BEAM'; } },
  { name: '-xds', match: has('-xds'), nargs: 0, apply: (c) => { c.o.convention = 'XDS'; c.o.pivot = 'SAMPLE'; } },
  { name: '-adxv', match: has('-adxv'), nargs: 0, apply: (c) => { c.o.convention = 'ADXV'; c.o.pivot = 'BEAM'; } },
  { name: '-denzo', match: has('-denzo'), nargs: 0, apply: (c) => { c.o.convention = 'DENZO'; c.o.pivot = 'BEAM'; } },
  { name: '-dials', match: has('-dials'), nargs: 0, apply: (c) => { c.o.convention = 'DIALS'; c.o.pivot = 'BEAM'; } },
  { name: '-fdet_vector', match: has('-fdet_vector'), nargs: 3, apply: (c, v) => { c.o.convention = 'CUSTOM'; c.o.fdet = vec3(c, v); } },
  { name: '-sdet_vector', match: has('-sdet_vector'), nargs: 3, apply: (c, v) => { c.o.convention = 'CUSTOM'; c.o.sdet = vec3(c, v); } },
  { name: '-odet_vector', match: has('-odet_vector'), nargs: 3, apply: (c, v) => { c.o.convention = 'CUSTOM'; c.o.odet = vec3(c, v); } },
  { name: '-beam_vector', match: has('-beam_vector'), nargs: 3, apply: (c, v) => { c.o.convention = 'CUSTOM'; c.o.beamVector = vec3(c, v); } },
  { name: '-polar_vector', match: has('-polar_vector'), nargs: 3, apply: (c, v) => { c.o.convention = 'CUSTOM'; c.o.polarVector = vec3(c, v); } },
  { name: '-spindle_axis', match: has('-spindle_axis'), nargs: 3, apply: (c, v) => { c.o.convention = 'CUSTOM'; c.o.spindle = vec3(c, v); } },
  { name: '-twotheta_axis', match: has('-twotheta_axis'), nargs: 3, apply: (c, v) => { c.o.convention = 'CUSTOM'; c.o.twothetaAxis = vec3(c, v); } },
  // the C parses -pix0_vector and -pix0_vector_mm here, then overwrites pix0 from the beam centre: only the switch to CUSTOM has an effect
  { name: '-pix0_vector', match: has('-pix0_vector'), nargs: 3, apply: (c, v) => { c.o.convention = 'CUSTOM'; c.o.pix0User = vec3(c, v); c.o.pix0Mm = c.tok.includes('_mm'); c.o.pix0Given = true; } },
  { name: '-distance', match: has('-distance'), nargs: 1, apply: (c, v) => { c.o.distance = num(c, v, 1) / 1000.0; c.o.pivot = 'BEAM'; } },
  { name: '-close_distance', match: has('-close_distance'), nargs: 1, apply: (c, v) => { c.o.closeDistance = num(c, v, 1) / 1000.0; c.o.pivot = 'SAMPLE'; } },
  {
    name: '-detector_abs', match: has('-detector_abs'), nargs: 1, crashesWhenLast: 'C-ARGV-GUARDS', apply: (c, v) => {
      const s = str(c, v, 1);
      if (s.includes('inf')) { c.o.detectorThick = 0; c.o.detectorMu = 0; return; }
      const x = atof(c.o, c.tok, s);
      if (x === 0.0) { c.o.detectorThick = 0; c.o.detectorMu = 0; } else c.o.detectorMu = 1.0 / (x * 1e-6);
    },
  },
  { name: '-detector_thick', match: hasLen('-detector_thick', 15), nargs: 1, crashesWhenLast: 'C-ARGV-GUARDS', apply: (c, v) => { c.o.detectorThick = num(c, v, 1) * 1e-6; } },
  { name: '-detector_thicksteps', match: has('-detector_thicksteps'), nargs: 1, crashesWhenLast: 'C-ARGV-GUARDS', apply: (c, v) => { c.o.detectorThicksteps = int(c, v, 1); } },
  { name: '-thicksteps', match: has('-thicksteps'), nargs: 1, crashesWhenLast: 'C-ARGV-GUARDS', apply: (c, v) => { c.o.detectorThicksteps = int(c, v, 1); } },
  // also fires for -twotheta_axis: the C then reads the axis' x component as the angle
  { name: '-twotheta', match: byQuirk('C-TWOTHETA-AXIS', has('-twotheta'), is('-twotheta')), nargs: 1, apply: (c, v) => { c.o.twotheta = num(c, v, 1) / RTD; c.o.pivot = 'SAMPLE'; } },
  { name: '-detector_rotx', match: has('-detector_rotx'), nargs: 1, apply: (c, v) => { c.o.rotx = num(c, v, 1) / RTD; } },
  { name: '-detector_roty', match: has('-detector_roty'), nargs: 1, apply: (c, v) => { c.o.roty = num(c, v, 1) / RTD; } },
  { name: '-detector_rotz', match: has('-detector_rotz'), nargs: 1, apply: (c, v) => { c.o.rotz = num(c, v, 1) / RTD; } },
  { name: '-detsize', match: hasLen('-detsize', 8), nargs: 1, apply: (c, v) => { c.o.detsizeF = c.o.detsizeS = num(c, v, 1) / 1000.0; } },
  { name: '-detsize_f', match: has('-detsize_f'), nargs: 1, apply: (c, v) => { c.o.detsizeF = num(c, v, 1) / 1000.0; } },
  { name: '-detsize_s', match: has('-detsize_s'), nargs: 1, apply: (c, v) => { c.o.detsizeS = num(c, v, 1) / 1000.0; } },
  { name: '-detpixels', match: hasLen('-detpixels', 10), nargs: 1, apply: (c, v) => { c.o.fpixels = c.o.spixels = int(c, v, 1); } },
  { name: '-detpixels_f', match: any(has('-detpixels_f'), has('-detpixels_x')), nargs: 1, apply: (c, v) => { c.o.fpixels = int(c, v, 1); } },
  { name: '-detpixels_s', match: any(has('-detpixels_s'), has('-detpixels_y')), nargs: 1, apply: (c, v) => { c.o.spixels = int(c, v, 1); } },
  // the C requires a following token but does not read it (a bare word there is ignored, a flag is a flag)
  // C-ARGV-GUARDS: the C tests argc > i+1 although the flag takes no value (as the last argument it is ignored); fixed, it needs none
  { name: '-curved_det', match: byQuirk('C-ARGV-GUARDS', has('-curved_det'), never), nargs: 1, consumes: (c) => (c.argv[c.i + 1]?.[0] === '-' ? 0 : 1), apply: (c) => { c.o.curvedDetector = true; } },
  { name: '-curved_det', match: byQuirk('C-ARGV-GUARDS', never, has('-curved_det')), nargs: 0, apply: (c) => { c.o.curvedDetector = true; } },
  { name: '-pixel', match: has('-pixel'), nargs: 1, apply: (c, v) => { c.o.pixelSize = num(c, v, 1) / 1000.0; } },
  { name: '-point_pixel', match: has('-point_pixel'), nargs: 0, apply: (c) => { c.o.pointPixel = true; } },
  { name: '-polar', match: hasLen('-polar', 6), nargs: 1, apply: (c, v) => { c.o.polarization = num(c, v, 1); c.o.nopolar = false; } },
  { name: '-nopolar', match: has('-nopolar'), nargs: 0, apply: (c) => { c.o.nopolar = true; } },
  { name: '-oversample_thick', match: has('-oversample_thick'), nargs: 0, cont: true, apply: (c) => { c.o.oversampleThick = true; } },
  { name: '-oversample_polar', match: has('-oversample_polar'), nargs: 0, cont: true, apply: (c) => { c.o.oversamplePolar = true; } },
  { name: '-oversample_omega', match: has('-oversample_omega'), nargs: 0, cont: true, apply: (c) => { c.o.oversampleOmega = true; } },
  { name: '-oversample', match: has('-oversample'), nargs: 1, apply: (c, v) => { c.o.oversample = int(c, v, 1); } },
  { name: '-roi', match: has('-roi'), nargs: 4, apply: (c, v) => { c.o.roi = [int(c, v, 1), int(c, v, 2), int(c, v, 3), int(c, v, 4)]; } },
  { name: '-lambda', match: any(has('-lambda'), has('-wave')), nargs: 1, apply: (c, v) => { c.o.lambda0 = num(c, v, 1) / 1.0e10; } },
  { name: '-energy', match: has('-energy'), nargs: 1, apply: (c, v) => { c.o.lambda0 = (12398.42 / num(c, v, 1)) / 1.0e10; } },
  { name: '-fluence', match: has('-fluence'), nargs: 1, apply: (c, v) => { c.o.fluence = num(c, v, 1); } },
  { name: '-flux', match: has('-flux'), nargs: 1, apply: (c, v) => { c.o.flux = num(c, v, 1); } },
  { name: '-exposure', match: has('-exposure'), nargs: 1, apply: (c, v) => { c.o.exposure = num(c, v, 1); } },
  { name: '-beamsize', match: has('-beamsize'), nargs: 1, apply: (c, v) => { c.o.beamsize = num(c, v, 1) / 1000; } },
  {
    name: '-mosaic', match: any(hasLen('-mosaic', 7), has('-mosaici'), has('-mosaic_spr')), nargs: 1,
    apply: (c, v) => { c.o.mosaicSpread = num(c, v, 1) / RTD; },
  },
  { name: '-mosaic_domains', match: has('-mosaic_dom'), nargs: 1, apply: (c, v) => { c.o.mosaicDomains = int(c, v, 1); } },
  { name: '-dispersion', match: has('-dispersion'), nargs: 1, apply: (c, v) => { c.o.dispersion = num(c, v, 1) / 100.0; } },
  { name: '-dispsteps', match: has('-dispsteps'), nargs: 1, apply: (c, v) => { c.o.dispsteps = int(c, v, 1); } },
  { name: '-divergence', match: has('-divergence'), nargs: 1, apply: (c, v) => { c.o.hdivrange = c.o.vdivrange = num(c, v, 1) / 1000.0; } },
  { name: '-hdivrange', match: has('-hdivrange'), nargs: 1, apply: (c, v) => { c.o.hdivrange = num(c, v, 1) / 1000.0; } },
  { name: '-vdivrange', match: has('-vdivrange'), nargs: 1, apply: (c, v) => { c.o.vdivrange = num(c, v, 1) / 1000.0; } },
  { name: '-hdivstep', match: hasLen('-hdivstep', 9), nargs: 1, apply: (c, v) => { c.o.hdivstep = num(c, v, 1) / 1000.0; } },
  { name: '-hdivsteps', match: has('-hdivsteps'), nargs: 1, apply: (c, v) => { c.o.hdivsteps = int(c, v, 1); } },
  { name: '-vdivstep', match: hasLen('-vdivstep', 9), nargs: 1, apply: (c, v) => { c.o.vdivstep = num(c, v, 1) / 1000.0; } },
  { name: '-vdivsteps', match: has('-vdivsteps'), nargs: 1, apply: (c, v) => { c.o.vdivsteps = int(c, v, 1); } },
  { name: '-divsteps', match: has('-divsteps'), nargs: 1, apply: (c, v) => { c.o.hdivsteps = c.o.vdivsteps = int(c, v, 1); } },
  { name: '-round_div', match: has('-round_div'), nargs: 0, apply: (c) => { c.o.roundDiv = true; } },
  { name: '-square_div', match: has('-square_div'), nargs: 0, apply: (c) => { c.o.roundDiv = false; } },
  { name: '-adc', match: has('-adc'), nargs: 1, apply: (c, v) => { c.o.adc = num(c, v, 1); } },
  { name: '-phi', match: hasLen('-phi', 4), nargs: 1, apply: (c, v) => { c.o.phi0 = num(c, v, 1) / RTD; } },
  { name: '-osc', match: has('-osc'), nargs: 1, apply: (c, v) => { c.o.osc = num(c, v, 1) / RTD; } },
  { name: '-phistep', match: hasLen('-phistep', 8), nargs: 1, apply: (c, v) => { c.o.phistep = num(c, v, 1) / RTD; } },
  { name: '-phisteps', match: has('-phisteps'), nargs: 1, apply: (c, v) => { c.o.phisteps = int(c, v, 1); } },
  { name: '-dmin', match: has('-dmin'), nargs: 1, apply: (c, v) => { c.o.dmin = num(c, v, 1) * 1e-10; } },
  { name: '-mat', match: has('-mat'), nargs: 1, apply: (c, v) => { c.o.matFile = str(c, v, 1); } },
  { name: '-hkl', match: has('-hkl'), nargs: 1, apply: (c, v) => { c.o.hklFile = str(c, v, 1); } },
  { name: '-default_F', match: has('-default_F'), nargs: 1, apply: (c, v) => { c.o.defaultF = num(c, v, 1); } },
  { name: '-dump', match: has('-dump'), nargs: 1, apply: (c, v) => { c.o.dumpFile = str(c, v, 1); } },
  // read in a pass of their own before all other flags (applyFrames); here they only take their value
  { name: '-img', match: has('-img'), nargs: 1, apply: (c, v) => { str(c, v, 1); } },
  { name: '-mask', match: has('-mask'), nargs: 1, apply: (c, v) => { str(c, v, 1); } },
  { name: '-stolout', match: (t) => t.includes('-stolout') && t.length > 7, nargs: 1, apply: (c, v) => { str(c, v, 1); } },
  { name: '-stol', match: hasLen('-stol', 5), nargs: 1, apply: (c, v) => { c.o.stolFile = str(c, v, 1); } },
  { name: '-4stol', match: hasLen('-4stol', 6), nargs: 1, apply: (c, v) => { c.o.stolFile = str(c, v, 1); } },
  { name: '-Q', match: hasLen('-Q', 2), nargs: 1, apply: (c, v) => { c.o.stolFile = str(c, v, 1); } },
  { name: '-sourcefile', match: has('-sourcefile'), nargs: 1, apply: (c, v) => { c.o.sourceFile = str(c, v, 1); } },
  { name: '-floatfile', match: any(has('-floatfile'), has('-floatimage')), nargs: 1, apply: (c, v) => { c.o.floatFile = str(c, v, 1); } },
  { name: '-intfile', match: any(has('-intfile'), has('-intimage')), nargs: 1, apply: (c, v) => { c.o.intFile = str(c, v, 1); } },
  { name: '-pgmfile', match: any(has('-pgmfile'), has('-pgmimage')), nargs: 1, apply: (c, v) => { c.o.pgmFile = str(c, v, 1); c.o.writePgm = true; } },
  { name: '-noisefile', match: any(has('-noisefile'), has('-noiseimage')), nargs: 1, apply: (c, v) => { c.o.noiseFile = str(c, v, 1); c.o.calculateNoise = true; } },
  { name: '-nonoise', match: has('-nonoise'), nargs: 0, apply: (c) => { c.o.calculateNoise = false; } },
  { name: '-nopgm', match: has('-nopgm'), nargs: 0, apply: (c) => { c.o.writePgm = false; } },
  { name: '-scale', match: has('-scale'), nargs: 1, apply: (c, v) => { c.o.intfileScale = num(c, v, 1); } },
  { name: '-pgmscale', match: has('-pgmscale'), nargs: 1, apply: (c, v) => { c.o.pgmScale = num(c, v, 1); c.o.writePgm = true; } },
  { name: '-coherent', match: has('-coherent'), nargs: 0, apply: () => { /* the C sets a flag it never reads */ } },
  // -printout_pixel also contains -printout: the C turns the printout on for it too
  { name: '-printout', match: has('-printout'), nargs: 0, apply: (c) => { c.o.printout = true; } },
  { name: '-noprogress', match: has('-noprogress'), nargs: 0, apply: (c) => { c.o.progress = false; } },
  { name: '-progress', match: has('-progress'), nargs: 0, apply: (c) => { c.o.progress = true; } },
  { name: '-interpolate', match: has('-interpolate'), nargs: 0, apply: (c) => { c.o.interpolate = 1; } },
  { name: '-nointerpolate', match: has('-nointerpolate'), nargs: 0, apply: (c) => { c.o.interpolate = 0; } },
  { name: '-round_xtal', match: has('-round_xtal'), nargs: 0, apply: (c) => { c.o.xtalShape = 'ROUND'; } },
  { name: '-square_xtal', match: has('-square_xtal'), nargs: 0, apply: (c) => { c.o.xtalShape = 'SQUARE'; } },
  { name: '-gauss_xtal', match: has('-gauss_xtal'), nargs: 0, apply: (c) => { c.o.xtalShape = 'GAUSS'; } },
  { name: '-tophat_spots', match: any(has('-binary_spots'), has('-tophat_spots')), nargs: 0, apply: (c) => { c.o.xtalShape = 'TOPHAT'; } },
  { name: '-fudge', match: has('-fudge'), nargs: 1, apply: (c, v) => { c.o.fudge = num(c, v, 1); } },
  { name: '-printout_pixel', match: has('-printout_pixel'), nargs: 2, apply: (c, v) => { c.o.printoutFpixel = int(c, v, 1); c.o.printoutSpixel = int(c, v, 2); } },
  { name: '-seed', match: has('-seed'), nargs: 1, apply: (c, v) => { c.o.seed = -int(c, v, 1); } },
  { name: '-mosaic_seed', match: has('-mosaic_seed'), nargs: 1, apply: (c, v) => { c.o.mosaicSeed = -int(c, v, 1); } },
  { name: '-misset_seed', match: has('-misset_seed'), nargs: 1, apply: (c, v) => { c.o.missetSeed = -int(c, v, 1); } },
  { name: '-water', match: has('-water'), nargs: 1, apply: (c, v) => { c.o.waterSize = num(c, v, 1) / 1e6; } },
  // the hoidn golden fork's trace option (slow, fast); upstream nanoBragg.c ignores it. The engine
  // (like nbparity's instrumented C) traces every pixel named; the golden fork keeps only the last.
  {
    name: '-trace_pixel', match: has('-trace_pixel'), nargs: 2, apply: (c, v) => {
      const px: [number, number] = [int(c, v, 1), int(c, v, 2)];
      if (!c.o.tracePixels.some(([s, f]) => s === px[0] && f === px[1])) c.o.tracePixels.push(px);
    },
  },
];

/** thrown by an apply() to end testing of the current token, like the C's `continue` */
const CONTINUE = Symbol('continue');

/** The engine-only double-dash options; everything else belongs to the C's parser. */
const ENGINE_OPTIONS: Record<string, (o: NanoBraggOptions, value: string) => void> = {
  '--phi-carryover-mode': (o, v) => {
    if (v !== 'spec' && v !== 'c-parity') throw new FlagError('--phi-carryover-mode', `expects spec or c-parity, got '${v}'`);
    setQuirk(o, '--phi-carryover-mode', 'C-PARITY-001', v === 'c-parity' ? 'c' : 'fixed');
  },
  '--quirks': (o, v) => {
    if (v !== 'c' && v !== 'fixed') throw new FlagError('--quirks', `expects c (every catalogue entry as nanoBragg.c has it) or fixed (every entry fixed), got '${v}'`);
    o.quirks = uniformProfile(v);
    o.phiMode = o.quirks['C-PARITY-001'] === 'c' ? 'c-parity' : 'spec';
  },
  '--quirk': (o, v) => {
    const m = /^([^=]+)=(.*)$/.exec(v);
    if (!m) throw new FlagError('--quirk', `expects ID=c or ID=fixed, got '${v}'`);
    const q = quirkById(m[1]);
    if (!q) throw new FlagError('--quirk', `unknown catalogue entry '${m[1]}' (known: ${CATALOGUE.filter((e) => e.switchable).map((e) => e.id).join(', ')}; see --list-quirks)`);
    if (!q.switchable) throw new FlagError('--quirk', `${q.id} has no switch: ${q.fixed}`);
    if (m[2] !== 'c' && m[2] !== 'fixed') throw new FlagError('--quirk', `${q.id}: expects c or fixed, got '${m[2]}'`);
    setQuirk(o, '--quirk', q.id, m[2]);
  },
  '--c-threads': (o, v) => {
    const n = engineInt('--c-threads', v);
    if (n < 1) throw new FlagError('--c-threads', `must be at least 1, got ${n}`);
    o.cThreads = n;
  },
  '--threads': (o, v) => {
    if (v === 'auto') { o.threads = Math.max(1, availableParallelism()); return; }
    const n = engineInt('--threads', v);
    if (n < 1) throw new FlagError('--threads', `must be at least 1 (or auto), got ${n}`);
    o.threads = n;
  },
  '--max-memory': (o, v) => { o.maxMemory = parseSize('--max-memory', v); },
  '--strict': (o) => { o.strict = true; },
  '--render': (o, v) => {
    if (!(RENDER_MODES as readonly string[]).includes(v)) throw new FlagError('--render', `expects ${RENDER_MODES.join(', ')}, got '${v}'`);
    o.render = v as RenderMode;
  },
  '--fast': (o) => { o.render = 'fast'; },
  '--libm': (o, v) => {
    if (!(LIBM_NAMES as readonly string[]).includes(v)) throw new FlagError('--libm', `expects ${LIBM_NAMES.join(', ')}, got '${v}'`);
    o.libm = v as LibmName;
  },
  '--libm-log': (o) => { o.libmLog = true; },
  '--dtype': (o, v) => {
    if (v !== 'float64' && v !== 'float32') throw new FlagError('--dtype', `expects float64 or float32, got '${v}'`);
    o.dtype = v;
  },
};
export const ENGINE_OPTION_NAMES = Object.keys(ENGINE_OPTIONS);

/** One entry's state, set once: a second, contradictory setting (--phi-carryover-mode against --quirk C-PARITY-001) is an error. */
function setQuirk(o: NanoBraggOptions, flag: string, id: string, state: QuirkState): void {
  const set = (o as NanoBraggOptions & { quirksSet?: Record<string, string> }).quirksSet ??= {};
  if (set[id] && o.quirks[id] !== state) throw new FlagError(flag, `${id}=${state} contradicts ${set[id]} (${id}=${o.quirks[id]})`);
  set[id] = `${flag} ${id}=${state}`;
  o.quirks = { ...o.quirks, [id]: state };
  if (id === 'C-PARITY-001') o.phiMode = state === 'c' ? 'c-parity' : 'spec';
}

/** Split argv into the engine-only options and the nanoBragg arguments. */
export function splitEngineOptions(argv: readonly string[]): { engine: [string, string][]; rest: string[]; flags: Set<string> } {
  const engine: [string, string][] = [];
  const rest: string[] = [];
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = eq >= 0 ? tok.slice(0, eq) : tok;
      if (name === '--strict' || name === '--libm-log' || name === '--fast') { engine.push([name, '']); continue; }
      if (name in ENGINE_OPTIONS) {
        const value = eq >= 0 ? tok.slice(eq + 1) : argv[++i];
        if (value === undefined) throw new FlagError(name, 'missing value');
        engine.push([name, value]);
        continue;
      }
      flags.add(name);
      continue;
    }
    rest.push(tok);
  }
  return { engine, rest, flags };
}

/** Parse nanoBragg arguments (plus engine-only double-dash options) into NanoBraggOptions. */
export function parseNanoBraggArgs(argvIn: readonly string[]): NanoBraggOptions {
  const o = defaultOptions();
  const { engine, rest: argv, flags } = splitEngineOptions(argvIn);
  for (const f of flags) throw new FlagError(f, 'unknown option');
  // --quirks first (all entries), then single entries and the rest in argv order
  for (const [name, value] of engine) if (name === '--quirks') ENGINE_OPTIONS[name](o, value);
  for (const [name, value] of engine) if (name !== '--quirks') ENGINE_OPTIONS[name](o, value);
  delete (o as NanoBraggOptions & { quirksSet?: unknown }).quirksSet;
  const lenient = (tok: string, problem: string, ignored: string) => {
    if (o.strict) throw new FlagError(tok, problem);
    o.notes.push(`WARNING: ${tok}: ${problem}; ${ignored}, as nanoBragg.c does`);
  };

  applyFrames(o, argv);
  const isValue = new Array<boolean>(argv.length).fill(false);
  const matched = new Array<boolean>(argv.length).fill(false);
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok[0] !== '-') continue;
    const c: Ctx = { o, argv, i, tok };
    const v = (k: number) => argv[i + k];
    for (const spec of SPECS) {
      if (!spec.match(tok, o)) continue;
      matched[i] = true;
      // the C's (argc > i+n) test: a flag without its values is an error here, not a no-op
      if (i + spec.nargs >= argv.length) {
        // a value token that merely looks like a flag is not the user's flag
        if (isValue[i]) continue;
        // past the end of argv: the C reads argv[argc] (NULL) and crashes
        if (spec.crashesWhenLast && isC(o.quirks, spec.crashesWhenLast)) {
          throw new FlagError(tok, `is the last argument and needs a value: nanoBragg.c reads past the end of argv here and crashes (${spec.crashesWhenLast}; --quirk ${spec.crashesWhenLast}=fixed ignores it)`);
        }
        // a collision (e.g. -misset_seed also matching -misset) that lacks values is skipped, as the C's argc test does
        if (spec.name !== tok && SPECS.some((x) => x.name === tok)) continue;
        // the C's argc test fails: this option is not applied, the token goes on to the next
        lenient(tok, spec.nargs === 1 ? 'missing value' : `needs ${spec.nargs} values`, `${spec.name} not applied`);
        continue;
      }
      const taken = spec.consumes ? spec.consumes(c) : spec.nargs;
      try {
        spec.apply(c, v);
      } catch (e) {
        if (e === CONTINUE) { for (let k = 1; k <= taken; k++) isValue[i + k] = true; break; }
        if (isValue[i] && e instanceof FlagError) break; // e.g. the value '-1' of a vector flag
        throw e;
      }
      for (let k = 1; k <= taken; k++) isValue[i + k] = true;
      if (spec.cont) break;
    }
  }
  for (let i = 0; i < argv.length; i++) {
    if (matched[i] || isValue[i]) continue;
    if (argv[i][0] === '-') lenient(argv[i], 'unknown option', 'ignored');
    else lenient(argv[i], 'unexpected argument (not the value of any option)', 'ignored');
  }
  o.seen = argv.filter((t, i) => t[0] === '-' && matched[i] && !isValue[i]);
  return o;
}

/**
 * The C's first pass over argv: -mask FILE and -img FILE (the last of each wins) set the
 * detector size, pixel size, distances, wavelength, beam centre, ORGX/ORGY, φ, oscillation
 * and 2θ from the SMV header (mask first, then img), before any other flag is read, so the
 * command line overrides them. For the mask, BEAM_CENTER_Y is measured from the other edge
 * (detsize_s − value), as the C's mask branch has it; the img branch takes it as it is. A file
 * that cannot be opened is ignored by the C (a warning here; an error with --strict).
 */
function applyFrames(o: NanoBraggOptions, argv: readonly string[]): void {
  let maskFile: string | null = null, imgFile: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    if (t[0] !== '-') continue;
    if (t.includes('-img') && argv.length > i + 1) imgFile = argv[i + 1];
    if (t.includes('-mask') && argv.length > i + 1) maskFile = argv[i + 1];
  }
  for (const [flag, file] of [['-mask', maskFile], ['-img', imgFile]] as const) {
    if (file === null) continue;
    const f = readSmvFrame(flag, file);
    if (!f) {
      if (o.strict) throw new FlagError(flag, `cannot read '${file}'`);
      o.notes.push(`WARNING: ${flag} ${file}: cannot be read; ignored, as nanoBragg.c does`);
      continue;
    }
    const val = (k: string) => smvValue(f.header, k);
    let v: number;
    o.fpixels = f.width; o.spixels = f.height;
    if (!isNaN(v = val('PIXEL_SIZE'))) o.pixelSize = v / 1000.0;
    o.detsizeF = o.pixelSize * f.width; o.detsizeS = o.pixelSize * f.height;
    if (!isNaN(v = val('DISTANCE'))) o.distance = v / 1000.0;
    if (!isNaN(v = val('CLOSE_DISTANCE'))) o.closeDistance = v / 1000.0;
    if (!isNaN(v = val('WAVELENGTH'))) o.lambda0 = v / 1e10;
    if (!isNaN(v = val('BEAM_CENTER_X'))) o.Xbeam = v / 1000.0;
    if (!isNaN(v = val('BEAM_CENTER_Y'))) o.Ybeam = flag === '-mask' ? o.detsizeS - v / 1000.0 : v / 1000.0;
    if (!isNaN(v = val('ORGX'))) o.ORGX = v;
    if (!isNaN(v = val('ORGY'))) o.ORGY = v;
    if (!isNaN(v = val('PHI'))) o.phi0 = v / RTD;
    if (!isNaN(v = val('OSC_RANGE'))) o.osc = v / RTD;
    if (!isNaN(v = val('TWOTHETA'))) o.twotheta = v / RTD;
    if (flag === '-mask') o.mask = { file, width: f.width, height: f.height, pixels: f.pixels };
  }
}

/** One line per C option, for --help. */
export function optionNames(): string[] {
  const names: string[] = [];
  for (const s of SPECS) if (!names.includes(s.name)) names.push(s.name);
  return names;
}
