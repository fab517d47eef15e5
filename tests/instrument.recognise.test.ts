/**
 * Instrumentation that survives forks, on synthetic C only (tests/fixtures/instrument/fake.c,
 * a stand-in with the shape of nanoBragg.c's main loop; not nanoBragg): every point is found
 * by what the code does whatever its formatting, the fork form of the intensity accumulation
 * included; markers override recognition; a source that cannot be instrumented gives one
 * error listing every point; `#line` keeps compiler messages on the user's lines; CUDA, empty
 * and binary files are named as such. The tests that compile need a C compiler (cc).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadCSourceError, checkCSource, sourceKind } from '../harness/c/build.js';
import { instrument, InstrumentationError, markerFor, POINTS } from '../harness/c/instrument.js';
import { InputError } from '../harness/contract.js';
import {
  badSpots, blocksOf, breakLines, crlf, deletePoint, duplicatePoint, edit, fakeC, lineOf, reformat, REFORMAT, resumesRight,
  splitAccumulation, subpixelOversampling, tabs, UPSTREAM_LINES, withMarkers,
} from './fixtures/instrument/variants.js';

const CC = process.env.CC ?? 'cc';
const hasCc = spawnSync(CC, ['--version']).status === 0;
if (!hasCc) console.log('tests/instrument.recognise.test.ts: no C compiler (cc): the tests that compile are skipped');

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

/** Instrument `text` and check every block: the user's line it resumes at is the one that follows it. */
function inst(text: string, file = 'fake.c') {
  const r = instrument(text, { file });
  const blocks = blocksOf(r.text);
  expect(blocks.map((b) => b.point)).toEqual(POINTS.map((p) => p.name));
  for (const b of blocks) {
    expect(b.file).toBe(file);
    expect(resumesRight(text, b), `${b.point}: #line ${b.resume} but next is ${JSON.stringify(b.next)}`).toBe(true);
  }
  return { ...r, blocks, block: (point: string) => blocks.find((b) => b.point === point)! };
}

/** Compile (and optionally run) a text as `name` in a fresh directory, as the harness does (a #line naming the user's file first). */
function compile(text: string, name: string, opts: { syntaxOnly?: boolean; instrumentAs?: string } = {}) {
  const dir = tmp('nbp-inst-cc-');
  const path = join(dir, name);
  writeFileSync(path, opts.instrumentAs ? `#line 1 "${opts.instrumentAs}"\n${text}` : text);
  const bin = join(dir, 'a.out');
  const r = spawnSync(CC, [...(opts.syntaxOnly ? ['-fsyntax-only'] : ['-O0', '-o', bin]), path, '-lm'], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  return { status: r.status, stderr: r.stderr, bin, dir };
}
function traceOf(text: string, args = ['-trace_pixel', '1', '1']): string[] {
  const c = compile(instrument(text, { file: 'fake.c' }).text, 'inst.c');
  expect(c.status, c.stderr).toBe(0);
  const run = spawnSync(c.bin, args, { encoding: 'utf8', cwd: c.dir });
  expect(run.status).toBe(0);
  return run.stdout.split('\n').filter((l) => l.startsWith('TRACE'));
}

const FAKE = fakeC();
const ACC = 'intensity accumulation';

describe('recognition by what the code does', () => {
  it('finds the nine points of the upstream spelling where they are', () => {
    const r = inst(FAKE);
    expect(r.placements.map((p) => [p.point, p.line, p.by])).toEqual(UPSTREAM_LINES.map(([p, re]) => [p, lineOf(FAKE, re), 'recognised']));
    // before-points resume at the statement itself, after-points right after it
    expect(r.block(ACC).next.trim()).toBe('I += F_cell*F_cell*F_latt*F_latt;');
    expect(r.block('pixel start (I = I_bg)').resume).toBe(lineOf(FAKE, /^[ \t]*I = I_bg;$/m) + 1);
    expect(r.block('pixel loop (omp parallel for)').next.trim()).toBe('#pragma omp parallel for \\');
    expect(r.block('main() entry').next).toBe('int main(int argc, char** argv)');
  });

  it.each([
    ['fix/subpixel-oversampling (I_contribution)', (t: string) => subpixelOversampling(t), /^[ \t]*double I_contribution = F_cell\*F_cell\*F_latt\*F_latt;$/m],
    ['the same with the local renamed', (t: string) => subpixelOversampling(t, 'contrib'), /^[ \t]*double contrib = F_cell\*F_cell\*F_latt\*F_latt;$/m],
    ['I = I + (double)(...) * (...); // comment', (t: string) => reformat(t), /^[ \t]*I = I \+ \(double\)\(F_cell\*F_cell\) \* \(F_latt\*F_latt\); \/\/ accumulate$/m],
    ['split over four lines', (t: string) => splitAccumulation(t), /^[ \t]*I \+=$/m],
    ['tabs', (t: string) => tabs(t), /^\t+I\t\+=\tF_cell\*F_cell\*F_latt\*F_latt;$/m],
    ['CRLF', (t: string) => crlf(t), /^[ \t]*I \+= F_cell\*F_cell\*F_latt\*F_latt;\r$/m],
    ['all at once: fork, renamed local, every point reformatted, tabs, CRLF', (t: string) => crlf(tabs(reformat(subpixelOversampling(t, 'contrib')))), /^[ \t]*double\tcontrib=\r$/m],
  ] as Array<[string, (t: string) => string, RegExp]>)('the intensity accumulation: %s', (_n, variant, statement) => {
    const v = variant(FAKE);
    const r = inst(v);
    // the trace call goes just before the statement that first computes F_cell*F_cell*F_latt*F_latt
    expect(r.block(ACC).resume).toBe(lineOf(v, statement));
    expect(r.block(ACC).code.join('\n')).toMatch(/nbp_phi\(.*F_latt,F_cell,F_cell\*F_cell\*F_latt\*F_latt\);$/);
    expect(r.placements.every((p) => p.by === 'recognised')).toBe(true);
  });

  it('the fork form puts the trace call before the local, not before `I += local`', () => {
    const v = subpixelOversampling(FAKE);
    const lines = inst(v).text.split('\n');
    const at = lines.findIndex((l) => l.includes('nbparity instrumentation (intensity accumulation)'));
    expect(lines[at + 3].trim()).toBe('double I_contribution = F_cell*F_cell*F_latt*F_latt;');
    expect(lines.slice(at + 3).find((l) => /I \+= I_contribution;/.test(l))).toBeDefined();
  });

  it.each(REFORMAT.map(([what]) => what))('each point reformatted on its own: %s', (what) => {
    const [, re, by] = REFORMAT.find(([w]) => w === what)!;
    const v = edit(FAKE, what, re, by);
    const r = inst(v);
    expect(r.placements.map((p) => p.by)).toEqual(POINTS.map(() => 'recognised'));
  });

  it.each([
    ['factors in another order', 'I += F_latt*F_cell*F_latt*F_cell;'],
    ['squared groups with parentheses', 'I += ((F_cell*F_latt)*(F_cell*F_latt));'],
    ['I on the right of +', 'I = F_cell*F_cell*F_latt*F_latt + I;'],
    ['float cast of each factor', 'I += (float)F_cell*(double)F_cell*F_latt*(F_latt);'],
    ['a comment inside, two statements on the line before', 'I += F_cell*F_cell /* F^2 */ *F_latt*F_latt;'],
  ])('accumulation written as %s', (_n, stmt) => {
    const v = edit(FAKE, 'acc', /^([ \t]*)I \+= F_cell\*F_cell\*F_latt\*F_latt;$/m, `$1${stmt}`);
    expect(inst(v).block(ACC).next.trim()).toBe(stmt);
  });

  it('a local that never reaches I, and a printf of the product, are not the accumulation', () => {
    const v = edit(FAKE, 'acc', /^([ \t]*)I \+= F_cell\*F_cell\*F_latt\*F_latt;$/m,
      '$1double shown = F_cell*F_cell*F_latt*F_latt;\n$1if(phi_tic < 0) printf("%g %g\\n", shown, F_cell*F_cell*F_latt*F_latt);\n$1I += F_cell*F_cell*F_latt*F_latt;');
    expect(inst(v).block(ACC).next.trim()).toBe('I += F_cell*F_cell*F_latt*F_latt;');
  });

  it('a point inside comments or strings is not a point', () => {
    const v = edit(FAKE, 'comment', /^([ \t]*)I = I_bg;$/m, '$1/* I = I_bg; */\n$1// floatimage[imgidx] += test;\n$1puts("I += F_cell*F_cell*F_latt*F_latt;");\n$1I = I_bg;');
    expect(inst(v).placements.map((p) => p.by)).toEqual(POINTS.map(() => 'recognised'));
  });

  it.skipIf(!hasCc)('every variant compiles and traces exactly as the upstream spelling does', () => {
    const base = traceOf(FAKE);
    expect(base.filter((l) => l.startsWith('TRACE_C_PHI'))).toHaveLength(2);
    expect(base.length).toBeGreaterThan(40);
    for (const v of [reformat(FAKE), crlf(tabs(splitAccumulation(FAKE))), subpixelOversampling(FAKE, 'contrib'), crlf(tabs(reformat(subpixelOversampling(FAKE, 'c2'))))]) {
      expect(traceOf(v)).toEqual(base);
    }
  });
});

describe('exactly once: missing and ambiguous points, all in one error', () => {
  it('lists every missing or ambiguous point with its nearest lines and its marker, and compiles nothing', () => {
    let v = deletePoint(FAKE, ACC);
    v = deletePoint(v, 'pixel loop (omp parallel for)');
    v = duplicatePoint(v, 'pixel store');
    let err: InstrumentationError | undefined;
    try { instrument(v, { file: '/x/nanoBragg.c' }); } catch (e) { err = e as InstrumentationError; }
    expect(err).toBeInstanceOf(InstrumentationError);
    expect(err).toBeInstanceOf(InputError);
    expect(err!.exitCode).toBe(2);
    expect(err!.problems.map((p) => [p.point, p.found])).toEqual([['pixel loop (omp parallel for)', 0], [ACC, 0], ['pixel store', 2]]);
    const msg = err!.message;
    expect(msg.split('\n')[0]).toBe("cannot instrument /x/nanoBragg.c: recognised point 'pixel loop (omp parallel for)' found 0 times (expected once), " +
      "'intensity accumulation' found 0 times (expected once), 'pixel store' found 2 times (expected once); nothing was compiled.");
    for (const p of ['pixel loop (omp parallel for)', ACC, 'pixel store']) expect(msg).toContain(markerFor(p));
    expect(msg).toContain(`/* nbparity: intensity accumulation */ on its own line just before the statement (its code goes before it)`);
    // the nearest lines, by shared identifiers, as "line N: text"
    const store = lineOf(v, /^([ \t]*)floatimage\[imgidx\] \+= test;\n\1floatimage/m);
    expect(msg).toContain(`line ${store}: floatimage[imgidx] += test;\n`);
    expect(msg).toContain(`line ${store + 1}: floatimage[imgidx] += test;`);
    const acc = err!.problems.find((p) => p.point === ACC)!;
    expect(acc.candidates.length).toBeGreaterThan(0);
    expect(acc.candidates.length).toBeLessThanOrEqual(3);
    for (const c of acc.candidates) expect(msg).toContain(`line ${c.line}: ${c.text}`);
    expect(acc.candidates[0].text).toMatch(/F_cell|F_latt/);
    // compatibility: the first problem is still named on its own
    expect(err!.point).toBe('pixel loop (omp parallel for)');
    expect(err!.found).toBe(0);
  });

  it('a deleted point lists the renamed statement as its nearest line', () => {
    const v = edit(FAKE, 'rename', /^([ \t]*)I \+= F_cell\*F_cell\*F_latt\*F_latt;$/m, '$1I += F_cell*F_cell*F_latt*F_latt*fudge_factor;');
    const p = (() => { try { instrument(v); } catch (e) { return (e as InstrumentationError).problems; } })()!;
    expect(p).toHaveLength(1);
    expect(p[0].candidates[0]).toEqual({ line: lineOf(v, /fudge_factor/), text: 'I += F_cell*F_cell*F_latt*F_latt*fudge_factor;' });
  });

  it('a point in the body of an if without braces is not taken (nbparity cannot insert there), and says so', () => {
    const v = edit(FAKE, 'sub', /^([ \t]*)I \+= F_cell\*F_cell\*F_latt\*F_latt;$/m, '$1if(F_cell > 0.0) I += F_cell*F_cell*F_latt*F_latt;');
    expect(() => instrument(v)).toThrowError(new RegExp(`line ${lineOf(v, /if\(F_cell > 0\.0\)/)} matches but is the body of an if/else/loop without braces`));
  });

  it('the empty program misses eight points, and the message still begins with the first', () => {
    const text = '#include <stdio.h>\nint main(int argc, char** argv)\n{\n  return 0;\n}\n';
    expect(() => instrument(text)).toThrowError(/recognised point 'option loop \(-Na\)' found 0 times \(expected once\), .* nothing was compiled/);
    try { instrument(text); } catch (e) { expect((e as InstrumentationError).problems).toHaveLength(8); }
  });
});

describe('marker comments', () => {
  it('a marker overrides recognition: before-points go right after the marker, after-points after the next statement', () => {
    // statements recognition cannot see: the product via pow(), the store in another form
    let v = edit(FAKE, 'pow', /^([ \t]*)I \+= F_cell\*F_cell\*F_latt\*F_latt;$/m, '$1/* nbparity: intensity accumulation */\n$1I += pow(F_cell*F_latt, 2);');
    v = edit(v, 'store', /^([ \t]*)floatimage\[imgidx\] \+= test;$/m, '$1// nbparity: store\n$1floatimage[imgidx] = (float)(test + floatimage[imgidx]);');
    const r = inst(v);
    const marker = lineOf(v, /nbparity: intensity accumulation/);
    expect(r.placements.find((p) => p.point === ACC)).toEqual({ point: ACC, by: 'marker', where: 'before', line: marker });
    expect(r.block(ACC).resume).toBe(marker + 1);
    expect(r.block(ACC).next.trim()).toBe('I += pow(F_cell*F_latt, 2);');
    const store = r.block('pixel store');
    expect(store.resume).toBe(lineOf(v, /floatimage\[imgidx\] = \(float\)/) + 1);
    expect(store.code.join('\n')).toContain('floatimage[imgidx]);');
  });

  it('markers on every point, in both comment styles and CRLF, give the same placement as recognition', () => {
    for (const style of [(p: string) => `/* nbparity: ${p} */`, (p: string) => `// nbparity: ${p}`]) {
      const v = crlf(withMarkers(FAKE, style));
      const r = inst(v);
      expect(r.placements.map((p) => p.by)).toEqual(POINTS.map(() => 'marker'));
      const plain = inst(crlf(FAKE));
      expect(r.blocks.map((b) => b.next)).toEqual(plain.blocks.map((b) => b.next));
    }
  });

  it('a marker resolves an ambiguity (and without it the ambiguity is an error)', () => {
    const twice = duplicatePoint(FAKE, 'pixel store');
    expect(() => instrument(twice)).toThrowError(/'pixel store' found 2 times/);
    const v = edit(twice, 'mark', /^([ \t]*)(floatimage\[imgidx\] \+= test;)\n\1floatimage/m, '$1$2\n$1/* nbparity: pixel store */\n$1floatimage');
    expect(inst(v).block('pixel store').resume).toBe(lineOf(v, /nbparity: pixel store/) + 2);
  });

  it.each([
    ['names no point', (t: string) => edit(t, 'm', /^([ \t]*)I = I_bg;$/m, '$1/* nbparity: pixel begin */\n$1I = I_bg;'), /line (\d+): marker \/\* nbparity: pixel begin \*\/ names no instrumentation point; the points are 'main\(\) entry', /],
    ['is duplicated', (t: string) => withMarkers(withMarkers(t, (p) => `// nbparity: ${p}`, ['pixel store']), (p) => `/* nbparity: ${p} */`, ['pixel store']), /lines (\d+) and (\d+): the marker \/\* nbparity: pixel store \*\/ appears 2 times/],
    ['shares its line with code', (t: string) => edit(t, 'm', /^([ \t]*)I = I_bg;$/m, '$1I = I_bg; /* nbparity: pixel start (I = I_bg) */'), /line (\d+): marker .* must be on a line of its own/],
  ] as Array<[string, (t: string) => string, RegExp]>)('a marker that %s is an error naming its line', (_n, make, says) => {
    const v = make(FAKE);
    let err: InstrumentationError | undefined;
    try { instrument(v); } catch (e) { err = e as InstrumentationError; }
    expect(err).toBeInstanceOf(InstrumentationError);
    const m = says.exec(err!.message);
    expect(m, err!.message).not.toBeNull();
    const marked = v.split('\n').map((l, i) => (/nbparity:/.test(l) ? i + 1 : 0)).filter(Boolean);
    expect(m!.slice(1).filter(Boolean).map(Number)).toEqual(marked);
    expect(err!.message.split('\n')[0]).toMatch(/bad nbparity marker comment/);
  });
});

describe.skipIf(!hasCc)('#line: compiler messages name the user\'s file and line', () => {
  const variants: Array<[string, (t: string) => string]> = [
    ['LF', (t) => t], ['CRLF', crlf], ['markers', (t) => withMarkers(t, markerFor)], ['CRLF, reformatted, fork, tabs', (t) => crlf(tabs(reformat(subpixelOversampling(t))))],
  ];
  for (const [name, make] of variants) {
    it.each(['lines', 'append', 'prepend'] as const)(`${name}: errors planted (%s) are reported at the same file:line:col as in the uninstrumented file`, (how) => {
      const v = breakLines(make(FAKE), how);
      const planted = (v.match(/nbp_bad_\d+/g) ?? []).length;
      expect(planted).toBeGreaterThan(how === 'prepend' ? 3 : 20);
      const plain = compile(v, 'nanoBragg.c', { syntaxOnly: true });
      const dir = plain.dir, user = join(dir, 'nanoBragg.c');
      const instrumented = compile(instrument(v, { file: user }).text, 'inst.c', { syntaxOnly: true, instrumentAs: user });
      const a = badSpots(plain.stderr), b = badSpots(instrumented.stderr);
      expect(a.size).toBe(planted);
      expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
      for (const spot of b.values()) expect(spot.startsWith(user + ':')).toBe(true);
    });
  }

  it('an error inside an inserted block names the point, not the user\'s file', () => {
    const v = edit(FAKE, 'no close_distance', /, close_distance = 0\.1/, '');
    const c = compile(instrument(v, { file: 'fake.c' }).text, 'inst.c', { syntaxOnly: true, instrumentAs: 'fake.c' });
    expect(c.stderr).toMatch(/^nbparity instrumentation \(scattering vector\):1:\d+: error: 'close_distance' undeclared/m);
  });
});

describe('C sources that are not the CPU nanoBragg.c', () => {
  const dir = tmp('nbp-kind-');
  const file = (name: string, data: string | Buffer) => { const p = join(dir, name); writeFileSync(p, data); return p; };
  const says = (path: string) => { try { checkCSource({ path, from: '--c-source' }); return 'ok'; } catch (e) { expect(e).toBeInstanceOf(BadCSourceError); return (e as Error).message; } };

  it.each([
    ['__global__ kernel', '#include <stdio.h>\n__global__ void nanoBraggSpotsCUDAKernel(float *img) { }\nint main(int argc, char **argv) { return 0; }\n'],
    ['<<<...>>> launch', 'extern void k(float *);\nint main(int argc, char **argv) { k<<<64, 128>>>(0); return 0; }\n'],
    ['#include <cuda_runtime.h>', '#include <cuda_runtime.h>\nint main(int argc, char **argv) { return 0; }\n'],
    ['#include "cuda.h"', '#  include "cuda.h"\nint main(int argc, char **argv) { return 0; }\n'],
  ])('CUDA (%s) is named as such, in one line', (_n, text) => {
    const p = file('nanoBraggCUDA.cu', text);
    expect(says(p)).toBe(`${p} (from --c-source): is CUDA source (nanoBraggCUDA?), not the CPU nanoBragg.c`);
  });

  it('empty, white space only and binary files keep their one-line messages', () => {
    const e = file('e.c', ''), w = file('w.c', ' \n\t\r\n'), b = file('b.c', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0])), c = file('c.c', Buffer.from('int main(){}\n' + '\x01\x02\x03'.repeat(10)));
    expect(says(e)).toBe(`${e} (from --c-source): is empty`);
    expect(says(w)).toBe(`${w} (from --c-source): is empty (only white space)`);
    expect(says(b)).toBe(`${b} (from --c-source): is a binary file, not C source`);
    expect(says(c)).toBe(`${c} (from --c-source): is a binary file, not C source`);
    for (const m of [says(e), says(w), says(b), says(c)]) expect(m).not.toContain('\n');
  });

  it('C that mentions CUDA in comments or strings, and the stand-in, are C', () => {
    expect(sourceKind(Buffer.from('/* see nanoBraggCUDA.cu: __global__ kernels, k<<<a,b>>>() */\n// #include <cuda_runtime.h>\nint main(int argc, char **argv) { return 0; }\n'))).toBe('c');
    expect(sourceKind(Buffer.from(FAKE))).toBe('c');
    expect(says(file('fake.c', FAKE))).toBe('ok');
  });
});

describe.skipIf(!hasCc || !existsSync(join(process.cwd(), 'dist', 'harness', 'cli.js')))('through the CLI', () => {
  const CLI = join(process.cwd(), 'dist', 'harness', 'cli.js');
  const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: tmp('nbp-cli-'), env: { ...process.env, NANOBRAGG_C: '', ...env } });

  it('a source with a deleted and a duplicated point: exit 2, both listed, the compiler never called', () => {
    const dir = tmp('nbp-cli-src-');
    const src = join(dir, 'nanoBragg.c');
    writeFileSync(src, duplicatePoint(deletePoint(FAKE, ACC), 'pixel store'));
    const log = join(dir, 'cc-was-called');
    const cc = join(dir, 'cc.sh');
    writeFileSync(cc, `#!/bin/sh\necho "$@" >> ${log}\nexec ${CC} "$@"\n`, { mode: 0o755 });
    const r = run(['build', '--c-source', src], { CC: cc });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^nbparity build: cannot instrument .*nanoBragg\.c: recognised point 'intensity accumulation' found 0 times \(expected once\), 'pixel store' found 2 times \(expected once\); nothing was compiled\.$/m);
    expect(r.stderr).toContain('/* nbparity: intensity accumulation */');
    expect(existsSync(log)).toBe(false);
  });

  it('a CUDA file: exit 2 in one line', () => {
    const p = join(tmp('nbp-cli-cu-'), 'nanoBragg.c');
    writeFileSync(p, '__global__ void k(void) {}\nint main(int argc, char **argv) { k<<<1,1>>>(); return 0; }\n');
    const r = run(['build', '--c-source', p]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`nbparity build: ${p} (from --c-source): is CUDA source (nanoBraggCUDA?), not the CPU nanoBragg.c`);
  });
});
