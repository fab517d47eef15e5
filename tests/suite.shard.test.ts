/**
 * Scale-out of suites: the shard split (deterministic, complete, balanced by the ledger's
 * times), shards run as parallel processes and merged equal to the unsharded run (replay,
 * and live when a nanoBragg.c is present), merge failing closed on planted faults, the
 * ledger's checks, --fail-on-drift, --keep and the per-test lines for CI logs.
 */
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseShard, splitTests, ledgerTimes, workEstimate } from '../harness/suite/shard.js';
import { LEDGER_COLUMNS, readLedger, appendLedger, type LedgerRow } from '../harness/suite/ledger.js';
import { pruneReports } from '../harness/suite/run.js';
import { loadSuite } from '../harness/suite/table.js';
import { EvidenceDir, checkFolder } from '../harness/evidence/dir.js';
import { findCSource } from '../harness/c/build.js';

const CLI = join(process.cwd(), 'dist', 'harness', 'cli.js');
const SUITES = join(process.cwd(), 'harness', 'suites');
const tmp = () => mkdtempSync(join(tmpdir(), 'nbparity-shard-'));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
function cliAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((res) => {
    const p = spawn(process.execPath, [CLI, ...args]);
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d)); p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => res({ status, stdout, stderr, ms: Date.now() - t0 }));
  });
}
const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'suite_summary.json'), 'utf8'));
const reportDir = (stdout: string) => /report: (.+)\/index\.html/.exec(stdout)![1];
const essence = (s: any) => ({ counts: s.counts, exit: s.exit_code, results: s.results.map((r: any) => [r.test, r.expected.verdict, r.verdict, r.outcome]) });

function ledgerRow(p: Partial<LedgerRow>): LedgerRow {
  const r = Object.fromEntries(LEDGER_COLUMNS.map((c) => [c, ''])) as LedgerRow;
  return { ...r, run_id: 'x/1', created: '2026-01-01T00:00:00Z', suite: 's', commit: 'c', c_sha256: 'replay', verdict: 'pass', outcome: 'ok', ...p };
}

describe('the shard split', () => {
  const nightly = loadSuite(join(SUITES, 'nightly.csv'));
  const tests = nightly.cases.flatMap((c) => c.modes.map((m) => ({ test: `${c.id}[${m}]`, args: c.args })));

  it('is deterministic and covers every test exactly once, for every N', () => {
    for (const n of [1, 2, 3, 5, 7]) {
      const a = splitTests('nightly', tests, n), b = splitTests('nightly', [...tests], n);
      expect(b.shardOf).toEqual(a.shardOf);
      expect(b.digest).toBe(a.digest);
      expect(a.tests).toEqual(tests.map((t) => t.test));
      expect(a.shardOf.every((k) => k >= 1 && k <= n)).toBe(true);
      const union = Array.from({ length: n }, (_, i) => a.tests.filter((_, j) => a.shardOf[j] === i + 1)).flat();
      expect(union.sort()).toEqual([...a.tests].sort());
      expect(new Set(union).size).toBe(tests.length);
    }
  });

  it('balances by the work estimate without a ledger (LPT within the largest test of the mean)', () => {
    const s = splitTests('nightly', tests, 3);
    expect(s.source.every((x) => x === 'estimate')).toBe(true);
    const max = Math.max(...s.cost), mean = s.totals.reduce((a, b) => a + b) / 3;
    expect(Math.max(...s.totals) - mean).toBeLessThanOrEqual(max);
    expect(workEstimate(['-detpixels', '100', '-oversample', '2', '-phisteps', '10', '-mosaic_domains', '3'])).toBe(100 * 100 * 4 * 10 * 3 + 2e5);
    expect(workEstimate(['-detpixels', '1000', '-roi', '0', '9', '0', '9'])).toBe(100 + 2e5);
  });

  it("is balanced by the ledger's wall times when present (same C first, median of recent rows)", () => {
    const few = tests.slice(0, 6);
    // the ledger says the first test is as slow as all the others together
    const rows: LedgerRow[] = [];
    few.forEach((t, i) => { for (const w of i === 0 ? [100, 5000, 5000, 5000] : [1000]) rows.push(ledgerRow({ suite: 'nightly', test: t.test, wall_ms: String(w) })); });
    rows.push(ledgerRow({ suite: 'nightly', test: few[0].test, wall_ms: '1', c_sha256: 'other-c' }));
    const times = ledgerTimes(rows, 'nightly', 'replay');
    expect(times.get(few[0].test)).toBe(5000);
    const s = splitTests('nightly', few, 2, times);
    expect(s.source.every((x) => x === 'ledger')).toBe(true);
    expect(s.shardOf.filter((k) => k === s.shardOf[0])).toHaveLength(1); // the slow test alone on its shard
    expect(s.totals.sort()).toEqual([5000, 5000]);
    // a different ledger gives a different split, and the digest says so
    expect(splitTests('nightly', few, 2).digest).not.toBe(s.digest);
  });

  it.each(['0/3', '4/3', '1/0', 'x', '1/', '-1/3', '1.5/3'])('rejects --shard %s', (v) => {
    expect(() => parseShard(v)).toThrowError(/--shard/);
    const r = cli(['suite', 'smoke', '--replay', '--shard', v, '--reports', tmp()]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--shard/);
  });
});

describe('the ledger for CI', () => {
  it('is created with its folder, and a damaged one is exit 2 naming file and line, never restarted', () => {
    const d = tmp();
    const p = join(d, 'deep', 'er', 'ledger.csv');
    appendLedger(p, [ledgerRow({ test: 'a[spec]', wall_ms: '5' })]);
    expect(readLedger(p)).toHaveLength(1);
    appendFileSync(p, 'x/2,2026,s,a,spec,a[spec],c\n'); // a cut row
    expect(() => readLedger(p)).toThrowError(new RegExp(`ledger ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: wrong number of columns`));
    const before = readFileSync(p, 'utf8');
    const r = cli(['suite', 'smoke', '--replay', '--case', 'simple_cubic', '--ledger', p, '--reports', join(d, 'r')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${p}:3`);
    expect(readFileSync(p, 'utf8')).toBe(before);
    writeFileSync(p, 'not,a,ledger\n1,2,3\n');
    expect(() => readLedger(p)).toThrowError(/:1: the header is not the ledger's columns/);
  });
});

describe('sharded runs (replay, no C needed)', () => {
  const d = tmp();
  const reports = join(d, 'reports');
  let shardDirs: string[] = [];
  let shardRuns: Array<{ status: number | null; stdout: string; ms: number }> = [];
  let unsharded: any;
  let unshardedDir = '';

  beforeAll(async () => {
    // three shards as parallel processes, and the unsharded run
    shardRuns = await Promise.all([1, 2, 3].map((k) => cliAsync(['suite', 'smoke', '--replay', '--shard', `${k}/3`, '--concurrency', '1', '--reports', reports, '--ledger', join(d, 'shards.ledger.csv')])));
    shardDirs = shardRuns.map((r) => reportDir(r.stdout));
    const u = cli(['suite', 'smoke', '--replay', '--reports', join(d, 'unsharded'), '--ledger', join(d, 'unsharded.ledger.csv')]);
    expect(u.status).toBe(0);
    unshardedDir = reportDir(u.stdout);
    unsharded = summaryOf(unshardedDir);
  });

  it('each shard records its shard, the whole list and the split, prints a line per test, appends no ledger', () => {
    expect(shardRuns.map((r) => r.status)).toEqual([0, 0, 0]);
    const ss = shardDirs.map(summaryOf);
    expect(ss.map((s) => s.shard.k)).toEqual([1, 2, 3]);
    expect(new Set(ss.map((s) => s.shard.split_digest)).size).toBe(1);
    expect(ss.every((s) => s.shard.suite_tests === unsharded.counts.total && s.shard.n === 3)).toBe(true);
    expect(ss.flatMap((s) => s.shard.tests).sort()).toEqual(unsharded.results.map((r: any) => r.test).sort());
    for (const [i, s] of ss.entries()) {
      const lines = shardRuns[i].stdout.split('\n').filter((l) => /^(ok|known-diff|REGRESSED|ERROR|skipped) /.test(l));
      expect(lines.length).toBe(s.results.length);
      expect(lines.every((l) => /^ok {2}\S+\[(spec|c-parity)\] \d+\.\d s$/.test(l))).toBe(true);
      expect(shardDirs[i]).toContain(`smoke-shard${i + 1}of3`);
    }
    expect(existsSync(join(d, 'shards.ledger.csv'))).toBe(false);
  });

  it('merged equals the unsharded run: verdicts, counts, results order; one ledger append', () => {
    const ledger = join(d, 'merged.ledger.csv');
    const m = cli(['merge', ...shardDirs.slice().reverse(), '--reports', join(d, 'merged'), '--ledger', ledger]);
    expect(m.stderr).toBe('');
    expect(m.status).toBe(0);
    const dir = reportDir(m.stdout);
    const s = summaryOf(dir);
    expect(essence(s)).toEqual(essence(unsharded));
    expect(s.shard).toBeUndefined();
    expect(s.merged_from.map((x: any) => x.k)).toEqual([1, 2, 3]);
    expect(checkFolder(dir).status).toBe('complete');
    for (const f of ['junit.xml', 'summary.md', 'index.html']) expect(existsSync(join(dir, f))).toBe(true);
    for (const r of s.results) if (r.evidence) expect(checkFolder(join(dir, r.evidence)).status).toBe('complete');
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8').match(/<testcase /g)).toHaveLength(unsharded.counts.total);
    expect(readLedger(ledger)).toHaveLength(unsharded.counts.total);
    expect(new Set(readLedger(ledger).map((r) => r.suite))).toEqual(new Set(['smoke']));
    // --json: pure JSON on stdout
    const j = cli(['merge', ...shardDirs, '--reports', join(d, 'merged'), '--ledger', ledger, '--json']);
    expect(j.status).toBe(0);
    expect(JSON.parse(j.stdout).suite_summary.counts).toEqual(unsharded.counts);
    expect(JSON.parse(j.stdout).suite_summary.drift.previous_run).toBe(s.run_id);
  });

  it('fails closed (exit 2, naming the folder): missing shard, duplicate, tampered, incomplete, other suite', () => {
    const out = join(d, 'faults');
    const merge = (dirs: string[]) => cli(['merge', ...dirs, '--reports', out, '--ledger', join(d, 'faults.ledger.csv')]);
    let r = merge(shardDirs.slice(0, 2));
    expect(r.status).toBe(2); expect(r.stderr).toMatch(/shard 3\/3 of suite smoke missing/);
    r = merge([shardDirs[0], shardDirs[1], shardDirs[1]]);
    expect(r.status).toBe(2); expect(r.stderr).toContain(`shard 2/3 given twice: ${shardDirs[1]} and ${shardDirs[1]}`);
    // tampered: a copy with one evidence file changed
    const t = join(d, 'tampered');
    cpSync(shardDirs[2], t, { recursive: true });
    const ev = summaryOf(t).results.find((x: any) => x.evidence).evidence;
    appendFileSync(join(t, ev, 'delta_metrics.json'), ' ');
    r = merge([shardDirs[0], shardDirs[1], t]);
    expect(r.status).toBe(2); expect(r.stderr).toContain(`${t}: TAMPERED`);
    // never sealed
    const inc = join(d, 'incomplete');
    cpSync(shardDirs[2], inc, { recursive: true });
    rmSync(join(inc, 'sha256.txt'));
    r = merge([shardDirs[0], shardDirs[1], inc]);
    expect(r.status).toBe(2); expect(r.stderr).toContain(`${inc}: not a complete, sealed report`);
    // a shard of another suite
    const other = join(d, 'other.csv');
    writeFileSync(other, readFileSync(join(SUITES, 'smoke.csv'), 'utf8').replace(/\.\.\/\.\.\/traces/g, join(process.cwd(), 'traces')));
    const o = cli(['suite', other, '--replay', '--case', 'simple_cubic', '--shard', '1/3', '--reports', join(d, 'o')]);
    expect(o.status).toBe(0);
    r = merge([shardDirs[0], shardDirs[1], reportDir(o.stdout)]);
    expect(r.status).toBe(2); expect(r.stderr).toMatch(/is of suite "other", but .* has "smoke"/);
    // an unsharded report is not a shard
    r = merge([unshardedDir]);
    expect(r.status).toBe(2); expect(r.stderr).toContain('not a shard report');
    expect(existsSync(join(d, 'faults.ledger.csv'))).toBe(false);
  });
});

describe('drift and pruning', () => {
  it('--fail-on-drift: a planted ledger row far from the metric is exit 1 (0 without the flag)', () => {
    const d = tmp();
    const suite = join(d, 'one.csv');
    writeFileSync(suite, 'id,args,modes,ref\nsimple_cubic,-cell 100 100 100 90 90 90 -default_F 100 -N 5 -lambda 1 -distance 100 -detpixels 64 -pixel 0.1,spec,simple_cubic\n');
    const plant = (p: string) => appendLedger(p, [ledgerRow({ suite: 'one', case: 'simple_cubic', mode: 'spec', test: 'simple_cubic[spec]', correlation: '0.5', sum_ratio: '1', max_dk: '0', wall_ms: '100' })]);
    const a = join(d, 'a.csv'), b = join(d, 'b.csv');
    plant(a); plant(b);
    const without = cli(['suite', suite, '--replay', '--ledger', a, '--reports', join(d, 'r')]);
    expect(without.status).toBe(0);
    expect(without.stdout).toMatch(/drift.*simple_cubic\[spec\]: metric-drift: correlation_deficit/);
    const withFlag = cli(['suite', suite, '--replay', '--ledger', b, '--reports', join(d, 'r'), '--fail-on-drift']);
    expect(withFlag.status).toBe(1);
    const s = summaryOf(reportDir(withFlag.stdout));
    expect(s.exit_code).toBe(1);
    expect(s.counts.regressed).toBe(0);
    expect(s.drift.fail_on_drift).toBe(true);
    // a second run against the now-current row: no drift, exit 0 even with the flag
    expect(cli(['suite', suite, '--replay', '--ledger', b, '--reports', join(d, 'r'), '--fail-on-drift']).status).toBe(0);
  });

  it('--keep N keeps the newest N complete folders of the suite, never the current one, never through symlinks', () => {
    const root = tmp();
    const suiteDir = join(root, 'reports', 's');
    const outside = join(root, 'outside');
    const sealed = (path: string) => { const e = EvidenceDir.createAt(path, ['test']); e.write('x.txt', 'x'); e.seal({ exit_code: 0, verdict: 'ok' }); };
    for (const stamp of ['20260101T000000Z', '20260102T000000Z', '20260103T000000Z', '20260103T000000Z-2']) sealed(join(suiteDir, stamp));
    EvidenceDir.createAt(join(suiteDir, '20251231T000000Z'), ['test']); // incomplete: left alone (it may be running)
    sealed(join(outside, '20250101T000000Z'));
    symlinkSync(join(outside, '20250101T000000Z'), join(suiteDir, '20240101T000000Z'));
    symlinkSync(outside, join(suiteDir, '20230101T000000Z'));
    mkdirSync(join(suiteDir, 'notes'));
    sealed(join(root, 'reports', 'other', '20200101T000000Z'));
    sealed(join(suiteDir, '20200101T000000Z')); // the current run: oldest name, still kept
    const removed = pruneReports(suiteDir, 2, join(suiteDir, '20200101T000000Z'));
    expect(removed.sort()).toEqual(['20260101T000000Z', '20260102T000000Z', '20260103T000000Z']);
    expect(readdirSync(suiteDir).sort()).toEqual(['20200101T000000Z', '20230101T000000Z', '20240101T000000Z', '20251231T000000Z', '20260103T000000Z-2', 'notes']);
    expect(checkFolder(join(outside, '20250101T000000Z')).status).toBe('complete');
    expect(existsSync(join(root, 'reports', 'other', '20200101T000000Z'))).toBe(true);
    expect(() => pruneReports(suiteDir, 0, join(suiteDir, '20200101T000000Z'))).toThrowError(/--keep/);
  });

  it('--keep through the CLI prunes the suite folder after a replayed run', () => {
    const d = tmp();
    const suite = join(d, 'k.csv');
    writeFileSync(suite, 'id,args,modes,ref\nsimple_cubic,-cell 100 100 100 90 90 90 -default_F 100 -N 5 -lambda 1 -distance 100 -detpixels 64 -pixel 0.1,spec,simple_cubic\n');
    for (let i = 0; i < 3; i++) expect(cli(['suite', suite, '--replay', '--reports', join(d, 'r'), '--no-ledger']).status).toBe(0);
    const r = cli(['suite', suite, '--replay', '--reports', join(d, 'r'), '--keep', '2', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout); // pure JSON, no per-test lines
    expect(j.suite_summary.pruned).toHaveLength(2);
    expect(readdirSync(join(d, 'r', 'k'))).toHaveLength(2);
    expect(readdirSync(join(d, 'r', 'k'))).toContain(j.report.split('/').pop());
  });
});

describe('--compress', () => {
  it('stores the float images gzipped; the seals verify, the pages link the .gz, gunzip gives the same bytes', () => {
    const d = tmp();
    const suite = join(d, 'z.csv');
    writeFileSync(suite, 'id,args,modes,ref\nsimple_cubic,-cell 100 100 100 90 90 90 -default_F 100 -N 5 -lambda 1 -distance 100 -detpixels 64 -pixel 0.1,spec,simple_cubic\n');
    const plain = cli(['suite', suite, '--replay', '--reports', join(d, 'p'), '--no-ledger']);
    const zipped = cli(['suite', suite, '--replay', '--reports', join(d, 'z'), '--no-ledger', '--compress']);
    expect([plain.status, zipped.status]).toEqual([0, 0]);
    const pd = reportDir(plain.stdout), zd = reportDir(zipped.stdout);
    const zr = summaryOf(zd).results[0];
    expect(zr.compressed).toEqual(expect.arrayContaining(['c.float.bin', 'ts.float.bin']));
    const ev = join(zd, zr.evidence);
    expect(existsSync(join(ev, 'c.float.bin'))).toBe(false);
    for (const f of ['c.float.bin', 'ts.float.bin']) expect(gunzipSync(readFileSync(join(ev, `${f}.gz`)))).toEqual(readFileSync(join(pd, summaryOf(pd).results[0].evidence, f)));
    expect(checkFolder(ev).status).toBe('complete');
    expect(checkFolder(zd).status).toBe('complete');
    const page = readFileSync(join(zd, 'pages', 'simple_cubic_spec_.html'), 'utf8');
    expect(page).toContain('c.float.bin.gz"');
    expect(page).not.toMatch(/c\.float\.bin"/);
    expect(page).toContain('c.png"');
  });
});

const cSource = findCSource(undefined);
describe.skipIf(!cSource)('sharded live runs (needs golden_suite_generator/nanoBragg.c)', () => {
  it('smoke --live in 2 parallel shards merges to the unsharded verdicts', async () => {
    const d = tmp();
    const shards = await Promise.all([1, 2].map((k) => cliAsync(['suite', 'smoke', '--live', '--shard', `${k}/2`, '--concurrency', '1', '--reports', join(d, 'r')])));
    expect(shards.map((s) => s.status)).toEqual([0, 0]);
    const m = cli(['merge', ...shards.map((s) => reportDir(s.stdout)), '--reports', join(d, 'r'), '--ledger', join(d, 'l.csv')]);
    expect(m.status).toBe(0);
    const u = cli(['suite', 'smoke', '--live', '--reports', join(d, 'u'), '--ledger', join(d, 'u.csv')]);
    expect(u.status).toBe(0);
    expect(essence(summaryOf(reportDir(m.stdout)))).toEqual(essence(summaryOf(reportDir(u.stdout))));
  });
});
if (!cSource) it.skip('sharded live runs: no nanoBragg.c (golden_suite_generator/nanoBragg.c or $NANOBRAGG_C) present', () => undefined);
