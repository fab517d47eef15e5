#!/usr/bin/env node
/**
 * Compile the exact kernel's WebAssembly part (wasm/kernel.ts, AssemblyScript) into
 * dist/wasm/kernel.wasm. Part of `npm run build`; build-if-stale.mjs calls it when the
 * source is newer than the module. Exit: 0, or the compiler's exit code.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'dist', 'wasm'), { recursive: true });
// -O3; SIMD (f64x2); a stub runtime (the kernel allocates nothing); no assertions. No --fastMath:
// every floating-point operation stays IEEE, in source order.
const r = spawnSync(process.execPath, [join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), join(root, 'wasm', 'kernel.ts'),
  '-O3', '--runtime', 'stub', '--enable', 'simd', '--noAssert', '--outFile', join(root, 'dist', 'wasm', 'kernel.wasm')], { stdio: ['ignore', 2, 2] });
process.exitCode = r.status ?? 2;
