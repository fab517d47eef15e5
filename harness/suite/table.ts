/**
 * Suite files: a CSV (csv-parse) or JSONL table of cases. Per case: id, nanoBragg args,
 * tags, traced pixel(s), φ mode(s), dtype, C threads, thresholds and the expected verdict
 * per mode (pass, or known-diff with a reason). Empty cells take the defaults. Every row
 * is checked against a JSON Schema; a bad row is reported with its file and line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Ajv } from 'ajv';
import { schemaPath } from '../schemas/validate.js';
import { causeIn, KNOWN_CAUSES } from '../compare/causes.js';
import { InputError } from '../contract.js';

export type PhiMode = 'spec' | 'c-parity';

export class SuiteError extends InputError {
  override name = 'SuiteError';
  constructor(readonly file: string, readonly line: number | null, problem: string) {
    super(line === null ? `${file}: ${problem}` : `${file}:${line}: ${problem}`);
  }
}

export interface Expectation { verdict: 'pass' | 'known-diff'; reason: string }

export interface SuiteCase {
  id: string; line: number;
  args: string[];
  tags: string[];
  pixels: Array<[number, number]>;
  modes: PhiMode[];
  dtype: 'float64' | 'float32';
  ompThreads: number;
  thresholds: {
    minCorrelation: number; minIdentical: number; ulpTol: number; relTol: number;
    sumRatioMin?: number; sumRatioMax?: number; maxAbs?: number; vg1K: number; vg1RotB: number;
  };
  expect: Record<PhiMode, Expectation>;
  /** recorded reference for replay (traces/reference/<ref>) */
  ref: string | null;
}

export interface Suite { name: string; file: string; dir: string; cases: SuiteCase[] }

export const COLUMNS = ['id', 'args', 'tags', 'pixels', 'modes', 'dtype', 'omp_threads', 'min_correlation', 'min_identical', 'ulp_tol', 'rel_tol',
  'sum_ratio_min', 'sum_ratio_max', 'max_abs', 'vg1_k', 'vg1_rot_b', 'expect', 'reason', 'ref'] as const;

export const DEFAULTS = { modes: 'c-parity;spec', dtype: 'float64', omp_threads: 1, min_correlation: 0.9999999, min_identical: 0.999, ulp_tol: 2, rel_tol: 1e-6, vg1_k: 1e-6, vg1_rot_b: 1e-6, expect: 'pass' };

const NUMERIC = ['omp_threads', 'min_correlation', 'min_identical', 'ulp_tol', 'rel_tol', 'sum_ratio_min', 'sum_ratio_max', 'max_abs', 'vg1_k', 'vg1_rot_b'];
const FILE_FLAGS = ['-mat', '-hkl', '-sourcefile', '-stol', '-4stol', '-Q', '-img', '-mask', '-dump'];

type Row = Record<string, unknown>;

let rowValidator: ((x: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null } | null = null;
function validateRow(row: Row): string | null {
  if (!rowValidator) rowValidator = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(schemaPath('suiteCase'), 'utf8')));
  if (rowValidator(row)) return null;
  return (rowValidator.errors ?? []).map((e) => `${e.instancePath ? e.instancePath.slice(1) : 'row'} ${e.message}`).join('; ');
}

/** "S,F;S,F" → pixels */
function parsePixels(s: string): Array<[number, number]> {
  return s.split(';').map((x) => x.trim()).filter(Boolean).map((pair) => pair.split(',').map((v) => Number(v.trim())) as [number, number]);
}

/** "pass" | "known-diff" | "spec:known-diff;c-parity:pass" → per-mode expectation */
function parseExpect(s: string, reason: string, modes: PhiMode[], file: string, line: number): Record<PhiMode, Expectation> {
  const out = {} as Record<PhiMode, Expectation>;
  for (const m of modes) out[m] = { verdict: 'pass', reason: '' };
  for (const part of s.split(';').map((x) => x.trim()).filter(Boolean)) {
    const m = /^(?:(spec|c-parity):)?(pass|known-diff)$/.exec(part);
    if (!m) throw new SuiteError(file, line, `expect: '${part}' is not pass, known-diff, or MODE:pass / MODE:known-diff`);
    const targets = m[1] ? [m[1] as PhiMode] : modes;
    for (const t of targets) out[t] = { verdict: m[2] as 'pass' | 'known-diff', reason: m[2] === 'known-diff' ? reason : '' };
  }
  for (const m of modes) {
    if (out[m].verdict !== 'known-diff') continue;
    if (!out[m].reason) throw new SuiteError(file, line, `expect: known-diff needs a reason (column 'reason')`);
    // a known difference is cause-specific: the reason names a catalogue entry that must explain it
    if (!causeIn(out[m].reason)) throw new SuiteError(file, line, `expect: known-diff's reason '${out[m].reason}' names no known cause (known: ${Object.keys(KNOWN_CAUSES).join(', ')})`);
  }
  return out;
}

function num(v: unknown, d?: number): number | undefined {
  if (v === undefined || v === null || v === '') return d;
  return typeof v === 'number' ? v : Number(v);
}

/** Turn one raw row (CSV strings or JSONL values) into a SuiteCase; paths relative to the suite file become absolute. */
function toCase(raw: Row, file: string, line: number): SuiteCase {
  const row: Row = {};
  for (const [k, v] of Object.entries(raw)) if (v !== '' && v !== null && v !== undefined) row[k] = v;
  const unknown = Object.keys(row).filter((k) => !(COLUMNS as readonly string[]).includes(k));
  if (unknown.length) throw new SuiteError(file, line, `unknown column(s) ${unknown.join(', ')} (known: ${COLUMNS.join(', ')})`);
  for (const k of NUMERIC) {
    if (row[k] !== undefined && typeof row[k] !== 'number' && !Number.isFinite(Number(row[k]))) throw new SuiteError(file, line, `case ${JSON.stringify(row.id ?? '?')}: ${k}: '${row[k]}' is not a number`);
  }
  const norm: Row = {
    id: row.id, args: row.args,
    tags: row.tags ?? '', ...(row.pixels !== undefined ? { pixels: row.pixels } : {}), modes: row.modes ?? DEFAULTS.modes, dtype: row.dtype ?? DEFAULTS.dtype,
    omp_threads: num(row.omp_threads, DEFAULTS.omp_threads), min_correlation: num(row.min_correlation, DEFAULTS.min_correlation),
    min_identical: num(row.min_identical, DEFAULTS.min_identical), ulp_tol: num(row.ulp_tol, DEFAULTS.ulp_tol), rel_tol: num(row.rel_tol, DEFAULTS.rel_tol),
    vg1_k: num(row.vg1_k, DEFAULTS.vg1_k), vg1_rot_b: num(row.vg1_rot_b, DEFAULTS.vg1_rot_b), expect: row.expect ?? DEFAULTS.expect, reason: row.reason ?? '',
    ...(row.sum_ratio_min !== undefined ? { sum_ratio_min: num(row.sum_ratio_min) } : {}),
    ...(row.sum_ratio_max !== undefined ? { sum_ratio_max: num(row.sum_ratio_max) } : {}),
    ...(row.max_abs !== undefined ? { max_abs: num(row.max_abs) } : {}),
    ...(row.ref !== undefined ? { ref: row.ref } : {}),
  };
  if (Array.isArray(norm.args)) norm.args = (norm.args as unknown[]).map(String).join(' ');
  const problem = validateRow(norm);
  if (problem) throw new SuiteError(file, line, `case ${JSON.stringify(row.id ?? '?')}: ${problem}`);
  const modes = String(norm.modes).split(';').map((x) => x.trim()).filter(Boolean) as PhiMode[];
  const dir = dirname(file);
  const toks = String(norm.args).trim().split(/\s+/);
  const args = toks.map((t, i) => {
    const prev = toks[i - 1];
    if (i > 0 && prev.startsWith('-') && FILE_FLAGS.some((f) => prev.includes(f)) && !isAbsolute(t)) {
      const p = resolve(dir, t);
      if (!existsSync(p)) throw new SuiteError(file, line, `case ${norm.id}: input file '${t}' (for ${prev}) not found relative to the suite file (${p})`);
      return p;
    }
    return t;
  });
  const pixels = norm.pixels ? parsePixels(String(norm.pixels)) : [];
  if (pixels.some(([s, f]) => !Number.isInteger(s) || !Number.isInteger(f) || s < 0 || f < 0)) throw new SuiteError(file, line, `case ${norm.id}: pixels must be "S,F;S,F" with non-negative integers, got '${norm.pixels}'`);
  return {
    id: String(norm.id), line, args, tags: String(norm.tags).split(/[;,\s]+/).filter(Boolean), pixels, modes,
    dtype: norm.dtype as 'float64' | 'float32', ompThreads: Number(norm.omp_threads),
    thresholds: {
      minCorrelation: Number(norm.min_correlation), minIdentical: Number(norm.min_identical), ulpTol: Number(norm.ulp_tol), relTol: Number(norm.rel_tol),
      sumRatioMin: norm.sum_ratio_min as number | undefined, sumRatioMax: norm.sum_ratio_max as number | undefined, maxAbs: norm.max_abs as number | undefined,
      vg1K: Number(norm.vg1_k), vg1RotB: Number(norm.vg1_rot_b),
    },
    expect: parseExpect(String(norm.expect), String(norm.reason), modes, file, line),
    ref: norm.ref ? String(norm.ref) : null,
  };
}

export function loadSuite(pathIn: string): Suite {
  const file = resolve(pathIn);
  if (!existsSync(file)) throw new SuiteError(file, null, 'no such suite file');
  const text = readFileSync(file, 'utf8');
  const ext = extname(file).toLowerCase();
  const rows: Array<{ raw: Row; line: number }> = [];
  if (ext === '.jsonl') {
    text.split('\n').forEach((l, i) => {
      if (!l.trim() || l.trim().startsWith('#')) return;
      try { rows.push({ raw: JSON.parse(l), line: i + 1 }); } catch (e) { throw new SuiteError(file, i + 1, `not JSON: ${(e as Error).message}`); }
    });
  } else if (ext === '.csv') {
    let records: Array<{ record: Row; info: { lines: number } }>;
    try {
      records = parse(text, { columns: true, comment: '#', skip_empty_lines: true, trim: true, info: true, relax_column_count: false }) as Array<{ record: Row; info: { lines: number } }>;
    } catch (e) {
      const err = e as Error & { lines?: number };
      throw new SuiteError(file, err.lines ?? null, err.message);
    }
    for (const r of records) rows.push({ raw: r.record, line: r.info.lines });
  } else {
    throw new SuiteError(file, null, `unknown suite format '${ext}' (use .csv or .jsonl)`);
  }
  if (rows.length === 0) throw new SuiteError(file, null, 'no cases');
  const cases = rows.map(({ raw, line }) => toCase(raw, file, line));
  const seen = new Map<string, number>();
  for (const c of cases) {
    if (seen.has(c.id)) throw new SuiteError(file, c.line, `duplicate case id '${c.id}' (first at line ${seen.get(c.id)})`);
    seen.set(c.id, c.line);
  }
  return { name: basename(file, ext), file, dir: dirname(file), cases };
}
