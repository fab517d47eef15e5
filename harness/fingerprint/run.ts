/**
 * The fingerprint of a C build: which entries of the quirk catalogue (src/quirks/catalogue.ts)
 * it has, which it fixes, and which the probes could not tell.
 *
 * One mechanism for every entry: each probe (a tiny command line) runs on the C build as the
 * user wrote it (not instrumented, OMP_NUM_THREADS=1 unless the probe says otherwise) and on the
 * engine twice, with the entry as the C has it (`--quirk ID=c`) and fixed (`--quirk ID=fixed`),
 * every other entry as the C has it and the C's own libm (`--libm system`). The build has the
 * entry when its output is bit-identical to the `c` run and not to the `fixed` one, fixes it in
 * the opposite case; anything else (both, neither, probes that disagree) is "could not tell",
 * with the reason. A run that fails counts as an outcome: the C crashing where the engine, as the
 * C has it, refuses the same command line is a match. An entry without a switch (a data race)
 * can only be observed: the build has it when repeated runs differ.
 *
 * The result is cached next to the compiled binary, keyed by the catalogue's probes and the
 * engine's code, so `compare`, `sweep` and `suite` pay for it once per build.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildC, projectRoot, requireCSource, sha256, type CSource } from '../c/build.js';
import { detectDialect } from '../c/instrument.js';
import { runSide, SideFailedError, type RunRecord } from '../run/side.js';
import { makeScratch, removeScratch } from '../run/lifecycle.js';
import { engineCli, toolVersion } from '../env.js';
import { InputError } from '../contract.js';
import { validate } from '../schemas/validate.js';
import { writeFileAtomic } from '../../src/index.js';
import { CATALOGUE, catalogueVersion, defaultProfile, type ProbeRun, type QuirkEntry, type QuirkProfile } from '../../src/quirks/catalogue.js';

export type EntryVerdict = 'has' | 'fixes' | 'unknown';

/** One probe run's outcome on one side. */
export interface Outcome { ok: boolean; exit: number | null; signal: string | null; image_sha256: string | null; note: string }

export interface ProbeResult {
  args: string[]; omp_threads: number;
  c: Outcome[]; engine_c: Outcome | null; engine_fixed: Outcome | null;
  /** does the probe separate the two states at all, and which does the C match? */
  separates: boolean | null; matches_c: boolean | null; matches_fixed: boolean | null;
}

export interface EntryResult { id: string; title: string; switchable: boolean; verdict: EntryVerdict; detail: string; probes: ProbeResult[] }

export interface Fingerprint {
  schema_version: 'nbparity.fingerprint/1';
  created: string;
  catalogue_version: string;
  engine_digest: string;
  tool_version: string;
  c: { source: string; source_sha256: string; dialect: string; compiler: string; flags: string[]; binary: string };
  entries: EntryResult[];
  has: string[]; fixes: string[]; unknown: string[];
  /** the engine profile this build implies: has → c, fixes → fixed, unknown → the engine's default */
  profile: QuirkProfile;
  wall_ms: number;
  /** what the C did on every probe (image sha256 or how it failed): a record replays from these */
  c_outcomes: COutcomes;
}

/** A fingerprint from its entries. */
export function assemble(entries: EntryResult[], x: { c: Fingerprint['c']; digest: string; wallMs: number; cOutcomes: COutcomes }): Fingerprint {
  const profile = defaultProfile();
  for (const e of entries) if (e.switchable && e.verdict !== 'unknown') profile[e.id] = e.verdict === 'has' ? 'c' : 'fixed';
  return {
    schema_version: 'nbparity.fingerprint/1', created: new Date().toISOString(), catalogue_version: catalogueVersion(), engine_digest: x.digest, tool_version: toolVersion(),
    c: x.c, entries,
    has: entries.filter((e) => e.verdict === 'has').map((e) => e.id),
    fixes: entries.filter((e) => e.verdict === 'fixes').map((e) => e.id),
    unknown: entries.filter((e) => e.verdict === 'unknown').map((e) => e.id),
    profile, wall_ms: x.wallMs, c_outcomes: x.cOutcomes,
  };
}

export interface FingerprintOptions {
  cSource?: string; located?: CSource; cc?: string; cflags?: string[];
  /** ignore a cached result */
  refresh?: boolean;
  /** runs of the C for entries that can only be observed (default 5) */
  raceRuns?: number;
  timeoutSec?: number;
  onProgress?: (line: string) => void;
  /** only these entries (tests; the cache is not written then) */
  only?: string[];
}

/** before the probe's own arguments: some probes need their last argument to be last */
const OUTPUT_ARGS = ['-floatfile', 'out.float.bin', '-intfile', 'out.int.img'];

/** A digest of the engine's built code: a fingerprint decided by another engine is not reused. */
export function engineDigest(): string {
  const root = join(projectRoot(), 'dist', 'src');
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.js')) { h.update(p.slice(root.length)); h.update(readFileSync(p)); }
    }
  };
  if (existsSync(root)) walk(root);
  return h.digest('hex').slice(0, 16);
}

/** The one-line summary every report shows. */
export function fingerprintLine(fp: Fingerprint | null, why?: string): string {
  if (!fp) return `this C build's quirks: not fingerprinted (${why ?? 'no C build'})`;
  const list = (ids: string[]) => (ids.length ? ids.join(', ') : 'none');
  return `this C build has: ${list(fp.has)}; fixes: ${list(fp.fixes)}${fp.unknown.length ? `; could not tell: ${fp.unknown.join(', ')}` : ''}`;
}

/** Fingerprint a C build (cached with the build). */
export async function fingerprint(o: FingerprintOptions = {}): Promise<{ fp: Fingerprint; cached: boolean; file: string | null }> {
  const progress = o.onProgress ?? (() => undefined);
  const located = o.located ?? requireCSource(o.cSource);
  const text = readFileSync(located.path);
  const dialect = detectDialect(text.toString('utf8'));
  const flags = o.cflags ?? ['-O2', '-fopenmp'];
  progress(`building ${located.path} as it is (not instrumented)`);
  const built = await buildC(located.path, { cc: o.cc, flags, displayName: located.path });
  const digest = engineDigest();
  const file = o.only ? null : join(dirname(built.binary), `fingerprint.${catalogueVersion()}.${digest}.json`);
  if (file && !o.refresh && existsSync(file)) {
    try {
      const fp = JSON.parse(readFileSync(file, 'utf8')) as Fingerprint;
      validate('fingerprint', fp);
      if (fp.catalogue_version === catalogueVersion() && fp.engine_digest === digest && fp.c.source_sha256 === sha256(text)) return { fp, cached: true, file };
    } catch { /* damaged: decide again */ }
  }
  const t0 = performance.now();
  const timeoutMs = (o.timeoutSec ?? 120) * 1000;
  progress('running the probes on the C build and on the engine (c and fixed)');
  const [cOut, eOut] = await Promise.all([cProbeOutcomes(built.binary, { timeoutMs, raceRuns: o.raceRuns, only: o.only }), cachedEngineOutcomes({ timeoutMs, only: o.only, refresh: o.refresh })]);
  const fp = assemble(decideAll(cOut, eOut, o.only), {
    c: { source: located.path, source_sha256: sha256(text), dialect, compiler: built.compilerVersion, flags: built.flags, binary: built.binary },
    digest, wallMs: Math.round(performance.now() - t0), cOutcomes: cOut,
  });
  validate('fingerprint', fp);
  if (file) writeFileAtomic(file, JSON.stringify(fp, null, 2) + '\n');
  return { fp, cached: false, file };
}

/** Per entry, per probe run: the C's outcomes (several for an entry that can only be observed). */
export type COutcomes = Record<string, Outcome[][]>;
/** Per entry, per probe run: the engine's outcome with the entry as the C has it and fixed. */
export type EngineOutcomes = Record<string, Array<{ c: Outcome; fixed: Outcome }>>;

/** Run a probe command in a fresh directory of `scratch` (its files written first). */
async function probeRun(scratch: string, n: { i: number }, side: 'C' | 'TS', cmd: string[], run: ProbeRun, env: Record<string, string>, timeoutMs: number): Promise<Outcome> {
  const dir = join(scratch, `r${n.i++}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(run.files ?? {})) writeFileSync(join(dir, name), content);
  const r = await runSide(side, [...cmd, ...OUTPUT_ARGS, ...run.args], { cwd: dir, env, timeoutMs, name: 'probe' });
  const out = describe(r, join(dir, 'out.float.bin'));
  // the engine refuses a command line with exit 2 (what the C crashes on); anything else is the engine failing: never an outcome
  if (side === 'TS' && !out.ok && (r.exitCode !== 2 || r.timedOut)) throw new SideFailedError(r, out.note);
  if (side === 'C' && r.timedOut) throw new SideFailedError(r, 'a fingerprint probe is a tiny run; a timeout is not an outcome');
  return out;
}

/** The C build on every probe (OMP_NUM_THREADS as the probe says; `raceRuns` times for an entry without a switch). */
export async function cProbeOutcomes(binary: string, o: { timeoutMs: number; raceRuns?: number; only?: string[] }): Promise<COutcomes> {
  const scratch = makeScratch('nbparity-fp-c-');
  const n = { i: 0 };
  const out: COutcomes = {};
  try {
    for (const q of CATALOGUE) {
      if (o.only && !o.only.includes(q.id)) continue;
      out[q.id] = [];
      for (const run of q.probe.runs) {
        const env = { OMP_NUM_THREADS: String(run.ompThreads ?? 1) };
        const runs: Outcome[] = [];
        for (let k = 0; k < (q.switchable ? 1 : (o.raceRuns ?? 5)); k++) runs.push(await probeRun(scratch, n, 'C', [binary], run, env, o.timeoutMs));
        out[q.id].push(runs);
      }
    }
  } finally { removeScratch(scratch); }
  return out;
}

/** The engine on every probe of every switchable entry, with the entry as the C has it and fixed (every other entry as the C has it, the C's own libm). */
export async function engineProbeOutcomes(o: { timeoutMs: number; only?: string[] }): Promise<EngineOutcomes> {
  const engine = engineCli();
  const scratch = makeScratch('nbparity-fp-ts-');
  const n = { i: 0 };
  const out: EngineOutcomes = {};
  try {
    for (const q of CATALOGUE) {
      if (!q.switchable || (o.only && !o.only.includes(q.id))) continue;
      out[q.id] = [];
      for (const run of q.probe.runs) {
        const eng = (state: string) => [process.execPath, engine, '--quirks', 'c', '--quirk', `${q.id}=${state}`, '--libm', 'system'];
        const [c, fixed] = await Promise.all([probeRun(scratch, n, 'TS', eng('c'), run, {}, o.timeoutMs), probeRun(scratch, n, 'TS', eng('fixed'), run, {}, o.timeoutMs)]);
        out[q.id].push({ c, fixed });
      }
    }
  } finally { removeScratch(scratch); }
  return out;
}

/** The engine's outcomes do not depend on the C build: kept per engine digest and catalogue version. */
export async function cachedEngineOutcomes(o: { timeoutMs: number; only?: string[]; refresh?: boolean }): Promise<EngineOutcomes> {
  if (o.only) return engineProbeOutcomes(o);
  const file = join(projectRoot(), '.cache', 'fingerprint', `engine.${catalogueVersion()}.${engineDigest()}.json`);
  if (!o.refresh && existsSync(file)) {
    try {
      const cached = JSON.parse(readFileSync(file, 'utf8')) as EngineOutcomes;
      // every switchable entry with one outcome pair per probe run, or the engine runs again
      if (CATALOGUE.every((q) => !q.switchable || (Array.isArray(cached[q.id]) && cached[q.id].length === q.probe.runs.length && cached[q.id].every((x) => x?.c && x?.fixed)))) return cached;
    } catch { /* damaged: run again */ }
  }
  const out = await engineProbeOutcomes(o);
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(out) + '\n');
  return out;
}

/** Every entry's verdict from the two sides' outcomes. */
export function decideAll(cOut: COutcomes, eOut: EngineOutcomes, only?: string[]): EntryResult[] {
  const entries: EntryResult[] = [];
  for (const q of CATALOGUE) {
    if (only && !only.includes(q.id)) continue;
    const cRuns = cOut[q.id];
    if (!cRuns || cRuns.length !== q.probe.runs.length) throw new InputError(`the C's probe outcomes for ${q.id} are missing or do not match the catalogue's ${q.probe.runs.length} probe run(s)`);
    const probes: ProbeResult[] = q.probe.runs.map((run, k) => {
      const omp = run.ompThreads ?? 1;
      if (!q.switchable) return { args: run.args, omp_threads: omp, c: cRuns[k], engine_c: null, engine_fixed: null, separates: null, matches_c: null, matches_fixed: null };
      const e = eOut[q.id]?.[k];
      if (!e) throw new InputError(`the engine's probe outcomes for ${q.id} are missing`);
      const c = cRuns[k][0];
      return { args: run.args, omp_threads: omp, c: cRuns[k], engine_c: e.c, engine_fixed: e.fixed, separates: !same(e.c, e.fixed), matches_c: same(c, e.c), matches_fixed: same(c, e.fixed) };
    });
    entries.push(decide(q, probes));
  }
  return entries;
}

function describe(r: RunRecord, image: string): Outcome {
  const ok = r.exitCode === 0 && !r.timedOut;
  let imageSha: string | null = null, note = '';
  if (ok) {
    if (existsSync(image)) imageSha = sha256(readFileSync(image));
    else note = 'exited 0 without writing its float image';
  } else {
    const err = (() => { try { return readFileSync(r.stderrFile, 'utf8').trim().split('\n').filter((l) => !l.startsWith('TRACE')).slice(-1)[0] ?? ''; } catch { return ''; } })();
    note = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}${err ? `: ${err.slice(0, 200)}` : ''}`;
  }
  return { ok: ok && imageSha !== null, exit: r.exitCode, signal: r.signal, image_sha256: imageSha, note };
}

/** Two outcomes are the same: both wrote bit-identical float images, or both refused to run (a crash or an error exit). A timeout is never the same as anything. */
function same(a: Outcome, b: Outcome): boolean {
  if (a.note === 'timed out' || b.note === 'timed out') return false;
  if (a.ok && b.ok) return a.image_sha256 === b.image_sha256;
  if (!a.ok && !b.ok) return a.note !== 'exited 0 without writing its float image' && b.note !== 'exited 0 without writing its float image';
  return false;
}

function decide(q: QuirkEntry, probes: ProbeResult[]): EntryResult {
  const base = { id: q.id, title: q.title, switchable: q.switchable, probes };
  if (!q.switchable) {
    const runs = probes.flatMap((p) => p.c);
    const failed = runs.filter((r) => !r.ok);
    if (failed.length) return { ...base, verdict: 'unknown', detail: `the C failed on the probe (${failed[0].note})` };
    const distinct = new Set(runs.map((r) => r.image_sha256)).size;
    return distinct > 1
      ? { ...base, verdict: 'has', detail: `${runs.length} runs with ${probes[0].omp_threads} OpenMP threads gave ${distinct} different images` }
      : { ...base, verdict: 'unknown', detail: `${runs.length} runs with ${probes[0].omp_threads} OpenMP threads gave the same image: a race may still be there (it cannot be shown absent)` };
  }
  const sep = probes.filter((p) => p.separates);
  if (!sep.length) return { ...base, verdict: 'unknown', detail: 'the engine gives the same output in both states on every probe: the probe does not separate them' };
  const has = sep.filter((p) => p.matches_c && !p.matches_fixed), fixes = sep.filter((p) => p.matches_fixed && !p.matches_c);
  const neither = sep.filter((p) => !p.matches_c && !p.matches_fixed);
  const show = (p: ProbeResult) => `${p.c[0].ok ? `image ${p.c[0].image_sha256!.slice(0, 12)}` : p.c[0].note} vs engine c ${p.engine_c!.ok ? p.engine_c!.image_sha256!.slice(0, 12) : p.engine_c!.note}, fixed ${p.engine_fixed!.ok ? p.engine_fixed!.image_sha256!.slice(0, 12) : p.engine_fixed!.note}`;
  if (neither.length) return { ...base, verdict: 'unknown', detail: `the C matches neither state on ${neither.length} of ${sep.length} probes (${show(neither[0])}): this build differs from the engine elsewhere on that probe` };
  if (has.length === sep.length) return { ...base, verdict: 'has', detail: `bit-identical to the engine with ${q.id}=c and not =fixed on ${sep.length} probe${sep.length > 1 ? 's' : ''}` };
  if (fixes.length === sep.length) return { ...base, verdict: 'fixes', detail: `bit-identical to the engine with ${q.id}=fixed and not =c on ${sep.length} probe${sep.length > 1 ? 's' : ''}` };
  return { ...base, verdict: 'unknown', detail: `the probes disagree: ${has.length} match the C's behaviour, ${fixes.length} the fix (the build fixes part of it)` };
}
