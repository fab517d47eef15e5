/**
 * nbparity suite: a table of cases through compare, into one verdict, one report and one
 * ledger row per test. Live when a C source is present (built once), replay against the
 * recorded references otherwise.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { findCSource, projectRoot } from '../c/build.js';
import { againstLine, prepareC, recordFailure, runCompare, type PreparedC } from '../compare/run.js';
import { causeIn, phiState } from '../compare/causes.js';
import { fingerprint, fingerprintLine, type Fingerprint } from '../fingerprint/run.js';
import { defaultProfile, type QuirkProfile, type QuirkState } from '../../src/quirks/catalogue.js';
import { exitCodeFor, InputError, NotReproducibleError } from '../contract.js';
import { checkFolder, EvidenceDir, listFiles } from '../evidence/dir.js';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../../src/index.js';
import { gitCommit, toolVersion } from '../env.js';
import { loadCase, referenceRoot } from '../reference/cases.js';
import { validate } from '../schemas/validate.js';
import { loadSuite, type PhiMode, type Suite, type SuiteCase } from './table.js';
import { appendLedger, drift, readLedger, type DriftFlag, type LedgerRow } from './ledger.js';
import { junitXml } from './junit.js';
import { ledgerTimes, splitTests, type ShardSpec } from './shard.js';
import { casePageHtml, indexHtml, pageName } from './html.js';

export interface SuiteOptions {
  suite: string;
  /** 'auto' (default): live when a C is found, replay otherwise */
  mode?: 'auto' | 'live' | 'replay';
  cSource?: string; cc?: string; cflags?: string[];
  concurrency?: number; timeoutSec?: number;
  reportsRoot?: string; ledger?: string; driftFactor?: number;
  only?: string[];
  onTest?: (done: number, total: number, test: string, outcome: string, result: { message?: string; wall_ms: number; metrics?: { first_divergence?: string } | null }) => void;
  onStart?: (total: number, mode: 'live' | 'replay', against: string) => void;
  /** do not fingerprint the C build (every entry at the engine's default, except the case's φ mode) */
  noFingerprint?: boolean;
  /** run shard K of N only (harness/suite/shard.ts); the report goes to <suite>-shardKofN/ and the ledger is not appended (nbparity merge does it once) */
  shard?: ShardSpec;
  /** do not append to the ledger (and compute no drift) */
  noLedger?: boolean;
  /** flagged drift (other than new tests) is a failure: exit 1 */
  failOnDrift?: boolean;
  /** after sealing, keep only the newest N complete report folders of this suite (the current one included) */
  keep?: number;
  /** store each test's float images gzipped (X.bin → X.bin.gz), links and the test folder's seal updated */
  compress?: boolean;
}

/** libm-limited: expected to pass, failed, and the math library is the proven cause (harness/compare/libm.ts); still a failure (exit 1) */
type Outcome = 'ok' | 'known-diff' | 'regressed' | 'libm-limited' | 'unexpected-pass' | 'error' | 'c-unreproducible' | 'skipped';

async function pool<T>(items: T[], n: number, fn: (t: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
    while (next < items.length) { const i = next++; await fn(items[i], i); }
  }));
}

const testName = (c: SuiteCase, mode: PhiMode) => `${c.id}[${mode}]`;
const testDir = (c: SuiteCase, mode: PhiMode) => `${c.id}__${mode}`;

/**
 * A known difference names a cause (harness/compare/causes.ts) whose presence depends on the C
 * build: the difference is expected in the modes where the engine does not emulate what this C
 * does (for C-PARITY-001: spec mode against a C with the carry-over, c-parity mode against a
 * fixed C). The presence comes from the C's own trace, so one suite serves every build.
 */
export function effectiveExpectation(c: SuiteCase, mode: PhiMode, present: boolean | null, profile?: QuirkProfile): { verdict: 'pass' | 'known-diff'; reason: string } {
  const declared = c.expect[mode];
  const cause = caseCause(c);
  if (!cause || present === null) return declared;
  // the engine's state for the cause's entry in this test: the φ mode for C-PARITY-001, else the profile the test ran with
  const state: QuirkState = cause.id === 'C-PARITY-001' ? phiState(mode) : (profile?.[cause.id] ?? defaultProfile()[cause.id]);
  if (cause.counterfactual(state, present) === null) return { verdict: 'pass', reason: '' };
  const how = cause.id === 'C-PARITY-001' ? `${mode} mode` : `the engine (${cause.id}=${state})`;
  return { verdict: 'known-diff', reason: declared.verdict === 'known-diff' ? declared.reason : `${cause.id} ${present ? 'is in' : 'is absent from'} this C build; ${how} ${present ? 'does not emulate it' : 'emulates it'}` };
}

/** The known cause a case's expectations name (in either mode), if any. */
function caseCause(c: SuiteCase) { return Object.values(c.expect).map((e) => causeIn(e.reason)).find((x) => x) ?? null; }

function sameArgs(a: string[], b: string[]): boolean { return a.length === b.length && a.every((x, i) => x === b[i]); }

export async function runSuite(o: SuiteOptions) {
  const t0 = performance.now();
  const suite: Suite = loadSuite(o.suite);
  const cases = o.only?.length ? suite.cases.filter((c) => o.only!.includes(c.id)) : suite.cases;
  if (o.only?.length && cases.length !== o.only.length) throw new InputError(`no case named ${o.only.filter((id) => !suite.cases.some((c) => c.id === id)).join(', ')} in ${suite.file}`);
  const source = o.mode === 'replay' ? null : findCSource(o.cSource);
  if (o.mode === 'live' && !source) throw new InputError('live mode needs a nanoBragg.c (--c-source, $NANOBRAGG_C or golden_suite_generator/nanoBragg.c)');
  const mode: 'live' | 'replay' = source ? 'live' : 'replay';
  const prepared: PreparedC | null = source ? await prepareC({ located: source, cc: o.cc, cflags: o.cflags }) : null;
  // the build's quirks, once for every test: they set the engine's profile where a case does not, and decide known differences
  const fp: Fingerprint | null = source && !o.noFingerprint ? (await fingerprint({ located: source, cc: o.cc, cflags: o.cflags, timeoutSec: o.timeoutSec })).fp : null;
  const reportsRoot = o.reportsRoot ?? join(projectRoot(), 'reports');
  const ledgerPath = o.ledger ?? join(reportsRoot, 'ledger.csv');
  // a run of some cases only is its own series in the ledger, so it never becomes a full run's baseline
  const ledgerSuite = o.only?.length ? `${suite.name}+subset` : suite.name;
  const cSha = prepared?.originalSha256 ?? 'replay';
  // read (and check) the ledger before any work: a damaged ledger is exit 2 naming its file and line
  const ledger = readLedger(ledgerPath);
  const allTests = cases.flatMap((c) => c.modes.map((m) => ({ c, mode: m })));
  const split = o.shard ? splitTests(ledgerSuite, allTests.map(({ c, mode: m }) => ({ test: testName(c, m), args: c.args })), o.shard.n, ledgerTimes(ledger, ledgerSuite, cSha)) : null;
  const tests = split ? allTests.filter((_, i) => split.shardOf[i] === o.shard!.k) : allTests;
  const initiative = o.shard ? `${suite.name}-shard${o.shard.k}of${o.shard.n}` : suite.name;
  const ev = EvidenceDir.create(reportsRoot, initiative);
  let phase = 'tests';
  try {
    const runId = `${initiative}/${ev.stamp}`;
    o.onStart?.(tests.length, mode, againstLine(prepared));
    const refIds = new Set(existsSync(referenceRoot()) ? (await import('node:fs')).readdirSync(referenceRoot()) : []);
    let done = 0;
    const results: any[] = new Array(tests.length);
    await pool(tests, o.concurrency ?? cpus().length, async ({ c, mode: phiMode }, i) => {
      const name = testName(c, phiMode);
      const base = { case: c.id, mode: phiMode, test: name, tags: c.tags, expected: c.expect[phiMode] as { verdict: 'pass' | 'known-diff'; reason: string }, declared: c.expect[phiMode], args: c.args, line: c.line };
      const t1 = performance.now();
      const finish = (r: object) => { results[i] = { ...base, ...r, wall_ms: performance.now() - t1 }; done++; o.onTest?.(done, tests.length, name, results[i].outcome, results[i]); };
      let replayCase: string | undefined;
      if (mode === 'replay') {
        const ref = c.ref ?? (refIds.has(c.id) ? c.id : null);
        if (!ref || !refIds.has(ref)) return finish({ verdict: 'skipped', outcome: 'skipped', message: 'no recorded reference for this case (replay mode: no nanoBragg.c present)', evidence: null, metrics: null });
        const rc = loadCase(join(referenceRoot(), ref));
        const refArgs = rc.args.map((a) => (rc.inputs.includes(a) ? resolve(rc.dir, a) : a));
        if (!sameArgs(refArgs, c.args)) {
          return finish({ verdict: 'skipped', outcome: 'skipped', message: `the suite's arguments differ from the recorded reference '${ref}'`, evidence: null, metrics: null });
        }
        replayCase = ref;
      }
      const engineArgs = ['--phi-carryover-mode', phiMode, '--dtype', c.dtype, ...(c.pixels[0] ? ['-trace_pixel', String(c.pixels[0][0]), String(c.pixels[0][1])] : [])];
      const evidencePath = join(ev.path, 'cases', testDir(c, phiMode));
      const cause = caseCause(c);
      try {
        const r = await runCompare({
          args: replayCase ? engineArgs : [...c.args, ...engineArgs], replayCase, prepared: prepared ?? undefined, fingerprint: fp ?? (mode === 'live' ? false : undefined), ompThreads: c.ompThreads, timeoutSec: o.timeoutSec,
          evidencePath, vg1: { [phiMode]: { k_frac: c.thresholds.vg1K, rot_b_y: c.thresholds.vg1RotB } },
          imageGate: { minIdentical: c.thresholds.minIdentical, ulpTol: c.thresholds.ulpTol, relTol: c.thresholds.relTol, minCorrelation: c.thresholds.minCorrelation, sumRatioMin: c.thresholds.sumRatioMin, sumRatioMax: c.thresholds.sumRatioMax, maxAbs: c.thresholds.maxAbs },
          invocation: ['nbparity', 'suite', relative(process.cwd(), suite.file), '--case', c.id],
          repeatC: mode === 'live' ? 'auto' : 1, expectCause: cause?.id,
        });
        const m = r.metrics;
        const compressed = o.compress ? compressImages(r.dir) : [];
        const verdict = m.verdict.pass ? 'pass' : 'fail';
        const expl = m.explanation as { present_in_c: boolean | null; explained: boolean; sentence: string } | null;
        const expected = effectiveExpectation(c, phiMode, expl ? expl.present_in_c : m.carryover.detected, m.run.quirks?.engine_profile);
        base.expected = expected;
        // a known difference holds only while its cause explains it
        const libmLimited = m.libm?.verdict === 'libm-limited';
        const outcome: Outcome = expected.verdict === 'pass' ? (verdict === 'pass' ? 'ok' : libmLimited ? 'libm-limited' : 'regressed')
          : verdict === 'pass' ? 'unexpected-pass' : expl?.explained ? 'known-diff' : 'regressed';
        const failed = m.verdict.gates.filter((g: { pass: boolean }) => !g.pass).map((g: { name: string }) => g.name);
        finish({
          verdict, outcome, evidence: relative(ev.path, r.dir), ...(compressed.length ? { compressed } : {}),
          message: outcome === 'regressed' ? (expected.verdict === 'known-diff' ? `expected a known difference (${expected.reason}); ${expl?.sentence ?? 'no explanation was computed'}` : `expected pass; failed ${failed.join(', ')}. ${m.first_divergence.sentence}`) :
            outcome === 'unexpected-pass' ? `expected a known difference (${expected.reason}) but every gate passed` :
            outcome === 'known-diff' ? `failed ${failed.join(', ')}. ${expl!.sentence}` :
            outcome === 'libm-limited' ? `expected pass; failed ${failed.join(', ')}. ${m.libm.sentence}` : '',
          metrics: {
            correlation: m.image.full?.correlation ?? null, identical_fraction: m.image.full?.identical_fraction ?? null, sum_ratio: m.image.full?.sum_ratio ?? null,
            max_dk: m.vg1.k_frac.max_abs, max_rot_b_y: m.vg1.rot_b_y.max_abs, first_divergence: m.first_divergence.sentence, carryover: m.carryover.sentence,
            explanation: expl?.sentence ?? null, libm: m.libm?.verdict ?? null,
            gates: m.verdict.gates, intensity_scale: m.image.previews?.intensity_scale ?? '', difference_scale: m.image.previews?.difference_scale ?? '',
            dtype: m.run.engine.dtype, omp_threads: m.run.engine.c_threads,
          },
        });
      } catch (e) {
        const unreproducible = e instanceof NotReproducibleError;
        finish({
          verdict: 'error', outcome: unreproducible ? 'c-unreproducible' : 'error', exit_code: exitCodeFor(e),
          message: (e as Error).message.split('\n').slice(0, 6).join('\n'), evidence: existsSync(evidencePath) ? relative(ev.path, evidencePath) : null, metrics: null,
        });
      }
    });

    // counts, ledger, drift
    phase = 'report';
    const { counts, exitCode: gateExit } = countResults(results);
    const git = gitCommit();
    const created = new Date().toISOString();
    const rows = ledgerRows(results, runId, created, ledgerSuite, git.commit + (git.dirty ? '+dirty' : ''), cSha);
    const factor = o.driftFactor ?? 10;
    const skipLedger = !!o.shard || !!o.noLedger;
    const d = skipLedger ? { previousRun: null, flags: [] } : drift(ledger, ledgerSuite, rows, factor);
    if (!skipLedger) appendLedger(ledgerPath, rows);
    const exitCode = driftExit(gateExit, d.flags, !!o.failOnDrift);

    const summary: Record<string, any> = {
      schema_version: 'nbparity.suite_summary/1', suite: suite.name, suite_file: suite.file, run_id: runId, created, mode,
      against: againstLine(prepared),
      quirks: fp ? fingerprintLine(fp) : fingerprintLine(null, mode === 'replay' ? 'replay: recorded builds, see traces/fingerprints' : 'not asked (--no-fingerprint)'),
      c: prepared ? { source: prepared.source, source_sha256: prepared.originalSha256, dialect: prepared.dialect, compiler: prepared.built.compilerVersion, flags: prepared.built.flags } : { recorded: referenceRoot() },
      tool: { version: toolVersion(), git_commit: git.commit, git_dirty: git.dirty },
      counts, exit_code: exitCode, results,
      drift: { previous_run: d.previousRun, factor, flags: d.flags, ledger: ledgerPath, fail_on_drift: !!o.failOnDrift, ...(skipLedger ? { appended: false, note: o.shard ? 'a shard: the ledger is appended and drift computed once, by nbparity merge' : '--no-ledger: no ledger row, no drift' } : { appended: true }) },
      ...(split ? {
        shard: {
          k: o.shard!.k, n: o.shard!.n, tests: tests.map(({ c, mode: m }) => testName(c, m)), suite_tests: split.tests.length, split_digest: split.digest,
          ledger_suite: ledgerSuite, c_sha256: cSha, all_tests: split.tests, split: split.shardOf, expected_cost: split.cost, cost_source: split.source,
          expected_totals: split.totals, only: o.only ?? null,
        },
      } : {}),
      wall_ms: performance.now() - t0,
    };
    writeSuiteReport(ev, summary);
    if (o.keep !== undefined) summary.pruned = pruneReports(join(reportsRoot, initiative), o.keep, ev.path);
    return { dir: ev.path, summary, exitCode };
  } catch (e) {
    recordFailure(ev, e, phase, null, []);
    throw e;
  }
}

/**
 * --compress: gzip a test folder's float images (c.float.bin, ts.float.bin, *.bin.as-written)
 * to X.bin.gz (`gunzip -k` gives the file back byte for byte), point its HTML pages at the .gz,
 * and seal the folder again over what is now there (sha256.txt, as the evidence folder writes
 * it), so `nbparity verify` and `sha256sum -c` check the compressed files. Returns the names
 * compressed (without .gz).
 */
export function compressImages(dir: string): string[] {
  const names = readdirSync(dir).filter((f) => /\.bin$|\.bin\.as-written$/.test(f) && lstatSync(join(dir, f)).isFile()).sort();
  if (!names.length) return [];
  for (const f of names) {
    writeFileAtomic(join(dir, `${f}.gz`), gzipSync(readFileSync(join(dir, f)), { level: 6 }));
    rmSync(join(dir, f));
  }
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.html'))) writeFileAtomic(join(dir, f), relinkCompressed(readFileSync(join(dir, f), 'utf8'), names));
  const files = listFiles(dir).filter((f) => f !== 'sha256.txt').sort();
  writeFileAtomic(join(dir, 'sha256.txt'), files.map((f) => `${createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')}  ${f}`).join('\n') + '\n');
  return names;
}

function relinkCompressed(html: string, names: string[]): string {
  let out = html;
  for (const n of names) out = out.split(`${n}"`).join(`${n}.gz"`).split(`>${n}<`).join(`>${n}.gz<`);
  return out;
}

/** counts per outcome and the contract's exit over all tests: an input error (2) before a side failure (3) before a gate (1) */
export function countResults(results: any[]): { counts: Record<string, number>; exitCode: 0 | 1 | 2 | 3 } {
  const counts: Record<string, number> = { total: results.length, ok: 0, known_diff: 0, regressed: 0, libm_limited: 0, unexpected_pass: 0, error: 0, c_unreproducible: 0, skipped: 0 };
  for (const r of results) counts[(r.outcome as string).replace(/-/g, '_')]++;
  const codes = results.map((r) => r.outcome === 'error' || r.outcome === 'c-unreproducible' ? r.exit_code as number : r.outcome === 'regressed' || r.outcome === 'libm-limited' || r.outcome === 'unexpected-pass' ? 1 : 0);
  const exitCode: 0 | 1 | 2 | 3 = codes.includes(2) ? 2 : codes.includes(3) ? 3 : codes.includes(1) ? 1 : 0;
  return { counts, exitCode };
}

/** --fail-on-drift: a verdict flip, a metric moved beyond the factor or a test gone from the suite is exit 1 (a new test is not); a worse exit stays */
export function driftExit(exitCode: 0 | 1 | 2 | 3, flags: DriftFlag[], failOnDrift: boolean): 0 | 1 | 2 | 3 {
  return failOnDrift && exitCode === 0 && flags.some((f) => f.kind !== 'new-test') ? 1 : exitCode;
}

export function ledgerRows(results: any[], runId: string, created: string, ledgerSuite: string, commit: string, cSha: string): LedgerRow[] {
  return results.map((r) => ({
    run_id: runId, created, suite: ledgerSuite, case: r.case, mode: r.mode, test: r.test, commit,
    c_sha256: cSha, dtype: r.metrics?.dtype ?? '', omp_threads: String(r.metrics?.omp_threads ?? ''),
    correlation: r.metrics ? String(r.metrics.correlation) : '', sum_ratio: r.metrics ? String(r.metrics.sum_ratio) : '', max_dk: r.metrics ? String(r.metrics.max_dk) : '',
    verdict: r.verdict, outcome: r.outcome, wall_ms: Number(r.wall_ms).toFixed(0),
  }));
}

/** suite_summary.json (validated), junit.xml, a page per test, index.html, summary.md; then the seal. */
export function writeSuiteReport(ev: EvidenceDir, summary: Record<string, any>): void {
  const { results, counts, exit_code: exitCode, created } = summary;
  validate('suiteSummary', summary);
  const written = ev.writeJson('suite_summary.json', summary);
  validate('suiteSummary', JSON.parse(readFileSync(written, 'utf8')));
  ev.write('junit.xml', junitXml(summary.suite, created, results.map((r: any) => ({
    name: r.test, classname: `nbparity.${summary.suite}`, timeSec: r.wall_ms / 1000, outcome: r.outcome, message: r.message,
    details: [r.message, r.metrics?.first_divergence, r.evidence ? `evidence: ${join(ev.path, r.evidence)}` : ''].filter(Boolean).join('\n'),
    out: r.outcome === 'known-diff' ? r.message : undefined,
  })), summary.wall_ms / 1000));
  mkdirSync(join(ev.path, 'pages'), { recursive: true });
  for (const r of results) ev.write(pageName(r.test), relinkCompressed(casePageHtml(summary, r), r.compressed ?? []));
  ev.write('index.html', indexHtml(summary));
  ev.write('summary.md', suiteMarkdown(summary));
  const gateExit = countResults(results).exitCode;
  ev.seal({ exit_code: exitCode, verdict: exitCode === 0 ? 'every test meets its expectation' : gateExit === 0 ? `drift (--fail-on-drift): ${summary.drift.flags.length} flag(s)` : `${counts.regressed + counts.unexpected_pass} regressed, ${counts.error} error, ${counts.c_unreproducible} C not reproducible` });
}

/**
 * --keep N: under `suiteDir` (reports/<suite>/), delete the complete (sealed, verified) report
 * folders older than the newest N complete ones; the current run counts as one and is never
 * deleted. Only real directories directly inside suiteDir are candidates: symlinks are never
 * followed nor removed, incomplete or tampered folders are left for a human, nothing outside
 * suiteDir is touched. Returns the removed folder names.
 */
export function pruneReports(suiteDir: string, keep: number, current: string): string[] {
  if (!Number.isInteger(keep) || keep < 1) throw new InputError(`--keep needs a whole number >= 1, got ${keep}`);
  const root = realpathSync(suiteDir);
  const cur = realpathSync(current);
  const complete: string[] = [];
  for (const name of readdirSync(root).sort().reverse()) {
    if (!/^\d{8}T\d{6}Z(?:-\d+)?$/.test(name)) continue; // report folders only, by their stamp
    const p = join(root, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink() || !st.isDirectory()) continue;
    if (p === cur) continue;
    if (checkFolder(p).status === 'complete') complete.push(name);
  }
  // newest first by stamp (the -N suffix orders within a second)
  const key = (n: string) => { const m = /^(\d{8}T\d{6}Z)(?:-(\d+))?$/.exec(n)!; return [m[1], Number(m[2] ?? 1)] as const; };
  complete.sort((a, b) => { const x = key(a), y = key(b); return x[0] < y[0] ? 1 : x[0] > y[0] ? -1 : y[1] - x[1]; });
  const removed: string[] = [];
  for (const name of complete.slice(Math.max(0, keep - 1))) {
    const p = join(root, name);
    if (dirname(p) !== root) continue;
    rmSync(p, { recursive: true, force: false }); // rm removes symlinks inside, never their targets
    removed.push(name);
  }
  return removed;
}

export function suiteMarkdown(s: any): string {
  const L = [`# nbparity suite ${s.suite}: ${s.exit_code === 0 ? 'every case meets its expected verdict' : 'REGRESSIONS'}`, ''];
  L.push(`${s.against}; run ${s.run_id}; ${(s.wall_ms / 1000).toFixed(1)} s.`, '');
  if (s.quirks) L.push(`${s.quirks}.`, '');
  const c = s.counts;
  L.push(`${c.total} tests: ${c.ok} ok, ${c.known_diff} known-diff, ${c.regressed} regressed, ${c.libm_limited} libm-limited, ${c.unexpected_pass} unexpected pass, ${c.error} error, ${c.c_unreproducible} C not reproducible, ${c.skipped} skipped.`, '');
  L.push('## Drift', '', s.drift.flags.length ? s.drift.flags.map((f: { test: string; kind: string; detail: string }) => `- **${f.test}**: ${f.kind}: ${f.detail}`).join('\n') : s.drift.previous_run ? `No drift against ${s.drift.previous_run} (factor ${s.drift.factor}).` : 'First run of this suite in the ledger.', '');
  L.push('## Tests', '', '| test | expected | outcome | correlation | max \\|Δk\\| | note |', '|---|---|---|---|---|---|');
  for (const r of s.results) L.push(`| ${r.test} | ${r.expected.verdict}${r.expected.reason ? ` (${r.expected.reason})` : ''} | ${r.outcome} | ${r.metrics?.correlation ?? ''} | ${r.metrics?.max_dk ?? ''} | ${(r.message ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
  L.push('', 'Open index.html for the sortable table and a page per test.', '');
  return L.join('\n');
}

