/**
 * Pairwise covering arrays: given factors with levels (each level an argument fragment),
 * write the fewest cases we can find in which every pair of levels of every two factors
 * appears together at least once, so that interactions are tested without a full grid.
 * Greedy AETG-style construction with a fixed seed, so the output is reproducible.
 */
import { InputError } from '../contract.js';
import { readFileSync } from 'node:fs';

export interface Level { name: string; args: string; /** a known difference this level brings, e.g. {"spec": "C-PARITY-001"} */ known?: Partial<Record<'spec' | 'c-parity', string>> }
export interface Factor { name: string; levels: Level[] }
export interface FactorFile { suite: string; base: string; factors: Factor[]; candidates?: number; seed?: number }

export class FactorError extends InputError { override name = 'FactorError'; }

export function loadFactors(path: string): FactorFile {
  let f: FactorFile;
  try { f = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new FactorError(`${path}: ${(e as Error).message}`); }
  if (!f || typeof f.base !== 'string' || !Array.isArray(f.factors) || f.factors.length < 2) throw new FactorError(`${path}: needs "base" (string) and at least two "factors"`);
  for (const [i, fac] of f.factors.entries()) {
    if (!fac.name || !Array.isArray(fac.levels) || fac.levels.length < 1) throw new FactorError(`${path}: factor ${i} needs a name and levels`);
    for (const l of fac.levels) if (typeof l.name !== 'string' || typeof l.args !== 'string') throw new FactorError(`${path}: factor ${fac.name}: each level needs "name" and "args"`);
  }
  return f;
}

/** Every pair (factor i level a, factor j level b), i < j, not covered by `rows` (rows = level index per factor). */
export function uncoveredPairs(factors: Factor[], rows: number[][]): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  for (let i = 0; i < factors.length; i++) for (let j = i + 1; j < factors.length; j++)
    for (let a = 0; a < factors[i].levels.length; a++) for (let b = 0; b < factors[j].levels.length; b++)
      if (!rows.some((r) => r[i] === a && r[j] === b)) out.push([i, a, j, b]);
  return out;
}

export function coveringArray(factors: Factor[], opts: { candidates?: number; seed?: number } = {}): number[][] {
  let seed = opts.seed ?? 12345;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const key = (i: number, a: number, j: number, b: number) => `${i}:${a}|${j}:${b}`;
  const uncovered = new Set(uncoveredPairs(factors, []).map((p) => key(...p)));
  const rows: number[][] = [];
  const gain = (row: Array<number | undefined>, f: number, l: number) => {
    let g = 0;
    for (let o = 0; o < factors.length; o++) {
      if (o === f || row[o] === undefined) continue;
      const [i, a, j, b] = o < f ? [o, row[o]!, f, l] : [f, l, o, row[o]!];
      if (uncovered.has(key(i, a, j, b))) g++;
    }
    return g;
  };
  while (uncovered.size) {
    let best: number[] | null = null, bestGain = -1;
    for (let c = 0; c < (opts.candidates ?? 30); c++) {
      // start from an uncovered pair, then fill the other factors in random order, greedily
      const pairs = [...uncovered];
      const [p1, p2] = pairs[Math.floor(rand() * pairs.length)].split('|').map((s) => s.split(':').map(Number));
      const row: Array<number | undefined> = new Array(factors.length).fill(undefined);
      row[p1[0]] = p1[1]; row[p2[0]] = p2[1];
      const order = factors.map((_, i) => i).filter((i) => row[i] === undefined).sort(() => rand() - 0.5);
      for (const f of order) {
        let bl = 0, bg = -1;
        for (let l = 0; l < factors[f].levels.length; l++) { const g = gain(row, f, l) + rand() * 1e-3; if (g > bg) { bg = g; bl = l; } }
        row[f] = bl;
      }
      let total = 0;
      for (let i = 0; i < factors.length; i++) for (let j = i + 1; j < factors.length; j++) if (uncovered.has(key(i, row[i]!, j, row[j]!))) total++;
      if (total > bestGain) { bestGain = total; best = row as number[]; }
    }
    for (let i = 0; i < factors.length; i++) for (let j = i + 1; j < factors.length; j++) uncovered.delete(key(i, best![i], j, best![j]));
    rows.push(best!);
  }
  return rows;
}

function csvCell(v: string): string { return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v; }

/** The suite CSV for a factor file. */
export function pairwiseCsv(f: FactorFile, source: string): string {
  const rows = coveringArray(f.factors, { candidates: f.candidates, seed: f.seed });
  const lines = [
    `# ${f.suite}: pairwise covering array written by \`nbparity suite generate ${source}\` (${rows.length} cases; do not edit by hand).`,
    `# Factors: ${f.factors.map((x) => `${x.name} {${x.levels.map((l) => l.name).join(', ')}}`).join('; ')}.`,
    'id,args,tags,modes,expect,reason',
  ];
  rows.forEach((r, n) => {
    const levels = r.map((l, i) => f.factors[i].levels[l]);
    const args = [f.base, ...levels.map((l) => l.args)].filter((s) => s.trim()).join(' ').replace(/\s+/g, ' ').trim();
    const tags = levels.map((l, i) => `${f.factors[i].name}=${l.name}`).join(' ');
    const known = levels.flatMap((l) => Object.entries(l.known ?? {}));
    const expect = known.length ? [...new Set(known.map(([m]) => `${m}:known-diff`))].join(';') : 'pass';
    const reason = [...new Set(known.map(([, why]) => why))].join('; ');
    lines.push([`pw${String(n + 1).padStart(2, '0')}`, args, tags, 'c-parity;spec', expect, reason].map(csvCell).join(','));
  });
  return lines.join('\n') + '\n';
}
