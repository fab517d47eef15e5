#!/usr/bin/env node
/**
 * Bundle the engine's command line into CommonJS files under dist/engine/: engine.js (the
 * engine), worker.js (a render worker) and cr.js (the correctly rounded libm, required on
 * demand); main.js, the `nanobragg-ts` bin, is scripts/engine-launcher.cjs, which runs
 * engine.js with V8's code cache engine.cache (made here by scripts/build-code-cache.cjs).
 * Part of `npm run build`, after tsc; build-if-stale.mjs calls it when a bundle is older than
 * the compiled modules.
 *
 * Why: Node loads the engine's 40-odd ES modules in 40–70 ms on a 2-core machine, a CommonJS
 * bundle of the same code in about 20 ms less, and with the code cache 10 ms less again; a
 * render worker boots sooner too (README, "Speed"). The bundles are the compiled modules as they are, joined (no minifying,
 * no other transform); dist/src/cli/main.js stays a working entry of the same code.
 *
 * One module is replaced: cr-eager.js, whose top-level await loads the correctly rounded libm at
 * import where it cannot be required on demand (CommonJS has no top-level await). In the bundle
 * it is `crEager = undefined`, and the libm requires dist/engine/cr.js when first asked.
 * Exit: 0, or 1 with the bundler's message.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const out = join(dist, 'engine');

const crEagerId = join(dist, 'src', 'math', 'libm', 'cr-eager.js');
const noEagerCr = {
  name: 'nbparity-no-eager-cr',
  load(id) {
    if (id === crEagerId) return 'export const crEager = undefined;\n';
    return null;
  },
};

const entries = [
  ['src/cli/main.js', 'engine.js'],
  ['src/physics/worker.js', 'worker.js'],
  ['src/math/libm/cr.js', 'cr.js'],
];

try {
  mkdirSync(out, { recursive: true });
  // .js files under dist/engine are CommonJS (the package is "type": "module")
  writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');
  for (const [input, file] of entries) {
    const bundle = await rolldown({ input: join(dist, input), platform: 'node', plugins: [noEagerCr], logLevel: 'warn', onwarn: (w) => { throw new Error(`${input}: ${w.message}`); } });
    await bundle.write({ file: join(out, file), format: 'cjs', sourcemap: false });
    await bundle.close();
  }
  // the bin: the launcher, and the code cache it uses (made by a small run of the bundle)
  copyFileSync(join(root, 'scripts', 'engine-launcher.cjs'), join(out, 'main.js'));
  chmodSync(join(out, 'main.js'), 0o755);
  rmSync(join(out, 'engine.cache'), { force: true });
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-code-cache.cjs'), out], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the code cache's run failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
} catch (e) {
  process.stderr.write(`build-bundle: ${e.message ?? e}\n`);
  process.exitCode = 1;
}
