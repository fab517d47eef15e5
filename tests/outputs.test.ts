/**
 * Output files against the C's own: SMV int image (header and pixels), PGM, noise image
 * (ran1/poidev/gaussdev in float, seeded), Fdump.bin. All byte for byte.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate, writeOutputs } from '../src/index.js';
import { cfmtG } from '../src/io/cformat.js';
import { absoluteArgs, loadCases } from '../harness/reference/cases.js';

const cases = loadCases();

function runToFiles(args: string[]): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'nbts-out-'));
  const out = ['-floatfile', join(dir, 'float.bin'), '-intfile', join(dir, 'int.img'), '-pgmfile', join(dir, 'image.pgm'),
    '-noisefile', join(dir, 'noise.img'), '-dump', join(dir, 'Fdump.bin')];
  const result = simulate([...args, ...out, '--phi-carryover-mode', 'c-parity']);
  return { dir, files: writeOutputs(result).files };
}

describe('C printf %g', () => {
  it.each([
    [100, '100'], [0.1, '0.1'], [3.25, '3.25'], [-3.3, '-3.3'], [1e-7, '1e-07'], [123456789, '1.23457e+08'],
    [0.0001, '0.0001'], [0.00001234, '1.234e-05'], [565.375, '565.375'], [1e24, '1e+24'], [-0, '-0'], [NaN, 'nan'],
  ])('%d -> %s', (x, s) => expect(cfmtG(x)).toBe(s));
});

for (const c of cases.filter((c) => c.int_image)) {
  describe(c.id, () => {
    const { dir } = runToFiles([...absoluteArgs(c), ...(c.noise_image ? [] : ['-nonoise'])]);
    it('SMV int image is byte-identical to the C (header and pixels)', () => {
      const ts = readFileSync(join(dir, 'int.img'));
      const ref = readFileSync(join(c.dir, c.int_image!));
      expect(ts.subarray(0, 512).toString('latin1')).toBe(ref.subarray(0, 512).toString('latin1'));
      expect(Buffer.compare(ts, ref)).toBe(0);
    });
    it('PGM is byte-identical to the C', () => {
      expect(Buffer.compare(readFileSync(join(dir, 'image.pgm')), readFileSync(join(c.dir, 'upstream.pgm')))).toBe(0);
    });
    if (c.noise_image) {
      it('noise image is byte-identical to the C (same -seed)', () => {
        expect(Buffer.compare(readFileSync(join(dir, 'noise.img')), readFileSync(join(c.dir, c.noise_image!)))).toBe(0);
      });
    }
    if (c.fdump) {
      it('Fdump.bin is byte-identical to the one the C writes', () => {
        expect(Buffer.compare(readFileSync(join(dir, 'Fdump.bin')), readFileSync(join(c.dir, c.fdump!)))).toBe(0);
      });
      it('reading the Fdump back (no -hkl) gives the same image', () => {
        const args = absoluteArgs(c);
        const i = args.indexOf('-hkl');
        const withHkl = simulate(args).image;
        const fromDump = simulate([...args.slice(0, i), ...args.slice(i + 2), '-dump', join(c.dir, c.fdump!)]).image;
        expect(Buffer.compare(Buffer.from(fromDump.buffer), Buffer.from(withHkl.buffer))).toBe(0);
      });
    }
  });
}

describe('coverage of the output checks', () => {
  it('has int/PGM references for every case and noise references for all three poidev branches', () => {
    expect(cases.filter((c) => c.int_image).length).toBe(cases.length);
    expect(cases.filter((c) => c.noise_image).map((c) => c.id)).toEqual(expect.arrayContaining(['noise_simple', 'noise_bright', 'noise_huge']));
    expect(cases.some((c) => c.fdump)).toBe(true);
  });
});
