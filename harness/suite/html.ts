/**
 * The suite report: index.html with a sortable table of every test, and a page per test
 * with the C, engine and difference images, the per-φ delta plot, the first-divergence
 * sentence and links to the raw evidence. Static and self-contained: inline CSS and JS,
 * relative links only, so it opens from disk.
 */
import { clip } from '../contract.js';

const esc = (s: unknown) => String(s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; cursor: pointer; user-select: none; white-space: nowrap; } th.sorted-asc::after { content: ' ▲'; } th.sorted-desc::after { content: ' ▼'; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #176b2c; } .known-diff { color: #8a5a00; } .regressed, .libm-limited, .unexpected-pass, .error, .c-unreproducible { color: #b00020; font-weight: bold; } .skipped { color: #777; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 9px; background: #eee; }
.images { display: flex; gap: 1em; flex-wrap: wrap; } .images figure { margin: 0; } .images img { image-rendering: pixelated; width: 320px; border: 1px solid #ccc; }
.plot img { max-width: 720px; border: 1px solid #eee; }
code { background: #f6f6f6; padding: 0 3px; }
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

export function indexHtml(summary: Any): string {
  const c = summary.counts;
  const rows = summary.results.map((r: Any) => {
    const m = r.metrics ?? {};
    const num = (x: number | null | undefined, digits = 3) => (x === null || x === undefined || Number.isNaN(x) ? ['', ''] : [String(x), x === 0 ? '0' : Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5 ? x.toExponential(digits) : x.toPrecision(digits + 4)]);
    const cells = [
      [r.test, `<a href="${esc(pageName(r.test))}">${esc(r.test)}</a>`],
      [r.tags.join(' '), esc(r.tags.join(' '))],
      [r.expected.verdict, esc(r.expected.verdict) + (r.expected.reason ? ` <small>(${esc(r.expected.reason)})</small>` : '')],
      [r.verdict, esc(r.verdict)],
      [r.outcome, `<span class="${esc(r.outcome)}">${esc(r.outcome)}</span>`],
      num(m.correlation, 9), num(m.identical_fraction === undefined ? undefined : 100 * m.identical_fraction, 3), num(m.sum_ratio, 9), num(m.max_dk, 2),
      [m.first_divergence ?? '', esc(clip((m.first_divergence ?? r.message ?? '').replace(/^First divergence: /, ''), 160))],
      [String(r.wall_ms / 1000), (r.wall_ms / 1000).toFixed(2)],
    ];
    return `<tr>${cells.map(([v, h], i) => `<td${i >= 5 && i <= 8 || i === 10 ? ' class="num"' : ''} data-v="${esc(v)}">${h}</td>`).join('')}</tr>`;
  }).join('\n');
  const drift = summary.drift.flags.length
    ? `<ul>${summary.drift.flags.map((f: Any) => `<li class="regressed">${esc(f.test)}: ${esc(f.kind)}: ${esc(f.detail)}</li>`).join('')}</ul>`
    : `<p>${summary.drift.previous_run ? `No drift against the previous run (${esc(summary.drift.previous_run)}), factor ${summary.drift.factor}.` : 'First run of this suite in the ledger: nothing to compare with.'}</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>nbparity suite ${esc(summary.suite)}</title><style>${STYLE}</style></head><body>
<h1>nbparity suite <code>${esc(summary.suite)}</code>: <span class="${summary.exit_code === 0 ? 'ok' : 'regressed'}">${summary.exit_code === 0 ? 'every case meets its expected verdict' : 'REGRESSIONS'}</span></h1>
<p id="against">${esc(summary.mode === 'live' ? `${summary.against} (${summary.c.dialect}), ${summary.c.compiler}, ${(summary.c.flags ?? []).join(' ')}` : `${summary.against}: traces/reference, no C source configured`)}.
Run ${esc(summary.run_id)}, ${esc(summary.created)}, nbparity ${esc(summary.tool.version)} at ${esc(String(summary.tool.git_commit).slice(0, 12))}; ${(summary.wall_ms / 1000).toFixed(1)} s.</p>
${summary.quirks ? `<p id="quirks">${esc(summary.quirks)}.</p>` : ''}
<p id="counts"><span class="badge">${c.total} tests</span> <span class="badge ok">${c.ok} ok</span> <span class="badge known-diff">${c.known_diff} known-diff</span> <span class="badge regressed">${c.regressed} regressed</span> <span class="badge libm-limited">${c.libm_limited} libm-limited</span> <span class="badge unexpected-pass">${c.unexpected_pass} unexpected pass</span> <span class="badge error">${c.error} error</span> <span class="badge c-unreproducible">${c.c_unreproducible} C not reproducible</span> <span class="badge skipped">${c.skipped} skipped</span></p>
<h2>Drift</h2>${drift}
<h2>Tests</h2><p><small>Click a column header to sort.</small></p>
<table class="sortable" id="cases"><thead><tr><th>test</th><th>tags</th><th>expected</th><th>verdict</th><th>outcome</th><th>correlation</th><th>bit-identical %</th><th>sum ratio</th><th>max |Δk_frac|</th><th>first divergence / message</th><th>wall s</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p>Files: <a href="suite_summary.json">suite_summary.json</a>, <a href="summary.md">summary.md</a>, <a href="junit.xml">junit.xml</a>.</p>
<script>${SORT_JS}</script></body></html>
`;
}

export function casePageHtml(summary: Any, r: Any): string {
  const ev = r.evidence ? `../${r.evidence}` : null;
  const m = r.metrics ?? {};
  const links = ev ? ['state.json', 'comparison_summary.md', 'delta_metrics.json', 'c.trace.txt', 'ts.trace.txt', 'c.trace.json', 'ts.trace.json', 'commands.txt', 'env.json', 'config_snapshot.json', 'c.float.bin', 'ts.float.bin', 'sha256.txt']
    .map((f) => `<a href="${esc(ev)}/${f}">${f}</a>`).join(' · ') : '';
  const gates = (m.gates ?? []).map((g: Any) => `<tr><td>${esc(g.name)}</td><td class="${g.pass ? 'ok' : 'regressed'}">${g.pass ? 'pass' : 'FAIL'}</td><td>${esc(g.detail)}</td></tr>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(r.test)} — nbparity ${esc(summary.suite)}</title><style>${STYLE}</style></head><body>
<p><a href="../index.html">← suite ${esc(summary.suite)}</a></p>
<h1>${esc(r.test)}: <span class="${esc(r.outcome)}">${esc(r.outcome)}</span></h1>
<p>Expected <b>${esc(r.expected.verdict)}</b>${r.expected.reason ? ` (${esc(r.expected.reason)})` : ''}; verdict <b>${esc(r.verdict)}</b>. Tags: ${esc(r.tags.join(', ') || '—')}.</p>
${r.message ? `<p class="${esc(r.outcome)}">${esc(r.message)}</p>` : ''}
<p><code>${esc((r.args ?? []).join(' '))}</code></p>
${m.first_divergence ? `<h2>First divergence</h2><p id="first-divergence">${esc(m.first_divergence)}</p>` : ''}
${m.carryover ? `<p>${esc(m.carryover)}</p>` : ''}
${m.explanation ? `<h2>Known cause</h2><p id="explanation">${esc(m.explanation)}</p>` : ''}
${gates ? `<h2>Gates</h2><table><thead><tr><th>gate</th><th>result</th><th>detail</th></tr></thead><tbody>${gates}</tbody></table>` : ''}
${ev ? `<h2>Images</h2><div class="images">
<figure><img src="${esc(ev)}/c.png" alt="C image"><figcaption>C</figcaption></figure>
<figure><img src="${esc(ev)}/ts.png" alt="engine image"><figcaption>engine</figcaption></figure>
<figure><img src="${esc(ev)}/diff.png" alt="difference"><figcaption>engine − C</figcaption></figure></div>
<p><small>Colour bars along the bottom edge. Intensity: ${esc(m.intensity_scale ?? '')}. Difference: ${esc(m.difference_scale ?? '')}.</small></p>
<h2>Per-φ differences</h2><p class="plot"><img src="${esc(ev)}/delta_per_phi.png" alt="per-phi delta plot"></p>
<h2>Evidence</h2><p>${links}</p>` : ''}
</body></html>
`;
}
