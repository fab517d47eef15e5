/**
 * nbparity compare against the user's nanoBragg.c (golden_suite_generator/nanoBragg.c or
 * $NANOBRAGG_C; a golden-fork copy in $NANOBRAGG_GOLDEN_C is tried too). Skipped, saying
 * why, when absent.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { candidates, findCSource } from '../harness/c/build.js';
import { runCompare } from '../harness/compare/run.js';
import { validate } from '../harness/schemas/validate.js';

const upstream = findCSource();
const golden = process.env.NANOBRAGG_GOLDEN_C ? findCSource(process.env.NANOBRAGG_GOLDEN_C) : null;
if (!upstream) console.log(`no nanoBragg.c (looked at ${candidates().join(', ')}): live compare tests skipped`);
if (!golden) console.log('NANOBRAGG_GOLDEN_C not set: live compare against the golden fork skipped');

const ARGS = ['-cell', '70', '80', '90', '75', '85', '95', '-misset', '10', '-20', '30', '-default_F', '100', '-N', '6', '-lambda', '1', '-distance', '100',
  '-pixel', '0.1', '-detpixels', '96', '-oversample', '1', '-phisteps', '10', '-osc', '1', '-nonoise', '-nopgm'];

for (const [label, source] of [['user nanoBragg.c', upstream], ['golden fork', golden]] as const) {
  describe.skipIf(!source)(`live compare with the ${label}`, () => {
    const reports = mkdtempSync(join(tmpdir(), 'nbparity-live-'));
    it('c-parity: VG-1 passes with |Δk_frac| <= 1e-12, evidence validates', async () => {
      const r = await runCompare({ args: [...ARGS, '--phi-carryover-mode', 'c-parity'], cSource: source!.path, reportsRoot: reports, initiative: 'live' });
      const m = JSON.parse(readFileSync(join(r.dir, 'delta_metrics.json'), 'utf8'));
      validate('deltaMetrics', m);
      expect(m.vg1.pass).toBe(true);
      expect(m.vg1.k_frac.max_abs).toBeLessThanOrEqual(1e-12);
      expect(m.vg1.k_frac.steps).toBeGreaterThanOrEqual(10);
      expect(m.image.full.identical_fraction).toBeGreaterThanOrEqual(0.999);
      if (m.carryover.detected !== null) expect(r.exitCode).toBe(m.carryover.detected ? 0 : 1);
    });
    it('spec: the first divergence names φ step 0 against a carry-over C; a fixed C matches', async () => {
      const r = await runCompare({ args: [...ARGS, '--phi-carryover-mode', 'spec'], cSource: source!.path, reportsRoot: reports, initiative: 'live' });
      if (r.metrics.carryover.detected === true) {
        expect(r.exitCode).toBe(1);
        expect(r.metrics.first_divergence.location.phi_tic).toBe(0);
        expect(r.metrics.first_divergence.sentence).toMatch(/at φ step 0/);
      } else {
        expect(r.exitCode).toBe(0);
        expect(r.metrics.first_divergence.found).toBe(false);
      }
    });
  });
}

describe.skipIf(!upstream)('live multi-pixel tracing with OpenMP threads', () => {
  it('3 traced pixels under 3 threads come out whole, each equal to the engine', async () => {
    const { prepareC } = await import('../harness/compare/run.js');
    const { runSide } = await import('../harness/run/side.js');
    const { parseTraces, traceOfPixel } = await import('../harness/trace/parse.js');
    const { simulate } = await import('../src/index.js');
    const { pairPhi, traceDeltas } = await import('../harness/compare/traces.js');
    const p = await prepareC({});
    const dir = mkdtempSync(join(tmpdir(), 'nbparity-mp-'));
    const pixels: Array<[number, number]> = [[5, 7], [50, 40], [90, 3]];
    const args = [...ARGS, '-oversample', '2', ...pixels.flatMap(([s, f]) => ['-trace_pixel', String(s), String(f)])];
    const run = await runSide('C', [p.built.binary, ...args, '-floatfile', 'c.bin', '-intfile', 'c.img'], { cwd: dir, env: { OMP_NUM_THREADS: '3' }, timeoutMs: 120_000, name: 'c' });
    expect(run.exitCode).toBe(0);
    const cText = readFileSync(run.stdoutFile, 'utf8');
    expect(parseTraces(cText)).toHaveLength(3);
    const lines: string[] = [];
    simulate([...args, '--phi-carryover-mode', 'c-parity', '--c-threads', '3'], { trace: (l) => lines.push(l) });
    for (const px of pixels) {
      const c = traceOfPixel(cText, px), t = traceOfPixel(lines.join('\n') + '\n', px);
      expect(c.blocks).toHaveLength(4);
      const d = traceDeltas(c, t, pairPhi(c, t).pairs);
      for (const q of [...d.per_pixel, ...d.per_phi, ...d.final]) expect(q.max_rel, `${px} ${q.name}`).toBeLessThanOrEqual(1e-12);
    }
  });
});
