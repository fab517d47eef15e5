#!/usr/bin/env node
/**
 * Make dist/engine/engine.cache (scripts/engine-launcher.cjs says what it is): run the engine's
 * bundle once on a small job (a 16×16 detector, the exact kernel, float and SMV images written
 * to a scratch folder), then write what it is made for (the launcher's cacheHeader: the
 * bundle's path and bytes) and V8's code cache of every function that run compiled. Called by scripts/build-bundle.mjs.
 * Exit: 0, or 1 when the run failed (no cache is written then).
 */
'use strict';
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const engineDir = resolve(process.argv[2]);
const { runEngine, cacheHeader } = require(join(engineDir, 'main.js'));
const scratch = mkdtempSync(join(tmpdir(), 'nbts-code-cache-'));
process.chdir(scratch);
process.argv = [process.argv[0], join(engineDir, 'main.js'), '-cell', '100', '100', '100', '90', '90', '90', '-misset', '10', '20', '30',
  '-default_F', '100', '-N', '5', '-lambda', '6.2', '-distance', '100', '-pixel', '0.1', '-detpixels', '16', '-nonoise', '-nopgm', '--json'];
// the run's own output is of no interest here
process.stdout.write = () => true;
const writeErr = process.stderr.write.bind(process.stderr);
// kept, and shown only when the run fails (the engine says why on stderr)
const errLines = [];
process.stderr.write = (chunk) => { errLines.push(String(chunk)); return true; };
// a failed run's message is the build's: the engine's uncaught errors and exit code come through
process.on('uncaughtException', (e) => { writeErr(`${e && e.stack || e}\n`); process.exit(1); });
const { script, bytes } = runEngine(undefined);
process.on('beforeExit', () => {
  process.chdir(engineDir);
  rmSync(scratch, { recursive: true, force: true });
  if (process.exitCode) { writeErr(errLines.join('')); return; } // a failed run: no cache, and its message
  writeFileSync(join(engineDir, 'engine.cache'), Buffer.concat([cacheHeader(bytes), script.createCachedData()]));
});
