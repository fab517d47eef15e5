/**
 * reports/ledger.csv: one row per suite test per run, appended (atomically: the whole file
 * is rewritten to a temp name and renamed). The previous run of the same suite is the
 * baseline for drift: verdict flips, and metrics that moved by more than a factor.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { writeFileAtomic } from '../../src/index.js';
import { EvidenceWriteError, InputError } from '../contract.js';

export const LEDGER_COLUMNS = ['run_id', 'created', 'suite', 'case', 'mode', 'test', 'commit', 'c_sha256', 'dtype', 'omp_threads',
  'correlation', 'sum_ratio', 'max_dk', 'verdict', 'outcome', 'wall_ms'] as const;
export type LedgerRow = Record<(typeof LEDGER_COLUMNS)[number], string>;

function csvCell(v: string): string { return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v; }

/** A ledger that cannot be read as one: exit 2, naming the file and the line; never silently restarted. */
export class LedgerError extends InputError {
  override name = 'LedgerError';
  constructor(readonly file: string, readonly line: number | null, problem: string) {
    super(`ledger ${line === null ? file : `${file}:${line}`}: ${problem} (repair or move it away; nbparity never restarts a damaged ledger)`);
  }
}

/**
 * Read the ledger (a missing or empty file is an empty ledger). The header must be the ledger's
 * columns, every row must have them all, and wall_ms must be a number.
 */
export function readLedger(path: string): LedgerRow[] {
  if (!existsSync(path)) return [];
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) { throw new LedgerError(path, null, (e as Error).message); }
  if (!text.trim()) return [];
  const header = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n')).trim();
  if (header !== LEDGER_COLUMNS.join(',')) throw new LedgerError(path, 1, `the header is not the ledger's columns (${LEDGER_COLUMNS.join(',')})`);
  let recs: Array<{ record: LedgerRow; info: { lines: number } }>;
  try {
    recs = parse(text, { columns: true, skip_empty_lines: true, info: true, relax_column_count: false }) as Array<{ record: LedgerRow; info: { lines: number } }>;
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new LedgerError(path, err.lines ?? null, err.message.replace(/^Invalid Record Length: /, 'wrong number of columns: '));
  }
  for (const { record, info } of recs) {
    if (!record.run_id || !record.suite || !record.test) throw new LedgerError(path, info.lines, 'a row without run_id, suite or test');
    if (record.wall_ms !== '' && !Number.isFinite(Number(record.wall_ms))) throw new LedgerError(path, info.lines, `wall_ms '${record.wall_ms}' is not a number`);
  }
  return recs.map((r) => r.record);
}

/**
 * Append rows: the parent folder is created when missing (a fresh CI cache), the existing
 * ledger is read (and checked) first, and the whole file is written to a temporary name and
 * renamed, so a reader never sees half a row.
 */
export function appendLedger(path: string, rows: LedgerRow[]): void {
  readLedger(path); // a damaged ledger stops here, before anything is written
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const header = existing.trim() ? '' : LEDGER_COLUMNS.join(',') + '\n';
  const sep = existing && !existing.endsWith('\n') ? '\n' : '';
  const body = rows.map((r) => LEDGER_COLUMNS.map((c) => csvCell(r[c] ?? '')).join(',')).join('\n') + '\n';
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, (existing.trim() ? existing + sep : '') + header + body);
  } catch (e) {
    throw new EvidenceWriteError(path, e as NodeJS.ErrnoException);
  }
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
