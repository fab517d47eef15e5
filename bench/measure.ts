/**
 * One cell of the benchmark: one case at one thread count, the C and each engine variant on
 * the same arguments, run alternately (C, exact, fast, C, exact, fast, ...), one warm-up
 * each and then N timed runs; then the start-up runs (the same command with -roi 0 0 0 0, one
 * pixel) alternately; then one run of each engine variant with --json for its own timing.
 * Every run's float image is checked: the C's against its warm-up (the C is reproducible),
 * the exact variants' byte for byte against the C's, the fast variant's within its bounds
 * against the C's and the exact variant's.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VARIANT_FLAGS, type Variant } from './args.js';
import { asFloat32, checkExact, checkFast, FAST_BOUNDS, summarize, worseFast, type ExactCheck, type FastCheck } from './checks.js';
import { BASE_ARGS, countsFromCOutput, type BenchCase } from './matrix.js';
import { timedRun, type RunResult } from './run.js';

export type Side = 'C' | Variant;

export interface SideChecks {
  kind: 'reproducible' | 'bit-identical' | 'bounds';
  pass: boolean;
  /** runs whose image was checked (warm-up, timed, --json run) and how many of them passed */
  runs_checked: number; runs_passed: number;
  /** bit-identical: the first run that differed; bounds: the worst run against the C and against the exact variant */
  first_difference?: ExactCheck | null;
  vs_c?: FastCheck | null; vs_exact?: FastCheck | null;
  bounds?: typeof FAST_BOUNDS;
}

export interface SideResult {
  side: Side;
  command: string[];
  /** every run of this side exited 0 (warm-up, timed, start-up, --json) */
  ok: boolean; error: string | null;
  runs_ms: number[]; median_ms: number | null; min_ms: number | null; max_ms: number | null;
  /** peak resident memory of each timed run (KiB) and the largest; null without /usr/bin/time */
  rss_kb: Array<number | null>; max_rss_kb: number | null;
  /** median user + system CPU seconds of a timed run (null without /usr/bin/time) */
  cpu_s: number | null;
  startup: { runs_ms: number[]; median_ms: number | null; min_ms: number | null; max_ms: number | null } | null;
  /** median whole − median start-up */
  compute_ms: number | null;
  /** engine / C: whole-process medians, and compute (whole − start-up) medians */
  ratio: number | null; ratio_compute: number | null;
  /** the engine's own timing_ms from its --json summary (whatever keys it has), null when absent */
  timing_ms: Record<string, number> | null;
  checks: SideChecks;
}

export interface CellResult {
  threads: number;
  evaluations: number;
  /** the loop sizes the C printed */
  c_counts: ReturnType<typeof countsFromCOutput> | null;
  sides: SideResult[];
  /** check failures (exit 1) and failed runs (exit 3), one line each */
  failures: Array<{ kind: 'check' | 'run'; message: string }>;
}

export interface CellOptions {
  cBinary: string; engine: string; libm?: string;
  variants: Variant[]; threads: number; runs: number;
  startup: boolean; json: boolean;
  timeoutMs: number; launcher: string | null;
  progress: (what: string) => void;
}

/** the arguments both sides get (outputs named after the side; -roi 0 0 0 0 for the start-up runs) */
export function sideArgs(def: BenchCase, side: Side, o: { threads: number; libm?: string; roi?: boolean; json?: boolean; tag: string }): string[] {
  const common = [...BASE_ARGS, ...def.args, '-noprogress', ...(o.roi ? ['-roi', '0', '0', '0', '0'] : []), '-floatfile', `${o.tag}.bin`, '-intfile', `${o.tag}.img`];
  if (side === 'C') return common;
  return [...common, '--phi-carryover-mode', 'c-parity', '--threads', String(o.threads), '--c-threads', String(o.threads), ...VARIANT_FLAGS[side], ...(o.libm ? ['--libm', o.libm] : []), ...(o.json ? ['--json'] : [])];
}

const ORDER: Side[] = ['C', 'exact', 'reference', 'fast'];

export async function measureCell(def: BenchCase, o: CellOptions): Promise<CellResult> {
  const dir = mkdtempSync(join(tmpdir(), 'nbbench-'));
  const sides = ORDER.filter((s) => s === 'C' || o.variants.includes(s as Variant));
  const env = { OMP_NUM_THREADS: String(o.threads) };
  const where = `(${def.id}) ${o.threads} thread${o.threads > 1 ? 's' : ''}`;
  const failures: CellResult['failures'] = [];
  const state = new Map<Side, { ok: boolean; error: string | null; runs: number[]; rss: Array<number | null>; cpu: number[]; startup: number[]; timing: Record<string, number> | null; checked: number; passed: number; firstDiff: ExactCheck | null; vsC: FastCheck | null; vsExact: FastCheck | null }>();
  for (const s of sides) state.set(s, { ok: true, error: null, runs: [], rss: [], cpu: [], startup: [], timing: null, checked: 0, passed: 0, firstDiff: null, vsC: null, vsExact: null });
  let refC: Buffer | null = null, refExact: Float32Array | null = null, counts: CellResult['c_counts'] = null;
  let width = def.detpixels;
  const run = async (side: Side, a: { roi?: boolean; json?: boolean; tag: string }): Promise<RunResult> => {
    const args = sideArgs(def, side, { threads: o.threads, libm: o.libm, ...a });
    // the image a run is checked on is the one it wrote: an earlier run's file never stands in for it
    const image = join(dir, `${a.tag}.bin`);
    rmSync(image, { force: true });
    const r = side === 'C' ? await timedRun(o.cBinary, args, { cwd: dir, env, tag: a.tag, timeoutMs: o.timeoutMs, launcher: o.launcher })
      : await timedRun(process.execPath, [o.engine, ...args], { cwd: dir, env, tag: a.tag, timeoutMs: o.timeoutMs, launcher: o.launcher, engine: true });
    if (r.ok && !existsSync(image)) return { ...r, ok: false, error: `exit 0 without writing its float image (${a.tag}.bin)` };
    return r;
  };
  const fail = (side: Side, r: RunResult, what: string) => {
    const st = state.get(side)!;
    st.ok = false; st.error = `${what}: ${r.error ?? 'failed'}`;
    failures.push({ kind: 'run', message: `${where}, ${side}: ${what} failed: ${(r.error ?? '').split('\n').slice(-3).join(' | ')}` });
  };
  /** check the image a run of `side` just wrote */
  const check = (side: Side, tag: string) => {
    const st = state.get(side)!;
    const bytes = readFileSync(join(dir, `${tag}.bin`));
    st.checked++;
    if (side === 'C') {
      if (!refC) {
        refC = bytes; st.passed++;
        try { counts = countsFromCOutput(readFileSync(join(dir, `${tag}.out`), 'utf8')); if (counts.fpixels) width = counts.fpixels; } catch { /* no printout */ }
        return;
      }
      if (bytes.equals(refC)) st.passed++;
      else if (!st.firstDiff) st.firstDiff = checkExact(bytes, refC, width);
      return;
    }
    if (side === 'exact' || side === 'reference') {
      const c = checkExact(bytes, refC!, width);
      if (c.identical) st.passed++;
      else if (!st.firstDiff) st.firstDiff = c;
      if (side === 'exact' && !refExact) refExact = asFloat32(Buffer.from(bytes));
      return;
    }
    const img = asFloat32(bytes);
    const vc = checkFast(img, asFloat32(refC!), width);
    st.vsC = worseFast(st.vsC, vc);
    let pass = vc.pass;
    if (refExact) { const ve = checkFast(img, refExact, width); st.vsExact = worseFast(st.vsExact, ve); pass &&= ve.pass; }
    if (pass) st.passed++;
  };
  try {
    // warm-up (k = 0) and timed runs, alternating the sides
    for (let k = 0; k <= o.runs; k++) {
      for (const side of sides) {
        const st = state.get(side)!;
        if (!st.ok) continue;
        o.progress(`${where}: ${k === 0 ? 'warm-up' : `run ${k}/${o.runs}`} ${side}`);
        const r = await run(side, { tag: side });
        if (!r.ok) { fail(side, r, k === 0 ? 'the warm-up run' : `timed run ${k}`); if (side === 'C') break; continue; }
        if (k > 0) { st.runs.push(r.wall_ms); st.rss.push(r.max_rss_kb); if (r.user_s !== null && r.sys_s !== null) st.cpu.push(r.user_s + r.sys_s); }
        check(side, side);
      }
      if (!state.get('C')!.ok) break;
    }
    // start-up: one pixel, the same set-up and output files
    if (o.startup && state.get('C')!.ok) {
      for (let k = 1; k <= o.runs; k++) {
        for (const side of sides) {
          const st = state.get(side)!;
          if (!st.ok) continue;
          o.progress(`${where}: start-up ${k}/${o.runs} ${side}`);
          const r = await run(side, { roi: true, tag: `${side}-startup` });
          if (!r.ok) { fail(side, r, `start-up run ${k} (-roi 0 0 0 0)`); continue; }
          st.startup.push(r.wall_ms);
        }
      }
    }
    // the engine's own account of its time
    if (o.json && state.get('C')!.ok) {
      for (const side of sides) {
        const st = state.get(side)!;
        if (side === 'C' || !st.ok) continue;
        o.progress(`${where}: --json run ${side}`);
        const r = await run(side, { json: true, tag: `${side}-json` });
        if (!r.ok) { fail(side, r, 'the --json run'); continue; }
        check(side, `${side}-json`);
        try {
          const t = JSON.parse(readFileSync(join(dir, `${side}-json.out`), 'utf8')).timing_ms;
          if (t && typeof t === 'object') st.timing = Object.fromEntries(Object.entries(t).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
        } catch { /* no JSON summary: timing stays null */ }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // summaries and the checks' verdicts
  const c = state.get('C')!;
  const cMed = c.runs.length ? summarize(c.runs).median : null;
  const cStart = c.startup.length ? summarize(c.startup).median : null;
  const cCompute = cMed !== null && cStart !== null ? cMed - cStart : null;
  const results: SideResult[] = sides.map((side) => {
    const st = state.get(side)!;
    const w = st.runs.length ? summarize(st.runs) : null, su = st.startup.length ? summarize(st.startup) : null;
    const compute = w && su ? w.median - su.median : null;
    const rss = st.rss.filter((x): x is number => x !== null);
    const kind: SideChecks['kind'] = side === 'C' ? 'reproducible' : side === 'fast' ? 'bounds' : 'bit-identical';
    const checks: SideChecks = { kind, pass: st.checked > 0 && st.passed === st.checked, runs_checked: st.checked, runs_passed: st.passed };
    if (kind !== 'bounds') checks.first_difference = st.firstDiff;
    else { checks.vs_c = st.vsC; checks.vs_exact = st.vsExact; checks.bounds = FAST_BOUNDS; }
    if (st.checked > 0 && !checks.pass) failures.push({ kind: 'check', message: `${where}, ${side}: ${describeCheckFailure(checks)}` });
    return {
      side, command: [side === 'C' ? 'nanoBragg' : 'nanobragg-ts', ...sideArgs(def, side, { threads: o.threads, libm: o.libm, tag: side })],
      ok: st.ok, error: st.error,
      runs_ms: st.runs, median_ms: w?.median ?? null, min_ms: w?.min ?? null, max_ms: w?.max ?? null,
      rss_kb: st.rss, max_rss_kb: rss.length ? Math.max(...rss) : null,
      cpu_s: st.cpu.length ? summarize(st.cpu).median : null,
      startup: o.startup ? { runs_ms: st.startup, median_ms: su?.median ?? null, min_ms: su?.min ?? null, max_ms: su?.max ?? null } : null,
      compute_ms: compute,
      ratio: side === 'C' || !w || cMed === null ? null : w.median / cMed,
      ratio_compute: side === 'C' || compute === null || cCompute === null || cCompute <= 0 ? null : compute / cCompute,
      timing_ms: st.timing, checks,
    };
  });
  const k = counts as CellResult['c_counts'];
  const evals = (k?.fpixels ?? def.detpixels) * (k?.spixels ?? def.detpixels) * ((k?.oversample ?? def.oversample) ** 2) *
    (k?.sources ?? def.sources) * (k?.phisteps ?? def.phisteps) * (k?.mosaic ?? def.mosaic);
  return { threads: o.threads, evaluations: evals, c_counts: counts, sides: results, failures };
}

/** one line: what a failed check saw */
export function describeCheckFailure(c: SideChecks): string {
  const n = `${c.runs_checked - c.runs_passed} of ${c.runs_checked} runs`;
  if (c.kind === 'reproducible') {
    const d = c.first_difference;
    return `the C's image differs between runs (${n}${d ? `; ${d.differing} pixels, max ${d.maxUlp} ulp` : ''}): the C is not reproducible, nothing can be bit-identical to it`;
  }
  if (c.kind === 'bit-identical') {
    const d = c.first_difference;
    return `image not bit-identical to the C's in ${n}${d ? ` (${d.differing} of ${d.pixels} pixels differ, max ${d.maxUlp} ulp, first at slow ${d.firstDifferenceAt?.slow} fast ${d.firstDifferenceAt?.fast})` : ''}`;
  }
  const why = [...(c.vs_c && !c.vs_c.pass ? c.vs_c.reasons.map((r) => `vs C: ${r}`) : []), ...(c.vs_exact && !c.vs_exact.pass ? c.vs_exact.reasons.map((r) => `vs exact: ${r}`) : [])];
  return `outside its bounds in ${n}: ${why.join('; ')}`;
}
