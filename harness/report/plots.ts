/**
 * Plots for reports: Vega-Lite specs rendered to SVG by vega (no browser, no canvas) and to
 * PNG by resvg. |Δ| per φ step on a log axis with each quantity's tolerance drawn as a dashed
 * line; a trace with one φ step (most cases) gets a bar per quantity against its tolerance
 * instead of a lone dot.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { fmt, fmtTol } from './format.js';

/** Values at or below this are drawn at this floor on a log axis and labelled as exact. */
export const LOG_FLOOR = 1e-18;

/** `crisp`: edges not anti-aliased (heatmap cells without seams between them), in the SVG as in the PNG. */
export async function renderSpec(spec: TopLevelSpec, o: { crisp?: boolean; zoom?: number } = {}): Promise<{ svg: string; png: Buffer }> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  let svg = await view.toSVG();
  if (o.crisp) svg = svg.replace(/^<svg /, '<svg shape-rendering="crispEdges" ');
  view.finalize();
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: o.zoom ?? 2 }, font: { loadSystemFonts: true } }).render().asPng();
  return { svg, png: Buffer.from(png) };
}

export interface Series { label: string; points: Array<{ x: number; y: number }> }
/** a series' tolerance, keyed by the series label: the value and what it is (`VG-1 gate`, `first-divergence, relative`) */
export type Tolerances = Record<string, { value: number; what: string }>;

/** Tick labels on a log axis: `1e-6`, not `1e-06` or `0.000001`. */
const LOG_LABEL = "datum.value == 0 ? '0' : replace(replace(format(datum.value, '.0e'), 'e+', 'e'), 'e-0', 'e-')";

/**
 * |Δ| against φ step, one line per series, log y axis, zeros drawn at LOG_FLOOR, each series'
 * tolerance (if given) a dashed rule. With one φ step: a bar per quantity and its tolerance as
 * a black tick (deltaBarsSpec).
 */
export function deltaPerPhiSpec(title: string, series: Series[], yTitle = '|Δ| (C vs engine)', tolerances: Tolerances = {}): TopLevelSpec {
  const steps = new Set(series.flatMap((s) => s.points.map((p) => p.x)));
  if (steps.size <= 1) return deltaBarsSpec(title.replace(/per φ step/, 'per quantity'), series, yTitle, tolerances, steps.size ? [...steps][0] : null);
  const values = series.flatMap((s) => s.points.map((p) => ({ series: s.label, phi_step: p.x, delta: Math.max(p.y, LOG_FLOOR), exact: p.y === 0 ? 'yes' : 'no' })));
  const rules = series.filter((s) => tolerances[s.label]).map((s) => ({ series: s.label, tol: tolerances[s.label].value, label: `tolerance ${s.label}: ${fmtTol(tolerances[s.label].value)} (${tolerances[s.label].what})` }));
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: series.map((s) => s.label) } };
  const y = { type: 'quantitative', title: yTitle, scale: { type: 'log' }, axis: { labelExpr: LOG_LABEL } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: [`log axis; exact agreement (0) drawn at ${fmtTol(LOG_FLOOR)}${rules.length ? '; dashed: tolerance' : ''}`], anchor: 'start' },
    width: 460, height: 240,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true, clip: true },
        encoding: {
          x: { field: 'phi_step', type: 'ordinal', title: 'φ step' },
          y: { field: 'delta', ...y },
          color, shape: { field: 'exact', type: 'nominal', title: 'exact (0)' },
        },
      },
      ...(rules.length ? [
        { data: { values: rules }, mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5 }, encoding: { y: { field: 'tol', ...y }, color } },
        { data: { values: rules }, mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -2, fontSize: 10, x: 'width' }, encoding: { y: { field: 'tol', ...y }, text: { field: 'label' }, color } },
      ] : []),
    ],
  } as unknown as TopLevelSpec;
}

/** One φ step: |Δ| of each quantity as a bar on a log axis, its tolerance a black tick with its value. */
export function deltaBarsSpec(title: string, series: Series[], yTitle: string, tolerances: Tolerances = {}, step: number | null = null): TopLevelSpec {
  const values = series.map((s) => {
    const y = s.points.length ? Math.max(...s.points.map((p) => p.y)) : 0;
    const t = tolerances[s.label];
    return {
      quantity: s.label, delta: Math.max(y, LOG_FLOOR), floor: LOG_FLOOR, label: y === 0 ? 'exact (0)' : fmt(y),
      ...(t ? { tol: t.value, tol_label: `tolerance ${fmtTol(t.value)}`, within: y <= t.value ? 'within tolerance' : 'beyond tolerance' } : { within: 'no tolerance' }),
    };
  });
  const y = { type: 'quantitative', title: yTitle, scale: { type: 'log', domainMin: LOG_FLOOR }, axis: { labelExpr: LOG_LABEL } };
  const x = { field: 'quantity', type: 'nominal', title: null, sort: null, axis: { labelAngle: 0 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: [`one φ step${step !== null ? ` (${step})` : ''}: |Δ| per quantity, log axis;`, `exact (0) drawn at ${fmtTol(LOG_FLOOR)}; black tick: its tolerance`], anchor: 'start' },
    width: 460, height: 240,
    data: { values },
    layer: [
      {
        mark: { type: 'bar', width: { band: 0.4 } },
        encoding: {
          x, y: { field: 'delta', ...y }, y2: { field: 'floor' },
          color: { field: 'within', type: 'nominal', title: null, scale: { domain: ['within tolerance', 'beyond tolerance', 'no tolerance'], range: ['#4c9a5b', '#c0392b', '#8c8c8c'] } },
        },
      },
      { mark: { type: 'text', baseline: 'bottom', dy: -3, fontSize: 10 }, encoding: { x, y: { field: 'delta', ...y }, text: { field: 'label' } } },
      { transform: [{ filter: 'isValid(datum.tol)' }], mark: { type: 'tick', color: 'black', thickness: 2, size: 56 }, encoding: { x, y: { field: 'tol', ...y } } },
      { transform: [{ filter: 'isValid(datum.tol)' }], mark: { type: 'text', align: 'left', baseline: 'middle', dx: 31, fontSize: 10, fontStyle: 'italic' }, encoding: { x, y: { field: 'tol', ...y }, text: { field: 'tol_label' } } },
    ],
  } as unknown as TopLevelSpec;
}
