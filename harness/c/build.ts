/**
 * The user's nanoBragg.c: where it is, and a compiled binary cached by the sha256 of the
 * source, the compiler's version and the flags. Nothing here downloads or ships the C.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../../src/index.js';
import { InputError } from '../contract.js';
import { cString } from './instrument.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const DEFAULT_CFLAGS = ['-O2', '-fopenmp'];
export const DEFAULT_LIBS = ['-lm'];

/** No C source configured anywhere (exit 2 where a C is required; replay otherwise). */
export class NoCSourceError extends InputError {
  override name = 'NoCSourceError';
  constructor(readonly tried: string[]) {
    super(`no nanoBragg.c found (tried: ${tried.join(', ')}). Put your copy at golden_suite_generator/nanoBragg.c, ` +
      'set NANOBRAGG_C=/path/to/nanoBragg.c, or pass --c-source PATH. See golden_suite_generator/README.md.');
  }
}

/** A configured C source that cannot be used: missing, a directory, empty, or not C (exit 2). */
export class BadCSourceError extends InputError {
  override name = 'BadCSourceError';
}

export class CompileError extends InputError {
  override name = 'CompileError';
  constructor(readonly command: string[], readonly exitCode_: number | undefined, readonly stderr: string) {
    super(`compiling nanoBragg.c failed (exit ${exitCode_}): ${command.join(' ')}\n${stderr}`);
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

export interface CSource { path: string; from: '--c-source' | 'NANOBRAGG_C' | 'golden_suite_generator' }

/**
 * Where the C comes from: --c-source PATH, else $NANOBRAGG_C (when set and not empty), else
 * golden_suite_generator/nanoBragg.c when it exists. A configured path must be a usable C
 * file (BadCSourceError otherwise: never a silent fallback to replay); null only when no C is
 * configured at all.
 */
export function findCSource(explicit?: string): CSource | null {
  let c: CSource | null = null;
  if (explicit !== undefined) c = { path: resolve(explicit), from: '--c-source' };
  else if (process.env.NANOBRAGG_C) c = { path: resolve(process.env.NANOBRAGG_C), from: 'NANOBRAGG_C' };
  else {
    const d = join(projectRoot(), 'golden_suite_generator', 'nanoBragg.c');
    if (existsSync(d) || isDanglingLink(d)) c = { path: d, from: 'golden_suite_generator' };
  }
  if (c) checkCSource(c);
  return c;
}

function isDanglingLink(p: string): boolean {
  try { return lstatSync(p).isSymbolicLink(); } catch { return false; }
}

/** Throws BadCSourceError unless `c.path` is a non-empty regular file that looks like C source. */
export function checkCSource(c: CSource): void {
  const say = (why: string) => new BadCSourceError(`${c.path} (from ${c.from}): ${why}`);
  let st;
  try { st = statSync(c.path); } catch (e) { throw say((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message); }
  if (st.isDirectory()) throw say('is a directory, not a nanoBragg.c file');
  if (!st.isFile()) throw say('is not a regular file');
  if (st.size === 0) throw say('is empty');
  const head = readFileSync(c.path).subarray(0, 1 << 20);
  const kind = sourceKind(head);
  if (kind === 'empty') throw say('is empty (only white space)');
  if (kind === 'binary') throw say('is a binary file, not C source');
  if (kind === 'cuda') throw say('is CUDA source (nanoBraggCUDA?), not the CPU nanoBragg.c');
  if (!/\bmain\s*\(/.test(head.toString('utf8'))) throw say('does not look like nanoBragg.c (no main function)');
}

/**
 * What a would-be C file is, from its first bytes: 'empty' (nothing or only white space),
 * 'binary' (a NUL byte, or more than 1% control characters other than white space), 'cuda'
 * (outside comments: `__global__`, a `<<<...>>>` kernel launch, or an include of cuda.h /
 * cuda_runtime), else 'c'.
 */
export function sourceKind(bytes: Uint8Array): 'empty' | 'binary' | 'cuda' | 'c' {
  if (bytes.length === 0) return 'empty';
  let control = 0;
  for (const b of bytes) {
    if (b === 0) return 'binary';
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x0b) || b === 0x7f) control++;
  }
  if (control > bytes.length / 100) return 'binary';
  const text = Buffer.from(bytes).toString('utf8');
  if (text.trim() === '') return 'empty';
  const code = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  if (/\b__global__\b/.test(code) || /<<<[^;]*>>>/.test(code) || /^[ \t]*#[ \t]*include[ \t]*[<"](cuda[^>"]*|[^>"]*cuda_runtime[^>"]*)[>"]/m.test(code) || /\bcuda_runtime\b/.test(code)) return 'cuda';
  return 'c';
}

export function candidates(explicit?: string): string[] {
  if (explicit) return [resolve(explicit)];
  return [...(process.env.NANOBRAGG_C ? [resolve(process.env.NANOBRAGG_C)] : []), join(projectRoot(), 'golden_suite_generator', 'nanoBragg.c')];
}

export function requireCSource(explicit?: string): CSource {
  const c = findCSource(explicit);
  if (!c) throw new NoCSourceError(candidates(explicit));
  return c;
}

export interface BuiltC { binary: string; source: string; sourceSha256: string; compiler: string; compilerVersion: string; flags: string[]; cached: boolean; command: string[] }

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Compile `source` (or reuse the cached binary for the same text, compiler and flags). The
 * compiled copy starts with `#line 1 "<displayName>"`, so compiler messages name the user's
 * file. The cache records the binary's sha256 and re-checks it before every use: a damaged
 * entry is rebuilt, with a one-line notice.
 */
export async function buildC(source: string, opts: { cc?: string; flags?: string[]; cacheDir?: string; displayName?: string; onNotice?: (line: string) => void } = {}): Promise<BuiltC> {
  const cc = opts.cc ?? process.env.CC ?? 'cc';
  const flags = opts.flags ?? DEFAULT_CFLAGS;
  const notice = opts.onNotice ?? ((l: string) => process.stderr.write(l + '\n'));
  const text = Buffer.concat([Buffer.from(`#line 1 ${cString(opts.displayName ?? source)}\n`), readFileSync(source)]);
  const sourceSha256 = sha256(text);
  const ver = await execa(cc, ['--version'], { reject: false });
  if (ver.exitCode !== 0) throw new CompileError([cc, '--version'], ver.exitCode, String(ver.stderr || ver.stdout || 'compiler not found'));
  const compilerVersion = String(ver.stdout).split('\n')[0];
  const key = sha256(JSON.stringify({ sourceSha256, cc, compilerVersion, flags }));
  const dir = join(opts.cacheDir ?? join(projectRoot(), '.cache', 'cbuild'), key.slice(0, 16));
  const binary = join(dir, 'nanoBragg');
  const command = [cc, ...flags, '-o', binary, join(dir, 'nanoBragg.c'), ...DEFAULT_LIBS];
  const meta = join(dir, 'build.json');
  if (existsSync(binary)) {
    let recorded: string | undefined;
    try { recorded = JSON.parse(readFileSync(meta, 'utf8')).binary_sha256; } catch { /* missing or damaged */ }
    const actual = sha256(readFileSync(binary));
    if (recorded === actual) return { binary, source, sourceSha256, compiler: cc, compilerVersion, flags, cached: true, command };
    notice(`nbparity: the cached build ${binary} is damaged (${recorded ? `sha256 ${actual.slice(0, 12)}…, recorded ${recorded.slice(0, 12)}…` : 'no recorded sha256'}); rebuilding`);
    rmSync(binary, { force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'nanoBragg.c'), text);
  const tmp = binary + `.${process.pid}.tmp`;
  const r = await execa(cc, [...flags, '-o', tmp, join(dir, 'nanoBragg.c'), ...DEFAULT_LIBS], { reject: false });
  if (r.exitCode !== 0) { rmSync(tmp, { force: true }); throw new CompileError(command, r.exitCode, String(r.stderr)); }
  const binarySha256 = sha256(readFileSync(tmp));
  renameSync(tmp, binary);
  writeFileAtomic(meta, JSON.stringify({ source, sourceSha256, cc, compilerVersion, flags, command, binary_sha256: binarySha256 }, null, 2));
  return { binary, source, sourceSha256, compiler: cc, compilerVersion, flags, cached: false, command };
}
