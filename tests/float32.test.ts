/**
 * --dtype float32: every operation rounded to float32 from the same code path as float64.
 * Checked two ways: every traced intermediate is a float32 value, and the images stay
 * close to the C (float32 lattice factors are known to be least accurate on the peaks).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/index.js';
import { precisionFor } from '../src/math/precision.js';
import { V8_LIBM } from '../src/math/libm/index.js';

const F64 = precisionFor('float64', V8_LIBM), F32 = precisionFor('float32', V8_LIBM);
import { rotateAxis, unitize, vec } from '../src/math/vec3.js';
import { absoluteArgs, loadCases, readFloatImage } from '../harness/reference/cases.js';
import { diffImages } from '../harness/metrics/image.js';
import { parseTrace } from '../harness/trace/parse.js';

const isF32 = (x: number) => Number.isNaN(x) || Math.fround(x) === x;

describe('precision kernels', () => {
  it('round every vector-routine result in float32 and leave float64 alone', () => {
    const v = vec(0.1, 0.2, 0.3), axis = vec(1, 2, 3), out = vec();
    unitize(F64, axis, axis);
    rotateAxis(F64, v, out, axis, 0.7);
    expect([out[1], out[2], out[3]].every(isF32)).toBe(false);
    const a32 = vec(...[1, 2, 3].map(Math.fround) as [number, number, number]);
    unitize(F32, a32, a32);
    const v32 = vec(...[0.1, 0.2, 0.3].map(Math.fround) as [number, number, number]);
    rotateAxis(F32, v32, out, a32, Math.fround(0.7));
    expect([out[1], out[2], out[3], a32[0], a32[1]].every(isF32)).toBe(true);
  });
});

for (const c of loadCases()) {
  describe(`${c.id} in float32`, () => {
    it('traces only float32 values at the traced pixel', () => {
      const lines: string[] = [];
      simulate([...absoluteArgs(c), '--dtype', 'float32', '-trace_pixel', ...c.trace_pixel.map(String)], { trace: (l) => lines.push(l) });
      const t = parseTrace(lines.join('\n') + '\n');
      const values = [...t.blocks.flatMap((b) => Object.values(b.values)), ...Object.values(t.final), ...t.phi.flatMap((e) => Object.values(e.values))].flat();
      expect(values.length).toBeGreaterThan(60);
      const bad = values.filter((x) => !isF32(x));
      expect(bad, `non-float32 values: ${bad.slice(0, 5).join(', ')}`).toEqual([]);
    });

    // a case may record a wider sum tolerance, with the reason (an ill-conditioned lattice factor)
    const sumTol = c.float32?.sum_tolerance ?? 1e-4;
    it(`stays within float32 roundoff of the C image (correlation >= 0.99999, sum within ${sumTol}${c.float32 ? `: ${c.float32.why}` : ''})`, () => {
      const ref = readFloatImage(join(c.dir, c.images['c-parity']));
      const f32 = simulate([...absoluteArgs(c), '--dtype', 'float32', '--phi-carryover-mode', 'c-parity']).image;
      const d = diffImages(f32, ref);
      expect(d.correlation, `corr ${d.correlation}`).toBeGreaterThanOrEqual(0.99999);
      expect(Math.abs(d.sumRatio - 1), `sum ratio ${d.sumRatio}`).toBeLessThan(sumTol);
      expect(d.identicalFraction, 'float32 mode must actually change the arithmetic').toBeLessThan(1);
    });
  });
}
