/**
 * The suite report: index.html with every test, problems first (regressed, error,
 * unexpected-pass, libm-limited, c-unreproducible, then known-diff, skipped, ok), filters by
 * outcome and by tag, a sortable table; and a page per test with the C, engine and difference
 * heatmaps, the per-φ plot, the first-divergence sentence and links to the raw evidence.
 * Static and self-contained: inline CSS and JS, relative links only, so it opens from disk.
 * Numbers go through one helper (harness/report/format.ts).
 */
import { fmt, fmtPercent, fmtRatio, tidyNumbers } from '../report/format.js';
import { STYLE, esc, heatmapSection } from '../report/page.js';

/** Outcomes in the order a reader needs them: problems first. */
export const OUTCOME_ORDER = ['regressed', 'error', 'unexpected-pass', 'libm-limited', 'c-unreproducible', 'known-diff', 'skipped', 'ok'];
const PROBLEMS = new Set(['regressed', 'error', 'unexpected-pass', 'libm-limited', 'c-unreproducible']);
const COUNT_KEY: Record<string, string> = { regressed: 'regressed', error: 'error', 'unexpected-pass': 'unexpected_pass', 'libm-limited': 'libm_limited', 'c-unreproducible': 'c_unreproducible', 'known-diff': 'known_diff', skipped: 'skipped', ok: 'ok' };
const LABEL: Record<string, string> = { 'unexpected-pass': 'unexpected pass', 'c-unreproducible': 'C not reproducible' };

const rank = (o: string) => { const i = OUTCOME_ORDER.indexOf(o); return i < 0 ? OUTCOME_ORDER.length : i; };

/** Cut a message at a word boundary (never inside a number), with an ellipsis; the caller puts the full text in a title. */
export function clipWords(s: string, max: number): { text: string; clipped: boolean } {
  if (s.length <= max) return { text: s, clipped: false };
  const cut = s.slice(0, max);
  const at = cut.search(/\s\S*$/);
  return { text: `${(at > max / 2 ? cut.slice(0, at) : cut.replace(/[\d.eE+-]+$/, '')).trimEnd()}…`, clipped: true };
}

const SUITE_STYLE = `
#cases { width: 100%; table-layout: fixed; font-size: 13px; }
#cases td { overflow-wrap: anywhere; } #cases td.num { white-space: nowrap; overflow-wrap: normal; } #cases th { white-space: normal; }
#cases tr.hidden { display: none; }
.filters { display: flex; flex-wrap: wrap; gap: .4em 1.2em; align-items: center; margin: .5em 0; }
.filters label { white-space: nowrap; } #shown { color: #555; }
td .why { display: block; color: #8a0015; font-weight: bold; } td .why.soft { color: #8a5a00; font-weight: normal; }
`;

const FILTER_JS = `
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll('#cases tbody tr'));
  var outcome = '', tag = '';
  function apply() {
    var n = 0;
    rows.forEach(function (r) {
      var ok = (!outcome || r.getAttribute('data-outcome') === outcome) && (!tag || (' ' + r.getAttribute('data-tags') + ' ').indexOf(' ' + tag + ' ') >= 0);
      r.classList.toggle('hidden', !ok); if (ok) n++;
    });
    document.getElementById('shown').textContent = 'showing ' + n + ' of ' + rows.length;
    document.querySelectorAll('#counts .badge[data-outcome]').forEach(function (b) { b.classList.toggle('active', b.getAttribute('data-outcome') === outcome && outcome !== ''); });
    document.getElementById('outcome-filter').value = outcome;
  }
  document.querySelectorAll('#counts .badge[data-outcome]').forEach(function (b) {
    b.addEventListener('click', function () { var o = b.getAttribute('data-outcome'); outcome = outcome === o ? '' : o; apply(); });
  });
  document.getElementById('outcome-filter').addEventListener('change', function (e) { outcome = e.target.value; apply(); });
  document.getElementById('tag-filter').addEventListener('change', function (e) { tag = e.target.value; apply(); });
  apply();
})();
`;

const SORT_JS = `
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var asc = !th.classList.contains('sorted-asc');
      table.querySelectorAll('th').forEach(function (h) { h.classList.remove('sorted-asc', 'sorted-desc'); });
      th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-v') || a.cells[col].textContent, y = b.cells[col].getAttribute('data-v') || b.cells[col].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
`;

type Any = any;

export function pageName(test: string): string { return `pages/${test.replace(/[^A-Za-z0-9_.-]+/g, '_')}.html`; }

/** Why an image gate failed, in relative terms (max rel, sum ratio − 1), from the gate's `explain`. */
function imageWhy(m: Any): string {
  const g = (m?.gates ?? []).find((x: Any) => x.name === 'image');
  return g && !g.pass ? `image: ${g.explain ?? tidyNumbers(g.detail)}` : '';
}

export function indexHtml(summary: Any): string {
  const c = summary.counts;
  const results = [...summary.results].sort((a: Any, b: Any) => rank(a.outcome) - rank(b.outcome) || String(a.test).localeCompare(String(b.test)));
  const tags = [...new Set(results.flatMap((r: Any) => r.tags as string[]))].sort();
  const rows = results.map((r: Any) => {
    const m = r.metrics ?? {};
    const num = (x: number | null | undefined, f: (x: number) => string = (v) => fmt(v)) => (x === null || x === undefined || Number.isNaN(x) ? ['', '—'] : [String(x), f(x)]);
    const why = imageWhy(m);
    const text = tidyNumbers(r.message || (m.first_divergence ?? '').replace(/^First divergence: /, ''));
    const full = [why, text].filter(Boolean).join(' ');
    const msg = clipWords(text, 360);
    const cells: Array<[string, string, string?]> = [
      [r.test, `<a href="${esc(pageName(r.test))}">${esc(r.test)}</a>`],
      [r.tags.join(' '), esc(r.tags.join(' '))],
      [r.expected.verdict, esc(r.expected.verdict) + (r.expected.reason ? ` <small>(${esc(r.expected.reason)})</small>` : '')],
      [`${rank(r.outcome)} ${r.outcome}`, `<span class="${esc(r.outcome)}">${esc(LABEL[r.outcome] ?? r.outcome)}</span><br><small>verdict ${esc(r.verdict)}</small>`],
      ...[num(m.identical_fraction, fmtPercent), num(m.correlation, fmtRatio), num(m.sum_ratio, fmtRatio), num(m.max_dk)].map(([v, h]) => [v, h, 'num'] as [string, string, string]),
      [full, `${why ? `<span class="why${PROBLEMS.has(r.outcome) ? '' : ' soft'}">${esc(why)}</span>` : ''}<span${msg.clipped ? ` title="${esc(full)}"` : ''}>${esc(msg.text)}</span>`, 'msg'],
      [String(r.wall_ms / 1000), fmt(r.wall_ms / 1000), 'num'],
    ];
    return `<tr data-outcome="${esc(r.outcome)}" data-tags="${esc(r.tags.join(' '))}">${cells.map(([v, h, cls]) => `<td${cls ? ` class="${cls}"` : ''} data-v="${esc(v)}">${h}</td>`).join('')}</tr>`;
  }).join('\n');
  const badge = (o: string) => {
    const n = c[COUNT_KEY[o]] ?? 0;
    return `<span class="badge ${n ? `nonzero ${PROBLEMS.has(o) ? 'problem' : o}` : 'zero'}" data-outcome="${o}" title="show only ${esc(LABEL[o] ?? o)}">${n} ${esc(LABEL[o] ?? o)}</span>`;
  };
  const problems = OUTCOME_ORDER.filter((o) => PROBLEMS.has(o)).reduce((s, o) => s + (c[COUNT_KEY[o]] ?? 0), 0);
  const drift = summary.drift.flags.length
    ? `<ul>${summary.drift.flags.map((f: Any) => `<li class="regressed">${esc(f.test)}: ${esc(f.kind)}: ${esc(f.detail)}</li>`).join('')}</ul>`
    : `<p>${summary.drift.previous_run ? `No drift against the previous run (${esc(summary.drift.previous_run)}), factor ${fmt(summary.drift.factor)}.` : 'First run of this suite in the ledger: nothing to compare with.'}</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>nbparity suite ${esc(summary.suite)}</title><style>${STYLE}${SUITE_STYLE}</style></head><body>
<h1>nbparity suite <code>${esc(summary.suite)}</code>: <span class="verdict ${summary.exit_code === 0 ? 'pass' : 'fail'}">${summary.exit_code === 0 ? 'every case meets its expected verdict' : `${problems} ${problems === 1 ? 'problem' : 'problems'} (exit ${summary.exit_code})`}</span></h1>
<p id="against" class="against">${esc(summary.mode === 'live' ? `${summary.against} (${summary.c.dialect}), ${summary.c.compiler}, ${(summary.c.flags ?? []).join(' ')}` : `${summary.against}: traces/reference, no C source configured`)}.
Run ${esc(summary.run_id)}, ${esc(summary.created)}, nbparity ${esc(summary.tool.version)} at ${esc(String(summary.tool.git_commit).slice(0, 12))}; ${fmt(summary.wall_ms / 1000)} s.</p>
${summary.quirks ? `<p id="quirks" class="quirks">${esc(summary.quirks)}.</p>` : ''}
<p id="counts"><span class="badge">${c.total} tests</span> ${OUTCOME_ORDER.map(badge).join(' ')}</p>
<h2>Drift</h2>${drift}
<h2>Tests</h2>
<div class="filters"><label>outcome <select id="outcome-filter"><option value="">all</option>${OUTCOME_ORDER.map((o) => `<option value="${o}">${esc(LABEL[o] ?? o)} (${c[COUNT_KEY[o]] ?? 0})</option>`).join('')}</select></label>
<label>tag <select id="tag-filter"><option value="">all</option>${tags.map((t) => `<option value="${esc(t)}">${esc(t)}</option>`).join('')}</select></label>
<span id="shown"></span><small>Problems first; click a badge to filter, a column header to sort.</small></div>
<table class="sortable" id="cases"><colgroup><col style="width:12%"><col style="width:8.5%"><col style="width:9%"><col style="width:8.5%"><col style="width:6.5%"><col style="width:10.5%"><col style="width:7%"><col style="width:6.5%"><col><col style="width:4.5%"></colgroup>
<thead><tr><th>test</th><th>tags</th><th>expected</th><th>outcome</th><th>bit-identical</th><th>correlation</th><th>sum ratio</th><th>max |Δk|</th><th>why / first divergence</th><th>wall s</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p>Files: <a href="suite_summary.json">suite_summary.json</a>, <a href="summary.md">summary.md</a>, <a href="junit.xml">junit.xml</a>.</p>
<script>${SORT_JS}${FILTER_JS}</script></body></html>
`;
}

export function casePageHtml(summary: Any, r: Any): string {
  const ev = r.evidence ? `../${r.evidence}` : null;
  const m = r.metrics ?? {};
  const links = ev ? ['index.html', 'state.json', 'comparison_summary.md', 'delta_metrics.json', 'c.trace.txt', 'ts.trace.txt', 'c.trace.json', 'ts.trace.json', 'commands.txt', 'env.json', 'config_snapshot.json', 'c.float.bin', 'ts.float.bin', 'sha256.txt']
    .map((f) => `<a href="${esc(ev)}/${f}">${f === 'index.html' ? 'compare page' : f}</a>`).join(' · ') : '';
  const gates = (m.gates ?? []).map((g: Any) => `<tr><td>${esc(g.name)}</td><td class="${g.pass ? 'pass' : 'fail'}">${g.pass ? 'pass' : 'FAIL'}</td><td class="msg">${g.explain ? `<b>${esc(g.explain)}</b><br>` : ''}${esc(tidyNumbers(g.detail))}</td></tr>`).join('');
  const identical = m.identical_fraction === 1;
  const pv = r.metrics ? {
    c: 'c.png', ts: 'ts.png', diff: 'diff.png', heatmaps: identical ? 'heatmap_c,heatmap_ts,heatmap_diff' : 'heatmap_c,heatmap_ts,heatmap_diff,heatmap_zoom',
    intensity_scale: m.intensity_scale, difference_scale: m.difference_scale, zoom_caption: 'every pixel around the largest |Δ|, on the difference scale',
  } : null;
  const traced = r.pixels?.[0] ? `traced pixel (slow ${r.pixels[0][0]}, fast ${r.pixels[0][1]})` : 'the traced pixel';
  const phi = /-phisteps\s+(\d+)/.exec((r.args ?? []).join(' '));
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(r.test)} — nbparity ${esc(summary.suite)}</title><style>${STYLE}</style></head><body>
<p><a href="../index.html">← suite ${esc(summary.suite)}</a></p>
<h1>${esc(r.test)}: <span class="${esc(r.outcome)}">${esc(LABEL[r.outcome] ?? r.outcome)}</span></h1>
<p>Expected <b>${esc(r.expected.verdict)}</b>${r.expected.reason ? ` (${esc(r.expected.reason)})` : ''}; verdict <b>${esc(r.verdict)}</b>. Tags: ${esc(r.tags.join(', ') || '—')}.</p>
${r.message ? `<p id="message" class="${esc(r.outcome)}">${esc(tidyNumbers(r.message))}</p>` : ''}
<p id="against" class="against">Against: ${esc(summary.against)}.</p>
${summary.quirks ? `<p id="quirks" class="quirks">${esc(summary.quirks)}.</p>` : ''}
<div class="args">Arguments: <code>${esc((r.args ?? []).join(' '))}</code></div>
${m.correlation !== undefined && m.correlation !== null ? `<p>Image: ${fmtPercent(m.identical_fraction)} bit-identical, correlation ${fmtRatio(m.correlation)}, sum ratio ${fmtRatio(m.sum_ratio)}; max |Δk_frac| ${fmt(m.max_dk)}, max |Δrot_b_y| ${fmt(m.max_rot_b_y)} Å.</p>` : ''}
${gates ? `<h2>Gates</h2><table id="gates" class="wide"><colgroup><col style="width:11em"><col style="width:5em"><col></colgroup><thead><tr><th>gate</th><th>result</th><th>detail</th></tr></thead><tbody>${gates}</tbody></table>` : ''}
${m.first_divergence ? `<h2>First divergence</h2><p id="first-divergence">${esc(tidyNumbers(m.first_divergence))}</p>` : ''}
${m.carryover ? `<p>${esc(m.carryover)}</p>` : ''}
${m.explanation ? `<h2>Known cause</h2><p id="explanation">${esc(m.explanation)}</p>` : ''}
${ev && pv ? `<h2>Images</h2>${heatmapSection(pv, `${ev}/`, 'C', 'engine', traced)}
<h2>Per-φ differences</h2><div class="figs"><figure class="plot"><a href="${esc(ev)}/delta_per_phi.svg"><img src="${esc(ev)}/delta_per_phi.svg" alt="per-phi delta plot"></a><figcaption>|Δ| at the traced pixel${phi && phi[1] === '1' ? ' (one φ step: a bar per quantity against its tolerance)' : ''}; log axis, tolerances drawn.</figcaption></figure></div>` : ''}
${ev ? `<h2>Evidence</h2><p>${links}</p>` : ''}
</body></html>
`;
}
