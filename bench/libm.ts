#!/usr/bin/env node
/**
 * npm run bench:libm: each math-library provider of the engine (src/math/libm) against this
 * machine's C library, which is what a C built here calls: for every function the engine
 * uses, the share of N random arguments (seeded; in the ranges the simulation feeds it) whose
 * result has the same bits, and the time per call.
 *
 *   npm run bench:libm [-- --n 1000000] [--seed 1] [--json]
 *
 * The reference is the `system` provider (the C library through koffi); without it there is
 * nothing to measure against (exit 2).
 */
import { exitCodeFor } from '../harness/contract.js';
import { hex64, libmByName, LIBM_NAMES, LibmUnavailableError, type Libm } from '../src/index.js';

type Fn = 'sin' | 'cos' | 'tan' | 'exp' | 'log' | 'acos' | 'atan2' | 'pow' | 'powf';

/** xorshift128+, seeded: the same arguments on every machine */
function rng(seed: number): () => number {
  let s0 = BigInt(seed) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn | 1n, s1 = 0x2545f4914f6cdd1dn ^ BigInt(seed);
  return () => {
    let x = s0; const y = s1;
    s0 = y; x ^= (x << 23n) & 0xffffffffffffffffn; s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return Number(((s1 + y) & 0xffffffffffffffffn) >> 11n) / 2 ** 53;
  };
}

/** the ranges the simulation calls each function in (one line each; see src/physics, src/config, src/math/rng.ts) */
const RANGES: Record<Fn, { what: string; draw: (u: () => number) => [number, number] }> = {
  sin: { what: 'half sincg arguments π·h·N, |x| ≤ 2e4; half rotation angles, |x| ≤ 2π', draw: (u) => [u() < 0.5 ? (2 * u() - 1) * 2e4 : (2 * u() - 1) * 2 * Math.PI, 0] },
  cos: { what: 'half rotation and polarization angles |x| ≤ 2π; half |x| ≤ 2e4 (sinc3)', draw: (u) => [u() < 0.5 ? (2 * u() - 1) * 2 * Math.PI : (2 * u() - 1) * 2e4, 0] },
  tan: { what: 'π·ran1 in (0, π) (poidev)', draw: (u) => [Math.PI * u(), 0] },
  exp: { what: '[-60, 5] (capture fraction, Gaussian lattice factor, poidev)', draw: (u) => [-60 + 65 * u(), 0] },
  log: { what: 'log-uniform in [1e-8, 1e8] (poidev, gammln)', draw: (u) => [10 ** (-8 + 16 * u()), 0] },
  acos: { what: '[-1, 1] (cell angles for reports)', draw: (u) => [2 * u() - 1, 0] },
  atan2: { what: 'components of unit vectors, [-1, 1]²', draw: (u) => [2 * u() - 1, 2 * u() - 1] },
  pow: { what: 'base in (0, 10], exponent in [-3, 3]', draw: (u) => [10 * u() + 1e-300, 6 * u() - 3] },
  powf: { what: 'float base (1 - r3²) in [0, 1], exponent float(1/3) (mosaic_rotation_umat)', draw: (u) => [Math.fround(1 - (2 * u() - 1) ** 2), Math.fround(1 / 3)] },
};

function call(L: Libm, fn: Fn): (a: number, b: number) => number {
  if (fn === 'atan2' || fn === 'pow' || fn === 'powf') return L[fn];
  const f = L[fn];
  return (a) => f(a);
}

async function main(argv: string[]): Promise<number> {
  let n = 1_000_000, seed = 1, json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--n') n = Number(argv[++i]);
    else if (a === '--seed') seed = Number(argv[++i]);
    else if (a === '--json') json = true;
    else if (a === '--help') { process.stdout.write('usage: npm run bench:libm -- [--n N] [--seed S] [--json]\n'); return 0; }
    else { process.stderr.write(`bench:libm: unknown argument '${a}'\n`); return 2; }
  }
  if (!Number.isInteger(n) || n < 1) { process.stderr.write('bench:libm: --n needs a positive integer\n'); return 2; }
  if (!Number.isInteger(seed)) { process.stderr.write('bench:libm: --seed needs an integer\n'); return 2; }
  let ref: Libm;
  try { ref = libmByName('system'); } catch (e) {
    if (e instanceof LibmUnavailableError) { process.stderr.write(`bench:libm: ${e.message}: nothing to measure against\n`); return 2; }
    throw e;
  }
  const providers = LIBM_NAMES.map((p) => libmByName(p));
  const rows: Array<{ fn: Fn; range: string; n: number; equal: Record<string, number>; ns_per_call: Record<string, number> }> = [];
  for (const fn of Object.keys(RANGES) as Fn[]) {
    const u = rng(seed), a = new Float64Array(n), b = new Float64Array(n);
    for (let i = 0; i < n; i++) [a[i], b[i]] = RANGES[fn].draw(u);
    const want = new Array<string>(n);
    const r = call(ref, fn);
    for (let i = 0; i < n; i++) want[i] = hex64(r(a[i], b[i]));
    const equal: Record<string, number> = {}, ns: Record<string, number> = {};
    for (const P of providers) {
      const g = call(P, fn);
      let same = 0;
      for (let i = 0; i < n; i++) if (hex64(g(a[i], b[i])) === want[i]) same++;
      equal[P.name] = same / n;
      // time: warm up, then the whole array once, summing so nothing is optimised away
      let sink = 0;
      for (let i = 0; i < Math.min(n, 10_000); i++) sink += g(a[i], b[i]);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) sink += g(a[i], b[i]);
      ns[P.name] = Number(process.hrtime.bigint() - t0) / n;
      if (sink === 0.123456789) process.stdout.write(''); // keeps `sink` alive
    }
    rows.push({ fn, range: RANGES[fn].what, n, equal, ns_per_call: ns });
    if (!json) {
      process.stdout.write(`${fn.padEnd(5)} ${providers.map((P) => `${P.name} ${(100 * equal[P.name]).toFixed(4).padStart(8)}% ${ns[P.name].toFixed(0).padStart(4)} ns`).join('   ')}   (${RANGES[fn].what})\n`);
    }
  }
  const meta = { reference: ref.detail, providers: Object.fromEntries(providers.map((P) => [P.name, P.detail])), n, seed, node: process.version };
  if (json) process.stdout.write(JSON.stringify({ ...meta, rows }, null, 2) + '\n');
  else process.stdout.write(`(share of ${n} seeded arguments per function whose result has the same bits as ${ref.detail}; time per call over the same arguments; seed ${seed})\n`);
  return 0;
}

main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e) => { process.stderr.write(`bench:libm: ${(e as Error).message}\n`); process.exitCode = exitCodeFor(e); });
