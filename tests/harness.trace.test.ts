/**
 * Trace parsing, pairing, deltas, VG-1, first divergence and C-PARITY-001 detection, on
 * the recorded C traces (real nanoBragg.c output) and on controlled edits of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/index.js';
import { absoluteArgs, loadCase, referenceRoot } from '../harness/reference/cases.js';
import { parseTrace, parseTraces, phiKey, traceOfPixel, TraceParseError, type ParsedTrace } from '../harness/trace/parse.js';
import { detectCarryover, firstDivergence, pairPhi, traceDeltas, vg1, DEFAULT_VG1 } from '../harness/compare/traces.js';
import { validate, SchemaError } from '../harness/schemas/validate.js';
import { checkComplete } from '../harness/trace/complete.js';

const root = referenceRoot();
const read = (c: string, f: string) => readFileSync(join(root, c, f), 'utf8');
function engineTrace(id: string, mode: 'spec' | 'c-parity'): ParsedTrace {
  const c = loadCase(join(root, id));
  const lines: string[] = [];
  simulate([...absoluteArgs(c), '--phi-carryover-mode', mode, '-trace_pixel', ...c.trace_pixel.map(String)], { trace: (l) => lines.push(l) });
  return parseTrace(lines.join('\n') + '\n', 'engine');
}
const clone = (t: ParsedTrace): ParsedTrace => JSON.parse(JSON.stringify(t));

describe('parser', () => {
  it('reads the golden fork: setup lines, per-sub-pixel blocks (9 with -oversample 3), per-φ lines, progress interleaved', () => {
    const t = parseTrace(read('oversample3', 'golden.trace.txt'), 'golden');
    expect(t.side).toBe('C');
    expect(t.blocks).toHaveLength(9);
    expect(t.phi).toHaveLength(9);
    expect(t.phi.map((e) => e.block)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(t.setup.pix0_vector.values).toHaveLength(3);
    expect(t.pixel).toEqual({ slow: 63, fast: 41 });
    expect(t.final.I_pixel_final).toHaveLength(1);
    expect(t.warnings.join(' ')).toContain('beam_center_m');
    validate('trace', t);
  });

  it('reads nbparity-instrumented traces with their loop indices', () => {
    const t = parseTrace(read('mosaic10', 'upstream.trace.txt'));
    expect(t.phi).toHaveLength(10);
    expect(new Set(t.phi.map((e) => e.mos_tic))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(t.phi[3].values.rot_b).toHaveLength(3);
    expect(t.phi[0].thick_tic).toBe(0);
    validate('trace', t);
  });

  it("reads the PyTorch port's TRACE_PY lines and converts S_x from 1/Å to 1/m", () => {
    const t = parseTrace([
      'TRACE_PY: pix0_vector_meters -0.21647571314293 0.21634316475225 -0.23019526562923',
      'TRACE_PY: hkl_frac -6.87946075907243 -0.607227388110849 -13.7661473655243',
      'TRACE_PY: I_pixel_final 2.7907574142844e-07',
      'TRACE_PY_PHI phi_tic=0 phi_deg=0 k_frac=-0.607227388110849 F_latt_b=1.051325983228 F_latt=-2.35189941276007 S_x=-0.155620971894149 S_y=0.39334426550731 S_z=0.0913925676642357 a_star_y=-0.0293789623945766 b_star_y=0.0103860193252683 c_star_y=-0.0143496591104365 V_actual=24682.2566301114',
    ].join('\n') + '\n');
    expect(t.side).toBe('PY');
    expect(t.phi[0].values.scattering_m_inv_x[0]).toBeCloseTo(-1556209718.94149, 3);
    expect(t.final.I_pixel_final[0]).toBe(2.7907574142844e-07);
  });

  it('names the file and line of a malformed value', () => {
    expect(() => parseTrace('TRACE_C: hkl_frac 1 2 x3\n', 'c.log')).toThrowError(TraceParseError);
    expect(() => parseTrace('ok\nTRACE_C_PHI phi_tic=0 k_frac\n', 'c.log')).toThrowError(/c\.log:2: expected key=value/);
  });

  it('rejects a parsed trace that breaks the schema', () => {
    const t = parseTrace(read('phi10', 'upstream.trace.txt'));
    (t as unknown as { side: string }).side = 'Fortran';
    expect(() => validate('trace', t)).toThrowError(SchemaError);
  });
});

describe('pairing and deltas', () => {
  const c = parseTrace(read('phi10', 'upstream.trace.txt'));
  const ts = engineTrace('phi10', 'c-parity');

  it('pairs every C entry with the engine entry of the same loop indices, whatever their order in the file', () => {
    const shuffled = clone(ts);
    shuffled.phi.reverse();
    const { pairs, missing_count } = pairPhi(c, shuffled);
    expect(missing_count).toBe(0);
    expect(pairs).toHaveLength(10);
    for (const p of pairs) expect(phiKey(p.c)).toBe(phiKey(p.ts));
  });

  it('reports differing φ grids for the evaluation-grid gate, never drops them', () => {
    const fewer = clone(ts);
    fewer.phi = fewer.phi.filter((e) => e.phi_tic < 8);
    const a = pairPhi(c, fewer);
    expect([a.missing_count, a.missing, a.pairs.length]).toEqual([2, ['0/0/0/8', '0/0/0/9'], 8]);
    const shifted = clone(ts);
    shifted.phi[4].values.phi_deg = [0.45];
    const b = pairPhi(c, shifted);
    expect(b.angle_mismatch_count).toBe(1);
    expect(b.angle_mismatches[0]).toMatch(/^phi_tic 4: C φ=0\.4\d*°, engine φ=0\.45°$/);
  });

  it('reports libm-level deltas (<= 1e-12 relative) for c-parity against the upstream C, and locates a planted difference', () => {
    const pairs = pairPhi(c, ts).pairs;
    const d = traceDeltas(c, ts, pairs);
    const all = [...d.per_pixel, ...d.per_phi, ...d.final];
    expect(all.length).toBeGreaterThan(40);
    for (const q of all) expect(q.max_rel, q.name).toBeLessThanOrEqual(1e-12);
    const planted = clone(ts);
    planted.phi.find((e) => e.phi_tic === 6)!.values.l_frac[0] += 3e-7;
    const q = traceDeltas(c, planted, pairPhi(c, planted).pairs).per_phi.find((x) => x.name === 'l_frac')!;
    expect(q.max_abs).toBeCloseTo(3e-7, 12);
    expect(q.at.phi_tic).toBe(6);
    expect(q.per_phi_step!.map((s) => s.max_abs > 0)).toEqual([false, false, false, false, false, false, true, false, false, false]);
  });
});

describe('VG-1', () => {
  const c = parseTrace(read('phi10', 'upstream.trace.txt'));
  it('passes c-parity against upstream with |Δk| = 0 and fails spec there at φ step 0', () => {
    const cp = engineTrace('phi10', 'c-parity');
    const v = vg1(c, cp, pairPhi(c, cp).pairs, 'c-parity', DEFAULT_VG1['c-parity']);
    expect(v.pass).toBe(true);
    expect([v.k_frac.max_abs, v.rot_b_y.max_abs, v.k_frac.steps, v.rot_b_y.source]).toEqual([0, 0, 10, 'per-phi']);
    const sp = engineTrace('phi10', 'spec');
    const w = vg1(c, sp, pairPhi(c, sp).pairs, 'spec', DEFAULT_VG1.spec);
    expect(w.pass).toBe(false);
    expect(w.k_frac.worst!.phi_tic).toBe(0);
    expect(w.k_frac.max_abs).toBeGreaterThan(1e-5);
  });

  it('applies the tolerance it is given, and uses the φ=0 block for rot_b with the golden fork', () => {
    const cp = engineTrace('phi10', 'c-parity');
    const nudged = clone(cp);
    for (const e of nudged.phi) e.values.k_frac[0] += 5e-7;
    expect(vg1(c, nudged, pairPhi(c, nudged).pairs, 'c-parity', { k_frac: 1e-6, rot_b_y: 1e-6 }).pass).toBe(true);
    expect(vg1(c, nudged, pairPhi(c, nudged).pairs, 'c-parity', { k_frac: 1e-7, rot_b_y: 1e-6 }).pass).toBe(false);
    const g = parseTrace(read('phi10', 'golden.trace.txt'));
    expect(vg1(g, cp, pairPhi(g, cp).pairs, 'c-parity', DEFAULT_VG1['c-parity']).rot_b_y.source).toBe('phi0-block');
  });
});

describe('first divergence', () => {
  const c = parseTrace(read('phi10', 'upstream.trace.txt'));
  it('names the rotated lattice at φ step 0 for spec against the upstream C', () => {
    const sp = engineTrace('phi10', 'spec');
    const d = firstDivergence(c, sp, pairPhi(c, sp).pairs)!;
    expect(d.stage).toBe('rotated lattice');
    expect(d.location.phi_tic).toBe(0);
    expect(d.sentence).toMatch(/^First divergence: rotated lattice, rot_[abc]_angstroms\[.\] at φ step 0/);
  });
  it('finds nothing for c-parity, and walks the chain in order for planted differences', () => {
    const cp = engineTrace('phi10', 'c-parity');
    expect(firstDivergence(c, cp, pairPhi(c, cp).pairs)).toBeNull();
    const a = clone(cp);
    a.phi.find((e) => e.phi_tic === 7)!.values.F_latt[0] *= 1.001;
    a.final.polar[0] *= 1.001;
    expect(firstDivergence(c, a, pairPhi(c, a).pairs)).toMatchObject({ stage: 'lattice factor', quantity: 'F_latt', location: { phi_tic: 7 } });
    const b = clone(a);
    b.blocks[0].values.pix0_vector_meters[1] += 1e-6;
    expect(firstDivergence(c, b, pairPhi(c, b).pairs)).toMatchObject({ stage: 'detector geometry', quantity: 'pix0_vector_meters', component: 1 });
  });

  it('treats equal infinities as agreeing and a one-sided NaN as a divergence that says it is not finite', () => {
    const cp = engineTrace('phi10', 'c-parity');
    const cInf = clone(c), tInf = clone(cp);
    cInf.final.I_pixel_final[0] = Infinity; tInf.final.I_pixel_final[0] = Infinity;
    expect(firstDivergence(cInf, tInf, pairPhi(cInf, tInf).pairs)).toBeNull();
    const tNan = clone(cp);
    tNan.phi.find((e) => e.phi_tic === 3)!.values.k_frac[0] = NaN;
    const d = firstDivergence(c, tNan, pairPhi(c, tNan).pairs)!;
    expect(d).toMatchObject({ stage: 'fractional hkl', quantity: 'k_frac', location: { phi_tic: 3 } });
    expect(d.sentence).toMatch(/vs engine NaN \(not finite; tolerance 1e-9 relative\)\.$/);
  });
});

describe('C-PARITY-001 detection', () => {
  it('sees it in the upstream C and not in the fixed C, from their own traces', () => {
    expect(detectCarryover(parseTrace(read('phi10', 'upstream.trace.txt')), 'spec')).toMatchObject({ detected: true, matching_mode: 'c-parity' });
    expect(detectCarryover(parseTrace(read('phi10', 'fixed.trace.txt')), 'spec')).toMatchObject({ detected: false, matching_mode: 'spec' });
    expect(detectCarryover(parseTrace(read('phi10', 'golden.trace.txt')), 'c-parity').detected).toBe(true);
    expect(detectCarryover(parseTrace(read('phi_start_nonzero', 'upstream.trace.txt')), 'spec').detected).toBeNull();
  });
});

describe('several traced pixels', () => {
  it('the engine traces each pixel named, and each equals its single-pixel trace', () => {
    const c = loadCase(join(root, 'oversample2'));
    const pixels: Array<[number, number]> = [[95, 73], [10, 3], [64, 64]];
    const lines: string[] = [];
    simulate([...absoluteArgs(c), ...pixels.flatMap(([s, f]) => ['-trace_pixel', String(s), String(f)])], { trace: (l) => lines.push(l) });
    const all = parseTraces(lines.join('\n') + '\n');
    expect(all.map((t) => [t.pixel!.slow, t.pixel!.fast]).sort()).toEqual([...pixels].sort());
    for (const [s, f] of pixels) {
      const one: string[] = [];
      simulate([...absoluteArgs(c), '-trace_pixel', String(s), String(f)], { trace: (l) => one.push(l) });
      const single = parseTraces(one.join('\n') + '\n')[0];
      const multi = traceOfPixel(lines.join('\n') + '\n', [s, f]);
      expect(multi.blocks.map((b) => b.values)).toEqual(single.blocks.map((b) => b.values));
      expect(multi.phi.map((e) => e.values)).toEqual(single.phi.map((e) => e.values));
      expect(multi.final).toEqual(single.final);
    }
    expect(() => traceOfPixel(lines.join('\n') + '\n', [1, 1])).toThrowError(/no trace of pixel \(1, 1\)/);
  });
});

describe('quantile', () => {
  it('equals the sorted nearest-rank value', async () => {
    const { quantile } = await import('../harness/metrics/quantile.js');
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let t = 0; t < 100; t++) {
      const n = 1 + Math.floor(rnd() * 300);
      const a = Array.from({ length: n }, () => Math.floor(rnd() * 25));
      const s = [...a].sort((x, y) => x - y);
      for (const p of [0, 0.3, 0.5, 0.99, 1]) expect(quantile(a, p)).toBe(s[Math.min(n - 1, Math.floor(p * n))]);
    }
  });
});

describe('completeness against the declared loops', () => {
  /** the engine's trace of pixel (32, 30), where -dmin 400 skips two of its four sub-pixels */
  const dminArgs = ['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '100', '-N', '5', '-phisteps', '3', '-osc', '1', '-lambda', '1', '-distance', '100',
    '-pixel', '0.1', '-detpixels', '64', '-oversample', '2', '-dmin', '400', '-nonoise', '-nopgm', '-trace_pixel', '32', '30'];
  const text = (() => { const l: string[] = []; simulate(dminArgs, { trace: (x) => l.push(x) }); return l.join('\n') + '\n'; })();

  it('counts skipped evaluations as accounted for, and each kept one exactly once', () => {
    const t = parseTrace(text, 'ts');
    expect(t.loops).toEqual({ thicksteps: 1, oversample: 2, sources: 1, phisteps: 3, mosaic_domains: 1, fpixels: 64, spixels: 64 });
    expect(t.skips.map((s) => `${s.block}/${s.source}`)).toEqual(['0/0', '2/0']);
    expect(checkComplete(t, 'engine', 'ts')).toMatchObject({ dialect: 'full', loops_from: 'trace', blocks: 4, expected_entries: 6, entries: 6, skipped: 2 });
  });

  it.each([
    ['a skip line lost', (s: string) => s.replace(/^TRACE_TS_SKIP thick_tic=0 subS=1 subF=0 .*\n/m, ''), /entry 2\/0\/0\/0 is missing/],
    ['an entry for a skipped evaluation', (s: string) => s.replace(/^(TRACE_TS_PHI thick_tic=0 subS=0 subF=1 source=0 mos_tic=0 phi_tic=0 )(.*)$/m, '$1$2\nTRACE_TS_PHI thick_tic=0 subS=0 subF=0 source=0 mos_tic=0 phi_tic=0 $2'), /belongs to a skipped \(block, source\) \(extra\)|inside block/],
    ['a skip twice', (s: string) => s.replace(/^(TRACE_TS_SKIP thick_tic=0 subS=0 subF=0 .*)$/m, '$1\n$1'), /is skipped twice/],
    ['no loop counts', (s: string) => s.replace(/^TRACE_TS_LOOPS .*\n/m, ''), /does not say its loop counts/],
    ['a garbage loop count', (s: string) => s.replace(/phisteps=3/, 'phisteps=1e9'), /phisteps must be a non-negative integer, got '1e9'/],
    ['a huge loop count', (s: string) => s.replace(/phisteps=3/, 'phisteps=999999999'), /declared loops imply \d+ evaluations for one pixel/],
    ['the final lines lost', (s: string) => s.replace(/^TRACE_TS: (I_pixel_final|floatimage_accumulated) .*\n/gm, ''), /final lines lack I_pixel_final, floatimage_accumulated/],
  ] as Array<[string, (s: string) => string, RegExp]>)('%s: TraceIncompleteError (exit 3)', (_n, edit, says) => {
    let err: any;
    try { checkComplete(parseTrace(edit(text), 'ts'), 'engine', 'ts'); } catch (e) { err = e; }
    expect(err?.exitCode, String(err)).toBe(3);
    expect(err.message).toMatch(says);
  });

  it('every recorded C trace is complete by its banner (golden and instrumented dialects alike)', () => {
    for (const id of ['phi10', 'oversample3', 'mosaic10']) {
      for (const f of ['upstream.trace.txt', 'golden.trace.txt']) {
        const t = parseTrace(read(id, f), f);
        const r = checkComplete(t, 'C', f);
        expect(r.loops_from, `${id}/${f}`).toBe('banner');
        expect(r.entries, `${id}/${f}`).toBe(f.startsWith('golden') ? r.blocks * t.loops!.phisteps : r.blocks * t.loops!.phisteps * t.loops!.mosaic_domains);
      }
    }
  });
});
