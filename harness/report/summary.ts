/** comparison_summary.md: what a reviewer reads first. */
import type { EvidenceDir } from '../evidence/dir.js';
import { fmt, fmtPercent, fmtRatio, fmtRelFromRatio, tidyNumbers } from './format.js';

type M = Record<string, any>;

// one number format for every report (harness/report/format.ts); `d` + 1 significant digits
const e = (x: number | null | undefined, d = 2) => (x === null || x === undefined ? String(x) : fmt(x, d + 1));

export function summaryMarkdown(m: M): string {
  const r = m.run, v = m.vg1, img = m.image;
  // C against C (compare --against-c): build A in the C's part, build B in the engine's
  const cvc = r.mode === 'c-vs-c';
  const A = cvc ? 'build A' : 'C', B = cvc ? 'build B' : 'engine';
  const build = (c: M) => `\`${c.source}\` (sha256 ${c.source_sha256.slice(0, 16)}…, ${c.dialect}${c.instrumented ? ', instrumented by nbparity' : ''}), ${c.compiler}, \`${c.flags.join(' ')}\``;
  const lines: string[] = [];
  lines.push(`# nbparity ${r.mode === 'replay' ? 'replay' : cvc ? 'compare, C against C' : 'compare'}: ${m.verdict.pass ? 'PASS' : 'FAIL'}`, '');
  lines.push(m.verdict.summary, '');
  lines.push(`- against: ${r.against}`);
  if (cvc) {
    lines.push(`- build A (the reference, in the C's part): ${build(r.c)}, OMP_NUM_THREADS=${r.c.omp_threads}`);
    lines.push(`- build B (in the engine's part; no engine runs): ${build(r.against_c)}, OMP_NUM_THREADS=${r.against_c.omp_threads}`);
    if (r.quirks_ab) lines.push(`- quirks: ${r.quirks_ab.line_a}; ${r.quirks_ab.line_b}. ${r.quirks_ab.sentence}`);
  } else {
    lines.push(`- C: ${r.mode === 'replay' ? `recorded reference \`${r.case}\` (${r.c.dialect} trace)` : `${build(r.c)}`}, OMP_NUM_THREADS=${r.c.omp_threads}`);
    lines.push(`- engine: ${r.engine.dtype}, φ mode \`${r.engine.phi_mode}\`, c-threads ${r.engine.c_threads}, libm ${r.engine.libm ? `\`${r.engine.libm.name}\` (${r.engine.libm.detail})` : 'not reported'}`);
    if (r.quirks) lines.push(`- quirks: ${r.quirks.line}; the engine's profile: ${r.quirks.summary}`);
  }
  lines.push(`- traced pixel: (slow ${r.traced_pixel.slow}, fast ${r.traced_pixel.fast}), ${r.traced_pixel.chosen}`);
  lines.push(`- arguments: \`${r.nanobragg_args.join(' ')}\``, '');
  lines.push('## Gates', '', '| gate | result | detail |', '|---|---|---|');
  for (const g of m.verdict.gates) lines.push(`| ${g.name} | ${g.pass ? 'pass' : '**FAIL**'} | ${g.explain ? `**${g.explain}**; ` : ''}${tidyNumbers(String(g.detail)).replace(/\|/g, '\\|')} |`);
  lines.push('', '## Trace', '', m.first_divergence.sentence, '', m.carryover.sentence, '');
  if (m.explanation) lines.push(`Known cause expected: ${m.explanation.cause}. ${m.explanation.sentence}`, '');
  if (m.libm) lines.push(cvc ? `Math library: **not judged** (verdict ${m.libm.verdict}): ${String(m.libm.sentence).replace(/^libm: not judged: /, '')}` : `Math library: **${m.libm.verdict}**. ${m.libm.sentence} (math calls logged: C ${m.libm.calls.c}, engine ${m.libm.calls.engine}; ${m.libm.calls.paired} with the same function and argument on both sides, ${m.libm.calls.differing} of them with different results.)`, '');
  const cc = m.trace.completeness;
  const completeness = (x: M) => `${x.entries} of ${x.expected_entries} evaluations (${x.dialect} dialect, loops from its ${x.loops_from}${x.skipped ? `, ${x.skipped} skipped by -dmin` : ''})`;
  lines.push(cvc ? `Completeness: build A ${completeness(cc.c)}; build B ${completeness(cc.engine)}.` : `Completeness: C ${completeness(cc.c)}; engine ${cc.engine.entries} of ${cc.engine.expected_entries}.`, '');
  lines.push(`VG-1 (${cvc ? 'build B against build A, spec tolerances' : v.mode}): max |Δk_frac| = ${e(v.k_frac.max_abs)}` + (v.k_frac.worst ? ` at φ step ${v.k_frac.worst.phi_tic}` : '') +
    `; max |Δrot_b_y| = ${e(v.rot_b_y.max_abs)} Å (${v.rot_b_y.source}).`, '');
  const perStep = (m.trace.per_phi as M[]).find((q) => q.name === 'k_frac')?.per_phi_step as M[] | undefined;
  if (perStep?.length) {
    lines.push('| φ step | max \\|Δk_frac\\| |', '|---|---|');
    for (const s of perStep) lines.push(`| ${s.phi_tic} | ${e(s.max_abs)} |`);
    lines.push('');
  }
  lines.push('| quantity | max \\|Δ\\| | max rel | where |', '|---|---|---|---|');
  for (const q of [...m.trace.per_pixel, ...m.trace.per_phi, ...m.trace.final] as M[]) {
    const at = q.at.phi_tic !== undefined ? `block ${q.at.block}, φ ${q.at.phi_tic}` : q.at.block >= 0 ? `block ${q.at.block}` : 'final';
    lines.push(`| ${q.name} | ${e(q.max_abs)} | ${e(q.max_rel, 2)} | ${at} |`);
  }
  lines.push('', '## Image', '');
  if (!img.full) {
    lines.push(`The images differ in size; no pixel comparison (the image gate fails).`, '');
    return lines.join('\n');
  }
  const row = (name: string, x: M) => `| ${name} | ${x.pixels}${x.non_finite_c || x.non_finite_ts ? ` (not finite: ${A} ${x.non_finite_c}, ${B} ${x.non_finite_ts})` : ''} | ${fmtPercent(x.identical_fraction)} | ${x.max_ulp} | ${e(x.max_abs)}${x.max_abs_at ? ` at (${x.max_abs_at.slow}, ${x.max_abs_at.fast})` : ''} | ${e(x.max_rel, 2)} | ${fmtRatio(x.correlation)} | ${e(x.rmse)} | ${fmtRatio(x.sum_ratio)} (${fmtRelFromRatio(x.sum_ratio)}) | ${x.peaks.matched} matched, mean ${fmt(x.peaks.mean_distance)} px, max ${fmt(x.peaks.max_distance)} px |`;
  lines.push(`| region | pixels | bit-identical | max ulp | max \\|Δ\\| | max rel | correlation | RMSE | sum ratio (${B}/${A}) | peaks |`, '|---|---|---|---|---|---|---|---|---|---|');
  lines.push(row('full frame', img.full));
  if (img.roi) lines.push(row(`ROI x ${img.roi.bounds.xmin}–${img.roi.bounds.xmax}, y ${img.roi.bounds.ymin}–${img.roi.bounds.ymax}`, img.roi));
  const pv = img.previews ?? { c: 'c.png', ts: 'ts.png', diff: 'diff.png' };
  lines.push('', `| ${A} | ${B} | ${B} − ${A} |`, '|---|---|---|', `| ![${A}](${pv.c}) | ![${B}](${pv.ts}) | ![difference](${pv.diff}) |`, '');
  if (img.previews?.heatmaps) {
    const hm = String(img.previews.heatmaps).split(',');
    lines.push(`Raw previews above (one image pixel per detector pixel): intensity ${img.previews.raw_intensity_scale ?? ''}; difference ${img.previews.raw_difference_scale ?? ''}.`, '');
    lines.push(`Heatmaps with pixel axes and colour bars (the traced pixel marked; \`index.html\` shows them with their captions):`, '', hm.map((f) => `![${f}](${f}.png)`).join(' '), '');
    lines.push(`Intensity: ${img.previews.intensity_scale}. Difference: ${img.previews.difference_scale}.${img.previews.zoom_caption ? ` Zoom: ${img.previews.zoom_caption}.` : ''}`, '');
  } else if (img.previews) lines.push(`Intensity scale: ${img.previews.intensity_scale}. Difference scale: ${img.previews.difference_scale}.`, '');
  const [tc, tt] = cvc ? ['a', 'b'] : ['c', 'ts'];
  lines.push(`Files: \`index.html\` (this report as a page), \`delta_metrics.json\` (schema nbparity.delta_metrics/1${cvc ? ', run.mode c-vs-c: its c fields are build A, its engine/ts fields build B' : ''}), \`${tc}.trace.txt\`/\`${tt}.trace.txt\` and their parsed \`*.trace.json\`, \`${tc}.float.bin\`/\`${tt}.float.bin\`, \`commands.txt\`, \`env.json\`, \`config_snapshot.json\`, \`state.json\`; \`sha256sum -c sha256.txt\` and \`nbparity verify\` check them.`, '');
  return lines.join('\n');
}

export function writeSummary(ev: EvidenceDir, m: M): void {
  ev.write('comparison_summary.md', summaryMarkdown(m));
}
