/**
 * Structure factors: the -hkl text reader (the C reads a stream of tokens, four at a
 * time, then re-reads it as integers), the Fdump.bin cache the C writes next to it and
 * reads back when no -hkl is given, and the padded F grid.
 */
import { readFileSync } from 'node:fs';
import { FlagError } from '../config/argv.js';
import { budgetOf, need, type Budget } from '../config/budget.js';

/** The C's Fhkl[h_range+1][k_range+1][l_range+1] as one flat array. */
export interface HklGrid {
  hMin: number; hMax: number; kMin: number; kMax: number; lMin: number; lMax: number;
  hRange: number; kRange: number; lRange: number;
  /** strides of the padded grid */
  sH: number; sK: number;
  F: Float64Array;
  /** the C's `hkls`: h_range*k_range*l_range (or the count of lines read) */
  hkls: number;
}

function readText(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new FlagError(flag, `cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

const NUM_RE = /^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/;

function allocate(flag: string, budget: Budget, hMin: number, hMax: number, kMin: number, kMax: number, lMin: number, lMax: number): HklGrid {
  const hRange = hMax - hMin + 1, kRange = kMax - kMin + 1, lRange = lMax - lMin + 1;
  const sK = lRange + 1, sH = (kRange + 1) * sK;
  need(budget, flag, `the structure-factor grid for h ${hMin}..${hMax}, k ${kMin}..${kMax}, l ${lMin}..${lMax}`, (hRange + 1) * sH * 8);
  return { hMin, hMax, kMin, kMax, lMin, lMax, hRange, kRange, lRange, sH, sK, F: new Float64Array((hRange + 1) * sH), hkls: 0 };
}

/** Read an `h k l F` text file the way the C does; malformed content is an error naming the line. */
export function readHklFile(path: string, defaultF: number, budget: Budget = budgetOf(null)): HklGrid {
  const text = readText('-hkl', path);
  const rows: { h: number; k: number; l: number; F: number }[] = [];
  const lines = text.split('\n');
  let pending: { tok: string; line: number }[] = [];
  for (let ln = 0; ln < lines.length; ln++) {
    for (const tok of lines[ln].split(/\s+/)) {
      if (tok === '') continue;
      if (!NUM_RE.test(tok)) throw new FlagError('-hkl', `${path} line ${ln + 1}: '${tok}' is not a number`);
      pending.push({ tok, line: ln + 1 });
      if (pending.length === 4) {
        const [h, k, l, F] = pending.map((p) => Number(p.tok));
        for (const [name, v] of [['h', h], ['k', k], ['l', l]] as const) {
          if (!Number.isInteger(v)) throw new FlagError('-hkl', `${path} line ${pending[0].line}: non-integer ${name} (${v})`);
        }
        rows.push({ h, k, l, F });
        pending = [];
      }
    }
  }
  if (pending.length !== 0) throw new FlagError('-hkl', `${path} line ${pending[0].line}: incomplete record (expected h k l F)`);
  if (rows.length === 0) throw new FlagError('-hkl', `${path}: no reflections (expected lines of h k l F)`);
  let hMin = 1e9, kMin = 1e9, lMin = 1e9, hMax = -1e9, kMax = -1e9, lMax = -1e9;
  for (const { h, k, l } of rows) {
    if (hMin > h) hMin = h; if (kMin > k) kMin = k; if (lMin > l) lMin = l;
    if (hMax < h) hMax = h; if (kMax < k) kMax = k; if (lMax < l) lMax = l;
  }
  const g = allocate('-hkl', budget, hMin, hMax, kMin, kMax, lMin, lMax);
  if (defaultF !== 0.0) {
    for (let h0 = 0; h0 < g.hRange; h0++)
      for (let k0 = 0; k0 < g.kRange; k0++)
        for (let l0 = 0; l0 < g.lRange; l0++) g.F[h0 * g.sH + k0 * g.sK + l0] = defaultF;
  }
  for (const { h, k, l, F } of rows) g.F[(h - hMin) * g.sH + (k - kMin) * g.sK + (l - lMin)] = F;
  g.hkls = rows.length;
  return g;
}

/** The bytes of the C's Fdump.bin: "%d %d %d %d %d %d\n\f" then the padded grid as native doubles. */
export function fdumpBytes(g: HklGrid): Buffer {
  const header = Buffer.from(`${g.hMin} ${g.hMax} ${g.kMin} ${g.kMax} ${g.lMin} ${g.lMax}\n\f`, 'latin1');
  return Buffer.concat([header, Buffer.from(g.F.buffer, g.F.byteOffset, g.F.byteLength)]);
}

/** Read an Fdump.bin written by the C or by this engine. */
export function readFdump(path: string, budget: Budget = budgetOf(null)): HklGrid {
  let buf: Buffer;
  try { buf = readFileSync(path); } catch (e) { throw new FlagError('-dump', `cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? e}`); }
  const ff = buf.indexOf(0x0c);
  const m = ff > 0 ? /^\s*(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s*$/.exec(buf.subarray(0, ff).toString('latin1')) : null;
  if (!m) throw new FlagError('-dump', `${path}: not an Fdump file (bad header)`);
  const [hMin, hMax, kMin, kMax, lMin, lMax] = m.slice(1, 7).map(Number);
  const g = allocate('-dump', budget, hMin, hMax, kMin, kMax, lMin, lMax);
  const data = buf.subarray(ff + 1);
  if (data.length < g.F.byteLength) throw new FlagError('-dump', `${path}: truncated (${data.length} of ${g.F.byteLength} data bytes)`);
  new Uint8Array(g.F.buffer).set(data.subarray(0, g.F.byteLength));
  g.hkls = g.hRange * g.kRange * g.lRange;
  return g;
}

/** -mat: nine numbers, line i holding the x/y/z components of a*, b*, c* (λ-scaled). */
export function readMatFile(path: string): number[] {
  const text = readText('-mat', path);
  const nums: number[] = [];
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length && nums.length < 9; ln++) {
    for (const tok of lines[ln].split(/\s+/)) {
      if (tok === '') continue;
      if (!NUM_RE.test(tok)) throw new FlagError('-mat', `${path} line ${ln + 1}: '${tok}' is not a number`);
      nums.push(Number(tok));
      if (nums.length === 9) break;
    }
  }
  if (nums.length < 9) throw new FlagError('-mat', `${path}: expected 9 numbers (3 lines of a*_i b*_i c*_i), found ${nums.length}`);
  return nums;
}

/**
 * read_text_file(): one row per non-blank line, columns split on " \t,;:!", missing
 * columns NaN. Used for -sourcefile (X Y Z weight lambda) and the stol files.
 */
export function readColumns(flag: string, path: string, ncols: number): number[][] {
  const text = readText(flag, path);
  const rows: number[][] = [];
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const toks = lines[ln].split(/[ \t,;:!\r]+/).filter((t) => t !== '');
    if (toks.length === 0) continue;
    const row = new Array<number>(ncols).fill(NaN);
    for (let c = 0; c < Math.min(ncols, toks.length); c++) {
      if (!NUM_RE.test(toks[c])) throw new FlagError(flag, `${path} line ${ln + 1}: '${toks[c]}' is not a number`);
      row[c] = Number(toks[c]);
    }
    rows.push(row);
  }
  if (rows.length === 0) throw new FlagError(flag, `${path}: no data`);
  return rows;
}
