/**
 * The dtype-sweep verdicts. A planted logic difference and a planted roundoff-sized
 * difference in synthetic traces must get the right verdicts; a replayed sweep of a
 * recorded case must produce a valid dtype_sweep.json with the known answer.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrace, type ParsedTrace } from '../harness/trace/parse.js';
import { classify, verdicts, RATIO_THRESHOLD } from '../harness/sweep/verdict.js';
import { runSweep } from '../harness/sweep/run.js';
import { validate } from '../harness/schemas/validate.js';
import { verifySeal } from '../harness/evidence/dir.js';

/** A synthetic 5-step trace: per-φ k_frac values, everything else fixed. */
function synthetic(side: 'C' | 'TS', k: number[], extra: (i: number) => Record<string, number> = () => ({})): ParsedTrace {
  const lines = [
    `TRACE_${side}: pix0_vector_meters 0.1 0.0065 -0.0065`,
    `TRACE_${side}: hkl_frac 0.25 ${k[0]} -1.5`,
  ];
  k.forEach((kv, i) => {
    const e = { phi_deg: 0.1 * i, h_frac: 0.25, k_frac: kv, l_frac: -1.5, F_latt: 42.5, ...extra(i) };
    // every field a full-dialect line carries (the parser refuses a line that lacks one)
    const vec = 'rot_a=100,0,0 rot_b=0,100,0 rot_c=0,0,100 rot_a_star=0.01,0,0 rot_b_star=0,0.01,0 rot_c_star=0,0,0.01';
    lines.push(`TRACE_${side}_PHI thick_tic=0 subS=0 subF=0 source=0 mos_tic=0 phi_tic=${i} ${vec} F_latt_a=1 F_latt_b=1 F_latt_c=1 F_cell=100 I_contribution=1 ` + Object.entries(e).map(([n, v]) => `${n}=${v}`).join(' '));
  });
  lines.push(`TRACE_${side}: I_pixel_final 12.5`);
  return parseTrace(lines.join('\n') + '\n');
}

const K = [1.0312345678901234, 1.0411111111111111, 1.0522222222222222, 1.0633333333333333, 1.0744444444444444];

describe('verdict rule', () => {
  const c = synthetic('C', K);

  it('a planted logic difference (φ step 0 off by 1e-2 in both dtypes) is logic-limited', () => {
    const f64 = synthetic('TS', K.map((k, i) => (i === 0 ? k + 1e-2 : k)));
    const f32 = synthetic('TS', K.map((k, i) => Math.fround(i === 0 ? k + 1e-2 : k)));
    const v = verdicts([c], [f64], [f32]).find((q) => q.quantity === 'k_frac')!;
    expect(v.verdict).toBe('logic-limited');
    expect(v.delta_float64).toBeCloseTo(1e-2, 12);
    expect(v.ratio!).toBeLessThan(RATIO_THRESHOLD);
    expect(v.ratio!).toBeGreaterThan(0.9);
  });

  it('a planted roundoff-sized difference (float32 off by 4e-6, float64 by 1 ulp) is precision-limited', () => {
    const f64 = synthetic('TS', K.map((k) => k + 2.220446049250313e-16));
    const f32 = synthetic('TS', K.map((k, i) => (i === 2 ? k + 4e-6 : Math.fround(k))));
    const v = verdicts([c], [f64], [f32]).find((q) => q.quantity === 'k_frac')!;
    expect(v.verdict).toBe('precision-limited');
    expect(v.delta_float32).toBeCloseTo(4e-6, 9);
    expect(v.ratio!).toBeGreaterThan(1e9);
  });

  it('differences within tolerance in both dtypes are clean; only one dtype cannot decide a gap', () => {
    const f64 = synthetic('TS', K);
    const f32 = synthetic('TS', K.map((k) => Math.fround(k)));
    expect(verdicts([c], [f64], [f32]).find((q) => q.quantity === 'k_frac')!.verdict).toBe('clean');
    expect(verdicts([c], [synthetic('TS', K.map((k) => k + 1e-3))], null).find((q) => q.quantity === 'k_frac')!.verdict).toBe('undetermined');
  });

  it('relative quantities are judged relative, absolute ones absolute, and the ratio decides at 10', () => {
    expect(classify('F_latt', 'rel', { abs: 1e-6, rel: 1e-6 }, 1e-7, 2e-7, 1e-7).verdict).toBe('clean');
    expect(classify('F_latt', 'rel', { abs: 1e-6, rel: 1e-6 }, 2e-6, 1.9e-5, 1e-5).verdict).toBe('logic-limited');
    expect(classify('F_latt', 'rel', { abs: 1e-6, rel: 1e-6 }, 2e-6, 2.1e-5, 1e-5).verdict).toBe('precision-limited');
    expect(classify('k_frac', 'abs', { abs: 1e-6, rel: 1e-6 }, 0, 3e-6, 3e-6)).toMatchObject({ verdict: 'precision-limited', ratio_infinite: true, ratio: null });
  });
});

describe('a replayed sweep of a recorded case', () => {
  it('phi10: c-parity float64 clean at 0, float32 gap reported; spec logic-limited at φ step 0; valid, sealed evidence', async () => {
    const r = await runSweep({ args: [], replayCase: 'phi10', reportsRoot: mkdtempSync(join(tmpdir(), 'nbparity-sweep-')), initiative: 't' });
    const doc = JSON.parse(readFileSync(join(r.dir, 'dtype_sweep.json'), 'utf8'));
    validate('dtypeSweep', doc);
    expect(doc.cells.map((c: { cell: string }) => c.cell).sort()).toEqual(['c-parity/float32', 'c-parity/float64', 'spec/float32', 'spec/float64']);
    const k = (mode: string) => doc.verdicts[mode].find((q: { quantity: string }) => q.quantity === 'k_frac');
    expect(k('c-parity')).toMatchObject({ delta_float64: 0 });
    expect(k('c-parity').delta_float32).toBeGreaterThan(0);
    expect(k('spec').verdict).toBe('logic-limited');
    expect(k('spec').delta_float64).toBeGreaterThan(1e-5);
    const cp64 = doc.cells.find((c: { cell: string }) => c.cell === 'c-parity/float64');
    expect(cp64.vg1_pass).toBe(true);
    expect(cp64.image.identical_fraction).toBe(1);
    expect(doc.conclusion).toMatch(/spec: logic-limited/);
    const md = readFileSync(join(r.dir, 'summary.md'), 'utf8');
    expect(md).toContain('**Conclusion:**');
    expect(readFileSync(join(r.dir, 'plots', 'k_frac_all_cells.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(readFileSync(join(r.dir, 'plots', 'float32_minus_float64_spec.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(verifySeal(r.dir)).toEqual([]);
  });
});
