/**
 * Known causes of a difference between the engine and a C build. A suite's `known-diff`
 * expectation names one, and it holds only while the cause explains the difference:
 *
 *  1. the C build shows the cause (from its own trace), so a difference is expected in this
 *     engine mode at all;
 *  2. the first divergence is the cause's signature (where in the computation chain, and at
 *     which evaluations, the cause acts);
 *  3. the counterfactual passes every gate: the engine with the cause emulated as this C has
 *     it, run on the same arguments, matches the same C outputs (trace and image). So nothing
 *     else differs anywhere, traced pixel or not.
 *
 * Anything else (another first divergence, a gate failing where the cause cannot reach) makes
 * the test `regressed`. One entry per cause; every future known cause is one more entry.
 */
import type { ParsedTrace } from '../trace/parse.js';
import { detectCarryover, type FirstDivergence } from './traces.js';

export type PhiMode = 'spec' | 'c-parity';

export interface KnownCause {
  id: string;
  title: string;
  /** does this C build have the behaviour (from its trace)? null: this run cannot tell */
  presentInC(c: ParsedTrace): boolean | null;
  /** engine arguments that emulate the C as it is, when this mode differs from it because of the cause; null when the cause cannot explain a difference in this mode */
  counterfactual(mode: PhiMode, present: boolean): string[] | null;
  /** is the first divergence where and how this cause acts? */
  signature(div: FirstDivergence | null, c: ParsedTrace): { ok: boolean; detail: string };
}

export const KNOWN_CAUSES: Record<string, KnownCause> = {
  'C-PARITY-001': {
    id: 'C-PARITY-001',
    title: 'φ=0 reuses the last rotation its OpenMP thread computed',
    presentInC: (c) => detectCarryover(c, 'spec').detected,
    counterfactual: (mode, present) => (mode === 'spec' && present ? ['--phi-carryover-mode', 'c-parity'] : mode === 'c-parity' && !present ? ['--phi-carryover-mode', 'spec'] : null),
    signature(div, c) {
      if (!div) return { ok: false, detail: 'no first divergence in the trace' };
      if (div.stage !== 'rotated lattice') return { ok: false, detail: `the first divergence is in the ${div.stage} stage (${div.quantity}), not the rotated lattice` };
      const phiTic = div.location.phi_tic ?? 0;
      const e = c.phi.find((x) => x.block === div.location.block && x.phi_tic === phiTic && x.source === (div.location.source ?? 0) && x.mos_tic === (div.location.mos_tic ?? 0));
      const deg = e?.values.phi_deg?.[0];
      if (deg !== 0) return { ok: false, detail: `the first divergence is at φ step ${phiTic} (φ=${deg}°), not at a φ=0 step` };
      return { ok: true, detail: `the first divergence is the rotated lattice at φ step ${phiTic} (φ=0°)` };
    },
  },
};

/** The catalogue entry a free-text reason names (its id as a word), or null. */
export function causeIn(reason: string): KnownCause | null {
  for (const id of Object.keys(KNOWN_CAUSES)) if (new RegExp(`(^|[^A-Za-z0-9-])${id}($|[^A-Za-z0-9-])`).test(reason)) return KNOWN_CAUSES[id];
  return null;
}
