#!/usr/bin/env node
/**
 * The nanobragg-ts bin (copied to dist/engine/main.js by scripts/build-bundle.mjs): runs the
 * engine's bundle, dist/engine/engine.js, as Node would require() it, with V8's code cache
 * (dist/engine/engine.cache) when one was made for exactly these bytes.
 *
 * The cache holds the bytecode of the functions a small run compiles (the build makes it), so
 * a run starts about 10 ms sooner. It is used only when it was made for exactly this bundle:
 * the cache file starts with the path and the bytes it was made for (cacheHeader), compared
 * here byte for byte, since V8's own check compares the source's length, not its bytes. (A
 * sha256 of the same would cost node:crypto's load, about 5 ms of every start.) A cache V8
 * rejects (another Node, other flags) or a missing one only costs that time; the engine runs
 * the same code either way.
 */
'use strict';
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const file = join(__dirname, 'engine.js');

/** the tag, path and length that start a cache file for a bundle of `length` bytes */
const cacheTag = (length) => Buffer.from(`nbparity code cache 2\0${file}\0${length}\0`);

/**
 * The start of a cache file: what it is made for, the bundle's path and bytes (V8 keeps the path
 * it was made with in the cached code's stack traces, so a copied build compiles afresh rather
 * than name the old place). V8's cached data follows.
 */
function cacheHeader(bytes) {
  return Buffer.concat([cacheTag(bytes.length), bytes]);
}

/** V8's part of `cache` when the cache was made for exactly `bytes` (cacheHeader), else undefined */
function cachedDataFor(cache, bytes) {
  const head = cacheTag(bytes.length);
  const end = head.length + bytes.length;
  if (!cache || cache.length <= end || !cache.subarray(0, head.length).equals(head) || !cache.subarray(head.length, end).equals(bytes)) return undefined;
  return cache.subarray(end);
}

/** the bundle as a script (the same wrapper require() uses), with its cache when it matches */
function engineScript(bytes, cache) {
  const cachedData = cachedDataFor(cache, bytes);
  const source = bytes.toString('utf8');
  // the bundle's first line is the entry's #! line (a comment to require(), not to vm.Script)
  const code = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  return new vm.Script(Module.wrap(code), { filename: file, cachedData });
}

/** run the bundle as the module `file`; returns its vm.Script (for the code cache) */
function runEngine(cachePath) {
  const bytes = readFileSync(file);
  let cache;
  try { cache = cachePath ? readFileSync(cachePath) : undefined; } catch { cache = undefined; }
  const script = engineScript(bytes, cache);
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(dirname(file));
  const req = (id) => m.require(id);
  req.resolve = (id, o) => Module._resolveFilename(id, m, false, o);
  script.runInThisContext().call(m.exports, m.exports, req, m, file, dirname(file));
  return { script, bytes };
}

/**
 * With --threads N (N > 1, or auto on a machine with more than one core), the N − 1 render workers
 * start here, before the engine loads: their boot (about 30 ms each) overlaps the engine's load
 * and set-up. The engine takes them (src/physics/pool.ts) and stops any it does not need; until
 * then they are unref'd and wait for a job, so a run that stops early exits at once.
 */
function startWorkers(argv) {
  const i = argv.lastIndexOf('--threads');
  if (i < 0 || i + 1 >= argv.length) return;
  const v = argv[i + 1];
  const n = v === 'auto' ? require('node:os').availableParallelism() : /^[0-9]+$/.test(v) ? Number(v) : 0;
  // a build without its worker starts none here: the engine says so (src/physics/pool.ts, workerUrl)
  if (!(n > 1 && n <= 256) || !require('node:fs').existsSync(join(__dirname, 'worker.js'))) return;
  const { Worker } = require('node:worker_threads');
  const workers = [];
  for (let k = 1; k < n; k++) {
    const w = new Worker(join(__dirname, 'worker.js'));
    w.unref();
    w.on('error', () => {}); // a boot error is the run's to report, once the engine has taken the worker
    workers.push(w);
  }
  globalThis[Symbol.for('nbparity.launcher.workers')] = workers;
}

module.exports = { runEngine, cacheHeader, engineFile: file };
if (require.main === module) {
  startWorkers(process.argv.slice(2));
  runEngine(join(__dirname, 'engine.cache'));
}
