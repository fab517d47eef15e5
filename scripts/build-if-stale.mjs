#!/usr/bin/env node
/**
 * Compile the TypeScript only when dist/ is older than its sources, so `npm run parity` (and
 * bench, fuzz) start at once when nothing changed. Stale: a .ts file of src/, harness/ or bench/
 * (tsconfig.json's include) without its dist/.../*.js, or newer than it; or tsconfig.json newer
 * than the oldest output. Then the WebAssembly kernel (wasm/kernel.ts newer than its module) and
 * the engine's bundle (dist/engine older than a compiled module). Everything it says goes to
 * stderr, the compiler's output too, so the command after it owns stdout (`npm run --silent parity -- --json` prints JSON only).
 * Exit: 0 (current, or compiled), the compiler's exit code when it fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const roots = ['src', 'harness', 'bench'];

function* sources(dir, ext = '.ts') {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p, ext);
    else if (e.name.endsWith(ext) && !e.name.endsWith('.d.ts')) yield p;
  }
}

/** why dist/ is stale (the first reason found), or null when it is current */
function staleReason() {
  let oldest = Infinity;
  for (const r of roots) {
    if (!existsSync(join(root, r))) continue;
    for (const src of sources(join(root, r))) {
      const out = join(root, 'dist', relative(root, src)).replace(/\.ts$/, '.js');
      if (!existsSync(out)) return `${relative(root, out)} is missing`;
      const o = statSync(out).mtimeMs;
      if (statSync(src).mtimeMs > o) return `${relative(root, src)} changed since it was compiled`;
      oldest = Math.min(oldest, o);
    }
  }
  if (statSync(join(root, 'tsconfig.json')).mtimeMs > oldest) return 'tsconfig.json changed since the last build';
  return null;
}

/** why a module of dist/wasm is stale (the kernel's, the image passes'), or null */
function wasmStaleReason() {
  for (const name of ['kernel', 'passes']) {
    if (!existsSync(join(root, 'wasm', `${name}.ts`))) continue;
    const out = join(root, 'dist', 'wasm', `${name}.wasm`);
    if (!existsSync(out)) return `dist/wasm/${name}.wasm is missing`;
    if (statSync(join(root, 'wasm', `${name}.ts`)).mtimeMs > statSync(out).mtimeMs) return `wasm/${name}.ts changed since it was compiled`;
  }
  return null;
}

/** why the engine's bundle (dist/engine, scripts/build-bundle.mjs) is stale: a file missing, or older than a compiled module of src/ */
function bundleStaleReason() {
  if (!existsSync(join(root, 'scripts', 'build-bundle.mjs'))) return null;
  const parts = ['main.js', 'engine.js', 'engine.cache', 'worker.js', 'cr.js', 'package.json'].map((f) => join(root, 'dist', 'engine', f));
  const missing = parts.find((p) => !existsSync(p));
  if (missing) return `${relative(root, missing)} is missing`;
  const oldest = Math.min(...parts.map((p) => statSync(p).mtimeMs));
  for (const js of sources(join(root, 'dist', 'src'), '.js')) if (statSync(js).mtimeMs > oldest) return `${relative(root, js)} changed since the bundle was made`;
  for (const f of ['build-bundle.mjs', 'engine-launcher.cjs', 'build-code-cache.cjs']) {
    if (statSync(join(root, 'scripts', f)).mtimeMs > oldest) return `scripts/${f} changed since the bundle was made`;
  }
  return null;
}

const why = staleReason();
if (why) {
  process.stderr.write(`build-if-stale: ${why}; compiling (tsc -p tsconfig.json)\n`);
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: ['ignore', 2, 2] });
  process.exitCode = r.status ?? 2;
}
const wasmWhy = process.exitCode ? null : wasmStaleReason();
if (wasmWhy) {
  process.stderr.write(`build-if-stale: ${wasmWhy}; compiling (scripts/build-wasm.mjs)\n`);
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-wasm.mjs')], { stdio: ['ignore', 2, 2] });
  process.exitCode = r.status ?? 2;
}
const bundleWhy = process.exitCode ? null : bundleStaleReason();
if (bundleWhy) {
  process.stderr.write(`build-if-stale: ${bundleWhy}; bundling (scripts/build-bundle.mjs)\n`);
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-bundle.mjs')], { stdio: ['ignore', 2, 2] });
  process.exitCode = r.status ?? 2;
}
