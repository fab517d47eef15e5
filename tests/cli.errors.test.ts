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
  ['unknown flag', ['-default_F', '1', '-bogus_flag', '3'], {}, /-bogus_flag: unknown option/],
  ['non-numeric value', ['-default_F', '1', '-distance', '12mm'], {}, /-distance: expects a number, got '12mm'/],
  ['missing value', ['-default_F', '1', '-lambda'], {}, /-lambda: missing value/],
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
