/**
 * Sharding a suite: a deterministic split of its tests (case × φ mode) into N shards balanced
 * by expected cost, computed identically by every shard without talking to the others.
 *
 * Cost of a test, in milliseconds:
 *   1. the ledger: the median wall time of the test's most recent rows (up to 5) of the same
 *      suite against the same C (sha256; 'replay' for replays), else of the same suite against
 *      any C;
 *   2. otherwise a work estimate from the nanoBragg arguments,
 *        pixels × oversample² × phisteps × mosaic domains × sources + 2e5 (fixed cost per run),
 *      with pixels = detpixels_s × detpixels_f (or the -roi box), oversample 1 when not given,
 *      sources = divergence steps (h × v) × dispersion steps; scaled into milliseconds by the
 *      median ms/estimate of the tests that do have ledger times (or left as is when none do).
 * Greedy longest-processing-time: tests by cost, descending (ties by position in the suite),
 * each to the shard with the least total so far (ties to the lowest shard number).
 */
import { createHash } from 'node:crypto';
import { InputError } from '../contract.js';
import type { LedgerRow } from './ledger.js';

export interface ShardSpec { k: number; n: number }

/** "K/N", 1 <= K <= N; anything else is a usage error (exit 2). */
export function parseShard(s: string): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  if (!m) throw new InputError(`--shard expects K/N (1-based, e.g. 2/3), got '${s}'`);
  const k = Number(m[1]), n = Number(m[2]);
  if (n < 1) throw new InputError(`--shard ${s}: N must be at least 1`);
  if (k < 1 || k > n) throw new InputError(`--shard ${s}: K must be between 1 and ${n}`);
  return { k, n };
}

function flagValues(args: string[], flag: string, count = 1): number[] | null {
  const i = args.lastIndexOf(flag);
  if (i < 0) return null;
  const v = args.slice(i + 1, i + 1 + count).map(Number);
  return v.length === count && v.every(Number.isFinite) ? v : null;
}

/** The work estimate of one nanoBragg run from its arguments (see the header). */
export function workEstimate(args: string[]): number {
  const one = (f: string, d: number) => flagValues(args, f)?.[0] ?? d;
  let s = one('-detpixels', 1024), f = s;
  s = one('-detpixels_s', s); f = one('-detpixels_f', f);
  const pixel = one('-pixel', 0.1);
  if (!flagValues(args, '-detpixels') && flagValues(args, '-detsize')) s = f = Math.ceil(one('-detsize', 102.4) / pixel);
  const roi = flagValues(args, '-roi', 4);
  const pixels = roi ? Math.max(1, roi[1] - roi[0] + 1) * Math.max(1, roi[3] - roi[2] + 1) : s * f;
  const os = Math.max(1, one('-oversample', 1));
  const phi = Math.max(1, one('-phisteps', 1));
  const mosaic = Math.max(1, one('-mosaic_domains', 1));
  const div = Math.max(1, one('-divsteps', 1));
  const sources = Math.max(1, one('-hdivsteps', div)) * Math.max(1, one('-vdivsteps', div)) * Math.max(1, one('-dispsteps', 1));
  return pixels * os * os * phi * mosaic * sources + 2e5;
}

export interface SplitTest { test: string; args: string[] }

export interface Split {
  /** every test of the suite, in suite order */
  tests: string[];
  /** shard number (1-based) of each test, same order */
  shardOf: number[];
  /** expected cost (ms, or work units when the ledger knows none) per test */
  cost: number[];
  /** where each cost came from */
  source: Array<'ledger' | 'estimate'>;
  /** per shard, the expected total */
  totals: number[];
  digest: string;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/** Past wall times per test: median of the last `recent` rows of the suite (same C when it has any). */
export function ledgerTimes(ledger: LedgerRow[], suite: string, cSha: string, recent = 5): Map<string, number> {
  const out = new Map<string, number>();
  const of = (rows: LedgerRow[]) => {
    const by = new Map<string, number[]>();
    for (const r of rows) {
      const w = Number(r.wall_ms);
      if (r.wall_ms === '' || !Number.isFinite(w) || w < 0) continue;
      (by.get(r.test) ?? by.set(r.test, []).get(r.test)!).push(w);
    }
    return by;
  };
  const same = of(ledger.filter((r) => r.suite === suite && r.c_sha256 === cSha));
  const any = of(ledger.filter((r) => r.suite === suite));
  for (const [t, ws] of any) out.set(t, median((same.get(t) ?? ws).slice(-recent)));
  return out;
}

export function splitTests(suite: string, tests: SplitTest[], n: number, times: Map<string, number> = new Map()): Split {
  const est = tests.map((t) => workEstimate(t.args));
  const known = tests.map((t, i) => (times.has(t.test) ? times.get(t.test)! / est[i] : NaN)).filter((x) => Number.isFinite(x) && x > 0);
  const scale = known.length ? median(known) : 1;
  const source = tests.map((t) => (times.has(t.test) ? 'ledger' as const : 'estimate' as const));
  const cost = tests.map((t, i) => (times.has(t.test) ? times.get(t.test)! : est[i] * scale));
  const order = tests.map((_, i) => i).sort((a, b) => cost[b] - cost[a] || a - b);
  const totals = new Array(n).fill(0);
  const shardOf = new Array(tests.length).fill(0);
  for (const i of order) {
    let best = 0;
    for (let s = 1; s < n; s++) if (totals[s] < totals[best]) best = s;
    shardOf[i] = best + 1;
    totals[best] += cost[i];
  }
  const names = tests.map((t) => t.test);
  const digest = createHash('sha256').update(JSON.stringify({ suite, n, tests: names, shardOf })).digest('hex');
  return { tests: names, shardOf, cost, source, totals, digest };
}
