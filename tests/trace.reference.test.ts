/**
 * Engine traces (TRACE_TS / TRACE_TS_PHI) against the golden fork's C traces recorded for
 * each reference case: every per-pixel quantity and every per-phi k_frac, F_latt_b,
 * F_latt within 1e-12 relative (or 1e-15 absolute) in float64. The golden fork prints
 * %.15g, so agreement is limited to ~5e-16 relative by its printing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/index.js';
import { absoluteArgs, loadCases } from '../harness/reference/cases.js';
import { parseTrace, phiKey } from '../harness/trace/parse.js';

const REL = 1e-12, ABS = 1e-15;
const close = (a: number, b: number) => Math.abs(a - b) <= ABS || Math.abs(a - b) <= REL * Math.abs(b);

for (const c of loadCases().filter((c) => c.golden_trace)) {
  describe(`${c.id} trace at pixel (${c.trace_pixel.join(', ')})`, () => {
    const lines: string[] = [];
    simulate([...absoluteArgs(c), '--phi-carryover-mode', 'c-parity', '-trace_pixel', ...c.trace_pixel.map(String)], { trace: (l) => lines.push(l) });
    const ts = parseTrace(lines.join('\n'), 'engine');
    const golden = parseTrace(readFileSync(join(c.dir, c.golden_trace!), 'utf8'), c.golden_trace!);

    it('has the same per-sub-pixel blocks and per-phi entries as the C', () => {
      expect(ts.side).toBe('TS');
      expect(golden.side).toBe('C');
      expect(ts.blocks.length).toBe(golden.blocks.length);
      expect(golden.phi.length).toBeGreaterThan(0);
      const keys = new Set(ts.phi.map(phiKey));
      for (const e of golden.phi) expect(keys.has(phiKey(e)), phiKey(e)).toBe(true);
    });

    it('per-pixel quantities agree within 1e-12 relative', () => {
      let compared = 0;
      for (const gb of golden.blocks) {
        for (const [name, gv] of Object.entries(gb.values)) {
          const tv = ts.blocks[gb.block].values[name];
          expect(tv, `block ${gb.block} ${name} missing from the engine trace`).toBeDefined();
          gv.forEach((g, i) => { expect(close(tv[i], g), `block ${gb.block} ${name}[${i}]: engine ${tv[i]} C ${g}`).toBe(true); compared++; });
        }
      }
      for (const [name, gv] of Object.entries(golden.final)) {
        gv.forEach((g, i) => { expect(close(ts.final[name][i], g), `${name}: engine ${ts.final[name][i]} C ${g}`).toBe(true); compared++; });
      }
      expect(compared).toBeGreaterThan(50);
    });

    it('per-phi quantities agree within 1e-12 relative', () => {
      const byKey = new Map(ts.phi.map((e) => [phiKey(e), e]));
      for (const e of golden.phi) {
        const t = byKey.get(phiKey(e))!;
        for (const [name, gv] of Object.entries(e.values)) {
          expect(close(t.values[name][0], gv[0]), `${phiKey(e)} ${name}: engine ${t.values[name][0]} C ${gv[0]}`).toBe(true);
        }
      }
    });
  });
}
