/**
 * The harness's error paths, end to end through the CLI: no C source, a compile error, a
 * source without a recognised instrumentation point, a C that crashes, one that hangs,
 * one whose trace is truncated. The C programs here are tiny stand-ins written by the test
 * (not nanoBragg); they need a C compiler, which every supported machine has.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { instrument, InstrumentationError, POINTS } from '../harness/c/instrument.js';

const CLI = join(process.cwd(), 'dist', 'harness', 'cli.js');
const hasCc = spawnSync(process.env.CC ?? 'cc', ['--version']).status === 0;
if (!hasCc) console.log('no C compiler (cc): harness error-path tests that compile are skipped');

function nbparity(args: string[], env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'nbparity-err-'));
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NANOBRAGG_C: '', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A stand-in C program that the harness takes for an already-tracing (golden-fork-like) source. */
function fakeC(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nbparity-fake-'));
  const p = join(dir, 'fake.c');
  writeFileSync(p, `/* test stand-in, not nanoBragg: TRACE_C_PHI trace_spixel */\n#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\nint main(int argc, char **argv) {\n${body}\n}\n`);
  return p;
}
const args = ['--', '-cell', '100', '100', '100', '90', '90', '90', '-default_F', '1', '-N', '3', '-detpixels', '8', '-nonoise', '-nopgm', '-trace_pixel', '4', '4'];

describe('a configured C that cannot be used is an error (exit 2), never a fallback to replay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nbparity-badc-'));
  const empty = join(dir, 'empty.c'); writeFileSync(empty, '');
  const binary = join(dir, 'binary.c'); writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
  const prose = join(dir, 'notes.c'); writeFileSync(prose, 'shopping list: milk, eggs\n');
  it.each([
    ['--c-source, missing', ['compare', '--c-source', '/nonexistent/nanoBragg.c', ...args], {}, /^nbparity compare: \/nonexistent\/nanoBragg\.c \(from --c-source\): no such file$/m],
    ['NANOBRAGG_C, missing (parity)', ['parity'], { NANOBRAGG_C: '/nonexistent/nanoBragg.c' }, /^nbparity parity: \/nonexistent\/nanoBragg\.c \(from NANOBRAGG_C\): no such file$/m],
    ['NANOBRAGG_C, missing (suite)', ['suite', 'smoke'], { NANOBRAGG_C: '/nonexistent/nanoBragg.c' }, /\(from NANOBRAGG_C\): no such file/],
    ['NANOBRAGG_C, a directory', ['build'], { NANOBRAGG_C: dir }, /\(from NANOBRAGG_C\): is a directory/],
    ['--c-source, empty', ['build', '--c-source', empty], {}, /empty\.c \(from --c-source\): is empty/],
    ['--c-source, binary', ['build', '--c-source', binary], {}, /binary\.c \(from --c-source\): is a binary file, not C source/],
    ['--c-source, not C', ['build', '--c-source', prose], {}, /notes\.c \(from --c-source\): does not look like nanoBragg\.c/],
  ] as Array<[string, string[], Record<string, string>, RegExp]>)('%s', (_name, argv, env, says) => {
    const r = nbparity(argv, env);
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(says);
    expect(r.stdout).not.toMatch(/replay/);
  });
});

describe('instrumentation points', () => {
  it('names a missing recognised point and compiles nothing', () => {
    const text = '#include <stdio.h>\nint main(int argc, char** argv)\n{\n  return 0;\n}\n';
    expect(() => instrument(text)).toThrowError(InstrumentationError);
    expect(() => instrument(text)).toThrowError(/recognised point 'option loop \(-Na\)' found 0 times/);
  });
  it.skipIf(!hasCc)('stops the CLI with exit 2 before compiling', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nbparity-pristine-'));
    writeFileSync(join(dir, 'nanoBragg.c'), '#include <stdio.h>\nint main(int argc, char** argv)\n{\n  return 0;\n}\n');
    const r = nbparity(['build', '--c-source', join(dir, 'nanoBragg.c')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/recognised point 'option loop \(-Na\)' found 0 times .* nothing was compiled/);
  });
  it('knows nine points, each a distinct place in the C', () => {
    expect(POINTS.map((p) => p.name)).toHaveLength(9);
    expect(new Set(POINTS.map((p) => p.name)).size).toBe(9);
  });
});

describe.skipIf(!hasCc)('failures of the C side', () => {
  it('a compile error shows the compiler message and exits 2', () => {
    const r = nbparity(['build', '--c-source', fakeC('  this is not C;')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/compiling nanoBragg\.c failed \(exit 1\)/);
    expect(r.stderr).toMatch(/error:/);
  });

  it('a damaged cached binary is rebuilt with a one-line notice, never reported as cached', () => {
    const src = fakeC('  return 0;');
    const first = JSON.parse(nbparity(['build', '--json', '--c-source', src]).stdout);
    const again = nbparity(['build', '--json', '--c-source', src]);
    expect(JSON.parse(again.stdout)).toMatchObject({ binary: first.binary, cached: true });
    writeFileSync(first.binary, readFileSync(first.binary).subarray(0, 100)); // truncated
    const fixed = nbparity(['build', '--json', '--c-source', src]);
    expect(fixed.status).toBe(0);
    expect(fixed.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^nbparity: the cached build \S+ is damaged \(sha256 [0-9a-f]{12}…, recorded [0-9a-f]{12}…\); rebuilding$/)]);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ binary: first.binary, cached: false });
    expect(readFileSync(first.binary).length).toBeGreaterThan(1000);
  });

  it.each([
    ['off the detector', ['-trace_pixel', '20', '3'], /-trace_pixel 20 3 is outside the detector \(8x8 pixels: slow 0\.\.7, fast 0\.\.7\)/],
    ['outside -roi', ['-roi', '0', '3', '0', '3', '-trace_pixel', '5', '5'], /-trace_pixel 5 5 is outside the rendered -roi \(fast 0\.\.3, slow 0\.\.3\): neither side evaluates it/],
  ] as Array<[string, string[], RegExp]>)('a traced pixel %s is a usage error (exit 2), not an incomplete trace', (_n, extra, says) => {
    const base = args.filter((a, i) => !(a === '-trace_pixel' || args[i - 1] === '-trace_pixel' || args[i - 2] === '-trace_pixel'));
    const r = nbparity(['compare', '--reports', mkdtempSync(join(tmpdir(), 'nbparity-rep-')), '--c-source', fakeC('  return 0;'), ...base, ...extra]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(says);
  });

  it('a crash is reported with its logs and exit 3', () => {
    const reports = mkdtempSync(join(tmpdir(), 'nbparity-rep-'));
    const r = nbparity(['compare', '--reports', reports, '--c-source', fakeC('  fprintf(stderr, "about to fail\\n"); abort();'), ...args]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/the C program (was killed by SIGABRT|exited with code)/);
    expect(r.stderr).toContain('about to fail');
    const ev = join(reports, 'adhoc', readdirSync(join(reports, 'adhoc'))[0]);
    expect(readFileSync(join(ev, 'c.stderr.txt'), 'utf8')).toContain('about to fail');
  });

  it('a hang is stopped at the timeout and exits 3', () => {
    const t0 = Date.now();
    const r = nbparity(['compare', '--timeout', '2', '--reports', mkdtempSync(join(tmpdir(), 'nbparity-rep-')), '--c-source', fakeC('  sleep(60); return 0;'), ...args]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/the C program timed out/);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it.each([['SIGTERM', 143], ['SIGINT', 130]] as const)('%s while the C runs: child killed, scratch removed, folder sealed as interrupted, exit %i', async (signal, code) => {
    const { spawn } = await import('node:child_process');
    const scratch = mkdtempSync(join(tmpdir(), 'nbparity-tmp-'));
    const reports = mkdtempSync(join(tmpdir(), 'nbparity-rep-'));
    const child = spawn(process.execPath, [CLI, 'compare', '--reports', reports, '--c-source', fakeC('  sleep(60); return 0;'), ...args], { env: { ...process.env, TMPDIR: scratch, NANOBRAGG_C: '' } });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    // wait until the C side is running (its scratch directory exists)
    const t0 = Date.now();
    while (!readdirSync(scratch).some((d) => d.startsWith('nbparity-run-')) || Date.now() - t0 < 1500) {
      if (Date.now() - t0 > 20_000) throw new Error('the compare never started');
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill(signal);
    const status = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(status, err).toBe(code);
    expect(readdirSync(scratch)).toEqual([]);
    const folder = join(reports, 'adhoc', readdirSync(join(reports, 'adhoc'))[0]);
    expect(err).toContain(`evidence: ${folder} (interrupted)`);
    expect(JSON.parse(readFileSync(join(folder, 'state.json'), 'utf8'))).toMatchObject({ state: 'interrupted', signal });
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('a truncated trace is an error, not a silent mismatch (exit 3)', () => {
    const body = [
      '  printf("TRACE_C_LOOPS thicksteps=1 oversample=1 sources=1 phisteps=1 mosaic_domains=1 fpixels=8 spixels=8\\n");',
      '  printf("TRACE_C: pix0_vector_meters 0.1 0.0065 -0.0065\\n");',
      '  printf("TRACE_C_PHI phi_tic=0 phi_deg=0 k_frac=1 F_latt_b=1 F_latt=1\\n");',
      '  FILE *f = fopen("c.float.bin", "wb"); float z[64] = {0}; fwrite(z, 4, 64, f); fclose(f); return 0;',
    ].join('\n');
    const r = nbparity(['compare', '--reports', mkdtempSync(join(tmpdir(), 'nbparity-rep-')), '--c-source', fakeC(body), ...args]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/the C trace \(\S+c\.trace\.txt\) is incomplete: the pixel's final lines lack I_pixel_final \(cut short\?\)/);
    expect(r.stderr).toMatch(/evidence: \S+ \(sealed as failed; exit 3\)/);
  });
});

describe('usage errors', () => {
  it('unknown command or option: exit 2 with usage', () => {
    expect(nbparity(['frobnicate']).status).toBe(2);
    const r = nbparity(['compare', '--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });
  it('every command has --help', () => {
    for (const c of ['compare', 'replay', 'trace', 'build', 'parity']) {
      const r = nbparity([c, '--help']);
      expect(r.status, c).toBe(0);
      expect(r.stdout).toContain(`usage: nbparity ${c}`);
    }
  });
  it('replay of an unknown case: exit 2', () => {
    const r = nbparity(['replay', '--case', 'no_such_case']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no recorded reference case 'no_such_case'");
  });
});
