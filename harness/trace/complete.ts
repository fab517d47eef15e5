/**
 * Is a parsed trace complete? For one traced pixel, a trace must hold exactly one entry for
 * every evaluation key its own declared loops imply, no duplicates, no extras:
 *
 *   full dialect (nbparity-instrumented C, engine):
 *     layers × sub-pixels × sources × φ steps × mosaic domains, minus the (block, source)
 *     pairs a TRACE_*_SKIP line accounts for (-dmin), every key once;
 *   golden dialect (the hoidn fork): layers × sub-pixels × φ steps for source 0, mosaic domain 0;
 *
 * plus one geometry block per (layer, sub-pixel) and the pixel's final lines. Anything else
 * is a TraceIncompleteError (exit 3) that names the first problems and the file.
 */
import { TraceIncompleteError } from '../contract.js';
import { phiKey, type Loops, type ParsedTrace } from './parse.js';

const GEOMETRY_NAMES = ['pix0_vector_meters', 'fdet_vec', 'sdet_vec', 'pixel_pos_meters', 'R_distance_meters', 'omega_pixel_sr', 'close_distance_meters',
  'obliquity_factor', 'diffracted_vec', 'incident_vec', 'lambda_meters', 'lambda_angstroms', 'scattering_vec_A_inv'];
const FINAL_REQUIRED = {
  full: ['I_before_scaling', 'r_e_meters', 'r_e_sqr', 'fluence_photons_per_m2', 'steps', 'oversample_thick', 'oversample_polar', 'oversample_omega',
    'capture_fraction', 'polar', 'omega_pixel', 'cos_2theta', 'I_pixel_final', 'floatimage_accumulated'],
  golden: ['I_pixel_final'],
};

/** Largest loop product the harness accepts from a trace's declaration (a garbage count is not a plan). */
const MAX_EVALUATIONS = 50_000_000;

export interface CompletenessReport { dialect: 'full' | 'golden'; loops: Loops; loops_from: 'trace' | 'banner'; blocks: number; expected_entries: number; entries: number; skipped: number }

/** Throws TraceIncompleteError unless `t` is complete; returns what was checked. */
export function checkComplete(t: ParsedTrace, who: string, file: string): CompletenessReport {
  const fail = (problem: string): never => { throw new TraceIncompleteError(`the ${who} trace (${file}) is incomplete: ${problem}`); };
  if (t.dialect !== 'full' && t.dialect !== 'golden') fail(t.phi.length === 0 ? 'it has no per-φ lines' : `its per-φ lines are in the ${t.dialect} dialect, which the harness does not compare`);
  const dialect = t.dialect as 'full' | 'golden';
  if (!t.loops || !t.loops_from) return fail('it does not say its loop counts (no TRACE_*_LOOPS line and no nanoBragg banner with layers, oversample, sources, mosaic domains and φ steps)');
  const L = t.loops;
  for (const [k, v] of Object.entries(L)) if (!(Number.isInteger(v) && v >= 1)) fail(`declared ${k} = ${v}`);
  const blocks = L.thicksteps * L.oversample * L.oversample;
  const sources = dialect === 'full' ? L.sources : 1, mos = dialect === 'full' ? L.mosaic_domains : 1;
  if (blocks * sources * L.phisteps * mos > MAX_EVALUATIONS) fail(`declared loops imply ${blocks * sources * L.phisteps * mos} evaluations for one pixel`);

  // geometry blocks and final lines
  if (t.blocks.length !== blocks) fail(`${t.blocks.length} sub-pixel geometry blocks, expected ${blocks} (layers ${L.thicksteps} × sub-pixels ${L.oversample}²)`);
  if (dialect === 'full') {
    for (const b of t.blocks) {
      const missing = GEOMETRY_NAMES.filter((n) => !(n in b.values));
      if (missing.length) fail(`sub-pixel block ${b.block} (line ${b.line}) lacks ${missing.join(', ')}`);
    }
  }
  const finalMissing = FINAL_REQUIRED[dialect].filter((n) => !(n in t.final));
  if (finalMissing.length) fail(`the pixel's final lines lack ${finalMissing.join(', ')} (cut short?)`);

  // skips (full dialect only)
  const skipped = new Set<string>();
  for (const s of t.skips) {
    const key = `${s.block}/${s.source}`;
    if (dialect !== 'full' || s.block < 0 || s.block >= blocks || s.source >= L.sources) fail(`line ${s.line}: a skip of (block ${s.block}, source ${s.source}) outside the declared loops`);
    if (skipped.has(key)) fail(`line ${s.line}: (block ${s.block}, source ${s.source}) is skipped twice`);
    skipped.add(key);
  }

  // per-φ entries: each in range, each once, none for a skipped (block, source)
  const seen = new Map<string, number>();
  const problems: string[] = [];
  for (const e of t.phi) {
    const key = phiKey(e);
    if (e.block >= blocks || e.source >= sources || e.mos_tic >= mos || e.phi_tic >= L.phisteps) problems.push(`line ${e.line}: entry ${key} is outside the declared loops (extra)`);
    else if (skipped.has(`${e.block}/${e.source}`)) problems.push(`line ${e.line}: entry ${key} belongs to a skipped (block, source) (extra)`);
    else if (seen.has(key)) problems.push(`line ${e.line}: entry ${key} duplicates line ${seen.get(key)}`);
    else seen.set(key, e.line);
    if (problems.length >= 3) break;
  }
  const expected = blocks * sources * L.phisteps * mos - skipped.size * L.phisteps * mos;
  if (!problems.length && seen.size !== expected) {
    // name the first missing keys, in loop order
    outer: for (let b = 0; b < blocks; b++) for (let s = 0; s < sources; s++) {
      if (skipped.has(`${b}/${s}`)) continue;
      for (let p = 0; p < L.phisteps; p++) for (let m = 0; m < mos; m++) {
        const key = phiKey({ block: b, source: s, mos_tic: m, phi_tic: p });
        if (!seen.has(key)) { problems.push(`entry ${key} is missing`); if (problems.length >= 3) break outer; }
      }
    }
  }
  if (problems.length) fail(`${problems.join('; ')} (key = block/source/mos_tic/phi_tic; ${seen.size} valid of ${expected} expected entries)`);
  return { dialect, loops: L, loops_from: t.loops_from, blocks, expected_entries: expected, entries: seen.size, skipped: skipped.size };
}
