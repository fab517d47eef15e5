/**
 * Suites: table parsing and its errors, the pairwise generator, ledger drift, JUnit, and
 * whole replayed runs (no C needed): pass, a tightened threshold that regresses, no drift
 * on a second run.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { loadSuite, SuiteError } from '../harness/suite/table.js';
import { coveringArray, loadFactors, pairwiseCsv, uncoveredPairs, type Factor } from '../harness/suite/pairwise.js';
import { drift, type LedgerRow } from '../harness/suite/ledger.js';
import { junitXml } from '../harness/suite/junit.js';
import { effectiveExpectation, runSuite } from '../harness/suite/run.js';
import { verifySeal } from '../harness/evidence/dir.js';

const SUITES = join(process.cwd(), 'harness', 'suites');
const tmp = () => mkdtempSync(join(tmpdir(), 'nbparity-suite-'));
function suiteFile(text: string, name = 's.csv'): string {
  const d = tmp();
  writeFileSync(join(d, name), text);
  return join(d, name);
}

describe('suite tables', () => {
  it('ship smoke, nightly (>= 30 cases) and pairwise, all valid', () => {
    expect(loadSuite(join(SUITES, 'smoke.csv')).cases.length).toBeGreaterThanOrEqual(5);
    const nightly = loadSuite(join(SUITES, 'nightly.csv'));
    expect(nightly.cases.length).toBeGreaterThanOrEqual(30);
    const tags = new Set(nightly.cases.flatMap((c) => c.tags));
    for (const t of ['cell', 'mat', 'hkl', 'interpolation', 'convention', 'custom', 'pivot', 'rotation', 'twotheta', 'phi', 'carryover', 'mosaic', 'oversample', 'roi', 'polarisation', 'beam', 'scaling', 'float32']) expect(tags, t).toContain(t);
    expect(loadSuite(join(SUITES, 'pairwise.csv')).cases.length).toBeGreaterThan(4);
  });

  it('fills defaults and resolves input paths against the suite file', () => {
    const s = loadSuite(join(SUITES, 'nightly.csv'));
    const base = s.cases.find((c) => c.id === 'base_cubic')!;
    expect(base.modes).toEqual(['c-parity', 'spec']);
    expect(base.thresholds).toMatchObject({ minCorrelation: 0.9999999, minIdentical: 0.999, ulpTol: 2, relTol: 1e-6, vg1K: 1e-6 });
    const mat = s.cases.find((c) => c.id === 'mat_hkl')!;
    expect(mat.args[1]).toBe(join(process.cwd(), 'traces', 'reference', '_inputs', 'A.mat'));
  });

  it.each([
    ['id,args\ngood,-cell 1 1 1 90 90 90\nbad id!,-N 1\n', /s\.csv:3: case "bad id!": id must match pattern/],
    ['id,args,colour\na,-N 1,red\n', /s\.csv:2: unknown column\(s\) colour/],
    ['id,args,expect\na,-N 1,sometimes\n', /s\.csv:2: case "a": expect must match pattern/],
    ['id,args,expect\na,-N 1,spec:known-diff\n', /s\.csv:2: expect: known-diff needs a reason/],
    ['id,args\na,-N 1\na,-N 2\n', /s\.csv:3: duplicate case id 'a' \(first at line 2\)/],
    ['id,args\na,-hkl missing.hkl -N 1\n', /s\.csv:2: case a: input file 'missing.hkl' \(for -hkl\) not found relative to the suite file/],
    ['id,args,min_correlation\na,-N 1,high\n', /s\.csv:2: case "a": min_correlation: 'high' is not a number/],
    ['id,args,min_correlation\na,-N 1,1.5\n', /s\.csv:2: case "a": min_correlation must be <= 1/],
    ['id,args,pixels\na,-N 1,12\n', /s\.csv:2: case "a": pixels must match pattern/],
    ['id,args\n"a,-N 1\n', /s\.csv/],
  ])('rejects %j naming the file and line', (text, msg) => {
    expect(() => loadSuite(suiteFile(text))).toThrowError(SuiteError);
    expect(() => loadSuite(suiteFile(text))).toThrowError(msg);
  });

  it('reads JSONL and reports bad JSON by line', () => {
    const s = loadSuite(suiteFile('{"id":"a","args":["-cell","100","100","100","90","90","90","-default_F","1","-N","3"],"modes":"c-parity"}\n', 's.jsonl'));
    expect(s.cases[0].args).toContain('-default_F');
    expect(() => loadSuite(suiteFile('{"id":"a","args":"-N 1"}\n{oops\n', 's.jsonl'))).toThrowError(/s\.jsonl:2: not JSON/);
  });

  it('resolves C-PARITY-001 expectations from the C trace', () => {
    const c = loadSuite(join(SUITES, 'smoke.csv')).cases.find((x) => x.id === 'phi10')!;
    expect(effectiveExpectation(c, 'spec', true).verdict).toBe('known-diff');
    expect(effectiveExpectation(c, 'spec', false).verdict).toBe('pass');
    expect(effectiveExpectation(c, 'c-parity', true).verdict).toBe('pass');
    expect(effectiveExpectation(c, 'c-parity', false)).toMatchObject({ verdict: 'known-diff' });
  });
});

describe('pairwise covering arrays', () => {
  it('cover every pair of the shipped factors, and the shipped CSV is the generator output', () => {
    const f = loadFactors(join(SUITES, 'pairwise.factors.json'));
    const rows = coveringArray(f.factors, { candidates: f.candidates, seed: f.seed });
    expect(uncoveredPairs(f.factors, rows)).toEqual([]);
    expect(rows.length).toBeLessThan(f.factors.reduce((a, x) => a * x.levels.length, 1) / 10);
    expect(pairwiseCsv(f, 'harness/suites/pairwise.factors.json')).toBe(readFileSync(join(SUITES, 'pairwise.csv'), 'utf8'));
  });
  it('cover every pair for other factor shapes too', () => {
    const mk = (sizes: number[]): Factor[] => sizes.map((n, i) => ({ name: `f${i}`, levels: Array.from({ length: n }, (_, l) => ({ name: `l${l}`, args: '' })) }));
    for (const sizes of [[2, 2, 2], [3, 3, 3, 3], [5, 2, 4, 3, 2, 2], [4, 4]]) {
      const rows = coveringArray(mk(sizes));
      expect(uncoveredPairs(mk(sizes), rows), sizes.join('x')).toEqual([]);
      const [a, b] = [...sizes].sort((x, y) => y - x);
      expect(rows.length).toBeGreaterThanOrEqual(a * b);
    }
  });
});

describe('ledger drift', () => {
  const row = (run: string, test: string, corr: string, dk: string, verdict = 'pass'): LedgerRow => ({
    run_id: run, created: '', suite: 's', case: test, mode: 'spec', test, commit: 'x', c_sha256: 'abc', dtype: 'float64', omp_threads: '1',
    correlation: corr, sum_ratio: '1', max_dk: dk, verdict, outcome: verdict === 'pass' ? 'ok' : 'regressed', wall_ms: '1',
  });
  it('is silent for identical runs and flags flips and moves beyond the factor', () => {
    const prev = [row('s/1', 'a', '1', '0'), row('s/1', 'b', '0.99999', '1e-7'), row('s/1', 'c', '1', '0')];
    expect(drift(prev, 's', prev.map((r) => ({ ...r, run_id: 's/2' })), 10)).toEqual({ previousRun: 's/1', flags: [] });
    const now = [row('s/2', 'a', '1', '0', 'fail'), row('s/2', 'b', '0.99999', '5e-6'), row('s/2', 'd', '1', '0')];
    const kinds = drift(prev, 's', now, 10).flags.map((f) => `${f.test}:${f.kind}`).sort();
    expect(kinds).toEqual(['a:verdict-flip', 'b:metric-drift', 'c:missing-test', 'd:new-test']);
    expect(drift(prev, 's', now, 100).flags.some((f) => f.kind === 'metric-drift')).toBe(false);
  });
});

describe('junit.xml', () => {
  it('parses, counts failures, escapes text', () => {
    const xml = junitXml('s', '2026-01-01T00:00:00Z', [
      { name: 'a[spec]', classname: 'nbparity.s', timeSec: 1, outcome: 'ok' },
      { name: 'b[spec]', classname: 'nbparity.s', timeSec: 2, outcome: 'regressed', message: 'k <1e-6 & "x"', details: 'line\u0001' },
      { name: 'c[spec]', classname: 'nbparity.s', timeSec: 0, outcome: 'skipped', message: 'no ref' },
      { name: 'd[spec]', classname: 'nbparity.s', timeSec: 0, outcome: 'known-diff', out: 'C-PARITY-001' },
    ], 3);
    const j = new XMLParser({ ignoreAttributes: false }).parse(xml);
    const ts = j.testsuites.testsuite;
    expect([ts['@_tests'], ts['@_failures'], ts['@_skipped'], ts['@_errors']]).toEqual(['4', '1', '1', '0']);
    expect(ts.testcase[1].failure['@_message']).toBe('k <1e-6 & "x"');
  });
});

describe('replayed suite runs', () => {
  it('smoke passes, leaves the full report, and a second run shows no drift', async () => {
    const reports = tmp();
    const a = await runSuite({ suite: join(SUITES, 'smoke.csv'), mode: 'replay', reportsRoot: reports });
    expect(a.exitCode).toBe(0);
    expect(a.summary.mode).toBe('replay');
    expect(a.summary.counts.ok).toBe(a.summary.counts.total);
    for (const f of ['suite_summary.json', 'summary.md', 'junit.xml', 'index.html']) expect(existsSync(join(a.dir, f)), f).toBe(true);
    expect(verifySeal(a.dir)).toEqual([]);
    const j = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(a.dir, 'junit.xml'), 'utf8'));
    expect(Number(j.testsuites.testsuite['@_tests'])).toBe(a.summary.counts.total);
    const b = await runSuite({ suite: join(SUITES, 'smoke.csv'), mode: 'replay', reportsRoot: reports });
    expect(b.summary.drift.previous_run).toBe(a.summary.run_id);
    expect(b.summary.drift.flags).toEqual([]);
    expect(readFileSync(join(reports, 'ledger.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + 2 * a.summary.counts.total);
  });

  it('a tightened threshold regresses: report, JUnit failure, exit 1', async () => {
    const d = tmp();
    const args = '-cell 100 100 100 90 90 90 -default_F 100 -N 5 -lambda 1 -distance 100 -detpixels 64 -pixel 0.1';
    const loose = `id,args,modes,dtype,min_identical,rel_tol,vg1_k,vg1_rot_b,min_correlation,ref\nsimple_cubic,${args},c-parity,float32,0,1,1e-5,1e-4,0.99999,simple_cubic\n`;
    writeFileSync(join(d, 'loose.csv'), loose);
    writeFileSync(join(d, 'tight.csv'), loose.replace('0.99999,simple_cubic', '0.999999999999,simple_cubic'));
    const ok = await runSuite({ suite: join(d, 'loose.csv'), mode: 'replay', reportsRoot: join(d, 'r') });
    expect(ok.exitCode).toBe(0);
    const bad = await runSuite({ suite: join(d, 'tight.csv'), mode: 'replay', reportsRoot: join(d, 'r') });
    expect(bad.exitCode).toBe(1);
    expect(bad.summary.counts.regressed).toBe(1);
    expect(bad.summary.results[0].message).toMatch(/expected pass; failed image/);
    expect(readFileSync(join(bad.dir, 'junit.xml'), 'utf8')).toMatch(/<failure message="expected pass; failed image/);
    expect(readFileSync(join(bad.dir, 'index.html'), 'utf8')).toContain('class="regressed">regressed');
    const cli = spawnSync(process.execPath, [join('dist', 'harness', 'cli.js'), 'suite', join(d, 'tight.csv'), '--replay', '--reports', join(d, 'r')], { encoding: 'utf8' });
    expect(cli.status).toBe(1);
    expect(cli.stdout).toMatch(/regressed\s+simple_cubic\[c-parity\]/);
  });

  it('a broken suite file is a suite error (exit 2) naming file and line', () => {
    const f = suiteFile('id,args\nx y,-N 1\n');
    const cli = spawnSync(process.execPath, [join('dist', 'harness', 'cli.js'), 'suite', f, '--replay'], { encoding: 'utf8' });
    expect(cli.status).toBe(2);
    expect(cli.stderr).toMatch(/s\.csv:2: case "x y"/);
  });
});
