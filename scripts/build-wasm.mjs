#!/usr/bin/env node
/**
 * Compile the WebAssembly parts (AssemblyScript): the exact kernel's (wasm/kernel.ts) into
 * dist/wasm/kernel.wasm, the image passes (wasm/passes.ts) into dist/wasm/passes.wasm. Part of
 * `npm run build`; build-if-stale.mjs calls it when a source is newer than its module.
 * Exit: 0, or the compiler's exit code.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'dist', 'wasm'), { recursive: true });
// -O3; a stub runtime (neither module allocates); no assertions. No --fastMath: every
// floating-point operation stays IEEE, in source order. The kernel: SIMD (f64x2), its own memory.
// The image passes: SIMD too; the memory imported, shared (it is the image's buffer, src/physics/image.ts).
const modules = [
  ['kernel', ['--enable', 'simd']],
  ['passes', ['--importMemory', '--sharedMemory', '--enable', 'threads,simd', '--initialMemory', '0', '--maximumMemory', '65536']],
];
for (const [name, flags] of modules) {
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), join(root, 'wasm', `${name}.ts`),
    '-O3', '--runtime', 'stub', '--noAssert', ...flags, '--outFile', join(root, 'dist', 'wasm', `${name}.wasm`)], { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) { process.exitCode = r.status ?? 2; break; }
}
