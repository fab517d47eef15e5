/** Facts about this run for evidence: the project's commit, the tool version, the engine CLI, shell quoting. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { arch, cpus, release, type as osType } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './c/build.js';
import { InputError } from './contract.js';


export function gitCommit(): { commit: string; dirty: boolean } {
  try {
    const root = projectRoot();
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return { commit, dirty };
  } catch { return { commit: 'unknown', dirty: false }; }
}

export function toolVersion(): string {
  try { return JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')).version; } catch { return 'unknown'; }
}

/** The built engine CLI, the `nanobragg-ts` bin (the harness runs the engine through its CLI): the bundle scripts/build-bundle.mjs makes. */
export function engineCli(): string {
  const p = join(projectRoot(), 'dist', 'engine', 'main.js');
  if (!existsSync(p)) throw new InputError(`the engine is not built (${p} missing): run npm run build`);
  return p;
}

export function machine(): { node: string; os: string; cpu: string; cores: number } {
  return { node: process.version, os: `${osType()} ${release()} ${arch()}`, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length };
}

/** Shell-quote one word. */
export function q(s: string): string { return /^[A-Za-z0-9_./=:,@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`; }
/** A re-runnable shell line. */
export function shellLine(argv: string[], env: Record<string, string> = {}): string {
  return [...Object.entries(env).map(([k, v]) => `${k}=${q(v)}`), ...argv.map(q)].join(' ');
}
