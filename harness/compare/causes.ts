/**
 * Known causes of a difference between the engine and a C build: one per switchable entry of
 * the quirk catalogue (src/quirks/catalogue.ts). A suite's `known-diff` expectation names one,
 * and it holds only while the cause explains the difference:
 *
 *  1. the C build has the behaviour (from its fingerprint, harness/fingerprint; for
 *     C-PARITY-001 also from its own trace) while the engine, in this run, does not emulate it,
 *     or the build fixes it while the engine emulates it; so a difference is expected at all;
 *  2. the first divergence is the cause's signature (where in the computation chain, and at
 *     which evaluations, the cause acts), where the entry has one;
 *  3. the counterfactual passes every gate: the engine with the entry set as this C has it,
 *     run on the same arguments, matches the same C outputs (trace and image). So nothing
 *     else differs anywhere, traced pixel or not.
 *
 * Anything else (another first divergence, a gate failing where the cause cannot reach) makes
 * the test `regressed`.
 */
import type { ParsedTrace } from '../trace/parse.js';
import { detectCarryover, type FirstDivergence } from './traces.js';
import { CATALOGUE, type QuirkState } from '../../src/quirks/catalogue.js';
import type { Fingerprint } from '../fingerprint/run.js';

export type PhiMode = 'spec' | 'c-parity';

export interface KnownCause {
  id: string;
  title: string;
  /** does this C build have the behaviour? From its fingerprint, else (C-PARITY-001) its trace; null: cannot tell */
  presentInC(c: ParsedTrace, fp?: Fingerprint | null): boolean | null;
  /** engine arguments that set the entry as this C has it, when the engine's state in this run (`state`) differs from it; null when the cause cannot explain a difference */
  counterfactual(state: QuirkState, present: boolean): string[] | null;
  /** is the first divergence where and how this cause acts? */
  signature(div: FirstDivergence | null, c: ParsedTrace): { ok: boolean; detail: string };
}

/** The engine state of C-PARITY-001 in a φ mode. */
export const phiState = (mode: PhiMode): QuirkState => (mode === 'c-parity' ? 'c' : 'fixed');

function fromFingerprint(id: string, fp?: Fingerprint | null): boolean | null {
  if (!fp) return null;
  return fp.has.includes(id) ? true : fp.fixes.includes(id) ? false : null;
}

const parity: KnownCause = {
  id: 'C-PARITY-001',
  title: 'φ=0 reuses the last rotation its OpenMP thread computed',
  presentInC: (c, fp) => fromFingerprint('C-PARITY-001', fp) ?? detectCarryover(c, 'spec').detected,
  counterfactual: (state, present) => (state === 'fixed' && present ? ['--phi-carryover-mode', 'c-parity'] : state === 'c' && !present ? ['--phi-carryover-mode', 'spec'] : null),
  signature(div, c) {
    if (!div) return { ok: false, detail: 'no first divergence in the trace' };
    if (div.stage !== 'rotated lattice') return { ok: false, detail: `the first divergence is in the ${div.stage} stage (${div.quantity}), not the rotated lattice` };
    const phiTic = div.location.phi_tic ?? 0;
    const e = c.phi.find((x) => x.block === div.location.block && x.phi_tic === phiTic && x.source === (div.location.source ?? 0) && x.mos_tic === (div.location.mos_tic ?? 0));
    const deg = e?.values.phi_deg?.[0];
    if (deg !== 0) return { ok: false, detail: `the first divergence is at φ step ${phiTic} (φ=${deg}°), not at a φ=0 step` };
    return { ok: true, detail: `the first divergence is the rotated lattice at φ step ${phiTic} (φ=0°)` };
  },
};

/** Every other entry: the fingerprint says whether the build has it; the counterfactual decides (any first divergence, or none when only untraced pixels differ). */
function generic(id: string, title: string): KnownCause {
  return {
    id, title,
    presentInC: (_c, fp) => fromFingerprint(id, fp),
    counterfactual: (state, present) => (state === 'fixed' && present ? ['--quirk', `${id}=c`] : state === 'c' && !present ? ['--quirk', `${id}=fixed`] : null),
    signature: (div) => ({ ok: true, detail: div ? `the first divergence is ${div.quantity} (${div.stage} stage)` : 'the traced pixel agrees; the difference is elsewhere in the image' }),
  };
}

export const KNOWN_CAUSES: Record<string, KnownCause> = Object.fromEntries(
  CATALOGUE.filter((q) => q.switchable).map((q) => [q.id, q.id === 'C-PARITY-001' ? parity : generic(q.id, q.title)]),
);

/** The catalogue entry a free-text reason names (its id or an alias, as a word), or null. */
export function causeIn(reason: string): KnownCause | null {
  for (const q of CATALOGUE) {
    if (!q.switchable) continue;
    for (const name of [q.id, ...q.aliases]) if (new RegExp(`(^|[^A-Za-z0-9-])${name}($|[^A-Za-z0-9-])`).test(reason)) return KNOWN_CAUSES[q.id];
  }
  return null;
}
