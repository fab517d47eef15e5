/**
 * Heatmaps people read at a glance: the C image, the engine image and their difference drawn
 * by Vega-Lite to SVG and PNG (the cells as one embedded raster: renderHeatmap), with pixel axes (slow and fast pixel index),
 * colour bars with numbers and units, the traced pixels marked, and a zoomed panel around the
 * largest difference. The intensity scale adapts: a log scale where the image spans decades
 * (Bragg peaks on a dark background), a linear scale between robust percentiles where it does
 * not (a water background, which a log scale to the 99.9th percentile paints one colour).
 * Detectors larger than MAX_CELLS per side are downsampled for the picture (each cell the
 * largest value of its block), and the caption says so; the full-resolution raw previews
 * (c.png, ts.png, diff.png: harness/evidence/png.ts) stay beside them.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { PNG } from 'pngjs';
import { quantile } from '../metrics/quantile.js';
import { fmt } from './format.js';
import { renderSpec } from './plots.js';

/**
 * Render a heatmap spec with its cells as ONE embedded raster image: vega computes every cell's
 * colour (the same scale and legend as a rect per cell), the colours become a PNG (one pixel per
 * cell, drawn without smoothing), and the figure keeps its axes, colour bar and markers as
 * vector graphics. A rect per cell made each SVG ~2 MB (a nightly report of 100 tests ~640 MB);
 * this keeps it near the PNG's size.
 */
async function renderHeatmap(s: TopLevelSpec): Promise<{ svg: string; png: Buffer }> {
  const spec = s as unknown as { layer: Array<Record<string, any>> };
  const cellLayer = spec.layer[0];
  const cellsIn = cellLayer.data.values as Cell[];
  if (!cellsIn.length) return renderSpec(s, { crisp: true });
  // pass 1: the colour of every cell, from vega's own scale
  const view = new vega.View(vega.parse(compile({ ...(s as object), layer: [cellLayer] } as TopLevelSpec).spec), { renderer: 'none' });
  await view.runAsync();
  const fills = new Map<Cell, string>();
  const walk = (node: any) => {
    if (!node) return;
    if (node.marktype === 'rect') for (const it of node.items ?? []) if (it.datum && typeof it.fill === 'string') fills.set(it.datum as Cell, it.fill);
    for (const it of node.items ?? []) walk(it);
  };
  walk((view.scenegraph() as any).root);
  view.finalize();
  const fs = [...new Set(cellsIn.map((c) => c.f))].sort((a, b) => a - b), ss = [...new Set(cellsIn.map((c) => c.s))].sort((a, b) => a - b);
  const col = new Map(fs.map((f, i) => [f, i])), row = new Map(ss.map((v, i) => [v, i]));
  // each cell k×k pixels (nearest neighbour): the figure stays crisp where a renderer smooths the image
  const k = Math.max(1, Math.ceil(640 / Math.max(fs.length, ss.length)));
  const W = fs.length * k, png = new PNG({ width: W, height: ss.length * k });
  png.data.fill(255);
  for (const c of cellsIn) {
    const rgb = parseColour(fills.get(c));
    const r0 = row.get(c.s)! * k, c0 = col.get(c.f)! * k;
    for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) {
      const o = ((r0 + dy) * W + c0 + dx) * 4;
      png.data[o] = rgb[0]; png.data[o + 1] = rgb[1]; png.data[o + 2] = rgb[2]; png.data[o + 3] = 255;
    }
  }
  const url = `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
  const last = cellsIn[cellsIn.length - 1];
  const enc = cellLayer.encoding;
  // pass 2: the raster, plus the two cells that span the colour domain (invisible) for the colour bar
  const domain = enc.color?.scale?.domain as [number, number] | undefined;
  const legendCells = domain ? domain.map((v) => ({ ...cellsIn[0], v })) : [cellsIn[0]];
  const image = {
    data: { values: [{ f: fs[0], f2: last.f2, s: ss[0], s2: last.s2, url }] },
    mark: { type: 'image', aspect: false, smooth: false },
    encoding: { x: enc.x, x2: { field: 'f2' }, y: enc.y, y2: { field: 's2' }, url: { field: 'url', type: 'nominal' } },
  };
  const legend = { ...cellLayer, data: { values: legendCells }, mark: { type: 'rect', strokeWidth: 0, opacity: 0 } };
  // the PNG copy at the figure's own size (the SVG is the one the pages show, sharp at any zoom)
  return renderSpec({ ...(s as object), layer: [legend, image, ...spec.layer.slice(1)] } as TopLevelSpec, { crisp: true, zoom: 1 });
}

/** vega's colour strings ("rgb(r, g, b)", "#rrggbb"). */
function parseColour(c: string | undefined): [number, number, number] {
  if (!c) return [255, 255, 255];
  let m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/.exec(c);
  if (m) return [Math.round(+m[1]), Math.round(+m[2]), Math.round(+m[3])];
  m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
  if (m) return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
  throw new Error(`heatmap: unexpected colour '${c}' from vega`);
}

/** cells per side above which the picture is downsampled */
export const MAX_CELLS = 128;
const ZOOM = 25;
const UNIT = 'photons/pixel';
const INT_LABEL = "replace(format(datum.value, '.4~g'), 'e+', 'e')";
// plain digits where they read well (4, 0.003), exponents only for very small or large steps (2.5e-7)
const DIFF_LABEL = "datum.value == 0 ? '0' : abs(datum.value) >= 0.001 && abs(datum.value) < 10000 ? format(datum.value, '.3~g') : replace(format(datum.value, '.2~e'), 'e+', 'e')";

export interface IntensityScale { type: 'log' | 'linear'; lo: number; hi: number; caption: string }

/** The colour scale both intensity heatmaps share: log over decades, else linear between robust percentiles. */
export function intensityScale(a: Float32Array, b?: Float32Array): IntensityScale {
  const both = b ? Float32Array.from({ length: a.length + b.length }, (_, i) => (i < a.length ? a[i] : b[i - a.length])) : a;
  const finite = both.filter((x) => Number.isFinite(x));
  const hi = quantile(finite, 0.999), max = finite.reduce((m, x) => (x > m ? x : m), -Infinity);
  const p01 = quantile(finite, 0.01), p005 = quantile(finite, 0.005), p995 = quantile(finite, 0.995);
  if (!(hi > 0) && !(max > 0)) return { type: 'linear', lo: 0, hi: 1, caption: `linear colour scale; every pixel is ${fmt(max)} ${UNIT}` };
  const top = hi > 0 ? hi : max;
  // decades between the bulk and the top: a log scale; a flat image: linear between robust percentiles
  if (p01 <= 0 || top / p01 > 30) {
    const lo = Math.max(top * 1e-3, p01 > 0 ? p01 : 0);
    return { type: 'log', lo, hi: top, caption: `log colour scale from ${fmt(lo)} to ${fmt(top)} ${UNIT} (99.9th percentile); values outside drawn at the ends` };
  }
  const lo = p005, up = p995 > p005 ? p995 : p005 + Math.max(Math.abs(p005) * 1e-6, 1e-30);
  return { type: 'linear', lo, hi: up, caption: `linear colour scale from ${fmt(lo, 4)} to ${fmt(up, 4)} ${UNIT} (0.5th to 99.5th percentile: a nearly flat image, its structure stretched); values outside drawn at the ends` };
}

/**
 * The colour limit of a difference map: the largest |Δ|, unless a few outliers dwarf the rest
 * (largest |Δ| more than 4× the 99.9th percentile of the non-zero |Δ|), then that percentile,
 * so the bulk of the differences stays visible; the caption says which.
 */
function diffLimit(diff: Float64Array, m: number): { lim: number; note: string } {
  if (!(m > 0)) return { lim: 1, note: '' };
  const nz: number[] = [];
  for (let i = 0; i < diff.length; i++) { const d = Math.abs(diff[i]); if (d > 0 && Number.isFinite(d)) nz.push(d); }
  const q = quantile(nz, 0.999);
  if (Number.isFinite(m) && q > 0 && m > 4 * q) return { lim: q, note: `, colour limit ±${fmt(q)} (99.9th percentile of the non-zero |Δ|: a few larger differences drawn at the ends)` };
  return { lim: m, note: '' };
}

interface Cell { f: number; s: number; f2: number; s2: number; v: number }

/** Block-downsample to at most MAX_CELLS per side, keeping each block's value of largest |v| (peaks and worst differences survive). */
function cells(img: ArrayLike<number>, fpixels: number, spixels: number, win?: { f0: number; s0: number; n: number }): { cells: Cell[]; block: number } {
  const f0 = win?.f0 ?? 0, s0 = win?.s0 ?? 0, fw = win ? Math.min(win.n, fpixels - f0) : fpixels, sw = win ? Math.min(win.n, spixels - s0) : spixels;
  const block = Math.max(1, Math.ceil(Math.max(fw, sw) / MAX_CELLS));
  const out: Cell[] = [];
  for (let s = s0; s < s0 + sw; s += block) {
    for (let f = f0; f < f0 + fw; f += block) {
      let v = NaN;
      for (let ss = s; ss < Math.min(s + block, s0 + sw); ss++) for (let ff = f; ff < Math.min(f + block, f0 + fw); ff++) {
        const x = img[ss * fpixels + ff];
        if (Number.isNaN(v) || Math.abs(x) > Math.abs(v)) v = x;
      }
      out.push({ f, s, f2: Math.min(f + block, f0 + fw), s2: Math.min(s + block, s0 + sw), v: Number.isFinite(v) ? v : 0 });
    }
  }
  return { cells: out, block };
}

export interface Marker { slow: number; fast: number; label: string }

function spec(o: { title: string; subtitle: string; cells: Cell[]; fDomain: [number, number]; sDomain: [number, number]; color: Record<string, unknown>; legendTitle: string; markers: Marker[]; width: number }): TopLevelSpec {
  const fw = o.fDomain[1] - o.fDomain[0], sw = o.sDomain[1] - o.sDomain[0];
  const width = o.width, height = Math.max(60, Math.round(width * sw / fw));
  const marks = o.markers.filter((m) => m.fast >= o.fDomain[0] && m.fast < o.fDomain[1] && m.slow >= o.sDomain[0] && m.slow < o.sDomain[1])
    .map((m) => ({ f: m.fast + 0.5, s: m.slow + 0.5, label: m.label }));
  const x = { field: 'f', type: 'quantitative', title: 'fast pixel index', scale: { domain: o.fDomain, nice: false, zero: false }, axis: { format: 'd', grid: false } };
  const y = { field: 's', type: 'quantitative', title: 'slow pixel index', scale: { domain: [o.sDomain[1], o.sDomain[0]], nice: false, zero: false }, axis: { format: 'd', grid: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: o.title, subtitle: o.subtitle, anchor: 'start', fontSize: 13, subtitleFontSize: 10 },
    width, height,
    config: { view: { stroke: '#888' }, legend: { gradientLength: Math.max(120, height - 20), labelFontSize: 10 } },
    layer: [
      {
        data: { values: o.cells },
        mark: { type: 'rect', strokeWidth: 0 },
        encoding: { x, x2: { field: 'f2' }, y, y2: { field: 's2' }, color: { field: 'v', type: 'quantitative', title: o.legendTitle, ...o.color } },
      },
      ...(marks.length ? [
        { data: { values: marks }, mark: { type: 'point', shape: 'square', size: 140, filled: false, color: '#e6007e', strokeWidth: 2, clip: true }, encoding: { x: { field: 'f', type: 'quantitative' }, y: { field: 's', type: 'quantitative' } } },
        { data: { values: marks }, mark: { type: 'text', align: 'left', baseline: 'top', dx: 8, dy: 6, color: '#e6007e', fontSize: 10, fontWeight: 'bold' }, encoding: { x: { field: 'f', type: 'quantitative' }, y: { field: 's', type: 'quantitative' }, text: { field: 'label' } } },
      ] : []),
    ],
  } as unknown as TopLevelSpec;
}

export interface HeatmapInput {
  /** the reference image (C, or build A) and the compared one (engine, or build B) */
  a: Float32Array; b: Float32Array; fpixels: number; spixels: number;
  names?: { a: string; b: string };
  traced: Array<[number, number]>;
}

export interface HeatmapFigure { file: string; svg: string; png: string; title: string; caption: string }
export interface Heatmaps { figures: HeatmapFigure[]; intensity: IntensityScale; difference_caption: string; downsampled: number; max_abs: number; max_abs_at: { slow: number; fast: number } | null }

/** Render the heatmaps into `write(name, data)` under `prefix` (heatmap_c, heatmap_ts, heatmap_diff, heatmap_zoom; .svg and .png). */
export async function writeHeatmaps(write: (name: string, data: string | Uint8Array) => void, h: HeatmapInput, prefix = ''): Promise<Heatmaps> {
  const A = h.names?.a ?? 'C', B = h.names?.b ?? 'engine';
  const { fpixels, spixels } = h;
  const sc = intensityScale(h.a, h.b);
  const markers = h.traced.map(([s, f]) => ({ slow: s, fast: f, label: `traced (${s}, ${f})` }));
  const diff = new Float64Array(h.a.length);
  let m = 0, at = -1;
  for (let i = 0; i < diff.length; i++) { diff[i] = h.b[i] - h.a[i]; const d = Math.abs(diff[i]); if (d > m || (Number.isNaN(d) && at < 0)) { m = d; at = i; } }
  const worst = at >= 0 && m > 0 ? { slow: Math.floor(at / fpixels), fast: at % fpixels } : null;
  const full = { fDomain: [0, fpixels] as [number, number], sDomain: [0, spixels] as [number, number] };
  const ic = cells(h.a, fpixels, spixels), bc = cells(h.b, fpixels, spixels), dc = cells(diff, fpixels, spixels);
  const down = ic.block > 1 ? `; downsampled for the picture: each cell is the largest value of a ${ic.block}×${ic.block} block (full resolution: the raw PNG previews)` : '';
  const intensityColor = { scale: { type: sc.type, domain: [sc.lo, sc.hi], scheme: 'viridis', clamp: true, ...(sc.type === 'log' ? {} : { zero: false, nice: false }) }, legend: { labelExpr: INT_LABEL, tickCount: 5 } };
  const { lim, note: limNote } = diffLimit(diff, m);
  // identical images: no colour bar (its ±1 would mean nothing)
  const diffColor = { scale: { domain: [-lim, lim], scheme: 'redblue', reverse: true, domainMid: 0, clamp: true }, legend: m > 0 ? { labelExpr: DIFF_LABEL, tickCount: 5 } : null };
  const diffCaption = m > 0
    ? `signed absolute difference ${B} − ${A} in ${UNIT}, linear, symmetric about 0 up to the largest |Δ| ${fmt(m)} at (slow ${worst!.slow}, fast ${worst!.fast})${limNote}; blue: ${B} lower, red: ${B} higher, white: equal`
    : `${B} − ${A}: identical images, every difference is 0`;
  const out: HeatmapFigure[] = [];
  const emit = async (name: string, title: string, caption: string, s: TopLevelSpec) => {
    const r = await renderHeatmap(s);
    write(`${prefix}${name}.svg`, r.svg); write(`${prefix}${name}.png`, r.png);
    out.push({ file: `${prefix}${name}`, svg: `${prefix}${name}.svg`, png: `${prefix}${name}.png`, title, caption });
  };
  const width = 300;
  await emit('heatmap_c', A, `${sc.caption}${down}`, spec({ title: A, subtitle: sc.type === 'log' ? 'log colour scale' : 'linear colour scale, 0.5–99.5th percentile', cells: ic.cells, ...full, color: intensityColor, legendTitle: UNIT, markers, width }));
  await emit('heatmap_ts', B, `${sc.caption}${down}`, spec({ title: B, subtitle: sc.type === 'log' ? 'log colour scale' : 'linear colour scale, 0.5–99.5th percentile', cells: bc.cells, ...full, color: intensityColor, legendTitle: UNIT, markers, width }));
  await emit('heatmap_diff', `${B} − ${A}`, `${diffCaption}${down}`, spec({ title: `${B} − ${A}`, subtitle: m > 0 ? `absolute, ${UNIT}; largest |Δ| ${fmt(m)}${lim < m ? `; colour limit ±${fmt(lim)}` : ''}` : 'identical: Δ = 0 everywhere', cells: dc.cells, ...full, color: diffColor, legendTitle: `Δ ${UNIT}`, markers: worst ? [...markers, { ...worst, label: 'largest |Δ|' }] : markers, width }));
  if (worst) {
    const n = Math.min(ZOOM, fpixels, spixels);
    const f0 = Math.max(0, Math.min(fpixels - n, worst.fast - (n >> 1))), s0 = Math.max(0, Math.min(spixels - n, worst.slow - (n >> 1)));
    const zc = cells(diff, fpixels, spixels, { f0, s0, n });
    // the zoom's own scale: symmetric up to the largest |Δ| (which is in it)
    const zoomColor = { ...diffColor, scale: { ...diffColor.scale, domain: [-m, m] } };
    await emit('heatmap_zoom', `zoom: largest |Δ|`, `${n}×${n} pixels around the largest |Δ| at (slow ${worst.slow}, fast ${worst.fast}), every pixel drawn; signed absolute difference ${B} − ${A} in ${UNIT}, linear, symmetric about 0 up to ${fmt(m)}`,
      spec({ title: `${B} − ${A}, zoom`, subtitle: `${n}×${n} pixels around (slow ${worst.slow}, fast ${worst.fast})`, cells: zc.cells, fDomain: [f0, f0 + n], sDomain: [s0, s0 + n], color: zoomColor, legendTitle: `Δ ${UNIT}`, markers: [...markers, { ...worst, label: 'largest |Δ|' }], width: 240 }));
  }
  return { figures: out, intensity: sc, difference_caption: diffCaption, downsampled: ic.block, max_abs: m, max_abs_at: worst };
}

/** A signed difference heatmap of two images of one run (float32 − float64), with its own symmetric scale. */
export async function writeDifferenceHeatmap(write: (name: string, data: string | Uint8Array) => void, name: string, a: Float32Array, b: Float32Array, fpixels: number, spixels: number, labels: { a: string; b: string }, traced: Array<[number, number]>): Promise<HeatmapFigure> {
  const diff = new Float64Array(a.length);
  let m = 0, at = -1;
  for (let i = 0; i < diff.length; i++) { diff[i] = a[i] - b[i]; const d = Math.abs(diff[i]); if (d > m) { m = d; at = i; } }
  const worst = at >= 0 && m > 0 ? { slow: Math.floor(at / fpixels), fast: at % fpixels, label: 'largest |Δ|' } : null;
  const c = cells(diff, fpixels, spixels);
  const { lim, note: limNote } = diffLimit(diff, m);
  const down = c.block > 1 ? `; downsampled: each cell the largest |Δ| of a ${c.block}×${c.block} block` : '';
  const caption = m > 0 ? `signed absolute difference ${labels.a} − ${labels.b} in ${UNIT}, linear, symmetric about 0 up to the largest |Δ| ${fmt(m)} at (slow ${worst!.slow}, fast ${worst!.fast})${limNote}${down}` : `${labels.a} − ${labels.b}: identical images, every difference is 0`;
  const r = await renderHeatmap(spec({
    title: `${labels.a} − ${labels.b}`, subtitle: m > 0 ? `absolute, ${UNIT}; largest |Δ| ${fmt(m)}${lim < m ? `; colour limit ±${fmt(lim)}` : ''}` : 'identical: Δ = 0 everywhere', cells: c.cells, fDomain: [0, fpixels], sDomain: [0, spixels],
    color: { scale: { domain: [-lim, lim], scheme: 'redblue', reverse: true, domainMid: 0, clamp: true }, legend: m > 0 ? { labelExpr: DIFF_LABEL, tickCount: 5 } : null }, legendTitle: `Δ ${UNIT}`,
    markers: [...traced.map(([s, f]) => ({ slow: s, fast: f, label: `traced (${s}, ${f})` })), ...(worst ? [worst] : [])], width: 300,
  }));
  write(`${name}.svg`, r.svg); write(`${name}.png`, r.png);
  return { file: name, svg: `${name}.svg`, png: `${name}.png`, title: `${labels.a} − ${labels.b}`, caption };
}

/** One intensity heatmap (its own adaptive scale), the traced pixels marked. */
export async function writeIntensityHeatmap(write: (name: string, data: string | Uint8Array) => void, name: string, img: Float32Array, fpixels: number, spixels: number, title: string, traced: Array<[number, number]>): Promise<HeatmapFigure> {
  const sc = intensityScale(img);
  const c = cells(img, fpixels, spixels);
  const down = c.block > 1 ? `; downsampled: each cell the largest value of a ${c.block}×${c.block} block` : '';
  const r = await renderHeatmap(spec({
    title, subtitle: sc.type === 'log' ? 'log colour scale' : 'linear colour scale, 0.5–99.5th percentile', cells: c.cells, fDomain: [0, fpixels], sDomain: [0, spixels],
    color: { scale: { type: sc.type, domain: [sc.lo, sc.hi], scheme: 'viridis', clamp: true, ...(sc.type === 'log' ? {} : { zero: false, nice: false }) }, legend: { labelExpr: INT_LABEL, tickCount: 5 } }, legendTitle: UNIT,
    markers: traced.map(([s, f]) => ({ slow: s, fast: f, label: `traced (${s}, ${f})` })), width: 300,
  }));
  write(`${name}.svg`, r.svg); write(`${name}.png`, r.png);
  return { file: name, svg: `${name}.svg`, png: `${name}.png`, title, caption: `${sc.caption}${down}` };
}
