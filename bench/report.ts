/**
 * The benchmark's results: their JSON shape (results.json, and stdout with --json) and the
 * tables people read (stdout, results.md).
 */
import { fmt, fmtRatio, fmtTol } from '../harness/report/format.js';
import type { FAST_BOUNDS } from './checks.js';
import type { LoadNote, MachineInfo } from './machine.js';
import type { CellResult, SideResult } from './measure.js';

export const RESULTS_SCHEMA = 'nbparity.bench/1';

export type Cell = CellResult & { load: LoadNote };
export interface CaseRun { id: string; label: string; args: string[]; cells: Cell[] }
export interface ScalingRun extends CaseRun { sweep: string; sweep_title: string; value: number }

export interface BenchResults {
  schema: typeof RESULTS_SCHEMA;
  /** false while running (the folder is rewritten after every cell) or when interrupted */
  complete: boolean; interrupted: boolean;
  started: string; finished: string | null;
  command: string;
  machine: MachineInfo & { time_launcher: string | null; engine_env_drops: string[] };
  c: { source: string; from: string; sha256: string; compiled_text_sha256: string; compiler: string; compiler_version: string; flags: string[]; build_command: string[]; binary: string };
  engine: { path: string; git: { commit: string; dirty: boolean } | null; libm: string | null };
  settings: {
    runs: number; threads: number[]; variants: string[]; cases: string[]; scaling: boolean; scaling_threads: number[]; sweeps: string[];
    idle_wait_s: number; timeout_s: number; base_args: string[]; fast_bounds: typeof FAST_BOUNDS;
  };
  matrix: CaseRun[];
  scaling: ScalingRun[] | null;
  failures: Array<{ kind: 'check' | 'run'; message: string }>;
  /** pass: every run ran and every check passed; fail: a check failed (exit 1); run failed: a run failed (exit 3) */
  verdict: 'pass' | 'fail' | 'run failed' | 'incomplete';
  exit_code: number | null;
  files: string[];
}

const ms = (x: number | null | undefined) => (x === null || x === undefined ? '–' : fmt(x, 3));
const mib = (kb: number | null | undefined) => (kb === null || kb === undefined ? '–' : fmt(kb / 1024, 3));
const ratio = (r: number | null | undefined) => (r === null || r === undefined || !Number.isFinite(r) ? '–' : r.toFixed(2));
const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
export const threadsLabel = (t: number) => plural(t, 'thread');

/** the check column: what was checked and what it found */
export function checkText(s: SideResult): string {
  const c = s.checks;
  const runs = plural(c.runs_checked, 'run');
  let text: string;
  if (c.runs_checked === 0) text = 'not checked';
  else if (c.kind === 'reproducible') text = c.pass ? `reproducible (${runs})` : `NOT reproducible (${c.runs_checked - c.runs_passed} of ${runs} differ)`;
  else if (c.kind === 'bit-identical') {
    const d = c.first_difference;
    text = c.pass ? `bit-identical (${runs})` : `FAIL: ${c.runs_checked - c.runs_passed} of ${runs} not bit-identical${d ? ` (${d.differing} px, max ${d.maxUlp} ulp)` : ''}`;
  } else {
    const v = c.vs_c;
    const body = v ? `corr ${fmtRatio(v.correlation)}, max rel ${fmt(v.maxRel, 2)}, peaks ${v.peaks.matched}/${v.peaks.reference}${v.peaks.excused ? ` (+${v.peaks.excused} ties)` : ''}` : '';
    text = `${c.pass ? '' : 'FAIL: '}${body} (${runs})`;
  }
  return s.ok ? text : `RUN FAILED: ${(s.error ?? '').split('\n')[0].slice(0, 100)}${c.runs_checked ? `; ${text}` : ''}`;
}

function loadText(l: LoadNote): string {
  const other = l.other_cores === null ? 'other load: not measured' : `other load: ${Math.max(0, l.other_cores).toFixed(2)} cores`;
  const la = `loadavg ${l.loadavg_before[0].toFixed(2)} → ${l.loadavg_after[0].toFixed(2)}`;
  const idle = !l.idle_wait ? '' : l.idle_wait.idle ? `; idle after ${l.idle_wait.waited_s.toFixed(0)} s` : l.idle_wait.busy_cores === null ? '; idleness not measured' : `; NEVER IDLE (${fmt(l.idle_wait.busy_cores, 2)} cores busy after ${l.idle_wait.waited_s.toFixed(0)} s), measured anyway`;
  return `${other} (${la}${idle})`;
}

function pad(rows: string[][], right: boolean[]): string[] {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows.map((r) => r.map((c, i) => (right[i] ? c.padStart(w[i]) : i === r.length - 1 ? c : c.padEnd(w[i]))).join('  ').trimEnd());
}

const CELL_HEAD = ['side', 'wall ms', 'min–max', 'start-up', 'compute', '×C', '×C compute', 'peak MiB', 'check'];
function cellRow(s: SideResult): string[] {
  return [s.side, ms(s.median_ms), s.min_ms === null ? '–' : `${ms(s.min_ms)}–${ms(s.max_ms)}`, ms(s.startup?.median_ms), ms(s.compute_ms), s.side === 'C' ? '' : ratio(s.ratio), s.side === 'C' ? '' : ratio(s.ratio_compute), mib(s.max_rss_kb), checkText(s)];
}

/** one matrix cell as text: a heading line, a row per side, the load */
export function cellText(c: CaseRun, cell: Cell): string {
  const head = `(${c.id}) ${c.label} · ${threadsLabel(cell.threads)} · ${cell.evaluations.toLocaleString('en-US')} evaluations`;
  // the scaling cells have no start-up runs: no start-up and compute columns
  const keep = (i: number) => cell.sides.some((s) => s.startup) || (i !== 3 && i !== 4 && i !== 6);
  const rows = pad([CELL_HEAD, ...cell.sides.map(cellRow)].map((r) => r.filter((_, i) => keep(i))), [false, true, true, true, true, true, true, true, false].filter((_, i) => keep(i)));
  return [head, ...rows.map((r) => `  ${r}`), `  ${loadText(cell.load)}`].join('\n') + '\n';
}

/** the ratio table: a row per case, a column per variant and thread count */
function ratioGrid(r: BenchResults): { head: string[]; rows: string[][] } {
  const cols: Array<{ variant: string; threads: number }> = [];
  for (const v of r.settings.variants) for (const t of r.settings.threads) cols.push({ variant: v, threads: t });
  const head = ['case', 'C ms (1 thread)', ...cols.map((c) => `${c.variant} ${c.threads}t`)];
  const rows = r.matrix.map((m) => {
    const c1 = m.cells.find((x) => x.threads === Math.min(...r.settings.threads))?.sides.find((s) => s.side === 'C');
    return [`(${m.id}) ${m.label}`, ms(c1?.median_ms), ...cols.map((col) => {
      const s = m.cells.find((x) => x.threads === col.threads)?.sides.find((x) => x.side === col.variant);
      if (!s) return '–';
      if (!s.ok && s.ratio === null) return 'failed';
      return `${ratio(s.ratio)}${s.checks.pass ? '' : ' FAIL'}`;
    })];
  });
  head[1] = `C ms (${threadsLabel(Math.min(...r.settings.threads))})`;
  return { head, rows };
}

function scalingGrid(r: BenchResults): { head: string[]; rows: string[][] } {
  const sides = ['C', ...r.settings.variants];
  const head = ['sweep', 'point', 'threads', 'evaluations', ...sides.flatMap((s) => s === 'C' ? ['C ms', 'C MiB'] : [`${s} ms`, `${s} MiB`, `${s} ×C`])];
  const rows: string[][] = [];
  for (const p of r.scaling ?? []) for (const cell of p.cells) {
    rows.push([p.sweep, p.label, String(cell.threads), cell.evaluations.toLocaleString('en-US'), ...sides.flatMap((name) => {
      const s = cell.sides.find((x) => x.side === name);
      const t = !s ? '–' : !s.ok && s.median_ms === null ? 'failed' : `${ms(s.median_ms)}${s.checks.pass ? '' : ' FAIL'}`;
      return name === 'C' ? [t, mib(s?.max_rss_kb)] : [t, mib(s?.max_rss_kb), ratio(s?.ratio)];
    })]);
  }
  return { head, rows };
}

export function machineLine(r: BenchResults): string {
  const m = r.machine;
  return `${m.cpu_model}, ${m.cores} cores, ${fmt(m.memory_bytes / 2 ** 30, 3)} GiB, ${m.os}, node ${m.node}`;
}
export function sourceLine(r: BenchResults): string {
  const e = r.engine.git ? ` (commit ${r.engine.git.commit.slice(0, 10)}${r.engine.git.dirty ? ', with uncommitted changes' : ''})` : '';
  return `C ${r.c.source} (sha256 ${r.c.sha256.slice(0, 12)}, ${r.c.compiler_version}, ${r.c.flags.join(' ')}); engine ${r.engine.path}${e}${r.engine.libm ? `, --libm ${r.engine.libm}` : ''}`;
}

export function summaryText(r: BenchResults): string {
  const out: string[] = [];
  if (r.matrix.length) {
    const g = ratioGrid(r);
    out.push('engine/C, whole-process wall time (median; lower is better; FAIL: a check failed)');
    out.push(...pad([g.head, ...g.rows], g.head.map((_, i) => i > 0)).map((l) => `  ${l}`));
  }
  if (r.scaling?.length) {
    const g = scalingGrid(r);
    out.push('', 'scaling: wall time (median ms), peak memory (MiB), ratio to the C');
    out.push(...pad([g.head, ...g.rows], g.head.map((_, i) => i > 1)).map((l) => `  ${l}`));
  }
  out.push('', `${plural(r.settings.runs, 'timed run')} per side after one warm-up, alternating; machine: ${machineLine(r)}`);
  out.push(sourceLine(r));
  for (const f of r.failures) out.push(`${f.kind === 'check' ? 'FAIL' : 'RUN FAILED'} ${f.message}`);
  return out.join('\n') + '\n';
}

const mdRow = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
function mdTable(head: string[], rows: string[][], right: (i: number) => boolean): string[] {
  return [mdRow(head), `|${head.map((_, i) => (right(i) ? '---:' : '---')).join('|')}|`, ...rows.map(mdRow)];
}

export function resultsMarkdown(r: BenchResults, plots: { matrix?: string; scaling?: string }): string {
  const L: string[] = [`# npm run bench: ${r.verdict}${r.complete ? '' : ' (incomplete)'}`, ''];
  L.push(`\`${r.command}\`, ${r.started}${r.finished ? ` to ${r.finished}` : ''}`, '');
  L.push(`- machine: ${machineLine(r)}`, `- ${sourceLine(r)}`);
  L.push(`- ${plural(r.settings.runs, 'timed run')} per side after one warm-up, C and engine variants alternating; whole-process wall time; start-up = the same command with \`-roi 0 0 0 0\` (one pixel); compute = whole − start-up; peak memory from ${r.machine.time_launcher ?? '(no /usr/bin/time: not measured)'}`);
  if (r.machine.engine_env_drops.length) L.push(`- the engine started as the harness starts it, without ${r.machine.engine_env_drops.join(', ')} (set here; Node parses that certificate file at every start, about 40 ms, and the engine opens no TLS connection)`);
  L.push(`- engine in c-parity mode (\`--phi-carryover-mode c-parity --threads N --c-threads N\`), C with \`OMP_NUM_THREADS=N\`; base arguments \`${r.settings.base_args.join(' ')} -noprogress\``);
  L.push(`- checks on every run: exact variants bit-identical to the C's float image; fast within correlation ≥ ${r.settings.fast_bounds.minCorrelation}, max relative difference ≤ ${fmtTol(r.settings.fast_bounds.maxRelDiff)} on pixels ≥ ${r.settings.fast_bounds.brightFraction * 100}% of the maximum, same peaks (3×3 maxima ≥ ${r.settings.fast_bounds.peakFraction * 100}% of the maximum)`, '');
  if (r.failures.length) { L.push('## Failures', '', ...r.failures.map((f) => `- ${f.kind === 'check' ? '**FAIL**' : '**run failed**'} ${f.message}`), ''); }
  if (r.matrix.length) {
    const g = ratioGrid(r);
    L.push('## Matrix: engine/C wall time (median; lower is better)', '', ...mdTable(g.head, g.rows, (i) => i > 0), '');
    if (plots.matrix) L.push(`![engine/C ratios](${plots.matrix})`, '');
    L.push('## Matrix, every side', '');
    for (const m of r.matrix) for (const cell of m.cells) {
      L.push(`### (${m.id}) ${m.label}, ${threadsLabel(cell.threads)}`, '', `${cell.evaluations.toLocaleString('en-US')} evaluations; \`${m.args.join(' ')}\`; ${loadText(cell.load)}`, '');
      L.push(...mdTable(CELL_HEAD, cell.sides.map(cellRow), (i) => i > 0 && i < 8), '');
      const timings = cell.sides.filter((s) => s.timing_ms);
      if (timings.length) L.push(`engine's own timing (--json run, ms): ${timings.map((s) => `${s.side}: ${Object.entries(s.timing_ms!).map(([k, v]) => `${k} ${fmt(v, 3)}`).join(', ')}`).join('; ')}`, '');
    }
  }
  if (r.scaling?.length) {
    const g = scalingGrid(r);
    L.push('## Scaling', '', ...mdTable(g.head, g.rows, (i) => i > 2), '');
    if (plots.scaling) L.push(`![scaling](${plots.scaling})`, '');
  }
  return L.join('\n') + '\n';
}
