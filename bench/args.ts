/**
 * The command line of npm run bench. Pure: parseBenchArgs returns the options or throws a
 * BenchUsageError (exit 2, one line) naming what is wrong.
 */
import { distance } from 'fastest-levenshtein';
import { InputError } from '../harness/contract.js';
import { LIBM_NAMES } from '../src/index.js';
import { MATRIX, SWEEP_TITLES, type ScalingSweep } from './matrix.js';

export class BenchUsageError extends InputError {
  override name = 'BenchUsageError';
}

export const VARIANTS = ['exact', 'fast', 'reference'] as const;
export type Variant = typeof VARIANTS[number];
/** the engine options of each variant (after the c-parity and thread options) */
export const VARIANT_FLAGS: Record<Variant, string[]> = { exact: [], fast: ['--fast'], reference: ['--render', 'reference'] };

export interface BenchOptions {
  help: boolean;
  cSource?: string;
  /** dist/src/cli/main.js of another build (default: this build's) */
  engine?: string;
  runs: number;
  cases: string[];
  variants: Variant[];
  threads: number[];
  libm?: string;
  matrix: boolean;
  scaling: boolean;
  scalingThreads: number[];
  /** the scaling sweeps to run */
  sweeps: ScalingSweep[];
  /** seconds to wait for an idle machine before each case (0: do not wait) */
  idleWait: number;
  /** seconds one run may take before it is killed */
  timeout: number;
  out?: string;
  json: boolean;
}

export const USAGE = `usage: npm run bench -- [options]

The engine against your nanoBragg.c, whole processes on the same arguments, alternating
C and engine runs (one warm-up each, then --runs timed runs; medians, min and max), with
start-up (a 1-pixel -roi run) and memory peak measured, the machine's load noted, and every
run's image checked: exact variants bit-identical to the C's float image, the fast variant
within its bounds (correlation >= 0.999999, max relative difference <= 1e-5 on the pixels
above 1% of the maximum, same peak positions). Exit 0 when every check passed, 1 when a
check failed, 2 on a usage error, 3 when a run failed (the C or an engine variant).

options:
  --case LIST           matrix cases, comma-separated or repeated: ${MATRIX.map((c) => `${c.id} (${c.label})`).join(', ')};
                        or all (default)
  --variants LIST       engine variants: exact (no flag: the engine's default, --render auto; so an older build's default path is timed too), fast (--fast), reference (--render
                        reference, the C's loop as written); default exact,fast
  --threads LIST        thread counts, each run by both sides (C: OMP_NUM_THREADS; engine: --threads N
                        --c-threads N); default 1,2
  --runs N              timed runs per side after the warm-up (default 5)
  --engine PATH         another build's engine: its dist/engine/main.js (or dist/src/cli/main.js), or its checkout
                        (numbers before a change); default this build's
  --libm NAME           the engine's math library (${LIBM_NAMES.join(', ')}); default the engine's
  --scaling             also the scaling table: detector 256² to 2048², φ steps 1 to 100, mosaic domains
                        1 to 100, for the C and each variant
  --scaling-threads LIST  thread counts of the scaling table (default 1)
  --sweep LIST          the scaling sweeps: detector, phi, mosaic (default all)
  --no-matrix           the scaling table only (with --scaling)
  --idle-wait S         before each case wait up to S seconds for the machine to be idle (below 10% busy
                        over 1 s); default 30, 0 does not wait
  --timeout S           one run may take S seconds, then it is killed and counted as failed (default 900)
  --c-source PATH       your nanoBragg.c (default $NANOBRAGG_C, then golden_suite_generator/nanoBragg.c)
  --out DIR             the results folder (default reports/bench/<UTC time>/)
  --json                the results as JSON on stdout (the table is not printed)
  --help                this text
`;

const OPTIONS = ['--case', '--variants', '--threads', '--runs', '--engine', '--libm', '--scaling', '--scaling-threads', '--sweep', '--no-matrix', '--idle-wait', '--timeout', '--c-source', '--out', '--json', '--help'];
const TAKES_VALUE = new Set(['--case', '--variants', '--threads', '--runs', '--engine', '--libm', '--scaling-threads', '--sweep', '--idle-wait', '--timeout', '--c-source', '--out']);

function nearest(word: string, names: readonly string[]): string | null {
  let best: string | null = null, bd = Infinity;
  for (const n of names) { const d = distance(word.toLowerCase(), n.toLowerCase()); if (d < bd) { bd = d; best = n; } }
  const len = word.replace(/^-+/, '').length;
  return best !== null && bd <= (len >= 4 ? Math.max(2, Math.floor(len / 3)) : 1) ? best : null;
}
const meant = (s: string | null) => (s ? `; did you mean '${s}'?` : '');

function list(opt: string, v: string): string[] {
  const xs = v.split(',').map((s) => s.trim());
  if (xs.some((s) => s === '')) throw new BenchUsageError(`${opt} '${v}': an empty item in the list`);
  return xs;
}
function positiveInts(opt: string, v: string): number[] {
  return list(opt, v).map((s) => {
    if (!/^[0-9]+$/.test(s) || Number(s) < 1) throw new BenchUsageError(`${opt} needs positive integers, got '${s}'`);
    return Number(s);
  });
}
function seconds(opt: string, v: string, zeroOk: boolean): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < 0 || (!zeroOk && x === 0)) throw new BenchUsageError(`${opt} needs ${zeroOk ? 'a number of seconds >= 0' : 'a positive number of seconds'}, got '${v}'`);
  return x;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = { help: false, runs: 5, cases: [], variants: ['exact', 'fast'], threads: [1, 2], matrix: true, scaling: false, scalingThreads: [1], sweeps: Object.keys(SWEEP_TITLES) as ScalingSweep[], idleWait: 30, timeout: 900, json: false };
  let variantsSet = false, sweepSet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { o.help = true; continue; }
    if (a.startsWith('--') && a.includes('=')) {
      const name = a.slice(0, a.indexOf('='));
      if (OPTIONS.includes(name)) throw new BenchUsageError(`${a}: write ${name} ${a.slice(name.length + 1)} (a space, not =)`);
    }
    if (!OPTIONS.includes(a)) {
      if (a.startsWith('-')) throw new BenchUsageError(`unknown option '${a}'${meant(nearest(a, OPTIONS))} (npm run bench -- --help)`);
      throw new BenchUsageError(`unexpected argument '${a}' (npm run bench -- --help)`);
    }
    let v = '';
    if (TAKES_VALUE.has(a)) {
      if (i + 1 >= argv.length || (argv[i + 1].startsWith('--') && OPTIONS.includes(argv[i + 1]))) throw new BenchUsageError(`${a} needs a value`);
      v = argv[++i];
    }
    switch (a) {
      case '--case':
        for (const c of list(a, v)) {
          if (c === 'all') { o.cases.push(...MATRIX.map((m) => m.id)); continue; }
          if (!MATRIX.some((m) => m.id === c)) throw new BenchUsageError(`unknown case '${c}' (cases: ${MATRIX.map((m) => m.id).join(', ')}, all)`);
          o.cases.push(c);
        }
        break;
      case '--variants': {
        if (!variantsSet) { o.variants = []; variantsSet = true; }
        for (const x of list(a, v)) {
          if (!(VARIANTS as readonly string[]).includes(x)) throw new BenchUsageError(`unknown variant '${x}'${meant(nearest(x, VARIANTS))} (variants: ${VARIANTS.join(', ')})`);
          if (!o.variants.includes(x as Variant)) o.variants.push(x as Variant);
        }
        break;
      }
      case '--threads': o.threads = [...new Set(positiveInts(a, v))]; break;
      case '--scaling-threads': o.scalingThreads = [...new Set(positiveInts(a, v))]; break;
      case '--runs': {
        if (!/^[0-9]+$/.test(v) || Number(v) < 1) throw new BenchUsageError(`--runs needs a positive integer, got '${v}'`);
        o.runs = Number(v);
        break;
      }
      case '--engine': o.engine = v; break;
      case '--libm':
        if (!(LIBM_NAMES as readonly string[]).includes(v)) throw new BenchUsageError(`--libm expects ${LIBM_NAMES.join(', ')}, got '${v}'${meant(nearest(v, LIBM_NAMES))}`);
        o.libm = v;
        break;
      case '--scaling': o.scaling = true; break;
      case '--sweep': {
        const names = Object.keys(SWEEP_TITLES);
        const xs = list(a, v);
        for (const x of xs) if (!names.includes(x)) throw new BenchUsageError(`unknown sweep '${x}'${meant(nearest(x, names))} (sweeps: ${names.join(', ')})`);
        o.sweeps = names.filter((n) => xs.includes(n)) as ScalingSweep[];
        sweepSet = true;
        break;
      }
      case '--no-matrix': o.matrix = false; break;
      case '--idle-wait': o.idleWait = seconds(a, v, true); break;
      case '--timeout': o.timeout = seconds(a, v, false); break;
      case '--c-source': o.cSource = v; break;
      case '--out': o.out = v; break;
      case '--json': o.json = true; break;
    }
  }
  if (o.help) return o;
  if (!o.matrix && !o.scaling) throw new BenchUsageError('--no-matrix without --scaling leaves nothing to run');
  if (!o.matrix && o.cases.length) throw new BenchUsageError('--case selects matrix cases, and --no-matrix runs none');
  if (sweepSet && !o.scaling) throw new BenchUsageError('--sweep selects scaling sweeps: add --scaling');
  if (o.variants.length === 0) throw new BenchUsageError('--variants needs at least one of exact, fast, reference');
  o.cases = o.cases.length ? MATRIX.map((m) => m.id).filter((id) => o.cases.includes(id)) : MATRIX.map((m) => m.id);
  return o;
}
