/** junit.xml for a suite run: one testcase per (case, φ mode); regressions are failures. */
export interface JunitCase { name: string; classname: string; timeSec: number; outcome: string; message?: string; details?: string; out?: string }

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
    // XML 1.0 forbids most control characters
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

export function junitXml(suite: string, timestamp: string, cases: JunitCase[], totalSec: number): string {
  const failures = cases.filter((c) => c.outcome === 'regressed' || c.outcome === 'libm-limited' || c.outcome === 'unexpected-pass').length;
  const errors = cases.filter((c) => c.outcome === 'error' || c.outcome === 'c-unreproducible').length;
  const skipped = cases.filter((c) => c.outcome === 'skipped').length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="nbparity" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${totalSec.toFixed(3)}">`,
    `  <testsuite name="${esc(suite)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${totalSec.toFixed(3)}" timestamp="${esc(timestamp)}">`,
  ];
  for (const c of cases) {
    lines.push(`    <testcase name="${esc(c.name)}" classname="${esc(c.classname)}" time="${c.timeSec.toFixed(3)}">`);
    if (c.outcome === 'regressed' || c.outcome === 'libm-limited' || c.outcome === 'unexpected-pass') lines.push(`      <failure message="${esc(c.message ?? c.outcome)}" type="${c.outcome}">${esc(c.details ?? '')}</failure>`);
    else if (c.outcome === 'error' || c.outcome === 'c-unreproducible') lines.push(`      <error message="${esc(c.message ?? 'error')}" type="${c.outcome}">${esc(c.details ?? '')}</error>`);
    else if (c.outcome === 'skipped') lines.push(`      <skipped message="${esc(c.message ?? 'skipped')}"/>`);
    if (c.out) lines.push(`      <system-out>${esc(c.out)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
