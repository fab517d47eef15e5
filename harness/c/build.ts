/**
 * The user's nanoBragg.c: where it is, and a compiled binary cached by the sha256 of the
 * source, the compiler's version and the flags. Nothing here downloads or ships the C.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const DEFAULT_CFLAGS = ['-O2', '-fopenmp'];
export const DEFAULT_LIBS = ['-lm'];

export class NoCSourceError extends Error {
  override name = 'NoCSourceError';
  constructor(readonly tried: string[]) {
    super(`no nanoBragg.c found (tried: ${tried.join(', ')}). Put your copy at golden_suite_generator/nanoBragg.c, ` +
      'set NANOBRAGG_C=/path/to/nanoBragg.c, or pass --c-source PATH. See golden_suite_generator/README.md.');
  }
}

export class CompileError extends Error {
  override name = 'CompileError';
  constructor(readonly command: string[], readonly exitCode: number | undefined, readonly stderr: string) {
    super(`compiling nanoBragg.c failed (exit ${exitCode}): ${command.join(' ')}\n${stderr}`);
  }
}

/** The project root (works from src and from dist). */
export function projectRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'golden_suite_generator'))) return d;
    d = dirname(d);
  }
  return process.cwd();
}

/** --c-source PATH, else $NANOBRAGG_C, else golden_suite_generator/nanoBragg.c; null when none exists. */
export function findCSource(explicit?: string): string | null {
  const tried = candidates(explicit);
  for (const p of tried) if (existsSync(p)) return p;
  return null;
}

export function candidates(explicit?: string): string[] {
  const list: string[] = [];
  if (explicit) return [resolve(explicit)];
  if (process.env.NANOBRAGG_C) list.push(resolve(process.env.NANOBRAGG_C));
  list.push(join(projectRoot(), 'golden_suite_generator', 'nanoBragg.c'));
  return list;
}

export function requireCSource(explicit?: string): string {
  const p = findCSource(explicit);
  if (!p) throw new NoCSourceError(candidates(explicit));
  return p;
}

export interface BuiltC { binary: string; source: string; sourceSha256: string; compiler: string; compilerVersion: string; flags: string[]; cached: boolean; command: string[] }

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Compile `source` (or reuse the cached binary for the same source, compiler and flags). */
export async function buildC(source: string, opts: { cc?: string; flags?: string[]; cacheDir?: string } = {}): Promise<BuiltC> {
  const cc = opts.cc ?? process.env.CC ?? 'cc';
  const flags = opts.flags ?? DEFAULT_CFLAGS;
  const text = readFileSync(source);
  const sourceSha256 = sha256(text);
  const ver = await execa(cc, ['--version'], { reject: false });
  if (ver.exitCode !== 0) throw new CompileError([cc, '--version'], ver.exitCode, String(ver.stderr || ver.stdout || 'compiler not found'));
  const compilerVersion = String(ver.stdout).split('\n')[0];
  const key = sha256(JSON.stringify({ sourceSha256, cc, compilerVersion, flags }));
  const dir = join(opts.cacheDir ?? join(projectRoot(), '.cache', 'cbuild'), key.slice(0, 16));
  const binary = join(dir, 'nanoBragg');
  const command = [cc, ...flags, '-o', binary, join(dir, 'nanoBragg.c'), ...DEFAULT_LIBS];
  if (existsSync(binary)) return { binary, source, sourceSha256, compiler: cc, compilerVersion, flags, cached: true, command };
  mkdirSync(dir, { recursive: true });
  copyFileSync(source, join(dir, 'nanoBragg.c'));
  const tmp = binary + `.${process.pid}.tmp`;
  const r = await execa(cc, [...flags, '-o', tmp, join(dir, 'nanoBragg.c'), ...DEFAULT_LIBS], { reject: false });
  if (r.exitCode !== 0) { rmSync(tmp, { force: true }); throw new CompileError(command, r.exitCode, String(r.stderr)); }
  renameSync(tmp, binary);
  writeFileSync(join(dir, 'build.json'), JSON.stringify({ source, sourceSha256, cc, compilerVersion, flags, command }, null, 2));
  return { binary, source, sourceSha256, compiler: cc, compilerVersion, flags, cached: false, command };
}
