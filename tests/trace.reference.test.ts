/**
 * Engine traces (TRACE_TS / TRACE_TS_PHI) against the C traces recorded for each
 * reference case: the golden fork's (printed %.15g) and nbparity's instrumented upstream
 * (c-parity) and fixed (spec) builds (printed %.17g). Every per-pixel quantity and every
 * per-φ quantity within 1e-12 relative (or 1e-15 absolute) in float64.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/index.js';
import { absoluteArgs, loadCases } from '../harness/reference/cases.js';
import { parseTrace, phiKey } from '../harness/trace/parse.js';

const REL = 1e-12, ABS = 1e-15;
const close = (a: number, b: number) => (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= ABS || Math.abs(a - b) <= REL * Math.abs(b);

const cases = loadCases();

describe('recorded traces', () => {
  it('every case has instrumented traces for both modes, most have golden traces too', () => {
    for (const c of cases) expect(Object.keys(c.traces ?? {}).sort(), c.id).toEqual(['c-parity', 'spec']);
    expect(cases.filter((c) => c.golden_trace).length).toBeGreaterThanOrEqual(20);
  });
});

for (const c of cases) {
  const files: Array<[string, 'spec' | 'c-parity']> = [
    ...(c.golden_trace ? [[c.golden_trace, 'c-parity'] as [string, 'c-parity']] : []),
    ...Object.entries(c.traces ?? {}).map(([mode, f]) => [f!, mode as 'spec' | 'c-parity'] as [string, 'spec' | 'c-parity']),
  ];
  for (const [file, mode] of files) {
    describe(`${c.id}: ${file} at pixel (${c.trace_pixel.join(', ')})`, () => {
      const lines: string[] = [];
      simulate([...absoluteArgs(c), '--phi-carryover-mode', mode, '-trace_pixel', ...c.trace_pixel.map(String)], { trace: (l) => lines.push(l) });
      const ts = parseTrace(lines.join('\n') + '\n', 'engine');
      const ref = parseTrace(readFileSync(join(c.dir, file), 'utf8'), file);

      it('has the same sub-pixel blocks and per-φ entries as the C', () => {
        expect([ts.side, ref.side]).toEqual(['TS', 'C']);
        expect(ts.blocks.length).toBe(ref.blocks.length);
        expect(ref.phi.length).toBeGreaterThan(0);
        const keys = new Set(ts.phi.map(phiKey));
        for (const e of ref.phi) expect(keys.has(phiKey(e)), phiKey(e)).toBe(true);
        if (file.endsWith('.trace.txt') && !file.startsWith('golden')) expect(ts.phi.length).toBe(ref.phi.length);
      });

      it('per-pixel quantities agree within 1e-12 relative', () => {
        let compared = 0;
        for (const b of ref.blocks) for (const [name, rv] of Object.entries(b.values)) {
          const tv = ts.blocks[b.block].values[name];
          expect(tv, `block ${b.block} ${name} missing from the engine trace`).toBeDefined();
          rv.forEach((r, i) => { expect(close(tv[i], r), `block ${b.block} ${name}[${i}]: engine ${tv[i]} C ${r}`).toBe(true); compared++; });
        }
        for (const [name, rv] of Object.entries(ref.final)) rv.forEach((r, i) => { expect(close(ts.final[name][i], r), `${name}: engine ${ts.final[name][i]} C ${r}`).toBe(true); compared++; });
        expect(compared).toBeGreaterThan(50);
      });

      it('per-φ quantities agree within 1e-12 relative', () => {
        const byKey = new Map(ts.phi.map((e) => [phiKey(e), e]));
        let compared = 0;
        for (const e of ref.phi) {
          const t = byKey.get(phiKey(e))!;
          for (const [name, rv] of Object.entries(e.values)) rv.forEach((r, i) => {
            expect(t.values[name], `${phiKey(e)} ${name} missing`).toBeDefined();
            expect(close(t.values[name][i], r), `${phiKey(e)} ${name}[${i}]: engine ${t.values[name][i]} C ${r}`).toBe(true);
            compared++;
          });
        }
        expect(compared).toBeGreaterThanOrEqual(ref.phi.length * 3);
      });
    });
  }
}
