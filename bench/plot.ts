/**
 * The benchmark's figures, as Vega-Lite specs (rendered to SVG and PNG by the reports'
 * renderSpec): the matrix as engine/C wall-time ratios (a bar per variant and thread count,
 * on a log axis around the line at 1.0, the C), and the scaling sweeps as log-log wall time
 * against evaluations.
 */
import type { TopLevelSpec } from 'vega-lite';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** a colour per variant, darker for the first thread count */
const PALETTE: Record<string, string[]> = {
  C: ['#333333', '#8c8c8c'],
  exact: ['#1f5fa8', '#7fb2e5'],
  fast: ['#c8611a', '#f2b27c'],
  reference: ['#4c8c4a', '#a6d49f'],
};
const LOG_LABEL = "datum.value >= 1000 || datum.value < 0.01 ? replace(format(datum.value, '.0e'), 'e+', 'e') : format(datum.value, '~g')";
/** on a log axis over decades: label 1, 2 and 5 times a power of ten only */
const LOG_LABEL_125 = `indexof(['1', '2', '5'], substring(format(datum.value, '.0e'), 0, 1)) >= 0 ? (${LOG_LABEL}) : ''`;

export function seriesName(variant: string, threads: number): string {
  return `${variant} · ${threads} thread${threads > 1 ? 's' : ''}`;
}
function colours(series: Array<{ variant: string; threads: number }>, threadList: number[]): { domain: string[]; range: string[] } {
  const domain: string[] = [], range: string[] = [];
  for (const s of series) {
    const name = seriesName(s.variant, s.threads);
    if (domain.includes(name)) continue;
    domain.push(name);
    const shades = PALETTE[s.variant] ?? ['#777777', '#bbbbbb'];
    range.push(shades[Math.min(threadList.indexOf(s.threads), shades.length - 1)] ?? shades[0]);
  }
  return { domain, range };
}

export interface RatioBar { case: string; variant: string; threads: number; ratio: number; failed: boolean }

/** engine/C wall time per case, variant and thread count; the C at 1.0; the fast path's goal (C/3) dashed when fast is shown. */
export function matrixSpec(bars: RatioBar[], subtitle: string[]): TopLevelSpec {
  const threads = [...new Set(bars.map((b) => b.threads))].sort((a, b) => a - b);
  const { domain, range } = colours(bars, threads);
  const values = bars.map((b) => ({ ...b, series: seriesName(b.variant, b.threads), label: `${b.ratio.toFixed(2)}${b.failed ? ' FAIL' : ''}` }));
  const rs = bars.map((b) => b.ratio).filter((r) => r > 0 && Number.isFinite(r));
  const hasFast = bars.some((b) => b.variant === 'fast');
  const lo = Math.min(...rs, hasFast ? 1 / 3 : 1, 1) / 1.4, hi = Math.max(...rs, 1) * 1.4;
  const y = { type: 'quantitative', scale: { type: 'log', domain: [lo, hi], nice: false }, axis: { labelExpr: LOG_LABEL, grid: true }, title: 'engine / C wall time (log; lower is better)' };
  const x = { field: 'case', type: 'nominal', sort: null, title: null, axis: { labelAngle: 0, labelExpr: "split(datum.value, ', ')", labelLimit: 200 } };
  const xOffset = { field: 'series', type: 'nominal', sort: domain };
  const rules = [{ y: 1, label: 'C (1.0)' }, ...(hasFast ? [{ y: 1 / 3, label: 'fast path goal (2 threads): 3× faster than the C' }] : [])];
  return {
    $schema: SCHEMA,
    title: { text: 'Engine against nanoBragg.c, whole process wall time', subtitle, anchor: 'start' },
    width: Math.max(520, 130 * new Set(bars.map((b) => b.case)).size), height: 300,
    layer: [
      {
        data: { values },
        mark: { type: 'bar' },
        encoding: { x, xOffset, y: { field: 'ratio', ...y }, y2: { datum: 1 }, color: { field: 'series', type: 'nominal', title: null, scale: { domain, range }, legend: { orient: 'bottom', columns: Math.min(4, domain.length) } } },
      },
      {
        data: { values },
        mark: { type: 'text', fontSize: 9, angle: 270, align: 'left', dx: 3 },
        encoding: { x, xOffset, y: { field: 'ratio', ...y }, text: { field: 'label' } },
      },
      { data: { values: rules }, mark: { type: 'rule', strokeDash: [6, 4], color: '#555' }, encoding: { y: { field: 'y', ...y }, strokeDash: { condition: { test: 'datum.y == 1', value: [1, 0] }, value: [6, 4] } } },
      { data: { values: rules }, mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -2, fontSize: 10, x: 'width', color: '#333' }, encoding: { y: { field: 'y', ...y }, text: { field: 'label' } } },
    ],
  } as unknown as TopLevelSpec;
}

export interface ScalingDot { sweep: string; sweepTitle: string; point: string; variant: string; threads: number; evaluations: number; wall_ms: number }

/** one log-log panel per sweep: wall time (ms) against evaluations, a line per side and thread count */
export function scalingSpec(dots: ScalingDot[], subtitle: string[]): TopLevelSpec {
  const threads = [...new Set(dots.map((d) => d.threads))].sort((a, b) => a - b);
  const order = ['C', 'exact', 'reference', 'fast'];
  const series = [...dots].sort((a, b) => order.indexOf(a.variant) - order.indexOf(b.variant) || a.threads - b.threads);
  const { domain, range } = colours(series, threads);
  const sweeps = [...new Set(dots.map((d) => d.sweep))];
  const panels = sweeps.map((s) => {
    const values = dots.filter((d) => d.sweep === s).map((d) => ({ ...d, series: seriesName(d.variant, d.threads) }));
    return {
      title: { text: values[0].sweepTitle, fontSize: 12 },
      width: 240, height: 220,
      data: { values },
      layer: [
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'evaluations', type: 'quantitative', scale: { type: 'log' }, axis: { labelExpr: LOG_LABEL_125 }, title: 'evaluations' },
            y: { field: 'wall_ms', type: 'quantitative', scale: { type: 'log' }, axis: { labelExpr: LOG_LABEL_125 }, title: 'wall time (ms)' },
            color: { field: 'series', type: 'nominal', title: null, scale: { domain, range }, legend: { orient: 'bottom' } },
            tooltip: [{ field: 'point' }, { field: 'series' }, { field: 'wall_ms' }],
          },
        },
        {
          transform: [{ filter: `datum.variant == 'C' && datum.threads == ${threads[0]}` }],
          mark: { type: 'text', fontSize: 9, align: 'right', dx: -5, dy: -7, color: '#333' },
          encoding: { x: { field: 'evaluations', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'wall_ms', type: 'quantitative', scale: { type: 'log' } }, text: { field: 'point' } },
        },
      ],
    };
  });
  return {
    $schema: SCHEMA,
    title: { text: 'Scaling: wall time against work (log-log)', subtitle: [...subtitle, 'evaluations = pixels × sub-pixels × sources × φ steps × mosaic domains; labels on the C line: the sweep point'], anchor: 'start' },
    hconcat: panels,
    resolve: { scale: { color: 'shared' } },
  } as unknown as TopLevelSpec;
}
