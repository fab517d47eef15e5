/**
 * Recorded references under traces/reference/<case>/: real nanoBragg.c outputs with their
 * provenance, so the engine can be checked on a machine without the C source.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { InputError } from '../contract.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ReferenceCase {
  id: string;
  dir: string;
  description: string;
  /** nanoBragg arguments; input paths are relative to `dir` */
  args: string[];
  inputs: string[];
  fpixels: number; spixels: number;
  trace_pixel: [number, number];
  /** image per φ mode, and per mode@threads for multi-threaded C runs: "c-parity", "spec", "c-parity@2" */
  images: Record<string, string>;
  golden_trace: string | null;
  /** C traces per φ mode from the nbparity-instrumented upstream (c-parity) and fixed (spec) builds */
  traces?: Partial<Record<'spec' | 'c-parity', string>>;
  int_image?: string;
  noise_image?: string;
  /** float32 mode on this case is less accurate than usual, with the reason (tests/float32.test.ts) */
  float32?: { sum_tolerance: number; why: string };
  fdump?: string;
}

/** The repository's traces/reference directory (works from src and from dist). */
export function referenceRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const cand = join(d, 'traces', 'reference');
    if (existsSync(cand)) return cand;
    d = dirname(d);
  }
  throw new Error('traces/reference not found above ' + fileURLToPath(import.meta.url));
}

export function loadCases(root = referenceRoot()): ReferenceCase[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('_') && existsSync(join(root, e.name, 'case.json')))
    .map((e) => loadCase(join(root, e.name)))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export function loadCase(dir: string): ReferenceCase {
  const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as ReferenceCase;
  return { ...c, dir, int_image: c.int_image ?? (existsSync(join(dir, 'upstream.int.img')) ? 'upstream.int.img' : undefined) };
}

/** The case's arguments with its input files made absolute, so they work from any directory. */
export function absoluteArgs(c: ReferenceCase): string[] {
  const inputs = new Set(c.inputs);
  return c.args.map((a) => (inputs.has(a) ? resolve(c.dir, a) : a));
}

export function readFloatImage(path: string): Float32Array {
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Split an images key ("c-parity@2") into φ mode and C thread count. */
export function imageKey(key: string): { mode: 'spec' | 'c-parity'; threads: number } {
  const [mode, t] = key.split('@');
  if (mode !== 'spec' && mode !== 'c-parity') throw new Error(`unknown image key '${key}'`);
  return { mode, threads: t ? Number(t) : 1 };
}

/**
 * A recorded reference is used only when the files a run reads match the sha256 values its
 * provenance.json records (case.json always): a file that is missing, changed or not covered
 * is a corrupt reference (InputError, exit 2), never a silent pass.
 */
export function verifyReference(c: ReferenceCase, files: string[]): void {
  let recorded: Record<string, string>;
  try { recorded = JSON.parse(readFileSync(join(c.dir, 'provenance.json'), 'utf8')).sha256 ?? {}; }
  catch (e) { throw new InputError(`corrupt reference ${c.dir}: provenance.json unreadable (${(e as Error).message})`); }
  for (const f of new Set(['case.json', ...files])) {
    const want = recorded[f];
    if (!want) throw new InputError(`corrupt reference ${c.dir}: ${f} is not covered by provenance.json's sha256 list`);
    let got: string;
    try { got = createHash('sha256').update(readFileSync(join(c.dir, f))).digest('hex'); }
    catch { throw new InputError(`corrupt reference ${c.dir}: ${f} is missing`); }
    if (got !== want) throw new InputError(`corrupt reference ${c.dir}: ${f} has sha256 ${got.slice(0, 16)}…, provenance.json records ${want.slice(0, 16)}…`);
  }
}
