/**
 * Live checks against the user's nanoBragg.c, when present (golden_suite_generator/nanoBragg.c
 * or $NANOBRAGG_C): build it, run it and the engine on the same arguments, compare images.
 * Without a C source these tests are skipped, saying why.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { buildC, candidates, findCSource } from '../harness/c/build.js';
import { diffImages } from '../harness/metrics/image.js';
import { simulate } from '../src/index.js';

const source = findCSource();
const SKIP_REASON = `no nanoBragg.c (looked at ${candidates().join(', ')}): live C checks skipped`;
if (!source) console.log(SKIP_REASON);

const base = ['-cell', '70', '80', '90', '75', '85', '95', '-misset', '10', '-20', '30', '-default_F', '100', '-N', '6',
  '-lambda', '1', '-distance', '100', '-pixel', '0.1', '-detpixels', '96', '-oversample', '1', '-nonoise', '-nopgm'];

async function runC(binary: string, args: string[], threads: number): Promise<Float32Array> {
  const dir = mkdtempSync(join(tmpdir(), 'nblive-'));
  const r = await execa(binary, [...args, '-floatfile', 'c.bin', '-intfile', 'c.img', '-noprogress'], { cwd: dir, env: { OMP_NUM_THREADS: String(threads) }, reject: false });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  const b = readFileSync(join(dir, 'c.bin'));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

describe.skipIf(!source)('live nanoBragg.c', () => {
  it.each([
    ['triclinic, 8 phi steps, 1 thread', [...base, '-phisteps', '8', '-osc', '0.8'], 1],
    ['triclinic, 8 phi steps, 2 threads', [...base, '-phisteps', '8', '-osc', '0.8'], 2],
    ['mosaic and phi, 3 threads, ROI', [...base, '-phisteps', '3', '-osc', '0.3', '-mosaic', '0.3', '-mosaic_domains', '4', '-roi', '10', '80', '5', '90'], 3],
  ] as Array<[string, string[], number]>)('%s: c-parity image bit-identical', async (_name, args, threads) => {
    const built = await buildC(source!.path);
    const c = await runC(built.binary, args, threads);
    const ts = simulate([...args, '--phi-carryover-mode', 'c-parity', '--c-threads', String(threads)]).image;
    const d = diffImages(ts, c);
    expect(d.identicalFraction, `max ulp ${d.maxUlp}, max rel ${d.maxRel}`).toBeGreaterThanOrEqual(0.999);
    expect(d.outside).toBe(0);
  });

  it.each([['-lambda', '0'], ['-distance', '0']])('%s %s without -oversample: the C finishes (oversample INT_MIN → 1); the engine too, byte for byte', async (flag, v) => {
    const args = ['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '100', '-N', '5', '-detpixels', '24', '-nonoise', '-nopgm', flag, v];
    const built = await buildC(source!.path);
    const c = await runC(built.binary, args, 1);
    const ts = simulate([...args, '--phi-carryover-mode', 'c-parity']).image;
    expect(Buffer.from(ts.buffer, ts.byteOffset, ts.byteLength).equals(Buffer.from(c.buffer, c.byteOffset, c.byteLength))).toBe(true);
  });
});
