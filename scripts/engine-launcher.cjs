#!/usr/bin/env node
/**
 * The nanobragg-ts bin (copied to dist/engine/main.js by scripts/build-bundle.mjs): runs the
 * engine's bundle, dist/engine/engine.js, as Node would require() it, with V8's code cache
 * (dist/engine/engine.cache) when one was made for exactly these bytes.
 *
 * The cache holds the bytecode of the functions a small run compiles (the build makes it), so
 * a run starts about 10 ms sooner. It is used only when the sha256 it was made for (its first
 * 64 bytes) is the bundle's: V8's own check compares the source's length, not its bytes. A
 * cache V8 rejects (another Node, other flags) or a missing one only costs that time; the
 * engine runs the same code either way.
 */
'use strict';
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const file = join(__dirname, 'engine.js');

/** the bundle as a script (the same wrapper require() uses), with its cache when it matches */
function engineScript(source, cache) {
  let cachedData;
  if (cache && cache.length > 64) {
    const want = cache.subarray(0, 64).toString('latin1');
    if (want === createHash('sha256').update(source).digest('hex')) cachedData = cache.subarray(64);
  }
  // the bundle's first line is the entry's #! line (a comment to require(), not to vm.Script)
  const code = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  return new vm.Script(Module.wrap(code), { filename: file, cachedData });
}

/** run the bundle as the module `file`; returns its vm.Script (for the code cache) */
function runEngine(cachePath) {
  const source = readFileSync(file, 'utf8');
  let cache;
  try { cache = cachePath ? readFileSync(cachePath) : undefined; } catch { cache = undefined; }
  const script = engineScript(source, cache);
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(dirname(file));
  const req = (id) => m.require(id);
  req.resolve = (id, o) => Module._resolveFilename(id, m, false, o);
  script.runInThisContext().call(m.exports, m.exports, req, m, file, dirname(file));
  return { script, source };
}

module.exports = { runEngine, engineFile: file };
if (require.main === module) runEngine(join(__dirname, 'engine.cache'));
