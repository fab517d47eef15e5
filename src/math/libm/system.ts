/**
 * The `system` provider: this machine's own C library, called through koffi (an FFI package
 * that ships prebuilt binaries in the registry). A C built on this machine calls the same
 * functions, so the engine gets the C's bits by construction.
 *
 * Loaded once, lazily; a host where it cannot be loaded raises LibmUnavailableError with the
 * reason, and the caller decides whether that is an error (asked for) or a fallback (default).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export class LibmUnavailableError extends Error {}

export interface SystemLibm {
  sin(x: number): number; cos(x: number): number; tan(x: number): number;
  exp(x: number): number; log(x: number): number; atan2(y: number, x: number): number;
  acos(x: number): number; pow(x: number, y: number): number; powf(x: number, y: number): number;
  /** e.g. "glibc 2.36 libm.so.6 via koffi 3.3.4" */
  detail: string;
}

let loaded: SystemLibm | undefined;
let failure: string | undefined;

/** The libraries to try, per platform: the C library's math part first. */
function candidates(): string[] {
  switch (process.platform) {
    case 'linux': return ['libm.so.6', 'libm.so'];
    case 'darwin': return ['/usr/lib/libSystem.B.dylib'];
    case 'freebsd': case 'openbsd': case 'netbsd': return ['libm.so'];
    case 'win32': return ['ucrtbase.dll', 'msvcrt.dll'];
    default: return [];
  }
}

/** how koffi was loaded in this process: its platform's native module directly, or koffi's own loader (null: not yet) */
export let koffiLoadedBy: 'native module' | 'koffi' | null = null;

/**
 * koffi's native module. koffi's own loader finds it through Node's resolver (the package's
 * "exports" map, then its platform package by name: 5–9 ms of every start here) and loads the
 * same file. So the prebuilt module of this platform is looked for first where npm installs it,
 * beside koffi (node_modules/@koromix/koffi-<platform>-<arch>/<platform>_<arch>/koffi.node, in
 * this file's folder or a parent's), and used when it loads and is the version of the koffi
 * package there; anything else (another layout, another C library, another version) goes
 * through the koffi package itself, whose loader decides. Either way the calls are koffi's own.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function koffiModule(): any {
  const triplet = `${process.platform}_${process.arch}`;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', '@koromix', `koffi-${process.platform}-${process.arch}`, triplet, 'koffi.node');
    if (existsSync(file)) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const m = { exports: {} as any };
        process.dlopen(m, file);
        const { version } = JSON.parse(readFileSync(join(dir, 'node_modules', 'koffi', 'package.json'), 'utf8')) as { version: string };
        if (m.exports.version === version && typeof m.exports.load === 'function') { koffiLoadedBy = 'native module'; return m.exports; }
      } catch { /* not loadable here: koffi's loader decides */ }
      break;
    }
    if (dirname(dir) === dir) break;
  }
  const koffi = createRequire(import.meta.url)('koffi');
  koffiLoadedBy = 'koffi';
  return koffi;
}

export function loadSystemLibm(): SystemLibm {
  if (loaded) return loaded;
  if (failure) throw new LibmUnavailableError(failure);
  try {
    const koffi = koffiModule();
    let lib: any, name = '';
    const tried: string[] = [];
    for (const c of candidates()) {
      try { lib = koffi.load(c); name = c; break; } catch (e) { tried.push(`${c}: ${(e as Error).message.split('\n')[0]}`); }
    }
    if (!lib) throw new Error(tried.length ? tried.join('; ') : `no C math library known for platform ${process.platform}`);
    const d1 = (f: string) => lib.func(`double ${f}(double)`) as (x: number) => number;
    const d2 = (f: string) => lib.func(`double ${f}(double, double)`) as (x: number, y: number) => number;
    const powfRaw = lib.func('float powf(float, float)') as (x: number, y: number) => number;
    let version = '';
    if (process.platform === 'linux') {
      try { version = `glibc ${(koffi.load('libc.so.6').func('const char *gnu_get_libc_version(void)') as () => string)()} `; } catch { version = 'non-glibc '; }
    }
    // the native module's version: koffiModule() and koffi's loader both check it is the package's
    const koffiVersion = typeof koffi.version === 'string' ? koffi.version : '?';
    const lib1 = {
      sin: d1('sin'), cos: d1('cos'), tan: d1('tan'), exp: d1('exp'), log: d1('log'), acos: d1('acos'),
      atan2: d2('atan2'), pow: d2('pow'),
      // koffi converts the float arguments and result; the inputs are rounded to float first, as the C's are
      powf: (x: number, y: number) => Math.fround(powfRaw(Math.fround(x), Math.fround(y))),
      detail: `${version}${name} via koffi ${koffiVersion}`,
    };
    // a library that loads but answers nonsense is not this machine's libm
    if (lib1.sin(0.5) !== 0.479425538604203 || lib1.exp(1) !== Math.E || lib1.atan2(1, 1) * 4 !== Math.PI) {
      throw new Error(`${name} answered sin(0.5)=${lib1.sin(0.5)}, exp(1)=${lib1.exp(1)}`);
    }
    loaded = lib1;
    return loaded;
  } catch (e) {
    failure = `cannot load the C library's math functions: ${(e as Error).message.split('\n')[0]}`;
    throw new LibmUnavailableError(failure);
  }
}
