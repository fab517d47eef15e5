import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** the nanobragg-ts bin: the bundle of scripts/build-bundle.mjs */
export const ENGINE_CLI = join(ROOT, 'dist', 'engine', 'main.js');

/** Run the compiled engine CLI; never throws, returns status and output. */
export function runEngine(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [ENGINE_CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function runEngineOk(args: string[], cwd: string): string {
  return execFileSync(process.execPath, [ENGINE_CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
}
