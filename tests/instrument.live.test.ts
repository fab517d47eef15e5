/**
 * Instrumentation that survives forks, against the user's own nanoBragg.c
 * (golden_suite_generator/nanoBragg.c or $NANOBRAGG_C) and variants of it made here at test
 * time: the bl831 fix/subpixel-oversampling form of the intensity accumulation, every point
 * reformatted, tabs, CRLF, markers; each instruments at the right statements, compiles with
 * `-O2 -fopenmp` and traces, with compiler messages on the user's file and lines; planted
 * faults (a point deleted, a point duplicated, a garbage marker) give one error that lists
 * them all. Nothing here holds nanoBragg code; skipped without the C or a compiler.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectDialect, instrument, InstrumentationError, markerFor, POINTS } from '../harness/c/instrument.js';
import {
  badSpots, blocksOf, breakLines, crlf, deletePoint, duplicatePoint, edit, lineOf, reformat, resumesRight, splitAccumulation,
  subpixelOversampling, tabs, UPSTREAM_LINES, withMarkers,
} from './fixtures/instrument/variants.js';

const CC = process.env.CC ?? 'cc';
const hasCc = spawnSync(CC, ['--version']).status === 0;
const cPath = process.env.NANOBRAGG_C || join(process.cwd(), 'golden_suite_generator', 'nanoBragg.c');
const C = existsSync(cPath) ? readFileSync(cPath, 'utf8') : null;
/** upstream's spelling of every point (the bl831 main line): the variants below edit it */
const upstream = !!C && detectDialect(C) === 'pristine' && UPSTREAM_LINES.every(([, re]) => (C.match(new RegExp(re.source, 'gm')) ?? []).length === 1);
const why = !C ? `no nanoBragg.c at ${cPath} (set NANOBRAGG_C)` : !upstream ? `${cPath} is not a pristine nanoBragg.c in upstream's spelling (${detectDialect(C)})` : !hasCc ? 'no C compiler (cc)' : '';
if (why) console.log(`tests/instrument.live.test.ts skipped: ${why}`);
const haveC = !why;

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const ACC = 'intensity accumulation';
const TINY = '-cell 100 100 100 90 90 90 -default_F 100 -N 5 -lambda 1 -distance 100 -detpixels 16 -pixel 0.1 -nonoise -nopgm -oversample 2 -oversample_omega -phisteps 3 -osc 0.3 -floatfile x.bin -trace_pixel 5 5'.split(' ');

function inst(text: string, file: string) {
  const r = instrument(text, { file });
  const blocks = blocksOf(r.text);
  expect(blocks.map((b) => b.point)).toEqual(POINTS.map((p) => p.name));
  for (const b of blocks) expect(resumesRight(text, b), `${b.point}: #line ${b.resume} but next is ${JSON.stringify(b.next)}`).toBe(true);
  return { ...r, blocks, block: (p: string) => blocks.find((b) => b.point === p)! };
}

/** Instrument, compile as the harness does (-O2 -fopenmp, #line naming the user's file) and run the tiny case; the TRACE lines. */
function traced(variant: string): string[] {
  const dir = tmp('nbp-live-inst-');
  const user = join(dir, 'nanoBragg.c');
  writeFileSync(user, variant);
  writeFileSync(join(dir, 'inst.c'), `#line 1 "${user}"\n` + instrument(variant, { file: user }).text);
  const cc = spawnSync(CC, ['-O2', '-fopenmp', '-o', join(dir, 'nb'), join(dir, 'inst.c'), '-lm'], { encoding: 'utf8' });
  expect(cc.status, cc.stderr).toBe(0);
  const run = spawnSync(join(dir, 'nb'), TINY, { cwd: dir, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' }, maxBuffer: 1 << 28 });
  expect(run.status, run.stderr).toBe(0);
  expect(readFileSync(join(dir, 'x.bin')).length).toBe(16 * 16 * 4);
  return run.stdout.split('\n').filter((l) => l.startsWith('TRACE'));
}

describe.skipIf(!haveC)('the user\'s nanoBragg.c and its fork forms', () => {
  const c = C!;

  it('upstream: each point at its statement', () => {
    const r = inst(c, cPath);
    expect(r.placements.map((p) => [p.point, p.line])).toEqual(UPSTREAM_LINES.map(([p, re]) => [p, lineOf(c, re)]));
    expect(r.block(ACC).next.trim()).toBe('I += F_cell*F_cell*F_latt*F_latt;');
  });

  it.each([
    ['fix/subpixel-oversampling', (t: string) => subpixelOversampling(t), /^[ \t]*double I_contribution = F_cell\*F_cell\*F_latt\*F_latt;$/m],
    ['the same, local renamed, every point reformatted, tabs, CRLF', (t: string) => crlf(tabs(reformat(subpixelOversampling(t, 'contrib')))), /^\t*double\tcontrib=\r$/m],
    ['accumulation split over lines', (t: string) => splitAccumulation(t), /^[ \t]*I \+=$/m],
    ['markers on every point, CRLF', (t: string) => crlf(withMarkers(t, markerFor)), /^[ \t]*I \+= F_cell\*F_cell\*F_latt\*F_latt;\r$/m],
  ] as Array<[string, (t: string) => string, RegExp]>)('%s: the trace call goes before the statement that first computes F_cell*F_cell*F_latt*F_latt', (_n, make, statement) => {
    const v = make(c);
    expect(inst(v, cPath).block(ACC).resume).toBe(lineOf(v, statement));
  });

  it('the variants compile with -O2 -fopenmp and trace: reformatted exactly as upstream; the fork with the same evaluations and its own pixel sum', () => {
    const base = traced(c);
    const phi = (t: string[]) => t.filter((l) => l.startsWith('TRACE_C_PHI'));
    const value = (t: string[], name: string) => t.find((l) => l.startsWith(`TRACE_C: ${name} `));
    expect(phi(base)).toHaveLength(12); // 2x2 sub-pixels x 3 phi steps
    expect(base.filter((l) => l.startsWith('TRACE_C:')).length).toBeGreaterThan(30);
    expect(traced(crlf(tabs(reformat(c))))).toEqual(base);
    const fork = traced(crlf(tabs(reformat(subpixelOversampling(c, 'contrib')))));
    expect(phi(fork)).toEqual(phi(base));
    // upstream scales the running sum by omega at every step, the fork only each contribution
    expect(value(fork, 'I_before_scaling')).not.toEqual(value(base, 'I_before_scaling'));
  });

  for (const [name, make] of [['LF', (t: string) => t], ['CRLF with markers', (t: string) => crlf(withMarkers(t, markerFor))]] as Array<[string, (t: string) => string]>) {
    it.each(['lines', 'append', 'prepend'] as const)(`#line, ${name}: errors planted (%s) in the user's code are reported at the same file:line:col`, (how) => {
      const v = breakLines(make(c), how);
      const dir = tmp('nbp-live-line-');
      const user = join(dir, 'nanoBragg.c');
      writeFileSync(user, v);
      writeFileSync(join(dir, 'inst.c'), `#line 1 "${user}"\n` + instrument(v, { file: user }).text);
      const env = { ...process.env, LC_ALL: 'C' };
      const a = badSpots(spawnSync(CC, ['-fsyntax-only', user], { encoding: 'utf8', env, maxBuffer: 1 << 28 }).stderr);
      const b = badSpots(spawnSync(CC, ['-fsyntax-only', join(dir, 'inst.c')], { encoding: 'utf8', env, maxBuffer: 1 << 28 }).stderr);
      expect(a.size).toBeGreaterThan(how === 'prepend' ? 3 : 300);
      expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
    });
  }

  it('planted faults: a point deleted, a point duplicated, a garbage marker: one error listing them all, with nearest lines', () => {
    let v = deletePoint(c, ACC);
    v = duplicatePoint(v, 'pixel store');
    v = edit(v, 'garbage marker', /^([ \t]*)I = I_bg;$/m, '$1/* nbparity: pixel begin */\n$1I = I_bg;');
    let err: InstrumentationError | undefined;
    try { instrument(v, { file: cPath }); } catch (e) { err = e as InstrumentationError; }
    expect(err).toBeInstanceOf(InstrumentationError);
    expect(err!.exitCode).toBe(2);
    expect(err!.problems.map((p) => [p.point, p.found])).toEqual([[null, -1], [ACC, 0], ['pixel store', 2]]);
    const marker = lineOf(v, /nbparity: pixel begin/);
    expect(err!.message.split('\n')[0]).toBe(`cannot instrument ${cPath}: recognised point 'intensity accumulation' found 0 times (expected once), ` +
      `'pixel store' found 2 times (expected once); 1 bad nbparity marker comment (line ${marker}); nothing was compiled.`);
    expect(err!.message).toContain(`line ${marker}: marker /* nbparity: pixel begin */ names no instrumentation point`);
    const lines = v.split('\n');
    for (const p of err!.problems) for (const cand of p.candidates) {
      expect(lines[cand.line - 1].trim()).toContain(cand.text.replace(/\.\.\.$/, ''));
      expect(err!.message).toContain(`line ${cand.line}: ${cand.text}`);
    }
    const store = lineOf(v, /^([ \t]*)floatimage\[imgidx\] \+= test;\n\1floatimage/m);
    expect(err!.problems[2].lines).toEqual([store, store + 1]);
    expect(err!.message).toContain('/* nbparity: intensity accumulation */');
  });

  it('the fork form written as a sub-statement is refused with the line, and a marker there is honoured', () => {
    const v = edit(c, 'braceless', /^([ \t]*)I \+= F_cell\*F_cell\*F_latt\*F_latt;$/m, '$1if(F_cell != 0.0) I += F_cell*F_cell*F_latt*F_latt;');
    expect(() => instrument(v)).toThrowError(new RegExp(`line ${lineOf(v, /if\(F_cell != 0\.0\) I \+=/)} matches but is the body of an if/else/loop without braces`));
    const marked = edit(v, 'marker', /^([ \t]*)(if\(F_cell != 0\.0\) I \+=)/m, '$1// nbparity: accumulation\n$1$2');
    expect(inst(marked, cPath).placements.find((p) => p.point === ACC)).toMatchObject({ by: 'marker', line: lineOf(marked, /nbparity: accumulation/) });
  });
});
