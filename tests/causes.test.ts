/**
 * Known differences are cause-specific: a `known-diff (C-PARITY-001)` holds only while
 * C-PARITY-001 explains the failure (its signature is the first divergence, and the engine
 * with the cause emulated passes every gate against the same C outputs). Checked without a
 * C, on a recorded reference whose spec-mode C side is the upstream (carry-over) build.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCompare } from '../harness/compare/run.js';
import { causeIn, KNOWN_CAUSES } from '../harness/compare/causes.js';
import { effectiveExpectation } from '../harness/suite/run.js';
import { loadSuite, SuiteError } from '../harness/suite/table.js';
import { validate } from '../harness/schemas/validate.js';

/** phi10 with the upstream (carry-over) C as its spec-mode reference; `edit` changes one file, resealed. */
function carryoverCase(edit?: { file: string; fn: (b: Buffer) => Buffer }): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'nbparity-cause-')), 'phi10');
  cpSync(resolve('traces/reference/phi10'), dir, { recursive: true });
  const cj = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
  cj.images.spec = 'upstream.float.bin'; cj.traces.spec = 'upstream.trace.txt';
  writeFileSync(join(dir, 'case.json'), JSON.stringify(cj, null, 2));
  const prov = JSON.parse(readFileSync(join(dir, 'provenance.json'), 'utf8'));
  if (edit) writeFileSync(join(dir, edit.file), edit.fn(readFileSync(join(dir, edit.file))));
  for (const f of ['case.json', ...(edit ? [edit.file] : [])]) prov.sha256[f] = createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
  writeFileSync(join(dir, 'provenance.json'), JSON.stringify(prov, null, 2));
  return dir;
}

async function specAgainst(dir: string) {
  const r = await runCompare({ args: ['--phi-carryover-mode', 'spec'], replayCase: dir, reportsRoot: mkdtempSync(join(tmpdir(), 'nbparity-cause-rep-')), expectCause: 'C-PARITY-001' });
  validate('deltaMetrics', JSON.parse(readFileSync(join(r.dir, 'delta_metrics.json'), 'utf8')));
  return r;
}

describe('C-PARITY-001 explains a spec-mode failure against a carry-over C, and nothing else', () => {
  it('pristine: the failure is explained (signature and counterfactual)', async () => {
    const r = await specAgainst(carryoverCase());
    expect(r.exitCode).toBe(1);
    const x = r.metrics.explanation;
    expect(x).toMatchObject({ cause: 'C-PARITY-001', present_in_c: true, needed: true, explained: true });
    expect(x.signature).toMatchObject({ ok: true, detail: 'the first divergence is the rotated lattice at φ step 0 (φ=0°)' });
    expect(x.counterfactual).toMatchObject({ engine_args: ['--phi-carryover-mode', 'c-parity'], pass: true });
  });

  it('a C image 1e-5 brighter everywhere: the counterfactual still fails the image gate, not explained', async () => {
    const r = await specAgainst(carryoverCase({
      file: 'upstream.float.bin', fn: (b) => { const a = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); for (let i = 0; i < a.length; i++) a[i] *= 1 + 1e-5; return Buffer.from(a.buffer); },
    }));
    const x = r.metrics.explanation;
    expect(x.explained).toBe(false);
    expect(x.signature.ok).toBe(true); // the trace alone still looks like the cause
    expect(x.counterfactual.pass).toBe(false);
    expect(x.sentence).toMatch(/^Not explained by C-PARITY-001: with --phi-carryover-mode c-parity the engine still fails image/);
  });

  it('a solid angle 1e-5 larger in the C trace: the first divergence is not the cause\'s, not explained', async () => {
    const r = await specAgainst(carryoverCase({
      file: 'upstream.trace.txt', fn: (b) => Buffer.from(b.toString('utf8').replace(/^TRACE_C: omega_pixel_sr (\S+)$/m, (_m, v) => `TRACE_C: omega_pixel_sr ${Number(v) * (1 + 1e-5)}`)),
    }));
    const x = r.metrics.explanation;
    expect(x.explained).toBe(false);
    expect(x.signature).toMatchObject({ ok: false, detail: 'the first divergence is in the pixel position stage (omega_pixel_sr), not the rotated lattice' });
  });

  it('a passing comparison needs no explanation; the mode that matches the build cannot be explained by the cause', async () => {
    const dir = carryoverCase();
    const r = await runCompare({ args: ['--phi-carryover-mode', 'c-parity'], replayCase: dir, reportsRoot: mkdtempSync(join(tmpdir(), 'nbparity-cause-rep-')), expectCause: 'C-PARITY-001' });
    expect(r.exitCode).toBe(0);
    expect(r.metrics.explanation).toMatchObject({ needed: false, explained: false, present_in_c: true });
    expect(KNOWN_CAUSES['C-PARITY-001'].counterfactual('c', true)).toBeNull();
    expect(KNOWN_CAUSES['C-PARITY-001'].counterfactual('fixed', false)).toBeNull();
    await expect(runCompare({ args: [], replayCase: dir, expectCause: 'C-PARITY-999' })).rejects.toThrowError(/unknown cause 'C-PARITY-999'/);
  });
});

describe('suites: known differences must name a known cause', () => {
  it('finds a cause id as a word in a reason, and nothing in a reason without one', () => {
    expect(causeIn('C-PARITY-001')?.id).toBe('C-PARITY-001');
    expect(causeIn('the phi carry-over (C-PARITY-001), see docs')?.id).toBe('C-PARITY-001');
    expect(causeIn('C-PARITY-0011')).toBeNull();
    expect(causeIn('flaky on Tuesdays')).toBeNull();
    // every switchable catalogue entry is a cause, by its id or an alias; the race (no switch) is not
    expect(causeIn('pix0 ignored (NANO-C-BUG-001)')?.id).toBe('C-DESIGN-FLAW-003');
    expect(causeIn('running sum C-OVERSAMPLE-SUM')?.id).toBe('C-OVERSAMPLE-SUM');
    expect(causeIn('C-INTERP-RACE')).toBeNull();
  });

  it('a known-diff whose reason names no cause stops the suite with its file and line (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nbparity-suite-'));
    const f = join(dir, 's.csv');
    writeFileSync(f, 'id,args,expect,reason\nok,-cell 100 100 100 90 90 90 -default_F 1 -N 2 -detpixels 8,pass,\nvague,-cell 100 100 100 90 90 90 -default_F 1 -N 2 -detpixels 8,spec:known-diff,it just differs\n');
    let err: any;
    try { loadSuite(f); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(SuiteError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(`${f}:3: expect: known-diff's reason 'it just differs' names no known cause (known: C-PARITY-001, C-OVERSAMPLE-SUM, C-PIXEL-FACTORS, C-INTERP-SWITCHOFF, C-IMPL-BUG-002, C-DESIGN-FLAW-003, C-ARGV-GUARDS, C-MISSET-SEED, C-TWOTHETA-AXIS)`);
  });

  it('resolves where the difference is expected from the build: spec against a carry-over C, c-parity against a fixed one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nbparity-suite-'));
    const f = join(dir, 's.csv');
    writeFileSync(f, 'id,args,expect,reason\nphi,-cell 100 100 100 90 90 90 -default_F 1 -N 2 -detpixels 8 -phisteps 3,spec:known-diff,C-PARITY-001\n');
    const c = loadSuite(f).cases[0];
    expect(effectiveExpectation(c, 'spec', true).verdict).toBe('known-diff');
    expect(effectiveExpectation(c, 'c-parity', true).verdict).toBe('pass');
    expect(effectiveExpectation(c, 'spec', false).verdict).toBe('pass');
    expect(effectiveExpectation(c, 'c-parity', false)).toEqual({ verdict: 'known-diff', reason: 'C-PARITY-001 is absent from this C build; c-parity mode emulates it' });
    expect(effectiveExpectation(c, 'spec', null)).toEqual({ verdict: 'known-diff', reason: 'C-PARITY-001' });
  });
});
