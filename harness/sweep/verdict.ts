/**
 * Is a gap against the C roundoff or logic? One rule, applied per traced quantity and φ mode:
 *
 *   Δ64 = the largest difference between the float64 engine and the C
 *   Δ32 = the same for the float32 engine
 *   r   = Δ32 / Δ64   (the ratio that decides; ∞ when Δ64 is exactly 0)
 *
 *   clean              Δ64 ≤ τ and Δ32 ≤ τ
 *   precision-limited  otherwise, when r ≥ 10: the gap shrinks by an order of magnitude or
 *                      more in float64, i.e. it is what float32 roundoff does (and it is of the
 *                      size of the engine's own float32-vs-float64 difference)
 *   logic-limited      otherwise (r < 10): the gap stays at the same order in float64, so more
 *                      precision does not remove it: the computation differs
 *
 * Differences are absolute for the fractional Miller indices and the rotated vectors (Å),
 * as VG-1 judges them, and relative to the size of the vector they belong to for everything
 * else; τ defaults to 1e-6 for both.
 */
import type { ParsedTrace } from '../trace/parse.js';
import { pairPhi, traceDeltas, type QuantityDelta } from '../compare/traces.js';

export type Verdict = 'clean' | 'precision-limited' | 'logic-limited' | 'libm-limited' | 'undetermined';
export const RATIO_THRESHOLD = 10;

export const ABSOLUTE_QUANTITIES = new Set(['h_frac', 'k_frac', 'l_frac', 'hkl_frac', 'rot_a', 'rot_b', 'rot_c', 'rot_a_angstroms', 'rot_b_angstroms', 'rot_c_angstroms']);
export interface SweepTolerance { abs: number; rel: number }
export const DEFAULT_SWEEP_TOLERANCE: SweepTolerance = { abs: 1e-6, rel: 1e-6 };

export const RULE_TEXT = `Per quantity and φ mode, with Δ64 and Δ32 the largest differences between the C and the float64 and float32 engine, and r = Δ32/Δ64: ` +
  `clean when both are within tolerance; otherwise precision-limited when r ≥ ${RATIO_THRESHOLD} (float64 shrinks the gap by an order of magnitude or more: float32 roundoff), ` +
  `logic-limited when r < ${RATIO_THRESHOLD} (the gap stays at the same order in float64: the computation differs). ` +
  `A float64 gap that the engine run with the C's own libm closes, when the same math-function argument gave different bits on the two sides, is libm-limited instead. ` +
  `Differences are absolute for fractional hkl and rotated vectors (Å), relative to the vector's size otherwise.`;

export interface QuantityGap { value: number; at: { pixel: [number, number]; block: number; phi_tic?: number } | null; kind: 'abs' | 'rel' }

/** The largest difference of every quantity between `ref` and `test` traces, over all pixels. */
export function gaps(ref: ParsedTrace[], test: ParsedTrace[]): Map<string, QuantityGap> {
  const out = new Map<string, QuantityGap>();
  for (const r of ref) {
    const t = test.find((x) => x.pixel && r.pixel && x.pixel.slow === r.pixel.slow && x.pixel.fast === r.pixel.fast) ?? (ref.length === 1 && test.length === 1 ? test[0] : undefined);
    if (!t) throw new Error(`no trace of pixel (${r.pixel?.slow}, ${r.pixel?.fast}) on the compared side`);
    const d = traceDeltas(r, t, pairPhi(r, t).pairs);
    const all: QuantityDelta[] = [...d.per_pixel, ...d.per_phi, ...d.final];
    for (const q of all) {
      const kind = ABSOLUTE_QUANTITIES.has(q.name) ? 'abs' : 'rel';
      const value = kind === 'abs' ? q.max_abs : q.max_rel;
      const prev = out.get(q.name);
      if (!prev || value > prev.value || Number.isNaN(value)) {
        out.set(q.name, { value, kind, at: { pixel: [r.pixel?.slow ?? -1, r.pixel?.fast ?? -1], block: q.at.block, phi_tic: q.at.phi_tic } });
      }
    }
  }
  return out;
}

export interface QuantityVerdict {
  quantity: string; kind: 'abs' | 'rel'; tolerance: number;
  delta_float64: number | null; delta_float32: number | null;
  /** Δ32/Δ64; null when Δ64 is 0 (infinite) or a dtype is missing */
  ratio: number | null; ratio_infinite: boolean;
  /** the engine's own float32-vs-float64 difference */
  delta_float32_vs_float64: number | null;
  verdict: Verdict; reason: string;
}

export function classify(q: string, kind: 'abs' | 'rel', tol: SweepTolerance, d64: number | undefined, d32: number | undefined, d3264: number | undefined): QuantityVerdict {
  const tau = kind === 'abs' ? tol.abs : tol.rel;
  const base = { quantity: q, kind, tolerance: tau, delta_float64: d64 ?? null, delta_float32: d32 ?? null, delta_float32_vs_float64: d3264 ?? null };
  if (d64 === undefined || d32 === undefined) {
    const only = d64 ?? d32;
    if (only !== undefined && only <= tau) return { ...base, ratio: null, ratio_infinite: false, verdict: 'clean', reason: `within ${tau} (one dtype only)` };
    return { ...base, ratio: null, ratio_infinite: false, verdict: 'undetermined', reason: 'needs both float32 and float64 to decide' };
  }
  const infinite = d64 === 0 && d32 > 0;
  const ratio = d64 === 0 ? (d32 === 0 ? 1 : null) : d32 / d64;
  if (d64 <= tau && d32 <= tau) return { ...base, ratio, ratio_infinite: infinite, verdict: 'clean', reason: `both within ${tau}` };
  const r = infinite ? Infinity : (ratio ?? 1);
  if (r >= RATIO_THRESHOLD) {
    return { ...base, ratio, ratio_infinite: infinite, verdict: 'precision-limited', reason: `float64 ${fmtNum(d64)} vs float32 ${fmtNum(d32)}: r = ${infinite ? '∞' : fmtNum(r)} ≥ ${RATIO_THRESHOLD}` + (d64 > tau ? ` (float64 still beyond ${tau})` : '') };
  }
  return { ...base, ratio, ratio_infinite: infinite, verdict: 'logic-limited', reason: `float64 ${fmtNum(d64)} vs float32 ${fmtNum(d32)}: r = ${fmtNum(r)} < ${RATIO_THRESHOLD}, the gap stays in float64` };
}

export function fmtNum(x: number): string { return x === 0 ? '0' : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(2); }

/**
 * libm-limited: a quantity's float64 gap that the math library alone causes. Given the libm
 * diagnosis of the float64 cell (harness/compare/libm.ts: the same argument gave different
 * bits on the two sides) and the gaps of the counterfactual float64 cell run with the C's own
 * libm, every quantity beyond tolerance whose counterfactual gap is within tolerance becomes
 * libm-limited; a quantity the C's libm does not close keeps its verdict (logic stays logic).
 */
export function applyLibm(list: QuantityVerdict[], cf: Map<string, QuantityGap> | null, why: string | null): QuantityVerdict[] {
  if (!cf || !why) return list;
  return list.map((q) => {
    if (q.verdict === 'clean' || q.delta_float64 === null || q.delta_float64 <= q.tolerance) return q;
    const g = cf.get(q.quantity);
    if (!g || !(g.value <= q.tolerance)) return q;
    return { ...q, verdict: 'libm-limited', reason: `float64 ${fmtNum(q.delta_float64)}, ${fmtNum(g.value)} with the C's own libm: ${why}` };
  });
}

/** Verdicts for one φ mode, from the C traces and the engine traces in each dtype (all pixels). */
export function verdicts(c: ParsedTrace[], f64: ParsedTrace[] | null, f32: ParsedTrace[] | null, tol: SweepTolerance = DEFAULT_SWEEP_TOLERANCE): QuantityVerdict[] {
  const g64 = f64 ? gaps(c, f64) : new Map<string, QuantityGap>();
  const g32 = f32 ? gaps(c, f32) : new Map<string, QuantityGap>();
  const g3264 = f64 && f32 ? gaps(f64, f32) : new Map<string, QuantityGap>();
  const names = [...new Set([...g64.keys(), ...g32.keys()])];
  return names.map((n) => {
    const kind = (g64.get(n) ?? g32.get(n))!.kind;
    return classify(n, kind, tol, g64.get(n)?.value, g32.get(n)?.value, g3264.get(n)?.value);
  });
}
