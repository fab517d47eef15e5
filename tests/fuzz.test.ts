/**
 * npm run fuzz: the seeded generator of random command lines, and the differential run against
 * the user's nanoBragg.c (live part skipped without a C, saying why).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomLine, rng } from '../bench/fuzz.js';
import { findCSource } from '../harness/c/build.js';
import { parseArgs } from '../src/index.js';
import { C_FAULTS } from './support/cfaults.js';
import { readFileSync } from 'node:fs';

describe('the random command-line generator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = rng(5), b = rng(5), c = rng(6);
    const la = Array.from({ length: 20 }, () => randomLine(a).join(' '));
    expect(Array.from({ length: 20 }, () => randomLine(b).join(' '))).toEqual(la);
    expect(Array.from({ length: 20 }, () => randomLine(c).join(' '))).not.toEqual(la);
  });
  it('draws lines the engine parses, across the flag space (500 lines, 30+ distinct flags)', () => {
    const r = rng(1);
    const flags = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const line = randomLine(r);
      for (const t of line) if (/^-[A-Za-z]/.test(t)) flags.add(t);
      expect(() => parseArgs([...line, '-floatfile', 'f.bin'])).not.toThrow();
    }
    expect(flags.size).toBeGreaterThanOrEqual(30);
  });
});

const source = findCSource();
if (!source) console.log('skipped live part of tests/fuzz.test.ts: no nanoBragg.c (golden_suite_generator/nanoBragg.c or NANOBRAGG_C)');

describe.skipIf(!source)('the differential run against the user\'s C', () => {
  const fuzz = (extra: string[]) => {
    const r = spawnSync(process.execPath, [resolve('dist/bench/fuzz.js'), '--json', ...extra], { encoding: 'utf8', maxBuffer: 1 << 26 });
    return { status: r.status, out: JSON.parse(r.stdout), stderr: r.stderr };
  };
  it('30 seeded lines: every output byte-identical', () => {
    const r = fuzz(['--count', '30', '--seed', '11']);
    expect(r.out.counts, JSON.stringify(r.out.results.slice(0, 3))).toEqual({ identical: 30, mismatched: 0, refused: 0, 'engine-only': 0, 'both-failed': 0 });
    expect(r.status).toBe(0);
  }, 300_000);
  it('a C with a planted 1e-5 solid-angle change: every line mismatched, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nbfuzz-fault-'));
    const variant = join(dir, 'nanoBragg.c');
    writeFileSync(variant, C_FAULTS.find((f) => f.id === 'omega-1e-5')!.apply(readFileSync(source!.path, 'utf8'), [10, 10]));
    const r = fuzz(['--count', '8', '--seed', '11', '--c-source', variant]);
    expect(r.out.counts.mismatched).toBe(8);
    expect(r.out.results[0].detail).toMatch(/float\.bin: \d+ of \d+ pixels differ, max \d+ ulp/);
    expect(r.status).toBe(1);
  }, 300_000);
});
