/**
 * nbparity merge DIR...: the shard folders of one suite run (nbparity suite --shard K/N) into
 * one report, as if the suite had run unsharded: results in suite order, the same counts and
 * exit code, one ledger append and one drift computation.
 *
 * Fails closed (exit 2, naming the folder): a folder that is not sealed and complete or whose
 * seal does not verify, a folder that is not a shard report, shards of different suites, C
 * builds, modes or splits, a shard given twice, a shard missing, a shard whose results are not
 * the tests its split gave it. Never a partial pass.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot } from '../c/build.js';
import { InputError } from '../contract.js';
import { checkFolder, EvidenceDir } from '../evidence/dir.js';
import { recordFailure } from '../compare/run.js';
import { validate } from '../schemas/validate.js';
import { appendLedger, drift, readLedger } from './ledger.js';
import { countResults, driftExit, ledgerRows, pruneReports, writeSuiteReport } from './run.js';

export interface MergeOptions { dirs: string[]; reportsRoot?: string; ledger?: string; driftFactor?: number; failOnDrift?: boolean; keep?: number; noLedger?: boolean }

interface Shard { dir: string; s: any }

function loadShard(dirIn: string): Shard {
  const dir = resolve(dirIn);
  if (!existsSync(dir)) throw new InputError(`merge: ${dirIn}: no such folder`);
  const chk = checkFolder(dir);
  if (chk.status !== 'complete') throw new InputError(`merge: ${dirIn}: ${chk.status === 'tampered' ? 'TAMPERED' : 'not a complete, sealed report'} (${chk.detail}); refusing to merge`);
  let s: any;
  try { s = JSON.parse(readFileSync(join(dir, 'suite_summary.json'), 'utf8')); } catch (e) { throw new InputError(`merge: ${dirIn}: no readable suite_summary.json (${(e as Error).message.split('\n')[0]})`); }
  try { validate('suiteSummary', s); } catch (e) { throw new InputError(`merge: ${dirIn}: suite_summary.json: ${(e as Error).message.split('\n')[0]}`); }
  if (!s.shard) throw new InputError(`merge: ${dirIn}: not a shard report (no 'shard' in suite_summary.json; run nbparity suite --shard K/N)`);
  const sh = s.shard;
  const mine = (sh.all_tests as string[]).filter((_, i) => sh.split[i] === sh.k);
  const got = (s.results as Array<{ test: string }>).map((r) => r.test);
  if (JSON.stringify(mine) !== JSON.stringify(sh.tests) || JSON.stringify([...got].sort()) !== JSON.stringify([...mine].sort())) {
    throw new InputError(`merge: ${dirIn}: shard ${sh.k}/${sh.n}'s results are not the tests its split gives it`);
  }
  return { dir, s };
}

export async function mergeShards(o: MergeOptions) {
  const t0 = performance.now();
  if (!o.dirs.length) throw new InputError('merge needs the shard folders (reports/<suite>-shardKofN/<stamp>)');
  const shards = o.dirs.map(loadShard);
  const first = shards[0];
  const same = (what: string, f: (s: any) => unknown) => {
    for (const x of shards.slice(1)) {
      if (JSON.stringify(f(x.s)) !== JSON.stringify(f(first.s))) throw new InputError(`merge: ${x.dir}: ${what} ${JSON.stringify(f(x.s))}, but ${first.dir} has ${JSON.stringify(f(first.s))}; shards of different runs do not merge`);
    }
  };
  same('is of suite', (s) => s.suite);
  same('ran against C', (s) => s.shard.c_sha256 ?? s.c?.source_sha256 ?? null);
  same('ran in mode', (s) => s.mode);
  same('has N =', (s) => s.shard.n);
  same('ledger series', (s) => s.shard.ledger_suite);
  same('has split', (s) => s.shard.split_digest);
  const n: number = first.s.shard.n;
  const byK = new Map<number, Shard>();
  for (const x of shards) {
    const k = x.s.shard.k;
    if (byK.has(k)) throw new InputError(`merge: shard ${k}/${n} given twice: ${byK.get(k)!.dir} and ${x.dir}`);
    byK.set(k, x);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((k) => !byK.has(k));
  if (missing.length) throw new InputError(`merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${n}`).join(', ')} of suite ${first.s.suite} missing (split ${String(first.s.shard.split_digest).slice(0, 12)}); refusing a partial merge`);

  const allTests: string[] = first.s.shard.all_tests;
  const resultOf = new Map<string, { r: any; shard: Shard }>();
  for (const x of shards) for (const r of x.s.results) resultOf.set(r.test, { r, shard: x });
  const results = allTests.map((t) => resultOf.get(t)!.r);

  const suite: string = first.s.suite;
  const reportsRoot = o.reportsRoot ?? join(projectRoot(), 'reports');
  const ledgerPath = o.ledger ?? join(reportsRoot, 'ledger.csv');
  const ledger = o.noLedger ? [] : readLedger(ledgerPath); // a damaged ledger: exit 2 before writing anything
  const ev = EvidenceDir.create(reportsRoot, suite);
  try {
    const runId = `${suite}/${ev.stamp}`;
    // the per-test evidence, copied under the same relative paths (test folders are unique across shards)
    for (const t of allTests) {
      const { r, shard } = resultOf.get(t)!;
      if (r.evidence) cpSync(join(shard.dir, r.evidence), join(ev.path, r.evidence), { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false });
    }
    const { counts, exitCode: gateExit } = countResults(results);
    const created = new Date().toISOString();
    const ledgerSuite: string = first.s.shard.ledger_suite ?? suite;
    const cSha: string = first.s.shard.c_sha256 ?? first.s.c?.source_sha256 ?? 'replay';
    const commit = `${first.s.tool.git_commit}${first.s.tool.git_dirty ? '+dirty' : ''}`;
    const rows = ledgerRows(results, runId, created, ledgerSuite, commit, cSha);
    const factor = o.driftFactor ?? 10;
    const d = o.noLedger ? { previousRun: null, flags: [] } : drift(ledger, ledgerSuite, rows, factor);
    if (!o.noLedger) appendLedger(ledgerPath, rows);
    const exitCode = driftExit(gateExit, d.flags, !!o.failOnDrift);
    const ordered = [...byK.keys()].sort((a, b) => a - b).map((k) => byK.get(k)!);
    const summary: Record<string, any> = {
      schema_version: 'nbparity.suite_summary/1', suite, suite_file: first.s.suite_file, run_id: runId, created, mode: first.s.mode,
      against: first.s.against, ...(first.s.quirks ? { quirks: first.s.quirks } : {}), c: first.s.c, tool: first.s.tool,
      counts, exit_code: exitCode, results,
      drift: { previous_run: d.previousRun, factor, flags: d.flags, ledger: ledgerPath, fail_on_drift: !!o.failOnDrift, appended: !o.noLedger },
      merged_from: ordered.map((x) => ({ k: x.s.shard.k, n, dir: x.dir, run_id: x.s.run_id, wall_ms: x.s.wall_ms, tests: x.s.results.length, exit_code: x.s.exit_code })),
      // the elapsed time of the sharded run: its slowest shard (the shards ran side by side) plus this merge
      wall_ms: Math.max(...ordered.map((x) => Number(x.s.wall_ms))) + (performance.now() - t0),
    };
    writeSuiteReport(ev, summary);
    if (o.keep !== undefined) summary.pruned = pruneReports(join(reportsRoot, suite), o.keep, ev.path);
    return { dir: ev.path, summary, exitCode };
  } catch (e) {
    if (!ev.isSealed) recordFailure(ev, e, 'merge', null, []);
    throw e;
  }
}
