/**
 * HTML pages of compare (and compare --against-c) and sweep evidence folders, in the style of
 * the suite's pages (harness/suite/html.ts shares STYLE): verdict, the against line, the C
 * build's quirks, gates, first divergence, heatmaps with axes and colour bars, plots. Static
 * and self-contained (inline CSS, relative links), so index.html opens from disk.
 */
import type { EvidenceDir } from '../evidence/dir.js';
import { fmt, fmtPercent, fmtRatio, fmtRelFromRatio, fmtTol, tidyNumbers } from './format.js';
import { writeDifferenceHeatmap, writeHeatmaps, writeIntensityHeatmap, type HeatmapFigure, type Heatmaps } from './heatmap.js';
import { deltaPerPhiSpec, renderSpec, type Tolerances } from './plots.js';

type M = Record<string, any>;

export const esc = (s: unknown) => String(s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Shared by every report page: fits 1280 px, long words and numbers wrap instead of overflowing. */
export const STYLE = `
*, *::before, *::after { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 1.2em 1.5em; color: #222; max-width: 1280px; overflow-wrap: anywhere; }
h1 { font-size: 1.4em; margin: .3em 0; } h2 { font-size: 1.15em; margin-top: 1.5em; border-bottom: 1px solid #e3e3e3; }
table { border-collapse: collapse; max-width: 100%; } th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; white-space: nowrap; } table.sortable th { cursor: pointer; user-select: none; }
th.sorted-asc::after { content: ' ▲'; } th.sorted-desc::after { content: ' ▼'; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.msg { overflow-wrap: break-word; word-break: normal; }
.wide { width: 100%; table-layout: fixed; }
.pass, .ok { color: #176b2c; } .known-diff { color: #8a5a00; } .skipped { color: #666; }
.fail, .regressed, .libm-limited, .unexpected-pass, .error, .c-unreproducible { color: #b00020; font-weight: bold; }
.verdict { display: inline-block; padding: 1px 10px; border-radius: 4px; color: #fff; font-weight: bold; }
.verdict.pass { background: #2e7d32; } .verdict.fail { background: #b00020; }
.badge { display: inline-block; padding: 1px 9px; margin: 0 .25em .25em 0; border-radius: 9px; background: #eee; color: #444; font-weight: normal; border: 1px solid transparent; cursor: pointer; }
.badge.zero { background: #f5f5f5; color: #999; font-weight: normal; }
.badge.nonzero.problem { background: #fde8ea; color: #b00020; font-weight: bold; } .badge.nonzero.ok { background: #e6f4ea; color: #176b2c; }
.badge.nonzero.known-diff { background: #fff3dc; color: #8a5a00; } .badge.active { border-color: #333; }
.figs { display: flex; gap: 1em; flex-wrap: wrap; align-items: flex-start; } .figs figure { margin: 0; max-width: 100%; }
.figs img { max-width: 100%; height: auto; border: 1px solid #eee; } .figs figcaption { font-size: 12px; color: #444; max-width: 420px; }
.heat img { width: 400px; } .heat.zoom img { width: 330px; } .plot img { width: 600px; }
.raw img { image-rendering: pixelated; width: 160px; border: 1px solid #ccc; }
code { background: #f6f6f6; padding: 0 3px; } .args code { display: block; padding: 4px 6px; white-space: pre-wrap; }
.quirks, .against { color: #333; } small { color: #555; }
`;

const verdictBadge = (pass: boolean) => `<span class="verdict ${pass ? 'pass' : 'fail'}">${pass ? 'PASS' : 'FAIL'}</span>`;
const figure = (src: string, alt: string, caption: string, cls = 'heat') => `<figure class="${cls}"><a href="${esc(src)}"><img src="${esc(src)}" alt="${esc(alt)}"></a><figcaption>${caption}</figcaption></figure>`;

/** What explains an image gate's result in relative terms: the largest relative difference and the sum ratio's distance from 1. */
export function imageExplain(full: M | null | undefined): string {
  if (!full) return '';
  const parts = [`max rel ${fmt(full.max_rel)}${full.max_rel_at ? ` at (${full.max_rel_at.slow}, ${full.max_rel_at.fast})` : ''}`, `sum ratio − 1 = ${fmtRelFromRatio(full.sum_ratio)}`, `max |Δ| ${fmt(full.max_abs)}`, `${fmtPercent(full.identical_fraction)} bit-identical`];
  return parts.join('; ');
}

/** Give the image gate its relative explanation (`explain`), so reports can say why it failed rather than print a correlation of 1.0000000000000004. */
export function annotateGates(gates: Array<M>, full: M | null | undefined): void {
  const g = gates.find((x) => x.name === 'image');
  if (g && full) g.explain = imageExplain(full);
}

/** The tolerances drawn on compare's per-φ plot: VG-1's on k_frac, the first-divergence tolerance on the relative F_latt. */
export function compareTolerances(tol: { k_frac: number }, divTol: { rel: number }): Tolerances {
  return { k_frac: { value: tol.k_frac, what: 'VG-1 gate' }, 'F_latt (relative)': { value: divTol.rel, what: 'first-divergence tolerance' } };
}

/** Render compare's heatmaps (heatmap_*.svg/png) and return the previews fields that name them and their scales. */
export async function compareHeatmaps(ev: EvidenceDir, a: Float32Array, b: Float32Array, fpixels: number, spixels: number, traced: Array<[number, number]>, names?: { a: string; b: string }): Promise<Record<string, string>> {
  const h = await writeHeatmaps((n, d) => ev.write(n, d), { a, b, fpixels, spixels, traced, names });
  return heatmapFields(h);
}

function heatmapFields(h: Heatmaps): Record<string, string> {
  return {
    heatmaps: h.figures.map((f) => f.file).join(','),
    intensity_scale: h.figures[0].caption,
    difference_scale: h.figures[2].caption,
    zoom_caption: h.figures[3]?.caption ?? '',
  };
}

function gatesTable(gates: M[]): string {
  return `<table id="gates" class="wide"><colgroup><col style="width:11em"><col style="width:5em"><col></colgroup><thead><tr><th>gate</th><th>result</th><th>detail</th></tr></thead><tbody>${gates.map((g) =>
    `<tr><td>${esc(g.name)}</td><td class="${g.pass ? 'pass' : 'fail'}">${g.pass ? 'pass' : 'FAIL'}</td><td class="msg">${g.explain ? `<b>${esc(g.explain)}</b><br>` : ''}${esc(tidyNumbers(g.detail))}</td></tr>`).join('')}</tbody></table>`;
}

function imageTable(img: M, A: string, B: string): string {
  if (!img.full) return '<p>The images differ in size; no pixel comparison.</p>';
  const row = (name: string, x: M) => `<tr><td>${esc(name)}</td><td class="num">${x.pixels}</td><td class="num">${fmtPercent(x.identical_fraction)}</td><td class="num">${x.max_ulp}</td><td class="num">${fmt(x.max_abs)}${x.max_abs_at ? ` at (${x.max_abs_at.slow}, ${x.max_abs_at.fast})` : ''}</td><td class="num">${fmt(x.max_rel)}</td><td class="num">${fmtRatio(x.correlation)}</td><td class="num">${fmtRatio(x.sum_ratio)} (${fmtRelFromRatio(x.sum_ratio)})</td><td class="num">${x.peaks.matched} matched, max ${fmt(x.peaks.max_distance)} px</td></tr>`;
  return `<table id="image-metrics"><thead><tr><th>region</th><th>pixels</th><th>bit-identical</th><th>max ulp</th><th>max |Δ| (photons)</th><th>max rel</th><th>correlation</th><th>sum ratio ${esc(B)}/${esc(A)}</th><th>peaks</th></tr></thead><tbody>${row('full frame', img.full)}${img.roi ? row(`ROI x ${img.roi.bounds.xmin}–${img.roi.bounds.xmax}, y ${img.roi.bounds.ymin}–${img.roi.bounds.ymax}`, img.roi) : ''}</tbody></table>`;
}

/** The heatmap figures of an evidence folder (relative prefix `base`), from the previews fields compareHeatmaps returned. */
export function heatmapSection(pv: M | null | undefined, base: string, A: string, B: string, traced: string): string {
  if (!pv) return '<p>No images to show: the images differ in size.</p>';
  const files: string[] = pv.heatmaps ? String(pv.heatmaps).split(',') : [];
  const p = (f: string) => `${base}${f}`;
  if (!files.length) {
    return `<div class="figs">${figure(p(pv.c), A, esc(A), 'raw')}${figure(p(pv.ts), B, esc(B), 'raw')}${figure(p(pv.diff), 'difference', `${esc(B)} − ${esc(A)}`, 'raw')}</div><p><small>Intensity: ${esc(pv.intensity_scale)}. Difference: ${esc(pv.difference_scale)}.</small></p>`;
  }
  const has = (f: string) => files.includes(f);
  return `<p><small>Magenta squares: ${esc(traced)}${has('heatmap_zoom') ? ' and the largest difference' : ''}. Intensity (both images, one scale): ${esc(pv.intensity_scale)}.</small></p>
<div class="figs">
${figure(p('heatmap_c.svg'), `${A} heatmap`, esc(A))}
${figure(p('heatmap_ts.svg'), `${B} heatmap`, esc(B))}
${figure(p('heatmap_diff.svg'), 'difference heatmap', `${esc(B)} − ${esc(A)}: ${esc(pv.difference_scale)}`)}
${has('heatmap_zoom') ? figure(p('heatmap_zoom.svg'), 'zoom on the largest difference', esc(pv.zoom_caption), 'heat zoom') : ''}
</div>
<p><small>Raw full-resolution previews (one image pixel per detector pixel, colour bar along the bottom edge${pv.raw_intensity_scale ? `; ${esc(pv.raw_intensity_scale)}` : ''}):</small></p>
<div class="figs">${figure(p(pv.c), `${A} raw preview`, esc(A), 'raw')}${figure(p(pv.ts), `${B} raw preview`, esc(B), 'raw')}${figure(p(pv.diff), 'raw difference preview', `${esc(B)} − ${esc(A)}`, 'raw')}</div>`;
}

/** index.html of a compare (or compare --against-c) evidence folder. */
export function comparePageHtml(m: M): string {
  const r = m.run, cvc = r.mode === 'c-vs-c';
  const A = cvc ? 'build A' : 'C', B = cvc ? 'build B' : 'engine';
  const quirks = cvc
    ? (r.quirks_ab ? `${r.quirks_ab.line_a}; ${r.quirks_ab.line_b}. ${r.quirks_ab.sentence}` : 'quirks: not fingerprinted')
    : (r.quirks ? `${r.quirks.line}. The engine's profile: ${r.quirks.summary}` : '');
  const build = (c: M) => c.source ? `<code>${esc(c.source)}</code> (sha256 ${esc(String(c.source_sha256).slice(0, 16))}…, ${esc(c.dialect)}${c.instrumented ? ', instrumented by nbparity' : ''}), ${esc(c.compiler)}, <code>${esc((c.flags ?? []).join(' '))}</code>, OMP_NUM_THREADS=${esc(c.omp_threads)}` : `recorded reference <code>${esc(r.case)}</code> (${esc(c.dialect)}), OMP_NUM_THREADS=${esc(c.omp_threads)}`;
  const traced = `traced pixel (slow ${r.traced_pixel.slow}, fast ${r.traced_pixel.fast})`;
  const v = m.vg1;
  const files = ['comparison_summary.md', 'delta_metrics.json', 'state.json', 'commands.txt', 'env.json', 'config_snapshot.json', 'sha256.txt',
    ...(cvc ? ['a.trace.txt', 'b.trace.txt', 'a.float.bin', 'b.float.bin'] : ['c.trace.txt', 'ts.trace.txt', 'c.trace.json', 'ts.trace.json', 'c.float.bin', 'ts.float.bin'])];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>nbparity ${cvc ? 'compare, C against C' : r.mode === 'replay' ? 'replay' : 'compare'}: ${m.verdict.pass ? 'PASS' : 'FAIL'}</title><style>${STYLE}</style></head><body>
<h1>nbparity ${cvc ? 'compare, C against C' : r.mode === 'replay' ? 'replay' : 'compare'}: ${verdictBadge(m.verdict.pass)}</h1>
<p id="verdict">${esc(tidyNumbers(m.verdict.summary))}</p>
<p id="against" class="against">Against: ${esc(r.against)}.</p>
<p id="quirks" class="quirks">${esc(quirks)}</p>
<ul>
${cvc ? `<li>build A (the reference): ${build(r.c)}</li><li>build B: ${build(r.against_c)}</li>` : `<li>C: ${build(r.c)}</li><li>engine: ${esc(r.engine.dtype)}, φ mode <code>${esc(r.engine.phi_mode)}</code>, c-threads ${esc(r.engine.c_threads)}, libm ${r.engine.libm ? `<code>${esc(r.engine.libm.name)}</code>` : 'not reported'}</li>`}
<li>${esc(traced)}, ${esc(r.traced_pixel.chosen)}</li>
</ul>
<div class="args">Arguments: <code>${esc(r.nanobragg_args.join(' '))}</code></div>
<h2>Gates</h2>
${gatesTable(m.verdict.gates)}
<h2>First divergence</h2>
<p id="first-divergence">${esc(tidyNumbers(m.first_divergence.sentence))}</p>
<p>${esc(m.carryover.sentence)}</p>
${m.explanation ? `<p id="explanation">Known cause expected: ${esc(m.explanation.cause)}. ${esc(m.explanation.sentence)}</p>` : ''}
${m.libm ? `<p id="libm">Math library: <b>${esc(m.libm.verdict)}</b>. ${esc(m.libm.sentence)}</p>` : ''}
<p>VG-1: max |Δk_frac| ${fmt(v.k_frac.max_abs)} (tolerance ${fmtTol(v.tolerances?.k_frac)}${v.k_frac.worst ? `, worst at φ step ${v.k_frac.worst.phi_tic}` : ''}); max |Δrot_b_y| ${fmt(v.rot_b_y.max_abs)} Å (tolerance ${fmtTol(v.tolerances?.rot_b_y)}, ${esc(v.rot_b_y.source)}).</p>
<h2>Images</h2>
${imageTable(m.image, A, B)}
${heatmapSection(m.image.previews, '', A, B, traced)}
<h2>Per-φ differences at the traced pixel</h2>
<div class="figs">${figure('delta_per_phi.svg', 'per-phi delta plot', `|Δ| of the traced quantities${m.trace.phi_steps <= 1 ? ' (one φ step: a bar per quantity against its tolerance)' : ' per φ step, dashed lines: tolerances'}; log axis.`, 'plot')}</div>
<h2>Evidence</h2>
<p>${files.map((f) => `<a href="${f}">${f}</a>`).join(' · ')}</p>
</body></html>
`;
}

/** Write index.html of a compare evidence folder (call before the folder is sealed). */
export function writeComparePage(ev: EvidenceDir, m: M): void {
  ev.write('index.html', comparePageHtml(m));
}

export interface SweepImages {
  c: Float32Array; fpixels: number; spixels: number;
  /** float32 and float64 images of each φ mode */
  pairs: Array<{ mode: string; f32: Float32Array; f64: Float32Array }>;
}

/** The sweep's page: every traced pixel's per-φ plots, the float32 − float64 heatmaps with a scale, and index.html. Call before sealing. */
export async function writeSweepPage(ev: EvidenceDir, d: M, imgs: SweepImages): Promise<void> {
  const w = (n: string, data: string | Uint8Array) => { ev.write(n, data); };
  const pixels: Array<[number, number]> = d.run.pixels.map((p: M) => [p.slow, p.fast]);
  const tol = d.rule.tolerance as { abs: number; rel: number };
  const plots: Array<{ pixel: [number, number]; files: Array<{ src: string; cell: string }> }> = [];
  for (let i = 0; i < pixels.length; i++) {
    const files: Array<{ src: string; cell: string }> = [];
    for (const c of d.cells as M[]) {
      const p = c.pixels[i];
      const series = Object.entries(p.per_phi as Record<string, Array<{ x: number; y: number }>>).filter(([, pts]) => pts.length).map(([label, pts]) => ({ label, points: pts }));
      const tols: Tolerances = { k_frac: { value: c.pixels[i].vg1.tolerances?.k_frac ?? tol.abs, what: 'VG-1 gate' }, rot_b_y: { value: c.pixels[i].vg1.tolerances?.rot_b_y ?? tol.abs, what: 'VG-1 gate, Å' } };
      const { svg, png } = await renderSpec(deltaPerPhiSpec(`${c.cell}: |Δ| per φ step at pixel (${pixels[i].join(', ')})`, series, '|Δ| (C vs engine)', tols));
      const base = `plots/pixel${i}_${String(c.cell).replace('/', '_')}`;
      w(`${base}.svg`, svg); w(`${base}.png`, png);
      files.push({ src: `${base}.svg`, cell: c.cell });
    }
    const series = (d.cells as M[]).map((c) => ({ label: c.cell, points: c.pixels[i].per_phi.k_frac }));
    const { svg, png } = await renderSpec(deltaPerPhiSpec(`|Δk_frac| per φ step, every cell, pixel (${pixels[i].join(', ')})`, series, '|Δk_frac|'));
    w(`plots/pixel${i}_k_frac_all_cells.svg`, svg); w(`plots/pixel${i}_k_frac_all_cells.png`, png);
    files.unshift({ src: `plots/pixel${i}_k_frac_all_cells.svg`, cell: 'every cell, k_frac' });
    plots.push({ pixel: pixels[i], files });
  }
  const diffs: Array<{ mode: string; fig: HeatmapFigure; pair: M | undefined }> = [];
  for (const p of imgs.pairs) {
    const fig = await writeDifferenceHeatmap(w, `plots/heatmap_float32_minus_float64_${p.mode}`, p.f32, p.f64, imgs.fpixels, imgs.spixels, { a: 'float32', b: 'float64' }, pixels);
    diffs.push({ mode: p.mode, fig, pair: (d.dtype_pairs as M[]).find((x) => x.mode === p.mode) });
  }
  const cFig = await writeIntensityHeatmap(w, 'plots/heatmap_c', imgs.c, imgs.fpixels, imgs.spixels, 'C', pixels);
  ev.write('index.html', sweepPageHtml(d, plots, diffs, cFig));
}

function sweepPageHtml(d: M, plots: Array<{ pixel: [number, number]; files: Array<{ src: string; cell: string }> }>, diffs: Array<{ mode: string; fig: HeatmapFigure; pair: M | undefined }>, cFig: HeatmapFigure): string {
  const r = d.run;
  const anyLogic = Object.values(d.verdicts as Record<string, M[]>).some((l) => l.some((q) => q.verdict === 'logic-limited'));
  const cells = (d.cells as M[]).map((c) => {
    const k = Math.max(...c.pixels.map((p: M) => p.vg1.k_frac.max_abs)), b = Math.max(...c.pixels.map((p: M) => p.vg1.rot_b_y.max_abs));
    return `<tr><td>${esc(c.cell)}</td><td class="${c.vg1_pass ? 'pass' : 'fail'}">${c.vg1_pass ? 'pass' : 'FAIL'}</td><td class="num">${fmt(k)}</td><td class="num">${fmt(b)}</td><td class="num">${fmtRatio(c.image.correlation)}</td><td class="num">${fmtPercent(c.image.identical_fraction)}</td><td class="num">${fmt(c.image.max_rel)}</td><td class="num">${fmtRatio(c.image.sum_ratio)}</td><td class="num">${fmt(c.wall_ms / 1000)} s</td></tr>`;
  }).join('');
  const vrow = (mode: string, q: M) =>
    `<tr><td>${esc(mode)}</td><td>${esc(q.quantity)} <small>(${esc(q.kind)})</small></td><td class="num">${fmt(q.delta_float64)}</td><td class="num">${fmt(q.delta_float32)}</td><td class="num">${q.ratio_infinite ? '∞' : fmt(q.ratio)}</td><td class="num">${fmt(q.delta_float32_vs_float64)}</td><td class="${q.verdict === 'logic-limited' || q.verdict === 'libm-limited' ? 'fail' : q.verdict === 'clean' ? 'pass' : ''}">${esc(q.verdict)}</td></tr>`;
  const all = Object.entries(d.verdicts as Record<string, M[]>).flatMap(([mode, list]) => list.map((q) => ({ mode, q })));
  // the quantities that are not clean first, logic-limited before the rest; the clean ones folded away
  const order = ['logic-limited', 'libm-limited', 'precision-limited'];
  const notClean = all.filter((x) => x.q.verdict !== 'clean').sort((a, b) => (order.indexOf(a.q.verdict) + 1 || 9) - (order.indexOf(b.q.verdict) + 1 || 9));
  const clean = all.filter((x) => x.q.verdict === 'clean');
  const vhead = '<thead><tr><th>mode</th><th>quantity</th><th>Δ float64</th><th>Δ float32</th><th>r = Δ32/Δ64</th><th>Δ float32 vs float64</th><th>verdict</th></tr></thead>';
  const verdicts = `${notClean.length ? `<table id="verdicts">${vhead}<tbody>${notClean.map((x) => vrow(x.mode, x.q)).join('')}</tbody></table>` : '<p>Every quantity is clean in every mode.</p>'}
${clean.length ? `<details><summary>${clean.length} clean quantities</summary><table>${vhead}<tbody>${clean.map((x) => vrow(x.mode, x.q)).join('')}</tbody></table></details>` : ''}`;
  const t = d.timing_ms;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>nbparity dtype sweep</title><style>${STYLE}</style></head><body>
<h1>nbparity dtype sweep: ${verdictBadge(!anyLogic)}</h1>
<p id="verdict"><b>Conclusion:</b> ${esc(d.conclusion)}</p>
<p id="against" class="against">Against: ${esc(r.against)}.</p>
<p id="quirks" class="quirks">${esc(r.quirks?.line ?? '')}${r.quirks?.summary ? `. The engine's profile: ${esc(r.quirks.summary)}` : ''}</p>
<ul><li>${r.mode === 'live' ? `C: <code>${esc(r.c.source)}</code> (sha256 ${esc(String(r.c.source_sha256).slice(0, 16))}…, ${esc(r.c.dialect)}), ${esc(r.c.compiler)}, <code>${esc((r.c.flags ?? []).join(' '))}</code>` : `C: recorded reference ${esc(r.case)}`}, OMP_NUM_THREADS=${esc(r.omp_threads)}</li>
<li>traced pixels: ${plots.map((p) => `(slow ${p.pixel[0]}, fast ${p.pixel[1]})`).join(', ')}</li></ul>
<div class="args">Arguments: <code>${esc(r.nanobragg_args.join(' '))}</code></div>
<h2>Cells</h2>
<table id="cells"><thead><tr><th>cell</th><th>VG-1</th><th>max |Δk_frac|</th><th>max |Δrot_b_y| (Å)</th><th>correlation</th><th>bit-identical</th><th>max rel</th><th>sum ratio</th><th>wall</th></tr></thead><tbody>${cells}</tbody></table>
<h2>Verdicts</h2>
<p><small>${esc(d.rule.text)}</small></p>
${verdicts}
<h2>Per-φ differences, every traced pixel</h2>
${plots.map((p, i) => `<h3 id="pixel${i}">pixel (slow ${p.pixel[0]}, fast ${p.pixel[1]})</h3><div class="figs">${p.files.map((f) => figure(f.src, `pixel ${i} ${f.cell}`, esc(f.cell), 'plot')).join('')}</div>`).join('\n')}
<h2>float32 − float64 images</h2>
<div class="figs">${figure(cFig.svg, 'C heatmap', `C image with the traced pixels: ${esc(cFig.caption)}`)}
${diffs.map((x) => figure(x.fig.svg, `float32 minus float64, ${x.mode}`, `${esc(x.mode)}: ${esc(x.fig.caption)}${x.pair ? `; correlation ${fmtRatio(x.pair.image.correlation)}, max rel ${fmt(x.pair.image.max_rel)}, ${fmtPercent(x.pair.image.identical_fraction)} bit-identical` : ''}`)).join('\n')}</div>
<h2>Timing</h2>
<p>C ${fmt(t.c / 1000)} s; engine cells ${fmt(t.engine_cells_wall / 1000)} s wall (${Object.entries(t.engine_cells).map(([k, v]) => `${esc(k)} ${fmt((v as number) / 1000)} s`).join(', ')}); total ${fmt(t.total / 1000)} s.</p>
<h2>Evidence</h2>
<p>${['summary.md', 'dtype_sweep.json', 'state.json', 'commands.txt', 'env.json', 'c.trace.txt', 'c.float.bin', 'sha256.txt'].map((f) => `<a href="${f}">${f}</a>`).join(' · ')}</p>
</body></html>
`;
}
