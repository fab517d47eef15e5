/**
 * Comparing two parsed traces (reference C vs engine): pairing per-φ entries by their loop
 * indices, per-quantity deltas, the VG-1 gate, the first divergence along the computation
 * chain, and C-PARITY-001 detection.
 */
import { phiKey, type ParsedTrace, type PhiEntry } from '../trace/parse.js';

export interface PhiPair { key: string; block: number; source: number; mos_tic: number; phi_tic: number; c: PhiEntry; ts: PhiEntry }

export interface Pairing {
  pairs: PhiPair[];
  /** C entries the engine did not trace (first few keys), and how many */
  missing: string[]; missing_count: number;
  /** paired entries whose φ angles differ (first few), and how many */
  angle_mismatches: string[]; angle_mismatch_count: number;
}

/**
 * Pair per-φ entries by (block, source, mos_tic, phi_tic). Every C entry needs an engine
 * entry with the same key and the same φ angle; the engine may trace more (the golden fork
 * prints only source 0, mosaic domain 0). What does not pair is reported, for the
 * evaluation-grid gate, never dropped silently.
 */
export function pairPhi(c: ParsedTrace, ts: ParsedTrace): Pairing {
  const byKey = new Map(ts.phi.map((e) => [phiKey(e), e]));
  const out: Pairing = { pairs: [], missing: [], missing_count: 0, angle_mismatches: [], angle_mismatch_count: 0 };
  for (const e of c.phi) {
    const t = byKey.get(phiKey(e));
    if (!t) { if (out.missing.length < 3) out.missing.push(phiKey(e)); out.missing_count++; continue; }
    const cd = e.values.phi_deg?.[0], td = t.values.phi_deg?.[0];
    if (cd === undefined || td === undefined || !(Math.abs(cd - td) <= 1e-6 * Math.max(1, Math.abs(cd)))) { // float32 engines round φ
      if (out.angle_mismatches.length < 3) out.angle_mismatches.push(`phi_tic ${e.phi_tic}: C φ=${cd}°, engine φ=${td}°`);
      out.angle_mismatch_count++;
    }
    out.pairs.push({ key: phiKey(e), block: e.block, source: e.source, mos_tic: e.mos_tic, phi_tic: e.phi_tic, c: e, ts: t });
  }
  return out;
}

/** |a−b| against the size of the quantity: a vector's components are judged against its norm. */
function norm(v: number[]): number { return Math.sqrt(v.reduce((s, x) => s + x * x, 0)); }

export interface Location { block: number; source?: number; mos_tic?: number; phi_tic?: number }
export interface QuantityDelta {
  name: string; components: number;
  max_abs: number; max_rel: number;
  /** where the largest absolute difference is */
  at: Location & { component: number; c: number; ts: number };
  /** per φ step: the largest absolute difference over blocks, sources and domains (per-φ quantities) */
  per_phi_step?: Array<{ phi_tic: number; max_abs: number }>;
  compared: number;
}

function deltaOf(name: string, items: Array<{ loc: Location; c: number[]; ts: number[] }>): QuantityDelta | null {
  let maxAbs = -1, maxRel = 0, at: QuantityDelta['at'] | null = null, compared = 0, components = 0;
  const perStep = new Map<number, number>();
  for (const { loc, c, ts } of items) {
    if (!ts || ts.length !== c.length) continue;
    components = c.length;
    const scale = Math.max(norm(c), norm(ts));
    for (let i = 0; i < c.length; i++) {
      // a non-finite value on either side is a non-finite difference (NaN), and it dominates
      const finite = Number.isFinite(c[i]) && Number.isFinite(ts[i]);
      const abs = finite ? Math.abs(c[i] - ts[i]) : c[i] === ts[i] ? 0 : NaN;
      const rel = abs === 0 ? 0 : scale === 0 || !finite ? (finite ? Infinity : NaN) : abs / scale;
      compared++;
      if (!finite && !Number.isNaN(maxAbs) && c[i] !== ts[i]) { maxAbs = NaN; maxRel = NaN; at = { ...loc, component: i, c: c[i], ts: ts[i] }; }
      if (!Number.isNaN(maxAbs) && abs > maxAbs) { maxAbs = abs; at = { ...loc, component: i, c: c[i], ts: ts[i] }; }
      if (!Number.isNaN(maxRel) && rel > maxRel) maxRel = rel;
      if (loc.phi_tic !== undefined) { const prev = perStep.get(loc.phi_tic) ?? 0; perStep.set(loc.phi_tic, Number.isNaN(prev) || Number.isNaN(abs) ? NaN : Math.max(prev, abs)); }
    }
  }
  if (!at) return null;
  const out: QuantityDelta = { name, components, max_abs: maxAbs, max_rel: maxRel, at, compared };
  if (perStep.size) out.per_phi_step = [...perStep.entries()].sort((a, b) => a[0] - b[0]).map(([phi_tic, max_abs]) => ({ phi_tic, max_abs }));
  return out;
}

export interface TraceDeltas { per_pixel: QuantityDelta[]; final: QuantityDelta[]; per_phi: QuantityDelta[] }

const PHI_SKIP = new Set(['phi_deg']);

export function traceDeltas(c: ParsedTrace, ts: ParsedTrace, pairs: PhiPair[]): TraceDeltas {
  const perPixelNames = new Set<string>();
  for (const b of c.blocks) for (const n of Object.keys(b.values)) perPixelNames.add(n);
  const per_pixel = [...perPixelNames].map((n) => deltaOf(n, c.blocks.map((b) => ({ loc: { block: b.block }, c: b.values[n], ts: ts.blocks[b.block]?.values[n] })).filter((x) => x.c))).filter((x): x is QuantityDelta => x !== null);
  const final = Object.keys(c.final).map((n) => deltaOf(n, [{ loc: { block: -1 }, c: c.final[n], ts: ts.final[n] }])).filter((x): x is QuantityDelta => x !== null);
  const phiNames = new Set<string>();
  for (const p of pairs) for (const n of Object.keys(p.c.values)) if (!PHI_SKIP.has(n) && n in p.ts.values) phiNames.add(n);
  const per_phi = [...phiNames].map((n) => deltaOf(n, pairs.filter((p) => p.c.values[n]).map((p) => ({ loc: { block: p.block, source: p.source, mos_tic: p.mos_tic, phi_tic: p.phi_tic }, c: p.c.values[n], ts: p.ts.values[n] })))).filter((x): x is QuantityDelta => x !== null);
  return { per_pixel, final, per_phi };
}

// ---------------------------------------------------------------------------------------
// VG-1

export interface Vg1Tolerance { k_frac: number; rot_b_y: number }
export const DEFAULT_VG1: Record<'spec' | 'c-parity', Vg1Tolerance> = { spec: { k_frac: 1e-6, rot_b_y: 1e-6 }, 'c-parity': { k_frac: 1e-6, rot_b_y: 1e-6 } };

export interface NonFinite { count: number; first: (Location & { c: number; ts: number }) | null }
export interface Vg1Quantity { max_abs: number; worst: Location | null; steps: number; pass: boolean; non_finite: NonFinite }
export interface Vg1Result {
  mode: 'spec' | 'c-parity'; tolerances: Vg1Tolerance; pass: boolean;
  k_frac: Vg1Quantity;
  rot_b_y: Vg1Quantity & { source: 'per-phi' | 'phi0-block' | 'none' };
}

/** Largest |Δ| over finite pairs; a NaN or infinity on either side makes max_abs NaN and fails the gate. */
function gateOf(items: Array<{ loc: Location; c: number; ts: number }>, tol: number): Vg1Quantity {
  let max = 0, worst: Location | null = null;
  const nf: NonFinite = { count: 0, first: null };
  for (const { loc, c, ts } of items) {
    if (!Number.isFinite(c) || !Number.isFinite(ts)) { if (!nf.first) nf.first = { ...loc, c, ts }; nf.count++; continue; }
    const d = Math.abs(c - ts);
    if (worst === null || d > max) { max = Math.max(max, d); worst = loc; }
  }
  const steps = items.length;
  return { max_abs: nf.count ? NaN : max, worst: nf.count ? nf.first : worst, steps, pass: steps > 0 && nf.count === 0 && max <= tol, non_finite: nf };
}

/** VG-1: |Δk_frac| and |Δrot_b_y| (Å) within tolerance at every φ step, every value finite on both sides. */
export function vg1(c: ParsedTrace, ts: ParsedTrace, pairs: PhiPair[], mode: 'spec' | 'c-parity', tol: Vg1Tolerance): Vg1Result {
  const k: Array<{ loc: Location; c: number; ts: number }> = [], b: typeof k = [];
  for (const p of pairs) {
    const loc = { block: p.block, source: p.source, mos_tic: p.mos_tic, phi_tic: p.phi_tic };
    const ck = p.c.values.k_frac?.[0], tk = p.ts.values.k_frac?.[0];
    if (ck !== undefined && tk !== undefined) k.push({ loc, c: ck, ts: tk });
    const cb = p.c.values.rot_b?.[1], tb = p.ts.values.rot_b?.[1];
    if (cb !== undefined && tb !== undefined) b.push({ loc, c: cb, ts: tb });
  }
  let source: Vg1Result['rot_b_y']['source'] = b.length ? 'per-phi' : 'none';
  if (!b.length) {
    // the golden fork prints the rotated b only at phi_tic 0 of each block
    for (const blk of c.blocks) {
      const cb = blk.values.rot_b_angstroms?.[1], tb = ts.blocks[blk.block]?.values.rot_b_angstroms?.[1];
      if (cb === undefined || tb === undefined) continue;
      source = 'phi0-block';
      b.push({ loc: { block: blk.block, phi_tic: 0, source: 0, mos_tic: 0 }, c: cb, ts: tb });
    }
  }
  const kq = gateOf(k, tol.k_frac), bq = gateOf(b, tol.rot_b_y);
  return { mode, tolerances: tol, pass: kq.pass && bq.pass, k_frac: kq, rot_b_y: { ...bq, source } };
}

// ---------------------------------------------------------------------------------------
// first divergence along the computation chain

export const CHAIN: Array<{ stage: string; perPixel: string[]; perPhi: string[]; final: string[] }> = [
  { stage: 'detector geometry', perPixel: ['pix0_vector_meters', 'fdet_vec', 'sdet_vec', 'close_distance_meters'], perPhi: [], final: [] },
  { stage: 'pixel position', perPixel: ['pixel_pos_meters', 'R_distance_meters', 'omega_pixel_sr', 'obliquity_factor'], perPhi: [], final: [] },
  { stage: 'scattering vector', perPixel: ['incident_vec', 'lambda_meters', 'diffracted_vec', 'scattering_vec_A_inv'], perPhi: [], final: [] },
  { stage: 'rotated lattice', perPixel: ['rot_a_angstroms', 'rot_b_angstroms', 'rot_c_angstroms'], perPhi: ['rot_a', 'rot_b', 'rot_c', 'rot_a_star', 'rot_b_star', 'rot_c_star'], final: [] },
  { stage: 'fractional hkl', perPixel: ['hkl_frac'], perPhi: ['h_frac', 'k_frac', 'l_frac'], final: [] },
  { stage: 'lattice factor', perPixel: ['F_latt_a', 'F_latt_b', 'F_latt_c', 'F_latt'], perPhi: ['F_latt_a', 'F_latt_b', 'F_latt_c', 'F_latt'], final: [] },
  { stage: 'structure factor F_cell', perPixel: ['F_cell'], perPhi: ['F_cell'], final: [] },
  { stage: 'intensity', perPixel: [], perPhi: ['I_contribution'], final: ['I_before_scaling'] },
  { stage: 'scaling', perPixel: [], perPhi: [], final: ['r_e_sqr', 'fluence_photons_per_m2', 'steps', 'capture_fraction', 'polar', 'omega_pixel'] },
  { stage: 'pixel value', perPixel: [], perPhi: [], final: ['I_pixel_final', 'floatimage_accumulated'] },
];

export interface DivergenceTolerance { rel: number }
export const DEFAULT_DIVERGENCE: DivergenceTolerance = { rel: 1e-9 };

export interface FirstDivergence {
  stage: string; quantity: string; component: number; location: Location;
  c: number; ts: number; abs: number; rel: number; sentence: string;
}

const COMPONENT = ['x', 'y', 'z'];

function firstOutOfTol(c: number[], ts: number[] | undefined, tol: DivergenceTolerance): { i: number; abs: number; rel: number } | null {
  if (!ts || ts.length !== c.length) return null;
  const scale = Math.max(norm(c), norm(ts));
  for (let i = 0; i < c.length; i++) {
    if (c[i] === ts[i] || (Number.isNaN(c[i]) && Number.isNaN(ts[i]))) continue; // equal, infinities included
    const abs = Math.abs(c[i] - ts[i]);
    const rel = abs === 0 ? 0 : scale === 0 ? Infinity : abs / scale;
    if (!(rel <= tol.rel)) return { i, abs: Number.isNaN(abs) ? Infinity : abs, rel };
  }
  return null;
}

/** Walk the chain in computation order; name the first quantity (and φ step) out of tolerance. */
export function firstDivergence(c: ParsedTrace, ts: ParsedTrace, pairs: PhiPair[], tol: DivergenceTolerance = DEFAULT_DIVERGENCE): FirstDivergence | null {
  const ordered = [...pairs].sort((a, b) => a.block - b.block || a.source - b.source || a.phi_tic - b.phi_tic || a.mos_tic - b.mos_tic);
  for (const stage of CHAIN) {
    let best: FirstDivergence | null = null;
    const consider = (quantity: string, cv: number[], tv: number[] | undefined, loc: Location, order: number[]) => {
      const hit = firstOutOfTol(cv, tv, tol);
      if (!hit) return;
      const cand: FirstDivergence & { order: number[] } = {
        stage: stage.stage, quantity, component: hit.i, location: loc, c: cv[hit.i], ts: tv![hit.i], abs: hit.abs, rel: hit.rel, sentence: '', order,
      };
      if (!best || lexLess(order, (best as FirstDivergence & { order: number[] }).order)) best = cand;
    };
    // per-pixel block quantities happen at phi_tic 0 of their block
    for (const b of c.blocks) for (const q of stage.perPixel) if (b.values[q]) consider(q, b.values[q], ts.blocks[b.block]?.values[q], { block: b.block, phi_tic: 0 }, [b.block, 0, 0, 0, stage.perPixel.indexOf(q)]);
    for (const p of ordered) for (const q of stage.perPhi) if (p.c.values[q]) consider(q, p.c.values[q], p.ts.values[q], { block: p.block, source: p.source, mos_tic: p.mos_tic, phi_tic: p.phi_tic }, [p.block, p.source, p.phi_tic, p.mos_tic, 100 + stage.perPhi.indexOf(q)]);
    for (const q of stage.final) if (c.final[q]) consider(q, c.final[q], ts.final[q], { block: -1 }, [1e9, 0, 0, 0, stage.final.indexOf(q)]);
    if (best) {
      const d = best as FirstDivergence & { order?: number[] };
      delete d.order;
      d.sentence = divergenceSentence(d, tol);
      return d;
    }
  }
  return null;
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

function divergenceSentence(d: FirstDivergence, tol: DivergenceTolerance): string {
  const comp = d.component < 3 && ['rot', 'vec', 'vector', 'pos', 'hkl_frac', 'angstroms', 'meters', 'A_inv', 'star'].some((s) => d.quantity.includes(s)) ? `[${COMPONENT[d.component]}]` : d.component ? `[${d.component}]` : '';
  const where = d.location.block < 0 ? 'after all loops' :
    d.location.phi_tic !== undefined ? `at φ step ${d.location.phi_tic}` + (d.location.source !== undefined ? ` (sub-pixel block ${d.location.block}, source ${d.location.source}, mosaic domain ${d.location.mos_tic})` : ` (sub-pixel block ${d.location.block})`) : `in sub-pixel block ${d.location.block}`;
  const size = Number.isFinite(d.c) && Number.isFinite(d.ts) ? `|Δ| ${d.abs.toExponential(3)}, ${d.rel.toExponential(2)} relative` : 'not finite';
  return `First divergence: ${d.stage}, ${d.quantity}${comp} ${where}: C ${d.c} vs engine ${d.ts} (${size}; tolerance ${tol.rel} relative).`;
}

// ---------------------------------------------------------------------------------------
// C-PARITY-001

export interface CarryoverResult { detected: boolean | null; evidence: string; sentence: string; matching_mode: 'spec' | 'c-parity' | null }

/** Does the C's φ=0 step reuse its last φ step's rotation (C-PARITY-001)? */
export function detectCarryover(c: ParsedTrace, engineMode: 'spec' | 'c-parity'): CarryoverResult {
  const groups = new Map<string, PhiEntry[]>();
  for (const e of c.phi) {
    const k = `${e.block}/${e.source}/${e.mos_tic}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(e);
  }
  for (const entries of groups.values()) {
    entries.sort((a, b) => a.phi_tic - b.phi_tic);
    if (entries.length < 2) continue;
    const first = entries[0], last = entries[entries.length - 1];
    const d0 = first.values.phi_deg?.[0], dl = last.values.phi_deg?.[0];
    if (d0 !== 0 || dl === undefined || dl === 0) continue;
    const field = first.values.rot_a && last.values.rot_a ? 'rot_a' : 'k_frac';
    const eq = (first.values[field] ?? []).length > 0 && first.values[field].every((v, i) => v === last.values[field][i]);
    const deg = Number(dl.toPrecision(12));
    const evidence = `${field} at φ step 0 (φ=0°) ${eq ? 'equals' : 'differs from'} ${field} at φ step ${last.phi_tic} (φ=${deg}°) in block ${first.block}`;
    if (eq) {
      return {
        detected: true, evidence, matching_mode: 'c-parity',
        sentence: `This C build has C-PARITY-001: its φ=0 step reuses the φ=${deg}° rotation (${evidence}); the engine's c-parity mode matches it` +
          (engineMode === 'spec' ? ', spec mode does not.' : '.'),
      };
    }
    return {
      detected: false, evidence, matching_mode: 'spec',
      sentence: `This C build rotates φ=0 freshly (no C-PARITY-001 at this pixel: ${evidence}); the engine's spec mode matches it` +
        (engineMode === 'c-parity' ? ', c-parity mode does not (unless the pixel starts an OpenMP chunk).' : '.'),
    };
  }
  return { detected: null, evidence: 'no φ sweep that starts at φ=0 with more than one step', sentence: 'C-PARITY-001 cannot show in this run (it needs φ0 = 0 and more than one φ step).', matching_mode: null };
}
