/**
 * --threads: rendering on worker threads gives the same bits as one thread, for every
 * recorded case and φ mode (and C thread count), traces included; where exactness
 * cannot be shown (interpolation, -dmin) it renders on one thread and says so.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { absoluteArgs, imageKey, loadCases, readFloatImage } from '../harness/reference/cases.js';
import { parseTraces } from '../harness/trace/parse.js';
import { runEngine } from './support/engine.js';

const cases = loadCases();

describe('--threads 2 against the recorded C images', () => {
  for (const c of cases) {
    for (const [key, file] of Object.entries(c.images)) {
      const { mode, threads } = imageKey(key);
      it(`${c.id} ${key}`, () => {
        const dir = mkdtempSync(join(tmpdir(), 'nbts-thr-'));
        const r = runEngine([...absoluteArgs(c), '--phi-carryover-mode', mode, '--c-threads', String(threads), '--threads', '2', '-floatfile', 'f.bin', '-intfile', 'i.img', '-nopgm', '-nonoise'], dir);
        expect(r.status, r.stderr).toBe(0);
        const img = readFloatImage(join(dir, 'f.bin'));
        const ref = readFloatImage(join(c.dir, file));
        expect(Buffer.compare(Buffer.from(img.buffer), Buffer.from(ref.buffer)), `${c.id} ${key}`).toBe(0);
        if (c.int_image && key === 'c-parity') expect(Buffer.compare(readFileSync(join(dir, 'i.img')), readFileSync(join(c.dir, c.int_image)))).toBe(0);
        const parallel = !r.stdout.includes('rendering on one thread');
        expect(parallel, r.stdout.split('\n').find((l) => l.includes('one thread')) ?? '').toBe(c.id !== 'interpolate_hkl');
      });
    }
  }
});

describe('--threads and traces', () => {
  it('several traced pixels come out in row order with the same values as one thread', () => {
    const c = cases.find((x) => x.id === 'oversample2')!;
    const px = ['-trace_pixel', '95', '73', '-trace_pixel', '3', '10', '-trace_pixel', '127', '127'];
    const one = runEngine([...absoluteArgs(c), ...px, '-floatfile', 'a.bin', '-nonoise', '-nopgm'], mkdtempSync(join(tmpdir(), 'nbts-thr-')));
    const two = runEngine([...absoluteArgs(c), ...px, '-floatfile', 'b.bin', '-nonoise', '-nopgm', '--threads', '2'], mkdtempSync(join(tmpdir(), 'nbts-thr-')));
    const a = parseTraces(one.stdout), b = parseTraces(two.stdout);
    expect(b.map((t) => [t.pixel!.slow, t.pixel!.fast])).toEqual([[3, 10], [95, 73], [127, 127]]);
    expect(b.map((t) => t.phi.map((e) => e.values))).toEqual(a.map((t) => t.phi.map((e) => e.values)));
    expect(b.map((t) => t.final)).toEqual(a.map((t) => t.final));
  });

  it('says why it stays on one thread', () => {
    const c = cases.find((x) => x.id === 'interpolate_hkl')!;
    const r = runEngine([...absoluteArgs(c), '--threads', '2', '-floatfile', 'f.bin', '-nonoise', '-nopgm'], mkdtempSync(join(tmpdir(), 'nbts-thr-')));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('rendering on one thread: tricubic interpolation switches off for good');
    const bad = runEngine([...absoluteArgs(c), '--threads', 'many'], mkdtempSync(join(tmpdir(), 'nbts-thr-')));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--threads: expects an integer, got 'many'");
  });
});

describe('--threads with -dmin and -mask: a probe pass finds which rows start a φ sweep', () => {
  const base = ['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '100', '-N', '5', '-nonoise', '-nopgm', '-detpixels', '64', '--phi-carryover-mode', 'c-parity'];
  it.each([
    // rows 0-44 never start a sweep: the second worker (row 32) starts fresh, as the C thread does
    ['-dmin, no sweep before the second worker', ['-dmin', '100', '-phisteps', '3', '-osc', '0.5', '-Xbeam', '5.5', '-Ybeam', '3.2'], 1],
    ['-dmin, three C threads', ['-dmin', '100', '-phisteps', '3', '-osc', '0.5', '-Xbeam', '5.5', '-Ybeam', '3.2'], 3],
    ['-dmin with -oversample_polar and polarization', ['-dmin', '30', '-polar', '0.5', '-oversample_polar', '-oversample', '2', '-phisteps', '4', '-osc', '1'], 2],
    ['-mask and -dmin', ['-mask', resolve('traces/reference/_smv/mask.img'), '-dmin', '10', '-phisteps', '2', '-osc', '0.2'], 3],
  ] as Array<[string, string[], number]>)('%s: the same bits as one thread, on two', (_n, extra, ct) => {
    const args = [...base, ...extra, '--c-threads', String(ct), '-floatfile', 'f.bin', '-intfile', 'i.img'];
    const d1 = mkdtempSync(join(tmpdir(), 'nbts-thr-')), d2 = mkdtempSync(join(tmpdir(), 'nbts-thr-'));
    const one = runEngine(args, d1), two = runEngine([...args, '--threads', '2'], d2);
    expect(one.status, one.stderr).toBe(0);
    expect(two.status, two.stderr).toBe(0);
    expect(two.stdout).not.toContain('rendering on one thread');
    expect(readFileSync(join(d2, 'f.bin')).equals(readFileSync(join(d1, 'f.bin')))).toBe(true);
    expect(readFileSync(join(d2, 'i.img')).equals(readFileSync(join(d1, 'i.img')))).toBe(true);
  });
});
