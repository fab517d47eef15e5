/**
 * Replay: the engine against the recorded nanoBragg.c references (no C needed).
 * For every case and every recorded image (φ mode, C thread count) run the engine through
 * its public API and compare images with the parity gates.
 */
import { join } from 'node:path';
import { simulate } from '../src/index.js';
import { InputError } from './contract.js';
import { diffImages, type ImageDiff } from './metrics/image.js';
import { absoluteArgs, imageKey, loadCases, readFloatImage, verifyReference, type ReferenceCase } from './reference/cases.js';

export interface ImageGate {
  minIdentical: number; ulpTol: number; relTol: number; minCorrelation: number;
  /** optional bounds on sum(engine)/sum(C) and on max |Δ| */
  sumRatioMin?: number; sumRatioMax?: number; maxAbs?: number;
}
export const DEFAULT_IMAGE_GATE: ImageGate = { minIdentical: 0.999, ulpTol: 2, relTol: 1e-6, minCorrelation: 0.9999999 };

export interface ReplayRow {
  case: string; image: string; mode: 'spec' | 'c-parity'; threads: number; dtype: 'float64' | 'float32';
  diff: ImageDiff; pass: boolean; ms: number;
}

export function gatePasses(d: ImageDiff, g: ImageGate): boolean {
  // every pixel finite on both sides (NaN on both is not agreement), then the bounds
  return d.nonFiniteA === 0 && d.nonFiniteB === 0 && d.identicalFraction >= g.minIdentical && d.outside === 0 && d.correlation >= g.minCorrelation &&
    (g.sumRatioMin === undefined || d.sumRatio >= g.sumRatioMin) && (g.sumRatioMax === undefined || d.sumRatio <= g.sumRatioMax) &&
    (g.maxAbs === undefined || d.maxAbs <= g.maxAbs);
}

export function replayCase(c: ReferenceCase, opts: { dtype?: 'float64' | 'float32'; gate?: ImageGate } = {}): ReplayRow[] {
  const dtype = opts.dtype ?? 'float64';
  const gate = opts.gate ?? DEFAULT_IMAGE_GATE;
  const rows: ReplayRow[] = [];
  for (const [key, file] of Object.entries(c.images)) {
    const { mode, threads } = imageKey(key);
    const t0 = performance.now();
    const { image } = simulate([...absoluteArgs(c), '--phi-carryover-mode', mode, '--c-threads', String(threads), '--dtype', dtype]);
    const ms = performance.now() - t0;
    verifyReference(c, [file]); // a corrupt recorded image is exit 2, never a comparison
    const ref = readFloatImage(join(c.dir, file));
    if (ref.length !== image.length) throw new InputError(`corrupt reference ${c.dir}: ${file} holds ${ref.length} pixels, the case implies ${image.length}`);
    const diff = diffImages(image, ref, { ulpTol: gate.ulpTol, relTol: gate.relTol });
    rows.push({ case: c.id, image: file, mode, threads, dtype, diff, pass: gatePasses(diff, gate), ms });
  }
  return rows;
}

export function replayAll(opts: { only?: string[]; dtype?: 'float64' | 'float32'; onRow?: (r: ReplayRow) => void } = {}): ReplayRow[] {
  const cases = loadCases().filter((c) => !opts.only || opts.only.includes(c.id));
  const missing = (opts.only ?? []).filter((id) => !cases.some((c) => c.id === id));
  if (missing.length) throw new InputError(`no recorded reference named ${missing.join(', ')}`);
  const rows: ReplayRow[] = [];
  for (const c of cases) for (const r of replayCase(c, { dtype: opts.dtype })) { rows.push(r); opts.onRow?.(r); }
  return rows;
}
