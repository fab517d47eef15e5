/**
 * NaN and infinity on the C's command line: the float image's NaN bits (x86's default NaN is
 * negative, and "-nan" is read as a negative NaN) and the SMV header text (glibc prints the
 * sign: "-nan"), byte for byte against recorded nanoBragg.c output (traces/reference/_nan).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEngine } from './support/engine.js';
import { cfmtF, cfmtG } from '../src/io/cformat.js';

const DIR = resolve('traces/reference/_nan');
const prov = JSON.parse(readFileSync(join(DIR, 'provenance.json'), 'utf8')) as { cases: Record<string, { command: string[]; sha256: Record<string, string> }> };
const negNaN = (() => { const v = new DataView(new ArrayBuffer(8)); v.setBigUint64(0, 0xfff8000000000000n); return v.getFloat64(0); })();

describe('NaN on the command line, against the C', () => {
  it('formats a NaN with its sign, as glibc does', () => {
    expect([cfmtG(NaN), cfmtG(negNaN), cfmtF(negNaN, 2, 6), cfmtG(-Infinity)]).toEqual(['nan', '-nan', '  -nan', '-inf']);
  });
  it('has the recorded cases, each file as provenance.json says', () => {
    expect(Object.keys(prov.cases).sort()).toEqual(['distance_nan', 'lambda_negnan', 'lambda_zero', 'twotheta_nan']);
    for (const c of Object.values(prov.cases)) {
      for (const [f, sum] of Object.entries(c.sha256)) expect(createHash('sha256').update(readFileSync(join(DIR, f))).digest('hex'), f).toBe(sum);
    }
  });
  it.each(Object.keys(prov.cases))('%s: float image and SMV image byte-identical to the C', (name) => {
    const d = mkdtempSync(join(tmpdir(), 'nbts-nan-'));
    const r = runEngine([...prov.cases[name].command.slice(1), '--phi-carryover-mode', 'c-parity'], d);
    expect(r.status, r.stderr).toBe(0);
    for (const f of Object.keys(prov.cases[name].sha256)) expect(readFileSync(join(d, f)).equals(readFileSync(join(DIR, f))), f).toBe(true);
  });
  it('the recorded header of -lambda -nan says WAVELENGTH=-nan (the sign survives)', () => {
    expect(readFileSync(join(DIR, 'lambda_negnan.int.img'), 'latin1').slice(0, 1024)).toContain('WAVELENGTH=-nan;');
  });
});
