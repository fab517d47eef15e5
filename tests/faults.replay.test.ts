/**
 * The lie detector without a C: the same faults as tests/faults.live.test.ts, planted in a
 * copy of a committed recorded reference (traces/reference/phi10: the upstream C's trace and
 * image), which replay then compares with the engine. A fault written into the reference
 * with its sha256 re-recorded stands for a C that produced it: it must end with the exit
 * code and message the contract gives that fault. A fault whose sha256 was not re-recorded
 * is a corrupt reference: exit 2, before anything is compared.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCompare } from '../harness/compare/run.js';
import { exitCodeFor } from '../harness/contract.js';
import { checkFolder } from '../harness/evidence/dir.js';

const REF = resolve('traces/reference/phi10');
const TRACE = 'upstream.trace.txt', IMAGE = 'upstream.float.bin';

/** A copy of the reference with `edit` applied to one file; `reseal`: record the edited file's sha256 (a C that wrote it) or not (corruption). */
function plant(file: string, edit: (data: Buffer) => Buffer | null, reseal = true): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'nbparity-fixture-')), 'phi10');
  cpSync(REF, dir, { recursive: true });
  const p = join(dir, file);
  const out = edit(readFileSync(p));
  if (out === null) rmSync(p); else writeFileSync(p, out);
  if (reseal) {
    const prov = JSON.parse(readFileSync(join(dir, 'provenance.json'), 'utf8'));
    if (out !== null) prov.sha256[file] = createHash('sha256').update(out).digest('hex');
    writeFileSync(join(dir, 'provenance.json'), JSON.stringify(prov, null, 2));
  }
  return dir;
}

/** Edit the TRACE_C_PHI line of phi_tic `tic`. */
const phiLine = (tic: number, edit: (line: string) => string) => (b: Buffer) =>
  Buffer.from(b.toString('utf8').split('\n').map((l) => (l.startsWith('TRACE_C_PHI ') && l.includes(` phi_tic=${tic} `) ? edit(l) : l)).join('\n'));
const f32 = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

const FAULTS: Array<[string, string, (b: Buffer) => Buffer | null, number, RegExp, boolean?]> = [
  ['control', TRACE, (b) => b, 0, /^$/],
  ['nan-k-trace', TRACE, phiLine(1, (l) => l.replace(/ k_frac=\S+/, ' k_frac=nan')), 1, /VG-1 k_frac: 1 of 10 k_frac values are not finite \(first at φ step 1/],
  ['inf-rot-b-trace', TRACE, phiLine(2, (l) => l.replace(/ rot_b=([^,]+),([^,]+),/, ' rot_b=$1,inf,')), 1, /VG-1 rot_b_y: 1 of 10 rot_b_y values are not finite \(first at φ step 2/],
  ['trace-duplicate-phi', TRACE, (b) => { const t = b.toString('utf8'); const l = t.split('\n').find((x) => x.includes(' phi_tic=1 '))!; return Buffer.from(t.replace(l, `${l}\n${l}`)); }, 3, /entry 0\/0\/0\/1 duplicates line/],
  ['trace-missing-phi', TRACE, (b) => Buffer.from(b.toString('utf8').split('\n').filter((l) => !(l.startsWith('TRACE_C_PHI') && l.includes(' phi_tic=1 '))).join('\n')), 3, /entry 0\/0\/0\/1 is missing/],
  ['trace-extra-phi', TRACE, (b) => { const t = b.toString('utf8'); const l = t.split('\n').find((x) => x.includes(' phi_tic=1 '))!; return Buffer.from(t.replace(l, `${l}\n${l.replace(' phi_tic=1 ', ' phi_tic=99 ')}`)); }, 3, /entry 0\/0\/0\/99 is outside the declared loops/],
  ['trace-cut', TRACE, (b) => { const t = b.toString('utf8'); const at = t.lastIndexOf('TRACE_C: floatimage_accumulated'); return Buffer.from(t.slice(0, at + 'TRACE_C: floatimage_accumulated 12.3'.length)); }, 3, /ends in the middle of a line \(cut short\)/],
  ['trace-cut-line', TRACE, phiLine(9, (l) => l.slice(0, l.indexOf(' F_latt=') + 10)), 3, /per-phi line without F_cell \(cut short\?\)/],
  ['trace-garbled', TRACE, (b) => Buffer.from(b.toString('utf8').replace(/TRACE_C: hkl_frac (\S+) (\S+) (\S+)/, 'TRACE_C: hkl_frac $1 abc $3')), 3, /'abc' is not a number/],
  ['trace-no-loops', TRACE, (b) => Buffer.from(b.toString('utf8').replace(/^ +\d+ phi steps from .*$/m, '')), 3, /does not say its loop counts/],
  ['short-image', IMAGE, (b) => b.subarray(0, b.length / 2), 3, /has 32768 bytes; its configuration implies 16384 pixels = 65536 bytes/],
  ['odd-bytes-image', IMAGE, (b) => b.subarray(0, b.length - 1), 3, /has 65535 bytes \(not a whole number of float32 values\)/],
  ['nan-image', IMAGE, (b) => { const a = f32(Buffer.from(b)); a[54 * 128 + 54] = NaN; return Buffer.from(a.buffer); }, 1, /image: not finite: 1 C pixels, 0 engine pixels/],
  ['image-1e-5', IMAGE, (b) => { const a = f32(Buffer.from(b)); for (let i = 0; i < a.length; i++) a[i] *= 1 + 1e-5; return Buffer.from(a.buffer); }, 1, /image: identical 0\.\d+% \(min 99\.9%\)/],
  ['engine-other-size', 'case.json', (b) => Buffer.from(b.toString('utf8').replace('"-detpixels",\n    "128"', '"-detpixels",\n    "120"')), 1, /evaluation grid: loop counts differ: fpixels C 128 vs engine 120, spixels C 128 vs engine 120[\s\S]*image: sizes differ: C 16384 pixels, engine 14400 \(120x120\)/],
  ['engine-other-phisteps', 'case.json', (b) => Buffer.from(b.toString('utf8').replace('"-phisteps",\n    "10"', '"-phisteps",\n    "9"')), 1, /evaluation grid: loop counts differ: phisteps C 10 vs engine 9; 1 C evaluations have no engine entry \(first 0\/0\/0\/9\); 8 φ angles differ \(phi_tic 1: C φ=0\.1°, engine φ=0\.1111111111111111°/],
  // corruption: the file no longer matches provenance.json
  ['corrupt-trace', TRACE, (b) => Buffer.from(b.toString('utf8').split('\n').filter((l) => !(l.startsWith('TRACE_C_PHI') && / phi_tic=[2-9] /.test(l))).join('\n')), 2, /corrupt reference .*upstream\.trace\.txt has sha256 [0-9a-f]{16}…, provenance\.json records [0-9a-f]{16}…/, false],
  ['missing-image', IMAGE, () => null, 2, /corrupt reference .*upstream\.float\.bin is missing/, false],
  ['corrupt-case', 'case.json', (b) => Buffer.from(b.toString('utf8').replace('"-phisteps",\n    "10"', '"-phisteps",\n    "9"')), 2, /corrupt reference .*case\.json has sha256/, false],
];

describe('planted faults in a recorded reference, through replay', () => {
  it.each(FAULTS)('%s planted in %s', async (_id, file, edit, exit, says, reseal = true) => {
    const dir = plant(file, edit, reseal);
    const reports = mkdtempSync(join(tmpdir(), 'nbparity-fixture-rep-'));
    let code: number, message = '', folder: string;
    try {
      const r = await runCompare({ args: ['--phi-carryover-mode', 'c-parity'], replayCase: dir, reportsRoot: reports });
      code = r.exitCode; folder = r.dir;
      message = r.metrics.verdict.gates.filter((g: { pass: boolean }) => !g.pass).map((g: { name: string; detail: string }) => `${g.name}: ${g.detail}`).join('\n');
    } catch (e) {
      code = exitCodeFor(e); message = (e as Error).message; folder = (e as { evidence: string }).evidence;
    }
    expect(code, message).toBe(exit);
    expect(message).toMatch(says);
    const c = checkFolder(folder);
    expect(c.status).toBe(exit <= 1 ? 'complete' : 'incomplete');
    expect(c.state).toBe(exit <= 1 ? 'complete' : 'failed');
  });

  it('the CLI gives the same exit code and names the sealed folder', () => {
    const dir = plant(TRACE, phiLine(1, (l) => l.replace(/ k_frac=\S+/, ' k_frac=-nan')));
    const r = spawnSync(process.execPath, [join('dist', 'harness', 'cli.js'), 'replay', '--case', dir, '--reports', mkdtempSync(join(tmpdir(), 'nbparity-fixture-rep-')), '--', '--phi-carryover-mode', 'c-parity'], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}FAIL: VG-1 k_frac\./m);
    expect(r.stdout).toMatch(/^ {2}replay of recorded references$/m);
    expect(r.stdout).toMatch(/max \|Δk_frac\| NaN/);
    const ev = /evidence: (\S+)/.exec(r.stdout)![1];
    const dm = JSON.parse(readFileSync(join(ev, 'delta_metrics.json'), 'utf8'));
    expect(dm.vg1.k_frac.max_abs).toBe('NaN');
    expect(dm.vg1.k_frac.non_finite.count).toBe(1);
  });

  it.each([
    ['a gate failure', (dir: string, rep: string) => ['replay', '--case', dir, '--reports', rep, '--', '--phi-carryover-mode', 'c-parity'], 1],
    ['an unknown case', (dir: string, rep: string) => ['replay', '--case', join(dir, 'nope'), '--reports', rep], 2],
  ] as const)('a reader that closed both pipes does not change the exit code of %s', async (_n, argv, code) => {
    const { spawn } = await import('node:child_process');
    const dir = plant(TRACE, phiLine(1, (l) => l.replace(/ k_frac=\S+/, ' k_frac=nan')));
    const child = spawn(process.execPath, [join('dist', 'harness', 'cli.js'), ...argv(dir, mkdtempSync(join(tmpdir(), 'nbparity-fixture-rep-')))]);
    child.stdout.destroy(); child.stderr.destroy(); // like `2>&1 | head -0`: every line meets a closed pipe
    expect(await new Promise((r) => child.on('exit', r))).toBe(code);
  });
});

describe('replay --all (the quick image table) reads only verified references', () => {
  it('a changed image is a corrupt reference; a resealed short one is refused by size', async () => {
    const { replayCase } = await import('../harness/replay.js');
    const { loadCase } = await import('../harness/reference/cases.js');
    const corrupt = plant(IMAGE, (b) => { const x = Buffer.from(b); x[100] ^= 1; return x; }, false);
    expect(() => replayCase(loadCase(corrupt))).toThrowError(/corrupt reference .*upstream\.float\.bin has sha256/);
    const short = plant(IMAGE, (b) => b.subarray(0, b.length / 2));
    let err: any;
    try { replayCase(loadCase(short)); } catch (e) { err = e; }
    expect(err?.exitCode).toBe(2);
    expect(String(err?.message)).toMatch(/upstream\.float\.bin holds 8192 pixels, the case implies 16384/);
  });
});
