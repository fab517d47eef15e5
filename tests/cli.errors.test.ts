/**
 * The engine CLI on bad input: one line naming the flag, file or line; exit code 2; and
 * nothing written (a file already there keeps its content, no temp files are left).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEngine } from './support/engine.js';

const cell = ['-cell', '100', '100', '100', '90', '90', '90'];
const base = ['-N', '5', '-detpixels', '16', '-nonoise'];

function scratch(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'nbts-err-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
  ['unknown flag (--strict)', ['--strict', '-default_F', '1', '-bogus_flag', '3'], {}, /-bogus_flag: unknown option/],
  ['non-numeric value (--strict)', ['--strict', '-default_F', '1', '-distance', '12mm'], {}, /-distance: expects a number, got '12mm'/],
  ['missing value (--strict)', ['--strict', '-default_F', '1', '-lambda'], {}, /-lambda: missing value/],
  ['missing -hkl file', ['-hkl', 'nothere.hkl'], {}, /-hkl: cannot read 'nothere.hkl': ENOENT/],
  ['-hkl with a word in it', ['-hkl', 'bad.hkl'], { 'bad.hkl': '1 0 0 10\n0 1 0 ten\n' }, /-hkl: bad.hkl line 2: 'ten' is not a number/],
  ['-hkl with an incomplete record', ['-hkl', 'short.hkl'], { 'short.hkl': '1 0 0 10\n0 1 0\n' }, /-hkl: short.hkl line 2: incomplete record/],
  ['-hkl with a fractional index', ['-hkl', 'frac.hkl'], { 'frac.hkl': '1 0 0.5 10\n' }, /-hkl: frac.hkl line 1: non-integer l/],
  ['empty -hkl', ['-hkl', 'empty.hkl'], { 'empty.hkl': '\n' }, /-hkl: empty.hkl: no reflections/],
  ['missing -mat file', ['-default_F', '1', '-mat', 'nothere.mat'], {}, /-mat: cannot read 'nothere.mat'/],
  ['-mat with 8 numbers', ['-default_F', '1', '-mat', 'A.mat'], { 'A.mat': '0.01 0 0\n0 0.01 0\n0 0\n' }, /-mat: A.mat: expected 9 numbers/],
  ['-mat with a word', ['-default_F', '1', '-mat', 'B.mat'], { 'B.mat': '0.01 0 0\n0 x 0\n0 0 0.01\n' }, /-mat: B.mat line 2: 'x' is not a number/],
  ['no structure factors', [], {}, /-hkl: no structure factors/],
  ['bad engine option', ['-default_F', '1', '--dtype', 'half'], {}, /--dtype: expects float64 or float32/],
  // impossible sizes are refused before anything large is allocated, with the estimate
  ['a φ step count beyond the C\'s int', ['-default_F', '1', '-osc', '1', '-phistep', '1e-12'], {}, /-phistep: osc\/phistep = 1000000000000 φ steps does not fit nanoBragg\.c's int \(it becomes -2147483648/],
  ['two billion φ steps', ['-default_F', '1', '-phisteps', '2000000000', '-osc', '1', '--max-memory', '8G'], {}, /-phisteps\/-mosaic_domains: 2000000000 φ steps × 1 mosaic domains needs about 1\d\d GiB of memory, more than --max-memory 8\.00 GiB/],
  ['a 100000-pixel detector', ['-default_F', '1', '-detpixels', '100000', '--max-memory', '8G'], {}, /-detpixels: a 100000x100000-pixel detector needs about 158 GiB of memory, more than --max-memory 8\.00 GiB/],
  ['10^10 divergence sources', ['-default_F', '1', '-divergence', '1', '-divsteps', '100000', '--max-memory', '8G'], {}, /-divsteps\/-dispsteps: 100000x100000 divergence × 1 dispersion = 10000000000 sources needs about 522 GiB/],
  ['an HKL index of 3000', ['-hkl', 'big.hkl'], { 'big.hkl': '3000 3000 3000 10\n-1 -1 -1 5\n' }, /-hkl: the structure-factor grid for h -1\.\.3000, k -1\.\.3000, l -1\.\.3000 needs about 202 GiB of memory/],
  ['a detector over the budget', ['-default_F', '1', '-detpixels', '2000', '--max-memory', '10M'], {}, /-detpixels: a 2000x2000-pixel detector needs about 64\.8 MiB of memory, more than --max-memory 10\.0 MiB/],
  ['a bad --max-memory', ['-default_F', '1', '--max-memory', 'lots'], {}, /--max-memory: expects a size such as 8G, 512M or 1000000000, got 'lots'/],
];

describe('engine CLI errors', () => {
  it.each(cases)('%s', (_name, extra, files, message) => {
    const dir = scratch({ ...files, 'floatimage.bin': 'precious' });
    const before = readdirSync(dir).sort();
    const r = runEngine([...base, ...(extra.includes('-mat') ? [] : cell), ...extra], dir);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^nanobragg-ts: error: /);
    expect(lines[0]).toMatch(message);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readFileSync(join(dir, 'floatimage.bin'), 'utf8')).toBe('precious');
  });

  it('writes the C default files when the input is good, and --help works', () => {
    const dir = scratch();
    const ok = runEngine([...base, ...cell, '-default_F', '1'], dir);
    expect(ok.status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['floatimage.bin', 'image.pgm', 'intimage.img']);
    expect(readFileSync(join(dir, 'floatimage.bin')).length).toBe(16 * 16 * 4);
    const help = runEngine(['--help'], dir);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--phi-carryover-mode');
  });
});

describe("derived counts go through the C's int conversion, never a hang", () => {
  it.each([['-lambda', '0'], ['-distance', '0']])('%s %s: the recommended oversample is INT_MIN, clamped to 1 as in the C', (flag, v) => {
    const dir = scratch();
    const r = runEngine([...base, ...cell, '-default_F', '1', flag, v, '--json'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).sampling.oversample).toBe(1);
  });
  it('cInt follows cvttsd2si: truncation, INT_MIN for NaN, infinities and out-of-range values', async () => {
    const { cInt } = await import('../src/math/constants.js');
    expect([2.9, -2.9, 2147483647, 2147483648, -2147483648, -2147483649, Infinity, -Infinity, NaN].map(cInt))
      .toEqual([2, -2, 2147483647, -2147483648, -2147483648, -2147483648, -2147483648, -2147483648, -2147483648]);
  });
});
