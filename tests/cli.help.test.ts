/**
 * A CLI that helps (issue #11), end to end through the built CLI (dist/harness/cli.js):
 * did-you-mean for commands, options, suites and case ids; engine options placed before `--`;
 * --version and `nbparity help [command]`; a subcommand's own usage on an unknown option; the
 * sweep's traced pixel and exit code; Ctrl-C during a suite on a terminal; `npm run parity`
 * without a needless compile and with clean JSON on stdout.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restoreTerminal } from '../harness/run/lifecycle.js';
import { ROOT } from './support/engine.js';

const CLI = join(ROOT, 'dist', 'harness', 'cli.js');
const C_SOURCE = join(ROOT, 'golden_suite_generator', 'nanoBragg.c');
const haveC = existsSync(C_SOURCE) && spawnSync(process.env.CC ?? 'cc', ['--version']).status === 0;
const haveScript = spawnSync('script', ['--version']).status === 0;
if (!haveC) console.log(`no ${C_SOURCE} or no C compiler: the live sweep test (brightest pixel) is skipped`);
if (!haveScript) console.log('no script(1): the pseudo-terminal Ctrl-C test is skipped');

function nbparity(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: mkdtempSync(join(tmpdir(), 'nbparity-help-')), encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lines = (s: string) => s.trimEnd().split('\n');
const nano = ['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '100', '-N', '5', '-phisteps', '10', '-osc', '1', '-detpixels', '64', '-oversample', '1', '-nonoise', '-nopgm'];

describe('did you mean', () => {
  it('a misspelt command: one line naming it and the command meant, exit 2 (not "unknown option" for its argument)', () => {
    const r = nbparity(['suit', 'nightly']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("nbparity: unknown command 'suit'; did you mean 'suite'?\n");
    expect(r.stdout).toBe('');
  });
  it('a command nothing resembles: the line and the list of commands', () => {
    const r = nbparity(['frobnicate']);
    expect(r.status).toBe(2);
    expect(lines(r.stderr)[0]).toBe("nbparity: unknown command 'frobnicate'");
    expect(r.stderr).toContain('commands:');
  });
  it.each([
    [['suite', 'smoke', '--concurency', '4'], "nbparity suite: unknown option '--concurency'; did you mean '--concurrency'?"],
    [['sweep', '--pixls', '1,2', '--', '-N', '1'], "nbparity sweep: unknown option '--pixls'; did you mean '--pixels'?"],
    [['compare', '--ompthreads', '2', '--', '-N', '1'], "nbparity compare: unknown option '--ompthreads'; did you mean '--omp-threads'?"],
    [['verify', '--jsn', 'reports'], "nbparity verify: unknown option '--jsn'; did you mean '--json'?"],
    [['suite', 'smoke', '--concurrency=4'], 'nbparity suite: --concurrency=4: write --concurrency 4 (a space, not =)'],
  ])('a misspelt option %j: one line with the option meant, exit 2', (args, line) => {
    const r = nbparity(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(line + '\n');
  });
  it('a misspelt suite name: the suites of harness/suites, the nearest first', () => {
    const r = nbparity(['suite', 'nightley']);
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    const suites = readdirSync(join(ROOT, 'harness', 'suites')).filter((f) => f.endsWith('.csv')).map((f) => f.replace(/\.csv$/, ''));
    expect(r.stderr).toMatch(/^nbparity suite: no suite 'nightley'; did you mean 'nightly'\? \(suites in harness\/suites: nightly, /);
    for (const s of suites) expect(r.stderr).toContain(s);
  });
  it.each([
    [['replay', '--case', 'simple_cubc'], 'replay'],
    [['sweep', '--case', 'simple_cubc'], 'sweep'],
  ])('a misspelt recorded case id (%j): the id meant and the ids there are', (args, command) => {
    const r = nbparity(args);
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^nbparity ${command}: no recorded reference case 'simple_cubc'; did you mean 'simple_cubic'\\? \\(cases: simple_cubic, `));
    expect(r.stderr).toContain('phi10');
  });
  it('a misspelt case of a suite: the case meant, among the suite\'s', () => {
    const r = nbparity(['suite', 'smoke', '--replay', '--case', 'simple_cubc']);
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^nbparity suite: no case 'simple_cubc' in \S+smoke\.csv; did you mean 'simple_cubic'\? \(cases: simple_cubic, /);
  });
});

describe('engine options before --', () => {
  const usage = (cmd: string, opt: string) => `nbparity ${cmd}: ${opt.split(' ')[0]} is an engine option: put it after -- (nbparity ${cmd} [options] -- <nanoBragg arguments> ${opt})\n`;
  it.each([
    ['compare', ['--phi-carryover-mode', 'spec'], '--phi-carryover-mode spec'],
    ['compare', ['--quirk', 'C-PARITY-001=c'], '--quirk C-PARITY-001=c'],
    ['compare', ['--quirks=fixed'], '--quirks fixed'],
    ['compare', ['--dtype', 'float32'], '--dtype float32'],
    ['compare', ['--libm', 'cr'], '--libm cr'],
    ['compare', ['--c-threads', '4'], '--c-threads 4'],
    ['sweep', ['--quirks', 'c'], '--quirks c'],
    ['trace', ['--libm', 'v8'], '--libm v8'],
  ])('%s %j', (cmd, opt, shown) => {
    const r = nbparity([cmd, ...opt, '--', ...nano]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(usage(cmd, shown));
  });
  it('a suite takes no engine options: its cases do', () => {
    const r = nbparity(['suite', 'smoke', '--quirks', 'c']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('nbparity suite: --quirks is an engine option, and nbparity suite takes none (a suite case sets them in its args column)\n');
  });
  it('a nanoBragg argument before --: said so, with the command\'s usage', () => {
    const r = nbparity(['compare', '-cell', '100', '--', '-N', '1']);
    expect(r.status).toBe(2);
    expect(lines(r.stderr)[0]).toBe('nbparity compare: -cell is not an option of nbparity compare; if it is a nanoBragg argument, put it after -- (nbparity compare [options] -- <nanoBragg arguments>)');
    expect(lines(r.stderr)[1]).toMatch(/^usage: nbparity compare /);
  });
  it('--dtype stays an option of replay (replay --all --dtype), and --against-c keeps its own message', () => {
    const r = nbparity(['replay', '--dtype', 'float32', '--case', 'no_such_case']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^nbparity replay: no recorded reference case 'no_such_case'/);
    const a = nbparity(['compare', '--dtype', 'float32', '--against-c', '/nonexistent/B.c', '--', ...nano]);
    expect(a.status).toBe(2);
    expect(a.stderr).toBe('nbparity compare: --against-c compares two C builds and runs no engine: --dtype does not apply\n');
  });
});

describe('--version, help, a command\'s own usage', () => {
  it('--version: the package version and the git commit', () => {
    const r = nbparity(['--version']);
    expect(r.status).toBe(0);
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    expect(r.stdout).toMatch(new RegExp(`^nbparity ${version.replace(/\./g, '\\.')}( \\(git [0-9a-f]{12}(, with uncommitted changes)?\\))?\\n$`));
    if (existsSync(join(ROOT, '.git'))) expect(r.stdout).toContain('(git ');
  });
  it('nbparity help: the commands on stdout, exit 0; help COMMAND is COMMAND --help', () => {
    const r = nbparity(['help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('commands:');
    expect(r.stdout).toContain('nbparity help [COMMAND]');
    for (const c of ['compare', 'replay', 'trace', 'build', 'sweep', 'suite', 'parity', 'verify', 'fingerprint']) {
      const h = nbparity(['help', c]);
      expect(h.status, c).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^usage: nbparity ${c}`));
      expect(h.stdout).toBe(nbparity([c, '--help']).stdout);
    }
  });
  it('help of a misspelt command: what was meant, exit 2', () => {
    const r = nbparity(['help', 'sweeep']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("nbparity help: no command 'sweeep'; did you mean 'sweep'?\n");
  });
  it('an unknown option of a subcommand prints that subcommand\'s usage, not the list of commands', () => {
    const r = nbparity(['sweep', '--bogus', '--', '-N', '1']);
    expect(r.status).toBe(2);
    const l = lines(r.stderr);
    expect(l[0]).toBe("nbparity sweep: unknown option '--bogus'");
    expect(l[1]).toMatch(/^usage: nbparity sweep /);
    expect(r.stderr).toContain('nbparity help sweep');
    expect(r.stderr).not.toContain('commands:');
  });
  it('sweep --help documents the traced pixel and --allow-logic-limited', () => {
    const r = nbparity(['help', 'sweep']);
    expect(r.stdout).toContain('brightest pixel');
    expect(r.stdout).toContain('--allow-logic-limited');
  });
});

describe('sweep: exit 1 on a logic-limited verdict unless --allow-logic-limited', () => {
  it('replay of phi10 (spec is logic-limited): exit 1, and exit 0 with --allow-logic-limited', () => {
    const reports = mkdtempSync(join(tmpdir(), 'nbparity-help-sweep-'));
    const r = nbparity(['sweep', '--case', 'phi10', '--reports', reports]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/exit 1: \d+ logic-limited \(spec [^)]*\); --allow-logic-limited to exit 0/);
    expect(r.stdout).toContain('traced pixel (');
    expect(r.stdout).toContain('recorded with the reference');
    const ok = nbparity(['sweep', '--case', 'phi10', '--reports', reports, '--allow-logic-limited', '--json']);
    expect(ok.status, ok.stderr).toBe(0);
    const doc = JSON.parse(ok.stdout).dtype_sweep;
    expect(doc.verdicts.spec.some((q: { verdict: string }) => q.verdict === 'logic-limited')).toBe(true);
    expect(doc.run.pixels_chosen).toBe('recorded with the reference');
  });
  it('replay with only c-parity cells (no logic-limited verdict): exit 0', () => {
    const r = nbparity(['sweep', '--case', 'phi10', '--modes', 'c-parity', '--reports', mkdtempSync(join(tmpdir(), 'nbparity-help-sweep-'))]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('logic-limited');
  });
  it.skipIf(!haveC)('live, no --pixels or -trace_pixel: the brightest pixel (that of the C image too), said so', () => {
    const reports = mkdtempSync(join(tmpdir(), 'nbparity-help-sweep-'));
    const r = nbparity(['sweep', '--c-source', C_SOURCE, '--modes', 'c-parity', '--reports', reports, '--', ...nano]);
    expect(r.status, r.stderr).toBe(0);
    const m = /traced pixel \((\d+), (\d+)\): the brightest pixel of an engine pre-run \(no --pixels or -trace_pixel given\)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const dir = /evidence: (\S+)/.exec(r.stdout)![1];
    const doc = JSON.parse(readFileSync(join(dir, 'dtype_sweep.json'), 'utf8'));
    expect(doc.run.pixels).toEqual([{ slow: Number(m![1]), fast: Number(m![2]) }]);
    // the C's own image is brightest there too
    const buf = readFileSync(join(dir, 'c.float.bin'));
    const img = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    let best = 0;
    for (let i = 1; i < img.length; i++) if (img[i] > img[best]) best = i;
    expect([Math.floor(best / 64), best % 64]).toEqual([Number(m![1]), Number(m![2])]);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('the brightest pixel of an engine pre-run');
  });
});

describe('Ctrl-C during a suite on a terminal', () => {
  it('the interrupt handler shows the cursor again (and line wrap) on a terminal, and writes nothing to a pipe', () => {
    const tty: string[] = [], pipe: string[] = [];
    restoreTerminal([{ isTTY: true, write: (s: string) => tty.push(s) }, { isTTY: false, write: (s: string) => pipe.push(s) }]);
    expect(tty.join('')).toContain('\x1b[?25h');
    expect(tty.join('')).toContain('\x1b[?7h');
    expect(pipe).toEqual([]);
  });
  it.skipIf(!haveScript)('a real Ctrl-C on a pseudo-terminal: cursor shown, folder marked interrupted, exit 130', async () => {
    const reports = mkdtempSync(join(tmpdir(), 'nbparity-help-int-'));
    // script(1) gives the suite a terminal (so the progress bar hides the cursor); ^C on that terminal is SIGINT
    const p = spawn('script', ['-qfec', `${process.execPath} ${CLI} suite smoke --replay --concurrency 1 --reports ${reports}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '', sent = false;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && out.includes('\x1b[?25l') && /\d+\/14/.test(out)) { sent = true; setTimeout(() => p.stdin.write('\x03'), 200); }
    });
    const code = await new Promise<number | null>((res) => p.on('exit', (c) => res(c)));
    expect(sent, out).toBe(true);
    expect(code, out).toBe(130);
    const hidden = out.lastIndexOf('\x1b[?25l');
    expect(out.indexOf('\x1b[?25h', hidden), 'the cursor is shown after the bar hid it').toBeGreaterThan(hidden);
    expect(out).toContain('nbparity: interrupted by SIGINT');
    const top = /evidence: (\S+smoke\/\d{8}T\d{6}Z) \(interrupted\)/.exec(out);
    expect(top, out).not.toBeNull();
    expect(JSON.parse(readFileSync(join(top![1], 'state.json'), 'utf8')).state).toBe('interrupted');
  });
});

describe('npm run parity', () => {
  it('the documented JSON command prints JSON alone on stdout', () => {
    const reports = mkdtempSync(join(tmpdir(), 'nbparity-help-parity-'));
    // README, Quick start: npm run --silent parity -- --json (here replayed, into a scratch reports folder)
    const r = spawnSync('npm', ['run', '--silent', 'parity', '--', '--json', '--replay', '--reports', reports], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.suite_summary.schema_version).toBe('nbparity.suite_summary/1');
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('npm run --silent parity -- --json');
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.parity).toMatch(/^node scripts\/build-if-stale\.mjs && /);
  });
  it('build-if-stale compiles when dist/ is missing or older than a source, and not otherwise', () => {
    const p = mkdtempSync(join(tmpdir(), 'nbparity-stale-'));
    mkdirSync(join(p, 'scripts')); mkdirSync(join(p, 'src'));
    copyFileSync(join(ROOT, 'scripts', 'build-if-stale.mjs'), join(p, 'scripts', 'build-if-stale.mjs'));
    symlinkSync(join(ROOT, 'node_modules'), join(p, 'node_modules'));
    writeFileSync(join(p, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', outDir: 'dist', rootDir: '.', types: [] }, include: ['src/**/*.ts'] }));
    writeFileSync(join(p, 'src', 'a.ts'), 'export const a: number = 1;\n');
    const run = () => spawnSync(process.execPath, [join(p, 'scripts', 'build-if-stale.mjs')], { cwd: p, encoding: 'utf8' });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toContain('dist/src/a.js is missing; compiling');
    const out = join(p, 'dist', 'src', 'a.js');
    const built = statSync(out).mtimeMs;
    const again = run();
    expect(again.status).toBe(0);
    expect(again.stdout + again.stderr).toBe('');
    expect(statSync(out).mtimeMs).toBe(built);
    const later = new Date(Date.now() + 5000);
    utimesSync(join(p, 'src', 'a.ts'), later, later);
    const stale = run();
    expect(stale.status).toBe(0);
    expect(stale.stdout).toBe('');
    expect(stale.stderr).toContain('src/a.ts changed since it was compiled; compiling');
  });
});
