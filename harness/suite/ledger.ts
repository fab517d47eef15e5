/**
 * reports/ledger.csv: one row per suite test per run, appended (atomically: the whole file
 * is rewritten to a temp name and renamed). The previous run of the same suite is the
 * baseline for drift: verdict flips, and metrics that moved by more than a factor.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { writeFileAtomic } from '../../src/index.js';

export const LEDGER_COLUMNS = ['run_id', 'created', 'suite', 'case', 'mode', 'test', 'commit', 'c_sha256', 'dtype', 'omp_threads',
  'correlation', 'sum_ratio', 'max_dk', 'verdict', 'outcome', 'wall_ms'] as const;
export type LedgerRow = Record<(typeof LEDGER_COLUMNS)[number], string>;

function csvCell(v: string): string { return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v; }

export function readLedger(path: string): LedgerRow[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  if (!text.trim()) return [];
  return parse(text, { columns: true, skip_empty_lines: true }) as LedgerRow[];
}

export function appendLedger(path: string, rows: LedgerRow[]): void {
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const header = existing.trim() ? '' : LEDGER_COLUMNS.join(',') + '\n';
  const body = rows.map((r) => LEDGER_COLUMNS.map((c) => csvCell(r[c] ?? '')).join(',')).join('\n') + '\n';
  writeFileAtomic(path, existing + header + body);
}

export interface DriftFlag { test: string; kind: 'verdict-flip' | 'metric-drift' | 'new-test' | 'missing-test'; detail: string }

const FLOORS: Record<string, number> = { correlation_deficit: 1e-12, sum_ratio_deviation: 1e-12, max_dk: 1e-15 };

function metricsOf(r: Pick<LedgerRow, 'correlation' | 'sum_ratio' | 'max_dk'>): Record<string, number> {
  const n = (s: string) => (s === '' ? NaN : Number(s));
  return { correlation_deficit: 1 - n(r.correlation), sum_ratio_deviation: Math.abs(n(r.sum_ratio) - 1), max_dk: n(r.max_dk) };
}

/**
 * Compare this run's rows with the previous run of the same suite against the same C (same
 * sha256, or both replays) in the ledger.
 */
export function drift(ledger: LedgerRow[], suite: string, current: LedgerRow[], factor: number): { previousRun: string | null; flags: DriftFlag[] } {
  const cSha = current[0]?.c_sha256;
  const runs = [...new Set(ledger.filter((r) => r.suite === suite && r.c_sha256 === cSha).map((r) => r.run_id))];
  const previousRun = runs.length ? runs[runs.length - 1] : null;
  if (!previousRun) return { previousRun: null, flags: [] };
  const prev = new Map(ledger.filter((r) => r.run_id === previousRun && r.suite === suite && r.c_sha256 === cSha).map((r) => [r.test, r]));
  const flags: DriftFlag[] = [];
  for (const r of current) {
    const p = prev.get(r.test);
    if (!p) { flags.push({ test: r.test, kind: 'new-test', detail: `not in the previous run ${previousRun}` }); continue; }
    if (p.verdict !== r.verdict) flags.push({ test: r.test, kind: 'verdict-flip', detail: `${p.verdict} → ${r.verdict} (previous run ${previousRun})` });
    const a = metricsOf(p), b = metricsOf(r);
    for (const k of Object.keys(FLOORS)) {
      if (Number.isNaN(a[k]) || Number.isNaN(b[k])) continue;
      const x = Math.max(a[k], FLOORS[k]), y = Math.max(b[k], FLOORS[k]);
      if (y / x > factor || x / y > factor) flags.push({ test: r.test, kind: 'metric-drift', detail: `${k} ${a[k].toExponential(3)} → ${b[k].toExponential(3)} (×${(y / x).toExponential(2)}, beyond ×${factor})` });
    }
  }
  const now = new Set(current.map((r) => r.test));
  for (const t of prev.keys()) if (!now.has(t)) flags.push({ test: t, kind: 'missing-test', detail: `in the previous run ${previousRun}, not in this one` });
  return { previousRun, flags };
}
