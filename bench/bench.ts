#!/usr/bin/env node
/**
 * npm run bench: the engine against the user's nanoBragg.c, single thread, in one run.
 * Builds the C (cached), then times whole-process wall clock of both on the same
 * arguments (median of N runs after a warm-up) and checks the two float images agree.
 *
 *   npm run bench [-- --c-source PATH] [--runs N] [--case NAME|all] [--threads N] [--libm P|all] [--json]
 * --threads N runs both on N threads (C: OMP_NUM_THREADS=N; engine: --threads N, and
 * --c-threads N so its c-parity mode matches that C's carry-over). --libm runs the engine with
 * that math-library provider (system, cr, v8; all: each in turn, against the same C timing),
 * to show what exactness costs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { exitCodeFor } from '../harness/contract.js';
import { buildC, candidates, findCSource } from '../harness/c/build.js';
import { diffImages } from '../harness/metrics/image.js';
import { LIBM_NAMES } from '../src/index.js';

const BASE = ['-cell', '100', '100', '100', '90', '90', '90', '-N', '5', '-default_F', '100', '-lambda', '6.2', '-distance', '100', '-pixel', '0.1', '-detpixels', '1024'];
const CASES: Record<string, { args: string[]; mode: 'c-parity' | 'spec'; note: string }> = {
  phi10: { args: [...BASE, '-phisteps', '10', '-osc', '0.5'], mode: 'c-parity', note: '1024x1024, 10 phi steps (the issue #2 target)' },
  simple: { args: BASE, mode: 'c-parity', note: '1024x1024, 1 phi step' },
  mosaic10: { args: [...BASE, '-mosaic', '0.5', '-mosaic_domains', '10'], mode: 'c-parity', note: '1024x1024, 10 mosaic domains' },
  oversample2: { args: [...BASE, '-oversample', '2'], mode: 'c-parity', note: '1024x1024, 2x2 oversampling' },
};

const here = dirname(fileURLToPath(import.meta.url));
const ENGINE = join(here, '..', 'src', 'cli', 'main.js');

function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }

async function timeRun(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const r = await execa(cmd, args, { cwd, env: { ...process.env, ...env }, reject: false });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${cmd} failed (exit ${r.exitCode}):\n${r.stderr || r.stdout}`);
  return ms;
}

async function main(argv: string[]): Promise<number> {
  let cSource: string | undefined, runs = 3, json = false, threads = 1;
  const names: string[] = [];
  let libms: Array<string | null> = [null];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--c-source') cSource = argv[++i];
    else if (a === '--runs') runs = Number(argv[++i]);
    else if (a === '--case') names.push(argv[++i]);
    else if (a === '--json') json = true;
    else if (a === '--threads') threads = Number(argv[++i]);
    else if (a === '--libm') {
      const v = argv[++i];
      if (v === 'all') libms = [...LIBM_NAMES];
      else if ((LIBM_NAMES as readonly string[]).includes(v)) libms = [v];
      else { process.stderr.write(`bench: --libm expects ${LIBM_NAMES.join(', ')} or all, got '${v}'\n`); return 2; }
    }
    else if (a === '--help') { process.stdout.write(`usage: npm run bench -- [--c-source PATH] [--runs N] [--case ${Object.keys(CASES).join('|')}|all] [--threads N] [--libm ${LIBM_NAMES.join('|')}|all] [--json]\n`); return 0; }
    else { process.stderr.write(`bench: unknown argument '${a}'\n`); return 2; }
  }
  if (!Number.isInteger(runs) || runs < 1) { process.stderr.write('bench: --runs needs a positive integer\n'); return 2; }
  if (!Number.isInteger(threads) || threads < 1) { process.stderr.write('bench: --threads needs a positive integer\n'); return 2; }
  if (names.includes('all')) names.splice(0, names.length, ...Object.keys(CASES));
  for (const n of names) if (!(n in CASES)) { process.stderr.write(`bench: unknown case '${n}' (${Object.keys(CASES).join(', ')})\n`); return 2; }
  const src = findCSource(cSource);
  if (!src) {
    process.stdout.write(`bench: no nanoBragg.c present (looked at ${candidates(cSource).join(', ')}).\n` +
      'The benchmark compares the engine with the C in one run, so there is nothing to compare against.\n' +
      'Put your nanoBragg.c at golden_suite_generator/nanoBragg.c (or pass --c-source PATH) and run again.\n');
    return 0;
  }
  const built = await buildC(src.path, { displayName: src.path });
  const results = [];
  for (const name of names.length ? names : ['phi10']) {
    const c = CASES[name];
    const dir = mkdtempSync(join(tmpdir(), 'nbbench-'));
    try {
      const common = [...c.args, '-nonoise', '-nopgm'];
      const cArgs = [...common, '-noprogress', '-floatfile', 'c.bin', '-intfile', 'c.img'];
      const env = { OMP_NUM_THREADS: String(threads) };
      await timeRun(built.binary, cArgs, dir, env);
      const cMs: number[] = [];
      for (let k = 0; k < runs; k++) cMs.push(await timeRun(built.binary, cArgs, dir, env));
      if (!json) process.stdout.write(`${name}: ${c.note}\n  C (OMP_NUM_THREADS=${threads}, ${built.flags.join(' ')}): ${median(cMs).toFixed(0)} ms\n`);
      const read = (f: string) => { const b = readFileSync(join(dir, f)); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); };
      for (const libm of libms) {
        const tArgs = [...common, '-floatfile', 'ts.bin', '-intfile', 'ts.img', '--phi-carryover-mode', c.mode, '--c-threads', String(threads), '--threads', String(threads), ...(libm ? ['--libm', libm] : [])];
        await timeRun(process.execPath, [ENGINE, ...tArgs], dir, {});
        const tMs: number[] = [];
        for (let k = 0; k < runs; k++) tMs.push(await timeRun(process.execPath, [ENGINE, ...tArgs], dir, {}));
        const d = diffImages(read('ts.bin'), read('c.bin'));
        const r = { case: name, note: c.note, threads, libm: libm ?? 'default', c_ms: median(cMs), engine_ms: median(tMs), ratio: median(tMs) / median(cMs), runs, c_runs_ms: cMs, engine_runs_ms: tMs, identical_fraction: d.identicalFraction, max_ulp: d.maxUlp };
        results.push(r);
        if (!json) {
          process.stdout.write(`  engine (${threads} thread${threads > 1 ? 's' : ''}, libm ${r.libm}): ${r.engine_ms.toFixed(0)} ms   ` +
            `engine/C = ${r.ratio.toFixed(2)}   images: ${(100 * d.identicalFraction).toFixed(3)}% bit-identical, max ${d.maxUlp} ulp\n`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const meta = { c_source: src, c_sha256: built.sourceSha256, compiler: built.compilerVersion, flags: built.flags, node: process.version, runs };
  if (json) process.stdout.write(JSON.stringify({ ...meta, results }, null, 2) + '\n');
  else process.stdout.write(`(median of ${runs} whole-process runs after one warm-up; C ${src.path}, sha256 ${built.sourceSha256.slice(0, 12)}, ${built.compilerVersion}, node ${process.version})\n`);
  return 0;
}

main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e) => { process.stderr.write(`bench: ${(e as Error).message}\n`); process.exitCode = exitCodeFor(e); });
