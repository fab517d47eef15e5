/**
 * The engine's start-up (issue #12): what every run pays before it renders a pixel.
 *  - the quirk catalogue builds its probes' HKL tables when a probe's files are read, never at import
 *    (the engine imports the catalogue on every run and never reads them);
 *  - the engine CLI imports only engine code: no harness module, no npm package (koffi is require()d
 *    by the system libm), and the correctly rounded libm's modules only in a run that uses it;
 *  - `--json` says where the time went: timing_ms.start_to_render (node's boot, loading, argv,
 *    set-up), render, write, total, all read from performance.now() (which counts from the process's start).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** the engine's ES modules, as tsc compiles them */
const ENGINE = join(ROOT, 'dist/src/cli/main.js');
/** the nanobragg-ts bin: the same modules bundled into CommonJS (scripts/build-bundle.mjs) */
const BIN = join(ROOT, 'dist/engine/main.js');

/** what a code cache made for the bundle at `enginePath` starts with: a tag, the bundle's path and length, then its bytes */
const cacheHead = (enginePath: string): Buffer => {
  const bytes = readFileSync(enginePath);
  return Buffer.concat([Buffer.from(`nbparity code cache 2\0${enginePath}\0${bytes.length}\0`), bytes]);
};

describe('the quirk catalogue at import', () => {
  const realToFixed = Number.prototype.toFixed;
  afterEach(() => { Number.prototype.toFixed = realToFixed; });

  it('builds no probe table until a probe run\'s files are read, then each once', async () => {
    // every line of a probe's HKL table is formatted with toFixed(1): count the calls
    let calls = 0;
    Number.prototype.toFixed = function (this: number, digits?: number) { calls++; return realToFixed.call(this, digits); };
    vi.resetModules();
    const { CATALOGUE, catalogueVersion, listQuirks, quirkById } = await import('../src/quirks/catalogue.js');
    expect(CATALOGUE.length).toBeGreaterThan(0);
    expect(calls, 'toFixed calls while importing the catalogue').toBe(0);
    // what the engine does with the catalogue on every run reads no probe files either
    const { parseNanoBraggArgs } = await import('../src/config/argv.js');
    parseNanoBraggArgs(['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '1', '--quirks', 'c', '--quirk', 'C-PARITY-001=fixed']);
    listQuirks(false);
    expect(calls, 'toFixed calls while parsing a command line and listing the quirks').toBe(0);

    // the counter does see the tables being built: on the first read of each run's files
    const interp = quirkById('C-INTERP-SWITCHOFF')!.probe.runs[0];
    const race = quirkById('C-INTERP-RACE')!.probe.runs[0];
    const probeHkl = interp.files!['probe.hkl'];
    expect(calls).toBe(7 ** 3);
    expect(probeHkl.trim().split('\n')).toHaveLength(7 ** 3);
    expect(probeHkl.split('\n')[0]).toBe('-3 -3 -3 44.0');
    expect(race.files!['race.hkl'].trim().split('\n')).toHaveLength(27 ** 3);
    expect(calls).toBe(7 ** 3 + 27 ** 3);
    // and only then: later reads, JSON and the digest reuse them
    expect(interp.files).toBe(interp.files);
    expect(Object.keys(race)).toEqual(['args', 'files', 'ompThreads']);
    expect(JSON.parse(JSON.stringify(race)).files['race.hkl']).toBe(race.files!['race.hkl']);
    expect(catalogueVersion()).toMatch(/^[0-9a-f]{8}$/);
    expect(calls).toBe(7 ** 3 + 27 ** 3);
  });
});

describe('what the engine CLI loads', () => {
  it('a run loads only src/ modules and node: builtins, and the correctly rounded libm only when it is used', () => {
    // an ES module resolve hook (node:module register) logs every module the run resolves
    const dir = mkdtempSync(join(tmpdir(), 'nbts-startup-'));
    writeFileSync(join(dir, 'hooks.mjs'), "import { appendFileSync } from 'node:fs';\n" +
      'export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(process.env.NB_LOADED_LOG, r.url + "\\n"); return r; }\n');
    writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister(new URL('./hooks.mjs', import.meta.url));\n");
    const loaded = (extra: string[]) => {
      const log = join(dir, `loaded-${extra.join('')}.txt`);
      const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, ENGINE, '-cell', '100', '100', '100', '90', '90', '90',
        '-default_F', '1', '-N', '1', '-detpixels', '8', '-nonoise', '-nopgm', '--json', ...extra], { cwd: dir, encoding: 'utf8', env: { ...process.env, NB_LOADED_LOG: log } });
      expect(r.status, r.stderr).toBe(0);
      const urls = [...new Set(readFileSync(log, 'utf8').trim().split('\n'))].map((u) => (u.startsWith('file:') ? relative(ROOT, fileURLToPath(u)) : u));
      return { urls, libm: (JSON.parse(r.stdout) as { libm: { name: string } }).libm.name };
    };
    const plain = loaded([]);
    expect(plain.urls).toContain('dist/src/quirks/catalogue.js');
    expect(plain.urls.filter((u) => !u.startsWith('dist/src/') && !u.startsWith('node:'))).toEqual([]);
    // (cr-eager.js, the switch that imports the provider where it cannot be required on demand, holds none of its code)
    if (plain.libm === 'system') expect(plain.urls.filter((u) => /libm\/cr(\/|\.js)/.test(u))).toEqual([]);
    const cr = loaded(['--libm', 'cr']);
    expect(cr.libm).toBe('cr');
    expect(cr.urls.filter((u) => !u.startsWith('dist/src/') && !u.startsWith('node:'))).toEqual([]);
  });

  it('imports, on any path, only src/ modules and node: builtins (no harness, no npm package)', () => {
    const seen = new Set<string>(), outside: string[] = [];
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const js = readFileSync(file, 'utf8');
      for (const m of js.matchAll(/^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
        const spec = m[1] ?? m[2];
        if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
        else if (!spec.startsWith('node:')) outside.push(`${relative(ROOT, file)} imports ${spec}`);
      }
    };
    walk(ENGINE);
    const files = [...seen].map((f) => relative(ROOT, f));
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/quirks/catalogue.js');
    expect(files.filter((f) => !f.startsWith('dist/src/'))).toEqual([]);
    expect(outside).toEqual([]);
  });
});

describe('the nanobragg-ts bin: the engine bundled into CommonJS, run with its code cache (scripts/build-bundle.mjs)', () => {
  const ARGS = ['-cell', '100', '100', '100', '90', '90', '90', '-misset', '10', '20', '30', '-default_F', '100', '-N', '5',
    '-lambda', '6.2', '-distance', '100', '-pixel', '0.1', '-detpixels', '48', '-nonoise', '-nopgm', '-floatfile', 'f.bin', '-intfile', 'i.img'];
  const runIn = (entry: string, dir: string, extra: string[]) => {
    const r = spawnSync(process.execPath, [entry, ...ARGS, '--json', ...extra], { cwd: dir, encoding: 'utf8' });
    return { ...r, files: r.status === 0 ? [readFileSync(join(dir, 'f.bin')), readFileSync(join(dir, 'i.img'))] : [] };
  };
  /**
   * a copy of the bin elsewhere: these files of dist/engine, the packages, and this build's
   * WebAssembly modules, or in place of one the given bytes (null: the module left out)
   */
  const copyOfBin = (files: string[], wasm?: Partial<Record<'kernel.wasm' | 'passes.wasm', Buffer | null>>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'nbts-copy-'));
    mkdirSync(join(dir, 'engine'));
    for (const f of files) copyFileSync(join(ROOT, 'dist/engine', f), join(dir, 'engine', f));
    if (wasm) {
      mkdirSync(join(dir, 'wasm'));
      for (const name of ['kernel.wasm', 'passes.wasm'] as const) {
        const bytes = name in wasm ? wasm[name] : readFileSync(join(ROOT, 'dist/wasm', name));
        if (bytes) writeFileSync(join(dir, 'wasm', name), bytes);
      }
    } else symlinkSync(join(ROOT, 'dist/wasm'), join(dir, 'wasm'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    return dir;
  };

  it('is the package\'s bin: CommonJS files that require only node builtins, the correctly rounded libm in a file of its own', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['nanobragg-ts']).toBe('dist/engine/main.js');
    expect(JSON.parse(readFileSync(join(ROOT, 'dist/engine/package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    const main = readFileSync(BIN, 'utf8'), engine = readFileSync(join(ROOT, 'dist/engine/engine.js'), 'utf8');
    const worker = readFileSync(join(ROOT, 'dist/engine/worker.js'), 'utf8'), cr = readFileSync(join(ROOT, 'dist/engine/cr.js'), 'utf8');
    expect(main.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(main).toBe(readFileSync(join(ROOT, 'scripts/engine-launcher.cjs'), 'utf8'));
    // the code cache is made for this bundle: it starts with the bundle's path and bytes
    const cache = readFileSync(join(ROOT, 'dist/engine/engine.cache'));
    const head = cacheHead(join(ROOT, 'dist/engine/engine.js'));
    expect(cache.subarray(0, head.length).equals(head)).toBe(true);
    expect(cache.length - head.length).toBeGreaterThan(10_000);
    for (const [name, js] of [['main.js', main], ['engine.js', engine], ['worker.js', worker]] as const) {
      const required = [...new Set([...js.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]))];
      expect(required.filter((r) => !r.startsWith('node:') && r !== 'url'), name).toEqual([]);
      expect(js, name).not.toMatch(/^import |^export /m);
      // the libm's on-demand module is never bundled in (cr-eager.js replaced): its code is cr.js's alone
      expect(js.includes('function crSin('), name).toBe(false);
    }
    expect(cr).toContain('function crSin(');
  });

  it('writes the same bytes as the ES modules, on one and two threads, with each libm and dtype', () => {
    const cases: string[][] = [[], ['--threads', '2'], ['--libm', 'cr'], ['--libm', 'cr', '--threads', '2'], ['--dtype', 'float32', '--threads', '2'], ['-oversample', '2', '--render', 'reference']];
    for (const extra of cases) {
      const a = runIn(ENGINE, mkdtempSync(join(tmpdir(), 'nbts-esm-')), extra);
      const b = runIn(BIN, mkdtempSync(join(tmpdir(), 'nbts-bin-')), extra);
      expect(a.status, a.stderr).toBe(0);
      expect(b.status, b.stderr).toBe(0);
      expect(Buffer.compare(a.files[0], b.files[0]), `float image ${extra.join(' ')}`).toBe(0);
      expect(Buffer.compare(a.files[1], b.files[1]), `int image ${extra.join(' ')}`).toBe(0);
      const ja = JSON.parse(a.stdout), jb = JSON.parse(b.stdout);
      expect(jb.libm).toEqual(ja.libm);
      expect(jb.kernel).toEqual(ja.kernel);
      if (extra.includes('cr')) expect(jb.libm.name).toBe('cr');
    }
  });

  it('started workers are stopped, not waited for, when the run stops in its set-up or renders on one thread', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nbts-pre-'));
    const bad = spawnSync(process.execPath, [BIN, ...ARGS.filter((a, i, all) => a !== '-default_F' && all[i - 1] !== '-default_F'), '-hkl', 'missing.hkl', '--threads', '2'], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    expect(bad.status, bad.stderr).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('missing.hkl');
    const one = spawnSync(process.execPath, [BIN, ...ARGS, '-printout', '--threads', '2'], { cwd: dir, encoding: 'utf8', timeout: 20_000, maxBuffer: 1 << 26 });
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toContain('rendering on one thread: -printout');
  });

  it('the code cache is used only for the bytes it was made for: a changed bundle of the same length runs its own code', () => {
    // V8 checks a code cache against the source's length only: planted here, an edit of the same length with the old cache
    const dir = copyOfBin(['main.js', 'engine.js', 'worker.js', 'cr.js', 'package.json']);
    // a cache made for this copy (its path and the bundle's bytes), as the build makes one
    const made = spawnSync(process.execPath, [join(ROOT, 'scripts/build-code-cache.cjs'), join(dir, 'engine')], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const engine = readFileSync(join(ROOT, 'dist/engine/engine.js'), 'utf8');
    const head = cacheHead(join(dir, 'engine', 'engine.js'));
    expect(readFileSync(join(dir, 'engine', 'engine.cache')).subarray(0, head.length).equals(head)).toBe(true);
    expect(engine).toContain('"pivoting detector around direct beam spot"');
    const edited = engine.replace('"pivoting detector around direct beam spot"', '"PIVOTING detector around direct beam spot"');
    expect(edited.length).toBe(engine.length);
    writeFileSync(join(dir, 'engine', 'engine.js'), edited);
    const r = spawnSync(process.execPath, [join(dir, 'engine', 'main.js'), ...ARGS], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('PIVOTING detector around direct beam spot');
    expect(r.stdout).not.toContain('pivoting detector around direct beam spot');
    // a damaged cache for the right bytes (V8 rejects it) or none at all: the same run, the same bytes as the ES modules
    const want = runIn(ENGINE, mkdtempSync(join(tmpdir(), 'nbts-esm-')), []);
    writeFileSync(join(dir, 'engine', 'engine.js'), engine);
    const cache = readFileSync(join(dir, 'engine', 'engine.cache'));
    writeFileSync(join(dir, 'engine', 'engine.cache'), Buffer.concat([cache.subarray(0, head.length), Buffer.alloc(cache.length - head.length, 0x5a)]));
    const damaged = runIn(join(dir, 'engine', 'main.js'), mkdtempSync(join(tmpdir(), 'nbts-dmg-')), []);
    rmSync(join(dir, 'engine', 'engine.cache'));
    const none = runIn(join(dir, 'engine', 'main.js'), mkdtempSync(join(tmpdir(), 'nbts-none-')), []);
    for (const got of [damaged, none]) {
      expect(got.status, got.stderr).toBe(0);
      expect(Buffer.compare(got.files[0], want.files[0])).toBe(0);
      expect(Buffer.compare(got.files[1], want.files[1])).toBe(0);
    }
  });

  it('V8 takes the cache the build made (not rejected), and is not given one made for other bytes', () => {
    // the launcher's runEngine in a child process: what V8 said of the cache it was given (undefined: none given)
    const probe = (cachePath: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'nbts-cache-'));
      const code = `process.argv = [process.argv[0], ${JSON.stringify(BIN)}, ...${JSON.stringify([...ARGS, '-detpixels', '4'])}];
        const { script } = require(${JSON.stringify(BIN)}).runEngine(${JSON.stringify(cachePath)});
        process.on('exit', () => process.stderr.write('REJECTED=' + String(script.cachedDataRejected) + '\\n'));`;
      const r = spawnSync(process.execPath, ['-e', code], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      return /REJECTED=(\w+)/.exec(r.stderr)?.[1];
    };
    const built = join(ROOT, 'dist/engine/engine.cache');
    expect(probe(built)).toBe('false');
    const head = cacheHead(join(ROOT, 'dist/engine/engine.js'));
    const cache = readFileSync(built);
    const dir = mkdtempSync(join(tmpdir(), 'nbts-cachefile-'));
    // V8's part damaged behind a right header: given, and rejected by V8
    writeFileSync(join(dir, 'damaged'), Buffer.concat([head, Buffer.alloc(cache.length - head.length, 0x5a)]));
    expect(probe(join(dir, 'damaged'))).toBe('true');
    // one byte of the recorded bundle changed, or the header cut short: not given at all
    const other = Buffer.from(cache); other[head.length - 10] ^= 1;
    writeFileSync(join(dir, 'other'), other);
    expect(probe(join(dir, 'other'))).toBe('undefined');
    writeFileSync(join(dir, 'cut'), cache.subarray(0, head.length - 1));
    expect(probe(join(dir, 'cut'))).toBe('undefined');
    expect(probe(join(dir, 'missing'))).toBe('undefined');
  });

  it('the workers the launcher starts (--threads N) are the ones the render takes; a surplus one is stopped', async () => {
    const { Worker } = await import('node:worker_threads');
    const { prestartWorkers, releaseIdleWorkers, startWorker, workerUrl } = await import('../src/physics/pool.js');
    const exited = (w: InstanceType<typeof Worker>) => new Promise<number>((r) => w.once('exit', r));
    const launched = [new Worker(workerUrl()), new Worker(workerUrl())];
    for (const w of launched) w.unref();
    const key = Symbol.for('nbparity.launcher.workers');
    (globalThis as Record<symbol, unknown>)[key] = [...launched];
    const surplusExit = exited(launched[1]);
    prestartWorkers(1);
    expect((globalThis as Record<symbol, unknown>)[key]).toBeUndefined();
    await surplusExit; // the second was not needed: stopped
    const taken = startWorker({ not: 'a job' }); // the first one is handed the job (a bad one here: it fails, which is not this test's point)
    expect(taken).toBe(launched[0]);
    taken.on('error', () => {});
    await exited(taken);
    releaseIdleWorkers();
    // and without a launcher, prestartWorkers starts its own
    prestartWorkers(1);
    const own = startWorker({ not: 'a job' });
    expect(launched).not.toContain(own);
    own.on('error', () => {});
    await exited(own);
  });

  it('the WebAssembly modules come from the same build as the code, and one of another layout is not used', async () => {
    const { wasmPath } = await import('../src/physics/kernel.js');
    expect(wasmPath('/x/src/physics/kernel.ts')).toBe('/x/dist/wasm/kernel.wasm');
    expect(wasmPath('/x/dist/src/physics/kernel.js')).toBe('/x/dist/wasm/kernel.wasm');
    expect(wasmPath('/x/src/physics/image.ts', 'passes.wasm')).toBe('/x/dist/wasm/passes.wasm');
    expect(wasmPath('/x/dist/src/physics/image.js', 'passes.wasm')).toBe('/x/dist/wasm/passes.wasm');
    expect(wasmPath('/y/dist/engine/engine.js')).toBe('/y/dist/wasm/kernel.wasm');
    expect(wasmPath('/y/copy/engine/worker.js')).toBe('/y/copy/wasm/kernel.wasm');
    // a copy of the bundle next to modules of other builds: one whose layout() is 7, and one without layout() (an older build)
    const want = runIn(ENGINE, mkdtempSync(join(tmpdir(), 'nbts-esm-')), []);
    // (module, one type () → i32, one function, export "layout", body: i32.const 7)
    const layout7 = Buffer.from('0061736d01000000' + '0105016000017f' + '03020100' + '070a01066c61796f75740000' + '0a0601040041070b', 'hex');
    const none = Buffer.from('0061736d01000000', 'hex');
    const layouts = { 'kernel.wasm': 3, 'passes.wasm': 1 };
    for (const module of ['kernel.wasm', 'passes.wasm'] as const) {
      for (const [name, bytes] of [['layout 7', layout7], ['no layout', none], ['missing', null]] as const) {
        if (bytes) expect(new WebAssembly.Module(bytes)).toBeInstanceOf(WebAssembly.Module);
        const dir = copyOfBin(['main.js', 'engine.js', 'engine.cache', 'worker.js', 'cr.js', 'package.json'], { [module]: bytes });
        for (const threads of [[], ['--threads', '2']]) {
          const got = runIn(join(dir, 'engine', 'main.js'), mkdtempSync(join(tmpdir(), 'nbts-lay-')), threads);
          expect(got.status, got.stderr).toBe(0);
          const why = bytes ? `is from another build (layout ${name === 'layout 7' ? 7 : 0}, this engine's is ${layouts[module]}` : 'is missing (npm run build makes it)';
          // one WARNING line naming the module and why; the same files
          const warnings = JSON.parse(got.stdout).warnings as string[];
          expect(warnings, `${module} ${name}`).toHaveLength(1);
          expect(warnings[0]).toContain(`${join(dir, 'wasm', module)} ${why}`);
          expect(Buffer.compare(got.files[0], want.files[0]), `${module} ${name} ${threads.join(' ')}`).toBe(0);
          expect(Buffer.compare(got.files[1], want.files[1])).toBe(0);
        }
      }
    }
  });

  it('a render worker that takes row blocks and fails them fails the run (exit 1): never an image with holes that passes', () => {
    // planted: worker.js replaced by one that takes every block it can (as a real one would), then
    // (a) exits 0 without a result, (b) throws, (c) answers a result without rendering them
    const fakes = {
      exit0: 'process.exit(0);',
      throws: "throw new Error('planted worker failure');",
      lies: "parentPort.postMessage({ omegaSum: 0, redone: 0, trace: [] });",
    };
    // a render long enough (10 φ steps) that the worker has booted before the main thread has taken every block
    const long = [...ARGS.map((a) => (a === '48' ? '256' : a)), '-phisteps', '10', '-osc', '1'];
    for (const [name, end] of Object.entries(fakes)) {
      const dir = copyOfBin(['main.js', 'engine.js', 'engine.cache', 'cr.js', 'package.json']);
      writeFileSync(join(dir, 'engine', 'worker.js'), "const { parentPort } = require('node:worker_threads');\n" +
        'parentPort.once(\'message\', (job) => { Atomics.store(job.taking, job.index, 1); let n = 0;\n' +
        '  while (Atomics.add(job.counter, 0, 1) < job.blocks.length) n++;\n' +
        `  require('node:fs').writeSync(2, 'planted worker took ' + n + ' blocks\\n'); ${end} });\n`);
      const r = spawnSync(process.execPath, [join(dir, 'engine', 'main.js'), ...long, '--threads', '2'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      const took = Number(/planted worker took (\d+) blocks/.exec(r.stderr)?.[1] ?? 0);
      expect(took, `${name}: the planted worker must have taken blocks for this test to say anything\n${r.stderr}`).toBeGreaterThan(0);
      expect(r.status, `${name}\n${r.stderr}`).toBe(1);
      expect(r.stderr, name).toMatch(name === 'lies' ? /row block \d+ \(rows \d+–\d+\) was never rendered/ : name === 'throws' ? /planted worker failure/ : /render worker exited \(code 0\) without its result/);
      expect(readdirSync(dir).filter((f) => f.endsWith('.bin') || f.endsWith('.img')), `${name}: no image written`).toEqual([]);
    }
  });

  it('a build without its render worker fails a run on two threads (exit 1, one line naming the file); one thread still runs', () => {
    // the bundle without its worker.js: the started worker dies at its boot
    const dir = copyOfBin(['main.js', 'engine.js', 'engine.cache', 'cr.js', 'package.json']);
    const r = spawnSync(process.execPath, [join(dir, 'engine', 'main.js'), ...ARGS, '--threads', '2'], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${join(dir, 'engine', 'worker.js')} is missing`);
    const one = spawnSync(process.execPath, [join(dir, 'engine', 'main.js'), ...ARGS], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    expect(one.status, one.stderr).toBe(0);
  });
});

describe('--json timing', () => {
  const run = (extra: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'nbts-startup-'));
    const r = spawnSync(process.execPath, [BIN, '-cell', '100', '100', '100', '90', '90', '90', '-default_F', '100', '-N', '5',
      '-lambda', '1', '-distance', '100', '-detpixels', '32', '-nonoise', '-nopgm', '--json', ...extra], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { render: string; timing_ms: Record<string, number> };
  };

  it('has start_to_render, render, write, total (and simulate), finite and in order', () => {
    const j = run([]);
    const t = j.timing_ms;
    expect(Object.keys(t).sort()).toEqual(['render', 'simulate', 'start_to_render', 'total', 'write']);
    for (const [k, v] of Object.entries(t)) {
      expect(Number.isFinite(v), `${k} = ${v}`).toBe(true);
      expect(v, k).toBeGreaterThanOrEqual(0);
    }
    // start_to_render counts node's own boot, so it is not 0; the phases follow each other up to total
    expect(t.start_to_render).toBeGreaterThan(0);
    expect(t.start_to_render).toBeLessThanOrEqual(t.total);
    expect(t.start_to_render + t.render + t.write).toBeLessThanOrEqual(t.total + 1e-6);
    expect(t.render).toBeLessThanOrEqual(t.simulate);
    expect(j.render).toBe('auto');
  });

  it('says which renderer was asked for, and which kernel ran', () => {
    const ref = run(['--render', 'reference']) as unknown as { render: string; kernel: { name: string; reason: string | null; redone: number } };
    expect(ref.render).toBe('reference');
    expect(ref.kernel).toEqual({ name: 'reference', reason: '--render reference', redone: 0 });
    const auto = run([]) as unknown as { kernel: { name: string; reason: string | null; redone: number } };
    expect(auto.kernel.name).toBe('exact');
    expect(auto.kernel.reason).toBeNull();
    const f32 = run(['--dtype', 'float32']) as unknown as { kernel: { name: string; reason: string | null } };
    expect(f32.kernel).toMatchObject({ name: 'checked', reason: '--dtype float32' });
  });
});

describe('engineProcessEnv: how the harness and the bench start the engine', () => {
  it('drops NODE_EXTRA_CA_CERTS (parsed by Node at every start; the engine opens no TLS connection) and keeps the rest', async () => {
    const { engineProcessEnv } = await import('../src/index.js');
    const env = engineProcessEnv({ PATH: '/bin', NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca.crt', OMP_NUM_THREADS: '2', EMPTY: '' });
    expect(env).toEqual({ PATH: '/bin', OMP_NUM_THREADS: '2', EMPTY: '' });
  });

  it('the harness runs the engine with it (harness/run/side.ts), and its record keeps only what the run added', async () => {
    const { runSide } = await import('../harness/run/side.js');
    const dir = mkdtempSync(join(tmpdir(), 'nbts-env-'));
    const before = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = join(dir, 'no-such-bundle.pem');
    try {
      const r = await runSide('TS', [process.execPath, '-e', 'process.stdout.write(String(process.env.NODE_EXTRA_CA_CERTS))'], { cwd: dir, timeoutMs: 20_000, name: 'ts' });
      expect(r.exitCode).toBe(0);
      expect(readFileSync(r.stdoutFile, 'utf8')).toBe('undefined');
    } finally {
      if (before === undefined) delete process.env.NODE_EXTRA_CA_CERTS; else process.env.NODE_EXTRA_CA_CERTS = before;
    }
  });
});
