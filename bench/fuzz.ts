#!/usr/bin/env node
/**
 * npm run fuzz: a seeded differential run over random nanoBragg command lines drawn from the
 * whole flag space, the user's nanoBragg.c (pristine, cached build, OMP_NUM_THREADS=1) against
 * the engine (c-parity, --c-threads 1) on each. Every output file is compared byte for byte
 * (float image, SMV int image, PGM, noise image, Fdump.bin) and each line is classified:
 *
 *   identical   both exit 0 and every output is byte-identical
 *   mismatched  both exit 0, some output differs (which, how many pixels, largest ulp)
 *   refused     the C ran (exit 0), the engine did not (its exit code and first line)
 *   engine-only the engine ran, the C did not (the C's exit code)
 *   both-failed neither ran
 *
 *   npm run fuzz [-- --count N] [--seed S] [--c-source PATH] [--jobs N] [--json] [--keep DIR]
 *
 * The generator is deterministic for a seed (mulberry32): a line is reproduced by its seed
 * and index, printed with every non-identical result.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { exitCodeFor } from '../harness/contract.js';
import { buildC, candidates, findCSource } from '../harness/c/build.js';
import { ulpDistance } from '../harness/metrics/image.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..', '..');
const ENGINE = join(here, '..', 'engine', 'main.js');
const INPUTS = join(ROOT, 'traces', 'reference', '_inputs');

/** mulberry32: a small, well-known seeded generator */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One random command line (input files are copied into the run directory by name). */
export function randomLine(r: () => number): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const num = (lo: number, hi: number, digits = 3) => Number((lo + r() * (hi - lo)).toPrecision(digits)).toString();
  const int = (lo: number, hi: number) => String(lo + Math.floor(r() * (hi - lo + 1)));
  // a value as a user might type it: mostly clean, sometimes what only the C's atof/atoi read
  const sloppyInt = (lo: number, hi: number) => (r() < 0.08 ? `${int(lo, hi)}.${int(1, 9)}` : int(lo, hi));
  const sloppyNum = (lo: number, hi: number) => (r() < 0.05 ? `${num(lo, hi)}${pick(['mm', 'x', 'e'])}` : num(lo, hi));
  const args: string[] = [];
  // crystal and structure factors
  if (r() < 0.25) args.push('-mat', 'A.mat'); else args.push('-cell', num(40, 120), num(40, 120), num(40, 120), num(60, 120), num(60, 120), num(60, 120));
  if (r() < 0.3) args.push('-hkl', 'P1.hkl', ...(r() < 0.5 ? ['-default_F', num(1, 100)] : []));
  else args.push('-default_F', num(1, 200));
  if (r() < 0.5) args.push('-N', sloppyInt(1, 8)); else args.push('-Na', int(1, 6), '-Nb', int(1, 6), '-Nc', int(1, 6));
  // detector
  args.push('-detpixels', int(12, 40), '-pixel', num(0.05, 0.2), '-distance', sloppyNum(50, 300));
  if (r() < 0.8) args.push('-lambda', num(0.6, 2.5)); else args.push('-energy', num(6000, 15000));
  const optional: Array<() => string[]> = [
    () => [pick(['-mosflm', '-xds', '-adxv', '-denzo', '-dials'])],
    () => ['-Xbeam', num(0.5, 4), '-Ybeam', num(0.5, 4)],
    () => ['-ORGX', num(2, 30), '-ORGY', num(2, 30)],
    () => ['-detector_rotx', num(-5, 5), '-detector_roty', num(-5, 5), '-detector_rotz', num(-5, 5)],
    () => ['-twotheta', num(-10, 20)],
    () => ['-pivot', pick(['beam', 'sample'])],
    () => ['-oversample', sloppyInt(1, 3)],
    () => [pick(['-oversample_thick', '-oversample_polar', '-oversample_omega'])],
    () => ['-phisteps', sloppyInt(1, 4), '-osc', num(0.1, 2)],
    () => ['-phi', num(-10, 10)],
    () => ['-mosaic', num(0.05, 1), '-mosaic_domains', int(1, 4), '-mosaic_seed', int(1, 999)],
    () => ['-misset', num(-30, 30), num(-30, 30), num(-30, 30)],
    () => ['-divergence', num(0.1, 1), '-divsteps', int(1, 3)],
    () => ['-dispersion', num(0.1, 2), '-dispsteps', int(1, 3)],
    () => [pick(['-round_div', '-square_div'])],
    () => ['-detector_thick', num(10, 100), '-detector_thicksteps', int(1, 3), '-detector_abs', num(100, 500)],
    () => [pick(['-round_xtal', '-gauss_xtal', '-square_xtal', '-tophat_spots'])],
    () => ['-polar', num(0, 1)],
    () => ['-nopolar'],
    () => ['-point_pixel'],
    () => ['-curved_det', ...(r() < 0.7 ? ['x'] : [])],
    () => ['-water', num(10, 200)],
    () => ['-dmin', num(1, 10)],
    () => ['-roi', int(0, 10), int(12, 39), int(0, 10), int(12, 39)],
    () => ['-flux', `${num(1, 9)}e${int(10, 14)}`, '-exposure', num(0.1, 2), '-beamsize', num(0.01, 0.2)],
    () => ['-fluence', `${num(1, 9)}e${int(20, 25)}`],
    () => ['-xtalsize', num(0.0005, 0.01)],
    () => ['-spindle_axis', pick(['0 1 0', '1 0 0', '0 0 1'])].flatMap((x) => x.split(' ')),
    () => [pick(['-interpolate', '-nointerpolate'])],
    () => ['-scale', num(0.1, 100)],
    () => ['-adc', num(0, 100)],
    () => ['-noisefile', 'noise.img', '-seed', sloppyInt(1, 999)],
    () => ['-pgmfile', 'image.pgm'],
    () => ['-sourcefile', 'sources.txt'],
    () => [pick(['-bin', '-calib_seed', '-frobnicate', '-trace'])],
  ];
  const n = Math.floor(r() * 6);
  for (let k = 0; k < n; k++) args.push(...pick(optional)());
  if (r() < 0.5) args.push('-nopgm');
  if (!args.includes('-noisefile') && r() < 0.7) args.push('-nonoise');
  return args;
}

const OUTPUTS = ['float.bin', 'int.img', 'image.pgm', 'noise.img', 'Fdump.bin'];

interface Result { index: number; args: string[]; cls: 'identical' | 'mismatched' | 'refused' | 'engine-only' | 'both-failed'; detail: string }

async function runOne(binary: string, index: number, args: string[]): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'nbfuzz-'));
  try {
    const sides = { c: join(dir, 'c'), ts: join(dir, 'ts') };
    for (const d of Object.values(sides)) {
      mkdirSync(d);
      copyFileSync(join(INPUTS, 'A.mat'), join(d, 'A.mat'));
      copyFileSync(join(INPUTS, 'P1.hkl'), join(d, 'P1.hkl'));
      writeFileSync(join(d, 'sources.txt'), '-10 0 0 1 1e-10\n-10 0.01 0.002 1 1.05e-10\n');
    }
    const files = ['-floatfile', 'float.bin', '-intfile', 'int.img'];
    const c = await execa(binary, [...args, ...files], { cwd: sides.c, env: { OMP_NUM_THREADS: '1' }, reject: false, timeout: 120_000 });
    const t = await execa(process.execPath, [ENGINE, ...args, ...files, '--phi-carryover-mode', 'c-parity', '--c-threads', '1'], { cwd: sides.ts, reject: false, timeout: 300_000 });
    const first = (s: string) => String(s).split('\n').find((l) => l.trim()) ?? '';
    if (c.exitCode !== 0 && t.exitCode !== 0) return { index, args, cls: 'both-failed', detail: `C exit ${c.exitCode}, engine exit ${t.exitCode}: ${first(t.stderr)}` };
    if (c.exitCode !== 0) return { index, args, cls: 'engine-only', detail: `C exit ${c.exitCode}${c.timedOut ? ' (timed out)' : ''}: ${first(c.stderr)}` };
    if (t.exitCode !== 0) return { index, args, cls: 'refused', detail: `engine exit ${t.exitCode}: ${first(t.stderr)}` };
    const diffs: string[] = [];
    for (const f of OUTPUTS) {
      const a = join(sides.c, f), b = join(sides.ts, f);
      if (!existsSync(a) && !existsSync(b)) { if (f === 'float.bin' || f === 'int.img') diffs.push(`${f}: neither side wrote it`); continue; }
      if (!existsSync(a) || !existsSync(b)) { diffs.push(`${f}: only the ${existsSync(a) ? 'C' : 'engine'} wrote it`); continue; }
      const x = readFileSync(a), y = readFileSync(b);
      if (x.equals(y)) continue;
      if (f === 'float.bin' && x.length === y.length) {
        const fx = new Float32Array(x.buffer, x.byteOffset, x.length / 4), fy = new Float32Array(y.buffer, y.byteOffset, y.length / 4);
        let n = 0, ulp = 0;
        for (let i = 0; i < fx.length; i++) if (!Object.is(fx[i], fy[i])) { n++; ulp = Math.max(ulp, ulpDistance(fx[i], fy[i])); }
        diffs.push(`${f}: ${n} of ${fx.length} pixels differ, max ${ulp} ulp`);
      } else diffs.push(`${f}: differs (${x.length} vs ${y.length} bytes)`);
    }
    return { index, args, cls: diffs.length ? 'mismatched' : 'identical', detail: diffs.join('; ') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<number> {
  let count = 1000, seed = 1, jobs = Math.max(1, cpus().length), json = false, cSource: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--count') count = Number(argv[++i]);
    else if (a === '--seed') seed = Number(argv[++i]);
    else if (a === '--jobs') jobs = Number(argv[++i]);
    else if (a === '--c-source') cSource = argv[++i];
    else if (a === '--json') json = true;
    else if (a === '--help') { process.stdout.write('usage: npm run fuzz -- [--count N] [--seed S] [--jobs N] [--c-source PATH] [--json]\n'); return 0; }
    else { process.stderr.write(`fuzz: unknown option '${a}'\n`); return 2; }
  }
  if (!(Number.isInteger(count) && count > 0 && Number.isInteger(seed) && Number.isInteger(jobs) && jobs > 0)) { process.stderr.write('fuzz: --count, --seed and --jobs take integers\n'); return 2; }
  const src = findCSource(cSource);
  if (!src) { process.stdout.write(`fuzz: no nanoBragg.c present (looked at ${candidates(cSource).join(', ')}); the differential run needs your C.\n`); return 0; }
  const built = await buildC(src.path, { displayName: src.path });
  const r = rng(seed);
  const lines = Array.from({ length: count }, () => randomLine(r));
  const results: Result[] = new Array(count);
  let next = 0, done = 0;
  await Promise.all(Array.from({ length: jobs }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await runOne(built.binary, i, lines[i]);
      if (++done % 50 === 0 && !json) process.stderr.write(`fuzz: ${done}/${count}\n`);
    }
  }));
  const counts: Record<string, number> = { identical: 0, mismatched: 0, refused: 0, 'engine-only': 0, 'both-failed': 0 };
  for (const x of results) counts[x.cls]++;
  if (json) { process.stdout.write(JSON.stringify({ seed, count, c: src.path, c_sha256: built.sourceSha256, counts, results: results.filter((x) => x.cls !== 'identical') }, null, 2) + '\n'); }
  else {
    for (const x of results) if (x.cls !== 'identical') process.stdout.write(`${x.cls.padEnd(11)} #${x.index} ${x.detail}\n    ${x.args.join(' ')}\n`);
    process.stdout.write(`fuzz seed ${seed}: ${count} lines against ${src.path}: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}\n`);
  }
  return counts.mismatched + counts.refused + counts['engine-only'] === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e) => { process.stderr.write(`fuzz: ${(e as Error).message}\n`); process.exitCode = exitCodeFor(e); });
}
