/**
 * Plots for reports: Vega-Lite specs rendered to SVG by vega (no browser, no canvas) and to
 * PNG by resvg. Line plots of |Δ| per φ step on a log axis.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';

/** Values at or below this are drawn at this floor on a log axis and labelled as exact. */
export const LOG_FLOOR = 1e-18;

export async function renderSpec(spec: TopLevelSpec): Promise<{ svg: string; png: Buffer }> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
  return { svg, png: Buffer.from(png) };
}

export interface Series { label: string; points: Array<{ x: number; y: number }> }

/** |Δ| against φ step, one line per series, log y axis; zeros drawn at LOG_FLOOR. */
export function deltaPerPhiSpec(title: string, series: Series[], yTitle = '|Δ| (C vs engine)'): TopLevelSpec {
  const values = series.flatMap((s) => s.points.map((p) => ({ series: s.label, phi_step: p.x, delta: Math.max(p.y, LOG_FLOOR), exact: p.y === 0 })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: `log axis; exact agreement (0) drawn at ${LOG_FLOOR}` },
    width: 460, height: 240,
    data: { values },
    mark: { type: 'line', point: true, clip: true },
    encoding: {
      x: { field: 'phi_step', type: 'ordinal', title: 'φ step' },
      y: { field: 'delta', type: 'quantitative', title: yTitle, scale: { type: 'log' }, axis: { format: '.0e' } },
      color: { field: 'series', type: 'nominal', title: null },
      shape: { field: 'exact', type: 'nominal', title: 'exact (0)' },
    },
  } as TopLevelSpec;
}
